"""The chair's convene summary and the convene form."""

from __future__ import annotations

from typing import Any

from cards.common import box, card, execute, facts, heading, text
from cards.format import fmt_when, time_left
from cards.views import ConveneFormView, ConveneSummary


def convene_summary(view: ConveneSummary) -> dict[str, Any]:
    overdue = view.now > view.convene_by
    title = "Review strategy discussion" if view.kind == "review" else "Strategy discussion"
    body: list[dict[str, Any]] = [*heading(f"{title}: {view.case_ref}", "Summary for the chair")]
    deadline_items = [
        text(f"Hold by {fmt_when(view.convene_by)} ({time_left(view.now, view.convene_by)})",
             weight="Bolder", size="Medium", color="Attention" if overdue else "Default"),
        text(f"Rule: {view.convene_by_rule}", size="Small", spacing="None"),
    ]  # fmt: skip
    if view.convene_by_note:
        deadline_items.append(text(view.convene_by_note, size="Small", color="Warning"))
    body.append(box(deadline_items, "attention" if overdue else "emphasis"))
    if view.scheduled_for is None:
        start = box([text("No start time yet: type the same convene again with 'at WHEN' (e.g. at today 15:00), "
                          "or enter it below before sending.", color="Warning")], "warning")  # fmt: skip
    elif view.scheduled_for > view.convene_by:
        start = box([text(f"Proposed start {fmt_when(view.scheduled_for)} is AFTER the deadline. "
                          "Choose an earlier time, or record why it cannot be met.", weight="Bolder",
                          color="Attention")], "attention")  # fmt: skip
    else:
        start = text(f"Proposed start: {fmt_when(view.scheduled_for)} ({view.format_label})", weight="Bolder")
    body.append(start)
    body.append(facts([
        ("Referral received", fmt_when(view.referral_at)),
        ("Concerns", "; ".join(view.concerns) or "—"),
        ("Flags", "; ".join(view.flags) or "none"),
        ("Format", view.format_label),
    ]))  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})"))
    elif view.meeting_note:
        body.append(text(view.meeting_note, isSubtle=True, size="Small"))
    body.append(text(f"Invitees ({len(view.invitees)})", weight="Bolder", size="Medium"))
    for line in view.invitees:
        tag = "required" if line.required else "as needed"
        body.append(box([
            text(f"**{line.agency_name}** · {line.kind_label} · {tag}", spacing="None"),
            text(f"Why: {line.reason}", size="Small", spacing="None"),
            text(f"How: {line.reach}", size="Small", isSubtle=True, spacing="None"),
        ], "default"))  # fmt: skip
    for note in view.planning_notes:
        body.append(text(f"📝 {note}", size="Small"))
    actions: list[dict[str, Any]] = []
    if view.invitations_sent:
        body.append(box([text("✅ Invitations sent. The roster card below shows the answers.", weight="Bolder")], "good"))
    else:
        if view.scheduled_for is None:
            body.append({"type": "Input.Text", "id": "at", "label": "Proposed start (e.g. today 15:00)",
                         "isRequired": True, "errorMessage": "Enter when the discussion starts."})  # fmt: skip
        actions.append(execute("Send invitations", "send_invitations", {"discussion_id": view.discussion_id}, "positive"))
    return card(body, actions)


def _choice(id_: str, label: str, choices: list[tuple[str, str]], value: str, multi: bool, required: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet", "id": id_, "label": label, "isMultiSelect": multi, "style": "compact" if not multi else "expanded",
        "value": value, "choices": [{"title": f"{title}", "value": code} for code, title in choices],
    }  # fmt: skip
    if required:
        element.update(isRequired=True, errorMessage=f"{label}: choose at least one.")
    return element


def convene_form(view: ConveneFormView) -> dict[str, Any]:
    v, e = view.values, view.errors

    def err(key: str) -> list[dict[str, Any]]:
        return [text(e[key], color="Attention", size="Small", spacing="None")] if key in e else []

    body: list[dict[str, Any]] = [
        *heading("Convene a strategy discussion", "Case reference only: never the child's name."),
    ]
    if e:
        body.append(box([text("Please correct the fields marked in red. Nothing was saved.", weight="Bolder")], "attention"))
    body += [
        {"type": "Input.Text", "id": "case_ref", "label": "Case reference", "placeholder": "e.g. CR-1234",
         "isRequired": True, "errorMessage": "Enter the case reference.", "regex": "^[A-Za-z0-9][A-Za-z0-9/_.-]{1,39}$",
         "value": v.get("case_ref", "")}, *err("case_ref"),
        {"type": "Input.Text", "id": "referral", "label": "Referral received (blank = now)",
         "placeholder": "e.g. today 08:40", "value": v.get("referral", "")}, *err("referral"),
        _choice("concerns", "Concerns", view.concern_choices, v.get("concerns", "significant-harm"), True, True), *err("concern"), *err("concerns"),
        _choice("flags", "Flags (who else to invite)", view.flag_choices, v.get("flags", ""), True), *err("flag"), *err("flags"),
        {"type": "Input.Text", "id": "action", "label": "Immediate protective action taken at (if any)",
         "placeholder": "e.g. today 07:15", "value": v.get("action", "")}, *err("action"),
        {"type": "Input.Text", "id": "at", "label": "Proposed start", "placeholder": "e.g. today 15:00",
         "value": v.get("at", "")}, *err("at"),
        _choice("format", "Format", view.format_choices, v.get("format", "teams"), False), *err("format"),
    ]  # fmt: skip
    return card(body, [execute("Convene", "convene_form", {}, "positive")])

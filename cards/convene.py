"""The chair's convene summary and the convene form."""

from __future__ import annotations

from typing import Any

from cards.common import Element, box, card, execute, facts, field_error, heading, input_text, text
from cards.format import fmt_when, is_after, time_left
from cards.verbs import Verb
from cards.views import ConveneFormView, ConveneSummary, InviteeLine

# The same rule the server applies to a typed case reference (letters, digits, - / _ .).
CASE_REF_REGEX = r"^[A-Za-z0-9][A-Za-z0-9/_.-]{1,39}$"
FORM_FIELDS = ("case_ref", "referral", "concerns", "flags", "action", "at", "format")


def _title(kind: str) -> str:
    return "Review strategy discussion" if kind == "review" else "Strategy discussion"


def _deadline(view: ConveneSummary) -> Element:
    if view.convene_by is None:
        return box([text("No deadline: held when the chair asks", weight="Bolder", size="Medium"),
                    text(f"Rule: {view.convene_by_rule}", size="Small", spacing="None")], "emphasis")  # fmt: skip
    overdue = is_after(view.now, view.convene_by)
    items = [
        text(f"Hold by {fmt_when(view.convene_by)} ({time_left(view.now, view.convene_by)})",
             weight="Bolder", size="Medium", color="Attention" if overdue else "Default"),
        text(f"Rule: {view.convene_by_rule}", size="Small", spacing="None"),
    ]  # fmt: skip
    if overdue:
        items.append(text("The deadline has passed: hold the discussion as soon as you can and record why it was late.",
                          size="Small", color="Attention"))  # fmt: skip
    if view.convene_by_note:
        items.append(text(view.convene_by_note, size="Small", color="Warning"))
    return box(items, "attention" if overdue else "emphasis")


def _start(view: ConveneSummary) -> Element:
    if view.scheduled_for is None:
        return box([text("No start time yet.", weight="Bolder", color="Warning"),
                    text("Enter it below before you send the invitations (e.g. today 15:00), or type the "
                         "convene again with 'at WHEN'.", spacing="None")], "warning")  # fmt: skip
    if view.convene_by is not None and is_after(view.scheduled_for, view.convene_by):
        return box([text(f"Proposed start {fmt_when(view.scheduled_for)} is AFTER the deadline "
                         f"({fmt_when(view.convene_by)}).", weight="Bolder", color="Attention"),
                    text("Choose an earlier time (type the convene again with 'at WHEN'), or record why the "
                         "deadline cannot be met.", spacing="None")], "attention")  # fmt: skip
    return text(f"Proposed start: {fmt_when(view.scheduled_for)} ({view.format_label})", weight="Bolder")


def _invitee(line: InviteeLine) -> Element:
    tag = "required" if line.required else "as needed"
    return box([
        text(f"**{line.agency_name}** · {line.kind_label} · {tag}", spacing="None"),
        text(f"Why: {line.reason}", size="Small", spacing="None"),
        text(f"How: {line.reach}", size="Small", isSubtle=True, spacing="None"),
    ], "default")  # fmt: skip


def convene_summary(view: ConveneSummary) -> dict[str, Any]:
    """What the chair sees after `convene`: deadline and rule, start, who is invited and why."""
    subtitle = "Invitations sent" if view.invitations_sent else "For the chair: check, then send the invitations"
    body: list[Element] = [*heading(f"{_title(view.kind)}: {view.case_ref}", subtitle), _deadline(view), _start(view)]
    body.append(facts([
        ("Referral received", fmt_when(view.referral_at)),
        ("Concerns", "; ".join(view.concerns) or "none recorded"),
        ("Flags", "; ".join(view.flags) or "none"),
        ("Format", view.format_label),
    ]))  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})"))
    elif view.meeting_note:
        body.append(text(view.meeting_note, isSubtle=True, size="Small"))
    body.append(text(f"Invitees ({len(view.invitees)})", weight="Bolder", size="Medium"))
    body += [_invitee(line) for line in view.invitees]
    for note in view.planning_notes:
        body.append(text(f"📝 {note}", size="Small"))
    actions: list[Element] = []
    if view.invitations_sent:
        body.append(box([text("✅ Invitations sent. The roster card shows each agency's answer.", weight="Bolder")], "good"))
    else:
        body.append(text("**Next:** check the invitees, then press **Send invitations**. Each agency gets its own "
                         "invitation with the case reference, the time and why it is needed."))  # fmt: skip
        if view.scheduled_for is None:
            body.append(input_text("at", "Proposed start", placeholder="e.g. today 15:00, 24/12/2026 10:00",
                                   required=True, error="Enter when the discussion starts."))  # fmt: skip
        actions.append(execute("Send invitations", Verb.SEND_INVITATIONS, {"discussion_id": view.discussion_id}, "positive"))
    return card(body, actions)


def _choice(id_: str, label: str, choices: list[tuple[str, str]], value: str, *, multi: bool,
            required: bool = False, error: str | None = None) -> Element:  # fmt: skip
    element: Element = {
        "type": "Input.ChoiceSet", "id": id_, "label": label, "isMultiSelect": multi,
        # Expanded: every concern and flag decides the deadline or who is invited, so all stay in
        # sight as check boxes rather than hidden in a drop-down.
        "style": "expanded" if multi else "compact",
        "choices": [{"title": title, "value": code} for code, title in choices],
    }  # fmt: skip
    if value:
        element["value"] = value
    if required:
        element.update(isRequired=True, errorMessage=error or f"{label}: choose one.")
    return element


def convene_form(view: ConveneFormView) -> dict[str, Any]:
    """`convene` without a case reference: the same fields as the typed command, as a form."""
    v, e = view.values, view.errors

    def err(key: str) -> list[Element]:
        return [field_error(e[key])] if e.get(key) else []

    body: list[Element] = [
        *heading("Convene a strategy discussion", "Case reference only: never the child's name."),
    ]
    if e:
        others = [f"{key}: {message}" for key, message in e.items() if key not in FORM_FIELDS and message]
        body.append(box([text("Please correct the fields marked in red. Nothing was saved.", weight="Bolder"),
                         *[text(line, size="Small", spacing="None") for line in others]], "attention"))  # fmt: skip
    else:
        body.append(text("Only the case reference is required. Dates are UK style: today 09:30, tomorrow 2pm, "
                         "24/12/2026 10:00.", size="Small", isSubtle=True))  # fmt: skip
    body += [
        input_text("case_ref", "Case reference", value=v.get("case_ref", ""), placeholder="e.g. CR-1234", required=True,
                   error="Enter the case reference (letters, digits, dashes; no names).", regex=CASE_REF_REGEX),
        *err("case_ref"),
        input_text("referral", "Referral received (blank = now)", value=v.get("referral", ""),
                   placeholder="when the referral was received, e.g. today 09:30"),
        *err("referral"),
        _choice("concerns", "Concerns (they set the deadline)", view.concern_choices, v.get("concerns", "significant-harm"),
                multi=True, required=True, error="Choose at least one concern."),
        *err("concerns"), *err("concern"),
        _choice("flags", "Flags (they decide who else is invited)", view.flag_choices, v.get("flags", ""), multi=True),
        *err("flags"), *err("flag"),
        input_text("action", "Immediate protective action taken at (if any)", value=v.get("action", ""),
                   placeholder="e.g. today 07:15"),
        *err("action"),
        input_text("at", "Proposed start", value=v.get("at", ""), placeholder="e.g. today 15:00"),
        *err("at"),
        _choice("format", "Format", view.format_choices, v.get("format", "teams"), multi=False),
        *err("format"),
    ]  # fmt: skip
    return card(body, [execute("Convene", Verb.CONVENE_FORM, {}, "positive")])

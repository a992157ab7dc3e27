"""The chair's roster (edited in place on every answer) and the escalation ping."""

from __future__ import annotations

from typing import Any

from cards.common import (
    Element,
    at,
    box,
    card,
    execute,
    heading,
    input_text,
    mention_entity,
    show_card,
    text,
)
from cards.format import escape_markdown, fmt_when, is_after, starts_in, time_left
from cards.verbs import Verb
from cards.views import CasesView, EscalationView, RecordAnswerForm, RosterRow, RosterView
from procedure.states import AnswerSource, Delivery, InvitationStatus

STATUS_WORDS = {
    InvitationStatus.ACCEPTED: "✅ Accepted",
    InvitationStatus.PENDING: "⏳ Awaiting reply",
    InvitationStatus.DECLINED: "❌ Declined",
    InvitationStatus.WITHDRAWN: "⚠️ Withdrawn",
    InvitationStatus.DELEGATED: "➡️ Delegated, awaiting reply",
    InvitationStatus.TENTATIVE: "❔ Tentative",
}
DELIVERY_WORDS = {
    Delivery.SENDING: "Sending the invitation…",
    Delivery.DELIVERED: "Invitation delivered",
    Delivery.RETRYING: "⏳ Teams is not accepting the invitation yet: retrying",
    Delivery.FAILED: "⛔ Invitation NOT delivered",
}
ANSWER_CHOICES = ((InvitationStatus.ACCEPTED, "Accepted"), (InvitationStatus.DECLINED, "Declined"), (InvitationStatus.TENTATIVE, "Tentative"))


def status_word(status: InvitationStatus, late: bool) -> str:
    return STATUS_WORDS.get(status, status.capitalize()) + (" (late)" if late else "")


def _quorum(view: RosterView) -> Element:
    if view.quorate:
        return box([text("QUORATE", weight="Bolder", color="Good"),
                     text("Every agency the quorum needs has confirmed.", spacing="None")], "good")  # fmt: skip
    missing = "; ".join(view.missing) or "a confirmation from a statutory partner"
    return box([text("INQUORATE", weight="Bolder", color="Attention"),
                text(f"Missing: {missing}", spacing="None")], "attention")  # fmt: skip


def _row(row: RosterRow) -> Element:
    detail = row.person_name or ""
    if detail and row.responded_at:
        detail = f"{detail}, {fmt_when(row.responded_at)}"
    elif row.responded_at and row.status != "pending":
        # Answered with no person of the agency named (the chair pressed for it): still say when.
        detail = f"Answered {fmt_when(row.responded_at)}"
    if row.reason and row.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        reason = escape_markdown(row.reason)  # typed by the person who answered
        detail = f"{detail}: {reason}" if detail else reason
    if row.source == AnswerSource.CALENDAR:
        detail = f"{detail} (in their calendar)" if detail else "answered in their calendar"
    if row.recorded_by:
        detail = f"{detail} (recorded by {row.recorded_by})" if detail else f"recorded by {row.recorded_by}"
    colour = {InvitationStatus.ACCEPTED: "Good", InvitationStatus.DECLINED: "Attention", InvitationStatus.WITHDRAWN: "Attention"}.get(row.status, "Default")
    left: list[Element] = [text(f"**{row.agency_name}**" + ("" if row.required else " (as needed)"), spacing="None")]
    if detail:
        left.append(text(detail, size="Small", isSubtle=True, spacing="None"))
    if row.delivery in DELIVERY_WORDS and row.status in (InvitationStatus.PENDING, InvitationStatus.DELEGATED):
        colour_delivery = {Delivery.FAILED: "Attention", Delivery.RETRYING: "Warning"}.get(row.delivery, "Default")
        left.append(text(DELIVERY_WORDS[row.delivery], size="Small", color=colour_delivery, spacing="None"))
        if row.delivery in (Delivery.FAILED, Delivery.RETRYING) and row.contact:
            left.append(text(f"📞 Phone {row.contact}", size="Small", weight="Bolder", spacing="None"))
    return {"type": "ColumnSet", "columns": [
        {"type": "Column", "width": "stretch", "items": left},
        {"type": "Column", "width": "auto", "items": [text(status_word(row.status, row.late), weight="Bolder", color=colour)]},
    ]}  # fmt: skip


def record_answer_action(form: RecordAnswerForm) -> Element:
    """`Record answer`: the chair records an answer given by phone or e-mail for an agency."""
    choices = [{"title": name, "value": inv_id} for inv_id, name in form.choices]
    agency: Element = {"type": "Input.ChoiceSet", "id": "ra_invitation", "label": "Agency", "style": "compact",
                       "isRequired": True, "errorMessage": "Choose the agency that answered.", "choices": choices}  # fmt: skip
    if form.selected:
        agency["value"] = form.selected
    body: list[Element] = [
        text("An answer given by phone or e-mail: it is recorded as yours, on the agency's behalf.", size="Small"),
        agency,
        {"type": "Input.ChoiceSet", "id": "ra_answer", "label": "Their answer", "style": "expanded",
         "isRequired": True, "errorMessage": "Choose their answer.",
         "choices": [{"title": t, "value": v} for v, t in ANSWER_CHOICES]},
        input_text("ra_reason", "Reason (needed for a decline)", multiline=True, max_length=1000),
        input_text("ra_note", "Note (who you spoke to, how)", multiline=True, max_length=1000),
    ]  # fmt: skip
    return show_card("Record answer", body, execute("Save answer", Verb.RECORD_ANSWER,
                                                   {"discussion_id": form.discussion_id, "origin": form.origin}))


def delivery_notice(title: str, lines: list[str], style: str, form: RecordAnswerForm | None) -> dict[str, Any]:
    """A delivery problem told to the chair, with `Record answer` for the answer they get by phone."""
    body = [box([text(title, weight="Bolder"), *[text(line) for line in lines if line]], style)]
    return card(body, [record_answer_action(form)] if form and form.choices else None)


def _next_step(view: RosterView) -> str | None:
    """What the chair does now, in one line: the roster is the card they come back to."""
    start = f"type **start {view.case_ref}** when the discussion begins"
    if view.state == "invited":
        unreached = any(row.delivery in ("failed", "retrying") and row.status in ("pending", "delegated") for row in view.rows)
        if view.quorate:
            also = " Agencies not reached: phone them if you need them, then **Record answer**." if unreached else ""
            return f"**Next:** {start}.{also}"
        if unreached:
            return f"**Next:** phone the agencies not reached and press **Record answer** with what they say; then {start}."
        return f"**Next:** chase the missing agencies (an answer by phone or e-mail: **Record answer**); then {start}."
    if view.state == "in_progress":
        return f"**Next:** the agenda is in your personal chat; when it is complete, type **close {view.case_ref}**."
    return None


def roster(view: RosterView) -> dict[str, Any]:
    """One line per agency, quorum and what is missing, time left, escalations raised."""
    overdue = view.convene_by is not None and is_after(view.now, view.convene_by)
    status = view.status
    if view.not_delivered:
        # Partial failure is the heading, not a detail: the chair must phone someone.
        status = f"{status} — {view.not_delivered} not delivered"
    body: list[Element] = [
        *heading(f"Roster: {view.case_ref}", status),
        _quorum(view),
        text(f"Hold by {fmt_when(view.convene_by)} ({time_left(view.now, view.convene_by)})" if view.convene_by
             else "No deadline: held when the chair asks", weight="Bolder", color="Attention" if overdue else "Default"),
        text(f"Rule: {view.convene_by_rule}", size="Small", spacing="None"),
        text(f"Starts {fmt_when(view.scheduled_for)} ({starts_in(view.now, view.scheduled_for)})"
             if view.scheduled_for else "Start time not set", size="Small", spacing="None"),
    ]  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})", size="Small"))
    if view.icpc:
        body.append(text(view.icpc, size="Small", weight="Bolder"))
    if view.rows:
        body.append(box([_row(row) for row in view.rows], "default"))
    else:
        body.append(text("No agencies invited yet.", isSubtle=True))
    if view.escalations:
        body.append(text("Escalations raised", weight="Bolder"))
        for e in view.escalations:
            names = ", ".join(e.notified) or "nobody reachable: escalate by phone"
            # The agency first: a rule's label may end in its own brackets ("(SX 6.6)").
            about = f" · {e.agency_name}" if e.agency_name else ""
            body.append(text(f"🔔 {fmt_when(e.at)}{about}: {e.kind_label}. Told: {names}", size="Small"))
    next_step = _next_step(view)
    if next_step:
        body.append(text(next_step))
    body.append(text(f"Updated {fmt_when(view.updated_at)}", isSubtle=True, size="Small"))
    actions: list[Element] = [execute("Refresh", Verb.STATUS, {"discussion_id": view.discussion_id})]
    if view.record_form and view.record_form.choices:
        actions.append(record_answer_action(view.record_form))
    return card(body, actions)


def cases_card(view: CasesView) -> dict[str, Any]:
    """`cases`: one line per discussion, newest first. Case references and states only."""
    body: list[Element] = [*heading(view.title, view.subtitle)]
    if not view.lines:
        body.append(text(view.empty, isSubtle=True))
    for line in view.lines:
        items: list[Element] = [
            text(f"**{line.case_ref}** · {line.state} · {line.next_deadline}", spacing="None"),
        ]
        if line.at_risk:
            items.append(text("At risk: " + "; ".join(line.at_risk), size="Small", color="Attention", spacing="None"))
        if line.missing:
            items.append(text("Missing: " + "; ".join(line.missing), size="Small", spacing="None"))
        body.append(box(items, "attention" if line.at_risk else "default"))
    if view.more:
        body.append(text("Only the newest are shown.", isSubtle=True, size="Small"))
    return card(body)


def escalation_card(view: EscalationView) -> dict[str, Any]:
    """A ping whose `<at>` names are real @mentions (entities under the card's msteams)."""
    names = " ".join(at(name) for _, name in view.mentions)
    when = f" · {fmt_when(view.at)}" if view.at else ""
    body = [
        box([text(f"🔔 {view.kind_label}", weight="Bolder", color="Attention"),
             text(f"Case {view.case_ref}{when}", size="Small", spacing="None")], "attention"),
        text(f"{names} {view.what_is_wrong}".strip()),
        text(f"**What to do:** {view.what_to_do}"),
    ]  # fmt: skip
    return card(body, entities=[mention_entity(teams_id, name) for teams_id, name in view.mentions])

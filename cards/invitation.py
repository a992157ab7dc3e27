"""The invitation each agency receives, in each of its states."""

from __future__ import annotations

from typing import Any

from cards.common import Element, box, card, execute, facts, heading, input_text, show_card, text
from cards.format import escape_markdown, fmt_when, starts_in
from cards.verbs import Verb
from cards.views import InvitationView
from procedure.states import InvitationStatus

_STATE = {
    InvitationStatus.PENDING: ("⏳ Awaiting your answer", "warning"),
    InvitationStatus.DELEGATED: ("➡️ Delegated", "emphasis"),
    InvitationStatus.ACCEPTED: ("✅ Accepted", "good"),
    InvitationStatus.DECLINED: ("❌ Declined", "attention"),
    InvitationStatus.WITHDRAWN: ("⚠️ Withdrawn", "attention"),
    InvitationStatus.TENTATIVE: ("❔ Tentative: please confirm", "warning"),
}


def _late_window(view: InvitationView) -> str:
    if view.late_window_hours:
        return f"within {view.late_window_hours} hours of the start"
    return "close to the start"


def _status(view: InvitationView) -> Element:
    label, style = _STATE.get(view.status, (view.status.capitalize(), "default"))
    if view.late:
        label += " (late)"
    lines: list[str] = []
    if view.status in (InvitationStatus.PENDING, InvitationStatus.TENTATIVE):
        if view.scheduled_for is None:
            lines.append("Please answer now; the chair will confirm the time.")
        else:
            lines.append(f"Please answer now: the discussion {starts_in(view.now, view.scheduled_for)}.")
        if view.answer_by is not None:
            lines.append(f"Answer by {fmt_when(view.answer_by)}: then the chair and your agency lead are told "
                         "if the discussion is not quorate.")  # fmt: skip
    elif view.status == InvitationStatus.DELEGATED:
        who = view.delegated_to_name or "a colleague"
        lines.append(f"Delegated to {who}, who should answer below.")
    elif view.responder_name:
        lines.append(f"By {view.responder_name}, {fmt_when(view.responded_at)}.")
    elif view.responded_at:
        lines.append(f"{fmt_when(view.responded_at)}.")
    if view.answer_reason and view.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        # Free text stays out of shared channels (DESIGN, Confidentiality); the chair has it.
        lines.append(f"Reason: {escape_markdown(view.answer_reason)}" if view.private_copy else "A reason was given to the chair.")
    if view.late and view.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        lines.append("Late withdrawal: the chair and your agency lead have been told.")
    elif view.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        lines.append("If your agency can attend after all, press Accept.")
    return box([text(label, weight="Bolder"), *[text(line, size="Small", spacing="None") for line in lines]], style)


def _answer_buttons(view: InvitationView, data: dict[str, Any]) -> list[Element]:
    buttons = [execute("Accept", Verb.ACCEPT, data, "positive")]
    buttons.append(show_card("Decline", [
        input_text("decline_reason", "Why can't your agency attend?", required=True, multiline=True,
                   error="Give a reason: the chair records it.", max_length=1000),
    ], execute("Send decline", Verb.DECLINE, data, "destructive")))  # fmt: skip
    if view.colleagues:
        buttons.append(show_card("Delegate", [
            {"type": "Input.ChoiceSet", "id": "delegate_to", "label": "Colleague who will attend", "style": "compact",
             "isRequired": True, "errorMessage": "Choose a colleague.",
             "choices": [{"title": name, "value": pid} for pid, name in view.colleagues]},
        ], execute("Delegate to colleague", Verb.DELEGATE, data)))  # fmt: skip
    return buttons


def invitation(view: InvitationView) -> dict[str, Any]:
    """The card an agency answers: what, when, why it is needed, and what to press."""
    data = {"invitation_id": view.invitation_id}
    title = "Review strategy discussion" if view.kind == "review" else "Strategy discussion"
    body: list[Element] = [
        *heading(f"{title}: {view.case_ref}", f"Invitation for {view.agency_name}"),
        facts([
            ("When", fmt_when(view.scheduled_for)),
            ("Format", view.format_label),
            ("Chair", view.chair_name),
            ("Your agency", f"{view.agency_name} ({'required' if view.required else 'as needed'})"),
        ]),
        text(f"**Why you are needed:** {view.reason}"),
    ]  # fmt: skip
    if view.meeting_url:
        body.append(text(f"[Join the Teams meeting]({view.meeting_url})"))
    elif view.meeting_note:
        body.append(text(view.meeting_note, isSubtle=True, size="Small"))
    body.append(_status(view))
    actions: list[Element] = []
    if view.status in (InvitationStatus.PENDING, InvitationStatus.DELEGATED, InvitationStatus.TENTATIVE):
        body.append(text("**What we ask:** press **Accept** if someone senior enough to decide for your agency will "
                         "attend, **Decline** with a reason if nobody can, or **Delegate** to a colleague."))  # fmt: skip
        actions = _answer_buttons(view, data)
    elif view.status == InvitationStatus.ACCEPTED:
        body.append(text(f"If your agency can no longer attend, press **Withdraw** at once. Withdrawing "
                         f"{_late_window(view)} is a late withdrawal: it is escalated to your agency lead.",
                         size="Small", color="Warning"))  # fmt: skip
        actions.append(show_card("Withdraw", [
            text(f"Withdrawing {_late_window(view)} ({fmt_when(view.scheduled_for)}) is a late withdrawal: the chair "
                 "is told and it is escalated to your agency lead.", color="Warning", size="Small"),
            input_text("withdraw_reason", "Why must your agency withdraw?", required=True, multiline=True,
                       error="Give a reason: the chair records it.", max_length=1000),
        ], execute("Confirm withdrawal", Verb.WITHDRAW, data, "destructive")))  # fmt: skip
    elif view.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        actions.append(execute("Accept", Verb.ACCEPT, data, "positive"))
    body.append(text("Confidential professionals' meeting: case reference only, no names of the child or family.",
                     isSubtle=True, size="Small"))  # fmt: skip
    return card(body, actions)

"""The invitation each agency receives, in each of its states."""

from __future__ import annotations

from typing import Any

from cards.common import box, card, execute, facts, heading, show_card, text
from cards.format import fmt_when
from cards.views import InvitationView

_STATE = {
    "accepted": ("✅ Accepted", "good"),
    "declined": ("❌ Declined", "attention"),
    "withdrawn": ("⚠️ Withdrawn", "attention"),
    "delegated": ("➡️ Delegated", "emphasis"),
    "pending": ("⏳ Awaiting your answer", "warning"),
}


def invitation(view: InvitationView) -> dict[str, Any]:
    data = {"invitation_id": view.invitation_id}
    title = "Review strategy discussion" if view.kind == "review" else "Strategy discussion"
    body: list[dict[str, Any]] = [
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
    label, style = _STATE.get(view.status, (view.status, "default"))
    if view.late:
        label += " (late)"
    detail = []
    if view.status == "delegated" and view.delegated_to_name:
        detail.append(f"Delegated to {view.delegated_to_name}, who should answer below.")
    elif view.responder_name:
        detail.append(f"By {view.responder_name}, {fmt_when(view.responded_at)}.")
    elif view.responded_at:
        detail.append(f"{fmt_when(view.responded_at)}.")
    if view.answer_reason and view.status in ("declined", "withdrawn"):
        detail.append(f"Reason: {view.answer_reason}")
    body.append(box([text(label, weight="Bolder"), *[text(x, size="Small", spacing="None") for x in detail]], style))
    body.append(text("Confidential professionals' meeting: send someone senior enough to decide for your agency.",
                     isSubtle=True, size="Small"))  # fmt: skip
    actions: list[dict[str, Any]] = []
    if view.status in ("pending", "delegated", "declined", "withdrawn"):
        actions.append(execute("Accept", "accept", data, "positive"))
    if view.status in ("pending", "delegated"):
        actions.append(show_card("Decline", [
            {"type": "Input.Text", "id": "decline_reason", "label": "Why can't your agency attend?", "isMultiline": True,
             "isRequired": True, "errorMessage": "Give a reason.", "maxLength": 1000},
        ], execute("Send decline", "decline", data, "destructive")))  # fmt: skip
        if view.colleagues:
            actions.append(show_card("Delegate", [
                {"type": "Input.ChoiceSet", "id": "delegate_to", "label": "Colleague who will attend", "style": "compact",
                 "isRequired": True, "errorMessage": "Choose a colleague.",
                 "choices": [{"title": name, "value": pid} for pid, name in view.colleagues]},
            ], execute("Delegate to colleague", "delegate", data)))  # fmt: skip
    if view.status == "accepted":
        starts = fmt_when(view.scheduled_for)
        actions.append(show_card("Withdraw", [
            text(f"Withdrawing close to the start ({starts}) is a late withdrawal: the chair and your agency "
                 "lead are told at once.", color="Warning", size="Small"),
            {"type": "Input.Text", "id": "withdraw_reason", "label": "Why must your agency withdraw?", "isMultiline": True,
             "isRequired": True, "errorMessage": "Give a reason.", "maxLength": 1000},
        ], execute("Confirm withdrawal", "withdraw", data, "destructive")))  # fmt: skip
    return card(body, actions)

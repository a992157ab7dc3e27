"""Answers to an invitation: accept, decline, delegate, withdraw; late withdrawals escalate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.verbs import Verb
from dialogs import escalate, views
from dialogs.access import refusal
from dialogs.roster import refresh_invitation, refresh_roster, rendered_invitation
from dialogs.services import Services
from dialogs.targets import person_target
from dialogs.types import CardAction, CardReply
from procedure import is_late_withdrawal
from procedure.states import AnswerSource, DiscussionStatus, InvitationStatus
from storage import outbox, queries
from storage.models import Discussion, Invitation, Person


def _reason(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip()[:1000] if isinstance(value, str) else ""


async def _may_answer(session: AsyncSession, inv: Invitation, person: Person | None) -> bool:
    """The invited agency's people (incl. a delegate) and the chair; nobody else (CONTRACT 5)."""
    if person is None:
        return False
    return (
        person.id == inv.discussion.chair_person_id
        or (inv.agency_id is not None and person.agency_id == inv.agency_id)
        or person.id == inv.delegated_to_person_id
    )


async def answer(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    inv = await queries.invitation_for_update(session, act.data.get("invitation_id"))
    if inv is None:
        return refusal("Unknown invitation", "This invitation does not exist (any more).")
    d = inv.discussion
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if not await _may_answer(session, inv, person):
        await queries.audit(session, "refused_answer", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, conversation_id=act.where.conversation_id, at=act.now,
                            verb=act.verb, invitation=inv.id)  # fmt: skip
        return refusal("You can't answer this invitation",
                "Only the invited agency's people, a colleague they delegated to, or the chair "
                f"may answer it. Nothing was changed, {act.actor.name}.")
    assert person is not None
    if d.status not in (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS):
        return refusal("This discussion is not open", f"Its status is {views.STATUS_WORDS.get(d.status, d.status)}.")

    before = inv.status
    on_behalf = person.agency_id != inv.agency_id and person.id != inv.delegated_to_person_id
    answer: Answer | None = None
    if act.verb == Verb.ACCEPT:
        if before != InvitationStatus.ACCEPTED:
            answer = Answer(InvitationStatus.ACCEPTED, None, AnswerSource.CARD, person, on_behalf=on_behalf)
    elif act.verb == Verb.DECLINE:
        reason = _reason(act.data, "decline_reason")
        if not reason:
            return refusal("Say why you decline", "A reason is needed; nothing was changed.")
        if before != InvitationStatus.DECLINED:
            answer = Answer(InvitationStatus.DECLINED, reason, AnswerSource.CARD, person, on_behalf=on_behalf)
    elif act.verb == Verb.WITHDRAW:
        reason = _reason(act.data, "withdraw_reason")
        if before != InvitationStatus.ACCEPTED:
            return await _invitation_reply(session, services, inv, act)
        if not reason:
            return refusal("Say why you withdraw", "A reason is needed; nothing was changed.")
        # Keeps who withdrew, not who had accepted.
        answer = Answer(InvitationStatus.WITHDRAWN, reason, AnswerSource.CARD, person, on_behalf=on_behalf)
    elif act.verb == Verb.DELEGATE:
        delegate = await queries.person(session, act.data.get("delegate_to") if isinstance(act.data.get("delegate_to"), str) else None)
        if delegate is None or not delegate.active or delegate.agency_id != inv.agency_id:
            return refusal("Choose a colleague", "Delegate to someone of the same agency; nothing was changed.")
        if inv.delegated_to_person_id != delegate.id or before != InvitationStatus.DELEGATED:
            inv.delegated_to_person_id = delegate.id
            answer = Answer(InvitationStatus.DELEGATED, None, AnswerSource.CARD, person, on_behalf=on_behalf, keep_responder=True)
            if delegate.teams_id and not await queries.sent_keys_with_prefix(session, f"invite:{inv.id}:{delegate.id}", discussion_id=inv.discussion_id):
                card = await views.invitation_card(session, services, inv, act.now)
                await outbox.enqueue(session, target=person_target(delegate), payload={"type": "message", "attachments": [cards.attachment(card)]},
                                     message_key=f"invite:{inv.id}:{delegate.id}", discussion_id=d.id, purpose="invitation")  # fmt: skip

    if answer is not None:
        await apply_answer(session, services, d, inv, answer, act.now, audit_action=f"invitation_{act.verb}",
                           actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                           conversation_id=act.where.conversation_id)  # fmt: skip
    return await _invitation_reply(session, services, inv, act)


@dataclass(frozen=True)
class Answer:
    """An agency's answer, wherever it came from: its card, its calendar, or the chair."""

    status: InvitationStatus
    reason: str | None
    source: AnswerSource
    by: Person | None = None  # who answered, when known (a calendar answer names an address)
    by_label: str | None = None  # how escalations name the answerer when `by` is None
    on_behalf: bool = False  # answered by the chair, not by the agency
    keep_responder: bool = False  # a withdrawal or delegation keeps who accepted
    recorded_by: Person | None = None  # the chair recording a phone or e-mail answer
    note: str | None = None


async def apply_answer(
    session: AsyncSession, services: Services, d: Discussion, inv: Invitation, answer: Answer, now: datetime, *,
    audit_action: str, actor_aad: str | None, actor_name: str | None, conversation_id: str | None = None,
) -> bool:  # fmt: skip
    """The state change of an answer, the same for a card, a calendar and the chair: the
    invitation, late withdrawal (escalated), the audit entry, every card copy and the roster
    (quorum is recomputed from the invitations when the roster is drawn). False: no change."""
    before = inv.status
    if before == answer.status and answer.status != InvitationStatus.DELEGATED and answer.source != AnswerSource.CHAIR:
        return False
    inv.status = answer.status
    if answer.status in (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE):
        inv.answer_reason, inv.late = None, False
    elif answer.status in (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN):
        inv.answer_reason = answer.reason
    if not answer.keep_responder:
        inv.person_id = None if answer.on_behalf or answer.by is None else answer.by.id
    inv.answer_source = answer.source
    inv.recorded_by_person_id = answer.recorded_by.id if answer.recorded_by else None
    inv.answer_note = answer.note
    inv.responded_at = now
    late = (
        before == InvitationStatus.ACCEPTED
        and inv.status in (InvitationStatus.WITHDRAWN, InvitationStatus.DECLINED)
        and is_late_withdrawal(now, d.scheduled_for, services.profile)
    )
    inv.late = late
    await queries.audit(session, audit_action, actor_aad=actor_aad, actor_name=actor_name,
                        discussion=d, conversation_id=conversation_id, at=now, invitation=inv.id,
                        agency=inv.agency_id, before=before, after=inv.status, late=late,
                        reason_given=bool(inv.answer_reason), on_behalf=answer.on_behalf, source=answer.source,
                        recorded_by=answer.recorded_by.id if answer.recorded_by else None,
                        note_given=bool(answer.note))  # fmt: skip
    if late:
        by_name = answer.by.name if answer.by else (answer.by_label or "their calendar")
        await escalate.late_withdrawal(session, services, d, inv, by_name, now)
    await refresh_invitation(session, services, inv, now)
    await refresh_roster(session, services, d, now)
    return True


RECORDABLE = {InvitationStatus.ACCEPTED: "Accepted", InvitationStatus.DECLINED: "Declined", InvitationStatus.TENTATIVE: "Tentative"}


async def record_answer(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    """`Record answer`: the chair records what an agency said by phone or e-mail. Stored as the
    chair's, on the agency's behalf (`recorded_by`), audited, and counted like any answer."""
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None:
        return CardReply(card=cards.error_card("Unknown discussion", "This discussion does not exist (any more)."))
    if person is None or person.id != d.chair_person_id:
        await queries.audit(session, "refused_record_answer", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, conversation_id=act.where.conversation_id, at=act.now)  # fmt: skip
        return CardReply(card=cards.error_card("Only the chair may record an answer",
                                               f"Nothing was changed, {act.actor.name}. Answer on your own invitation card."))  # fmt: skip
    d = await queries.discussion_for_update(session, d.id) or d
    d = await queries.discussion_with_invitations(session, d.id) or d
    if d.status not in (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS):
        return CardReply(card=cards.error_card("This discussion is not open",
                                               f"Its status is {views.STATUS_WORDS.get(d.status, d.status)}; nothing was changed."))  # fmt: skip
    inv = next((i for i in d.invitations if i.id == act.data.get("ra_invitation") and i.agency_id), None)
    status = act.data.get("ra_answer")
    reason, note = _reason(act.data, "ra_reason"), _reason(act.data, "ra_note")
    problems = []
    if inv is None:
        problems.append("choose the agency that answered (one of this discussion's invitations)")
    if status not in RECORDABLE:
        problems.append("choose their answer: " + ", ".join(RECORDABLE.values()))
    if status == InvitationStatus.DECLINED and not reason:
        problems.append("give the reason they gave for declining")
    if problems:
        return CardReply(card=cards.error_card("The answer was not recorded", "Please " + "; ".join(problems) + "."))
    assert inv is not None and isinstance(status, str)
    recorded = InvitationStatus(status)  # one of RECORDABLE's: checked above
    # Declining after accepting is a withdrawal, as on the agency's own card.
    if recorded == InvitationStatus.DECLINED and inv.status == InvitationStatus.ACCEPTED:
        recorded = InvitationStatus.WITHDRAWN
    answer = Answer(recorded, reason or None, AnswerSource.CHAIR, person, on_behalf=True, recorded_by=person, note=note or None)
    await apply_answer(session, services, d, inv, answer, act.now, audit_action="answer_recorded",
                       actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                       conversation_id=act.where.conversation_id)  # fmt: skip
    if act.data.get("origin") == "roster":
        return CardReply(card=await views.roster_card(session, services, d, act.now))
    name = await views.agency_name(session, inv)
    lines = [f"{name}: {RECORDABLE.get(recorded, recorded.capitalize())}, recorded by you on their behalf."]
    if inv.late:
        lines.append("This is a late withdrawal: their agency lead has been told.")
    return CardReply(card=cards.notice_card(f"{d.case_ref}: answer recorded", lines, style="good"))


async def _invitation_reply(session: AsyncSession, services: Services, inv: Invitation, act: CardAction) -> CardReply:
    """The pressed invitation, updated; a press in the agency's channel gets the channel's version."""
    drawn = rendered_invitation(session, inv)  # the answer just refreshed every copy with these
    private, for_channel = drawn if drawn is not None else await views.invitation_cards(session, services, inv, act.now)
    return CardReply(card=private, channel_card=for_channel)

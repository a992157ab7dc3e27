"""Answers to an invitation: accept, decline, delegate, withdraw; late withdrawals escalate."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import escalate, views
from dialogs.roster import refresh_invitation, refresh_roster
from dialogs.services import Services
from dialogs.targets import person_target
from dialogs.types import CardAction, CardReply
from procedure import is_late_withdrawal
from storage import outbox, queries
from storage.models import Invitation, Person


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
    inv = await queries.invitation(session, act.data.get("invitation_id"))
    if inv is None:
        return CardReply(card=cards.error_card("Unknown invitation", "This invitation does not exist (any more)."))
    d = await queries.discussion_for_update(session, inv.discussion_id) or inv.discussion
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if not await _may_answer(session, inv, person):
        await queries.audit(session, "refused_answer", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, conversation_id=act.where.conversation_id, at=act.now,
                            verb=act.verb, invitation=inv.id)  # fmt: skip
        return CardReply(
            card=cards.error_card(
                "You can't answer this invitation",
                "Only the invited agency's people, a colleague they delegated to, or the chair "
                f"may answer it. Nothing was changed, {act.actor.name}.",
            )
        )
    assert person is not None
    if d.status not in ("invited", "in_progress"):
        return CardReply(card=cards.error_card("This discussion is not open", f"Its status is {views.STATUS_WORDS.get(d.status, d.status)}."))

    before = inv.status
    on_behalf = person.agency_id != inv.agency_id and person.id != inv.delegated_to_person_id
    changed = False
    if act.verb == "accept":
        if before != "accepted":
            inv.status, inv.answer_reason, inv.late = "accepted", None, False
            inv.person_id = None if on_behalf else person.id
            changed = True
    elif act.verb == "decline":
        reason = _reason(act.data, "decline_reason")
        if not reason:
            return CardReply(card=cards.error_card("Say why you decline", "A reason is needed; nothing was changed."))
        if before != "declined":
            inv.status, inv.answer_reason = "declined", reason
            inv.person_id = None if on_behalf else person.id
            changed = True
    elif act.verb == "withdraw":
        reason = _reason(act.data, "withdraw_reason")
        if before != "accepted":
            return CardReply(card=await views.invitation_card(session, services, inv, act.now))
        if not reason:
            return CardReply(card=cards.error_card("Say why you withdraw", "A reason is needed; nothing was changed."))
        inv.status, inv.answer_reason = "withdrawn", reason
        inv.person_id = None if on_behalf else person.id  # who withdrew, not who had accepted
        changed = True
    elif act.verb == "delegate":
        delegate = await queries.person(session, act.data.get("delegate_to") if isinstance(act.data.get("delegate_to"), str) else None)
        if delegate is None or not delegate.active or delegate.agency_id != inv.agency_id:
            return CardReply(card=cards.error_card("Choose a colleague", "Delegate to someone of the same agency; nothing was changed."))
        if inv.delegated_to_person_id != delegate.id or before != "delegated":
            inv.status, inv.delegated_to_person_id = "delegated", delegate.id
            changed = True
            if delegate.teams_id and not await queries.sent_keys_with_prefix(session, f"invite:{inv.id}:{delegate.id}"):
                card = await views.invitation_card(session, services, inv, act.now)
                await outbox.enqueue(session, target=person_target(delegate), payload={"type": "message", "attachments": [cards.attachment(card)]},
                                     message_key=f"invite:{inv.id}:{delegate.id}", discussion_id=d.id, purpose="invitation")  # fmt: skip

    if not changed:
        return CardReply(card=await views.invitation_card(session, services, inv, act.now))

    inv.responded_at = act.now
    late = (
        before == "accepted"
        and inv.status in ("withdrawn", "declined")
        and is_late_withdrawal(act.now, d.scheduled_for, services.profile)
    )
    inv.late = late
    await queries.audit(session, f"invitation_{act.verb}", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, invitation=inv.id,
                        agency=inv.agency_id, before=before, after=inv.status, late=late,
                        reason=inv.answer_reason, on_behalf=on_behalf)  # fmt: skip
    if late:
        await escalate.late_withdrawal(session, services, d, inv, person, act.now)
    await refresh_invitation(session, services, inv, act.now)
    await refresh_roster(session, services, d, act.now)
    return CardReply(card=await views.invitation_card(session, services, inv, act.now))

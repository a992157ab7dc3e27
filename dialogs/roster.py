"""Posting invitations and keeping the chair's roster and every invitation copy up to date."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies, views
from dialogs.services import Services
from dialogs.targets import chair_target, channel_target, person_target
from procedure.states import Delivery, InvitationStatus
from storage import outbox, queries
from storage.models import Discussion, Invitation, OutboxOp

_RENDERED = "invitations_rendered"


def rendered_invitation(session: AsyncSession, inv: Invitation) -> tuple[dict[str, Any], cards.ChannelMessage] | None:
    """The cards `refresh_invitation` drew for this invitation in this unit of work, if any."""
    return session.info.get(_RENDERED, {}).get(inv.id)


async def post_invitations(session: AsyncSession, services: Services, d: Discussion, now: datetime) -> None:
    """One invitation card per agency: a thread in its channel, or personal chats."""
    for inv in d.invitations:
        if inv.status != InvitationStatus.PENDING or inv.agency_id is None:
            continue
        agency = await queries.agency(session, inv.agency_id)
        if agency is None:
            continue
        card = replies.card_activity(await views.invitation_card(session, services, inv, now), f"Invitation: {d.case_ref}")
        inv.delivery = Delivery.SENDING
        if agency.channel_id:
            await replies.to_channel(session, channel_target(agency.channel_id),
                                     await views.invitation_for_channel(session, services, inv, now),
                                     message_key=f"invite:{inv.id}:channel", discussion_id=d.id, purpose="invitation")  # fmt: skip
        else:
            reachable = [p for p in await queries.people_in(session, agency.id) if p.teams_id]
            for p in reachable:
                await outbox.enqueue(session, target=person_target(p), payload=card,
                                     message_key=f"invite:{inv.id}:{p.id}", discussion_id=d.id,
                                     purpose="invitation")  # fmt: skip
            if not reachable:
                inv.delivery = Delivery.FAILED  # no Teams contact at all: the roster says who to phone
        inv.sent_at = now


async def refresh_roster(session: AsyncSession, services: Services, d: Discussion, now: datetime) -> None:
    """Edit the chair's roster card in place (never re-post it)."""
    sent = await outbox.first_send(session, d.roster_message_key) if d.roster_message_key else None
    if sent is None or d.roster_message_key is None:
        return
    if sent.target.is_shared:
        # A roster left in a channel by an earlier version: it is not edited (it would show
        # reasons); the chair gets a new one in a personal chat, which is kept up to date.
        chair = await chair_target(session, d)
        if chair is None:
            return
        n = int(d.roster_message_key.rsplit(":", 1)[1]) + 1 if d.roster_message_key.rsplit(":", 1)[-1].isdigit() else 1
        d.roster_message_key = f"roster:{d.id}:{n}"
        await outbox.enqueue(session, target=chair, message_key=d.roster_message_key, discussion_id=d.id, purpose="roster",
                             payload=replies.card_activity(await views.roster_card(session, services, d, now), "Roster"))  # fmt: skip
        return
    await outbox.enqueue(
        session,
        op=OutboxOp.UPDATE,
        message_key=d.roster_message_key,
        payload=replies.card_activity(await views.roster_card(session, services, d, now), "Roster"),
        discussion_id=d.id,
        purpose="roster",
    )


async def refresh_invitation(session: AsyncSession, services: Services, inv: Invitation,
                             now: datetime) -> tuple[dict[str, Any], cards.ChannelMessage] | None:  # fmt: skip
    """Edit every copy of an invitation card so all the agency's people see its state; a copy in
    a channel gets the channel's version (no typed reason)."""
    copies = await outbox.first_sends_with_prefix(session, f"invite:{inv.id}:", discussion_id=inv.discussion_id)
    if not copies:
        return None
    private_card, channel_message = await views.invitation_cards(session, services, inv, now)
    # The press that caused this answers with the same cards: drawn once (`rendered_invitation`).
    session.info.setdefault(_RENDERED, {})[inv.id] = (private_card, channel_message)
    private = replies.card_activity(private_card, f"Invitation: {inv.discussion.case_ref}")
    shared = replies.channel_safe(channel_message)
    for sent in copies:
        await outbox.enqueue(session, op=OutboxOp.UPDATE, message_key=sent.key,
                             payload=shared if sent.target.is_shared else private,
                             discussion_id=inv.discussion_id, purpose="invitation")  # fmt: skip
    return private_card, channel_message  # the caller answers the press with them

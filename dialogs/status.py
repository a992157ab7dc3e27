"""`status CASE_REF`: re-post the roster for the chair, which is then the one kept up to date:
the discussion last held and any review after it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import parse, replies, views
from dialogs.access import may_see, refusal
from dialogs.parse import InputError
from dialogs.services import Services
from dialogs.types import CardAction, CardReply, Command
from procedure.states import DiscussionStatus
from storage import queries
from storage.models import Discussion, Person


async def status_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    try:
        ref = parse.case_ref(rest)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("Which case?", f"Type: status CASE_REF. {e}"))
        return
    person = await queries.person_by_aad(session, cmd.actor.aad_object_id)
    visible = [d for d in await queries.discussions_for_case(session, ref)
               if d.status != DiscussionStatus.CANCELLED and await may_see(session, d, person)]  # fmt: skip
    if not visible:
        # The same answer for "no such case" and "not yours": it does not confirm a case exists.
        await replies.card(session, cmd.where, cards.error_card(
            f"No discussion for {ref} that you can see",
            "Check the case reference. Only the chair and the invited agencies can see a discussion.",
        ))  # fmt: skip
        return
    # The discussion last held (in progress or closed), then the review convened after it, if any:
    # a review's draft never hides the discussion it reviews.
    held = [d for d in visible if d.status in (DiscussionStatus.IN_PROGRESS, DiscussionStatus.CLOSED)]
    main = held[-1] if held else visible[-1]
    later = [d for d in visible if d.created_at > main.created_at]
    for d in [main, *later[-1:]]:
        await _show(session, services, cmd, person, d)


async def _show(session: AsyncSession, services: Services, cmd: Command, person: Person | None, d: Discussion) -> None:
    if person is not None and person.id == d.chair_person_id and d.status != DiscussionStatus.DRAFT:
        n = int((d.roster_message_key or "roster:x:0").rsplit(":", 1)[1]) + 1
        d.roster_message_key = f"roster:{d.id}:{n}"
        await replies.card(session, cmd.where, await views.roster_card(session, services, d, cmd.now),
                           message_key=d.roster_message_key, discussion_id=d.id, purpose="roster")  # fmt: skip
        d.chair_conversation_key = cmd.where.key or d.chair_conversation_key
    elif d.status == DiscussionStatus.DRAFT:
        await replies.card(session, cmd.where, await views.convene_summary(session, services, d, cmd.now),
                           discussion_id=d.id)  # fmt: skip
    else:
        await replies.card(session, cmd.where, await views.roster_card(session, services, d, cmd.now, for_chair=False),
                           discussion_id=d.id)  # fmt: skip


async def status_refresh(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None or not await may_see(session, d, person):
        return refusal("Not available", "Only the chair and the invited agencies can see this.")
    is_chair = person is not None and person.id == d.chair_person_id
    return CardReply(card=await views.roster_card(session, services, d, act.now, for_chair=is_chair))

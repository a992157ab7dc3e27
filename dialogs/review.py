"""`review CASE_REF`: a review discussion linked to the last one, with the same attendance
rules, pre-filled from it; the ICPC is counted from the discussion that initiated the S47."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import parse, replies
from dialogs.access import chair_or_none, not_a_chair_card
from dialogs.discussions import create_discussion
from dialogs.parse import ConveneRequest, InputError
from dialogs.services import Services
from dialogs.types import Command
from storage import queries


async def review_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    chair = await chair_or_none(session, cmd.actor)
    if chair is None:
        await replies.card(session, cmd.where, not_a_chair_card(cmd.actor))
        return
    head, _, tail = rest.partition(" ")
    try:
        ref = parse.case_ref(head)
        at = parse.when(tail.removeprefix("at ").strip(), cmd.now, services.tz.key, "at") if tail.strip() else None
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("I could not read that — nothing was saved",
                                                                f"Type: review CASE_REF [at WHEN]. {e}"))  # fmt: skip
        return
    earlier = await queries.latest_discussion(session, ref, ("closed", "in_progress"))
    if earlier is None:
        await replies.card(session, cmd.where, cards.error_card(
            f"No earlier discussion for {ref} to review",
            "A review follows a discussion that has been held (started or closed). Use 'convene' for a first one.",
        ))  # fmt: skip
        return
    request = ConveneRequest(case_ref=earlier.case_ref, referral_at=cmd.now, concerns=list(earlier.concerns),
                             flags=list(earlier.flags), at=at, format=earlier.format)  # fmt: skip
    await create_discussion(session, services, chair, cmd.actor, cmd.where, request, cmd.now, review_of=earlier)


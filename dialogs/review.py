"""`review CASE_REF [at WHEN]`: a review discussion linked to the last one, with the same
attendance rules, pre-filled from it; the ICPC is counted from the discussion that initiated the
S47. A review is held when the chair asks: its deadline is the time asked for (for a looked-after
child without one, the profile's review interval), never the first discussion's rule again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import parse, replies
from dialogs.access import chair_or_none, not_a_chair_card
from dialogs.discussions import create_discussion
from dialogs.parse import ConveneRequest, InputError
from dialogs.services import Services
from dialogs.types import Command
from procedure import next_looked_after_review, review_convene_by, review_reminder_at
from procedure.states import DiscussionStatus
from storage import queries
from storage.models import Discussion


async def review_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    chair = await chair_or_none(session, cmd.actor)
    if chair is None:
        await replies.card(session, cmd.where, not_a_chair_card(cmd.actor))
        return
    head, _, tail = rest.partition(" ")
    try:
        ref = parse.case_ref(head)
        at = parse.when(tail.strip().removeprefix("at ").strip(), cmd.now, services.tz.key, "at") if tail.strip() else None
        request = ConveneRequest(case_ref=ref, referral_at=cmd.now, at=at)
        parse.check_times(request, cmd.now)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("I could not read that — nothing was saved",
                                                                f"Type: review CASE_REF [at WHEN]. {e}"))  # fmt: skip
        return
    earlier = await queries.latest_discussion(session, ref, (DiscussionStatus.CLOSED, DiscussionStatus.IN_PROGRESS))
    if earlier is None:
        await replies.card(session, cmd.where, cards.error_card(
            f"No earlier discussion for {ref} to review",
            "A review follows a discussion that has been held (started or closed). Use 'convene' for a first one.",
        ))  # fmt: skip
        return
    deadline = review_convene_by(at, "looked-after" in earlier.flags, earlier.started_at or cmd.now, services.profile)
    request = ConveneRequest(case_ref=earlier.case_ref, referral_at=cmd.now, concerns=list(earlier.concerns),
                             flags=list(earlier.flags), at=at, format=earlier.format)  # fmt: skip
    await create_discussion(session, services, chair, cmd.actor, cmd.where, request, cmd.now, review_of=earlier,
                            review_deadline=deadline)  # fmt: skip


def plan_next_review(d: Discussion, held: datetime, services: Services) -> None:
    """At close: the next review the chair set on the last agenda step stands; without one, a
    looked-after child's is the profile's interval (SX 6.6), and the chair is reminded the
    working day before it."""
    if d.next_review_at is None and "looked-after" in d.flags:
        d.next_review_at = next_looked_after_review(held, services.profile).at
        d.review_remind_at = review_reminder_at(d.next_review_at, services.profile)

"""`icpc CASE_REF held WHEN`: the chair records when the Initial Child Protection Conference was
held, so "ICPC within 15 working days" (PROCEDURE 6) can be reported and shown.

The date is kept on the discussion that initiated the Section 47 enquiry (the one whose
`icpc_by` counts, SX 6.6); a review's ICPC deadline is that discussion's, so it shows the same
held date. Refused (nothing stored) for a non-chair, a case with no ICPC deadline (no S47
initiated at a closed discussion), an unreadable date, a date in the future, or one before the
initiating discussion was held. Audited with times only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.format import fmt_when
from dialogs import parse, replies
from dialogs.access import chair_or_none, may_see, not_a_chair_card
from dialogs.parse import InputError
from dialogs.services import Services
from dialogs.types import Command
from dialogs.views import icpc_words
from procedure.states import DiscussionStatus
from storage import queries

USAGE = "Type: icpc CASE_REF held WHEN, e.g. icpc CR-1234 held 19/11/2026 10:00 (or 'yesterday 14:00')."


def _read(rest: str, now: datetime, tz: str) -> tuple[str, datetime]:
    head, _, tail = rest.strip().partition(" ")
    if not head or head.lower() == "held":
        raise InputError(f"Start with the case reference. {USAGE}", field="case_ref")
    ref = parse.case_ref(head)
    tail = tail.strip()
    word, _, after = tail.partition(" ")
    if word.lower() == "held":
        tail = after.strip()
    if not tail:
        raise InputError(f"When was it held? {USAGE}", field="held")
    # A conference already held: a date without a year, or a weekday, is the last one.
    return ref, parse.when(tail, now, tz, "held", prefer="past")


async def icpc_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    chair = await chair_or_none(session, cmd.actor)
    if chair is None:
        await replies.card(session, cmd.where, not_a_chair_card(cmd.actor))
        return
    try:
        ref, held_at = _read(rest, cmd.now, services.tz.key)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("I could not read that — nothing was saved", str(e)))
        return
    visible = [d for d in await queries.discussions_for_case(session, ref)
               if d.status != DiscussionStatus.CANCELLED and await may_see(session, d, chair)]  # fmt: skip
    if not visible:
        # The same answer for "no such case" and "not yours": it does not confirm a case exists.
        await replies.card(session, cmd.where, cards.error_card(
            f"No discussion for {ref} that you can see",
            "Check the case reference. Only the chair and the invited agencies can see a discussion.",
        ))  # fmt: skip
        return
    setting = [d for d in visible if d.icpc_by is not None and d.initiating_discussion_id == d.id]
    if not setting:
        await replies.card(session, cmd.where, cards.error_card(
            f"{ref} has no ICPC deadline — nothing was saved",
            "An Initial Child Protection Conference deadline is set when a discussion that initiated a Section 47 "
            "enquiry is closed. None has been for this case.",
        ))  # fmt: skip
        return
    d = setting[-1]  # the latest S47 initiated for this case
    held_from = d.started_at or d.closed_at
    problem = None
    if held_at > cmd.now:
        problem = f"{fmt_when(services.local(held_at))} is in the future: record the conference once it has been held."
    elif held_from is not None and held_at < held_from:
        problem = (f"{fmt_when(services.local(held_at))} is before the strategy discussion that initiated the "
                   f"Section 47 enquiry ({fmt_when(services.local(held_from))}).")  # fmt: skip
    if problem:
        await replies.card(session, cmd.where, cards.error_card("Not recorded — nothing was saved", f"{problem} {USAGE}"))
        return
    previous = d.icpc_held_at
    d.icpc_held_at = held_at
    assert d.icpc_by is not None
    within = held_at <= d.icpc_by
    if previous != held_at:
        await queries.audit(session, "icpc_held", actor_aad=cmd.actor.aad_object_id, actor_name=cmd.actor.name,
                            discussion=d, conversation_id=cmd.where.conversation_id, at=cmd.now,
                            held_at=held_at, icpc_by=d.icpc_by, within_deadline=within, previous=previous)  # fmt: skip
    lines = [icpc_words(services, d.icpc_by, held_at, cmd.now)]
    if held_from is not None:
        wd = services.calendar.working_days_between(held_from, held_at)
        lines.append(f"{wd} working day{'s' if wd != 1 else ''} after the strategy discussion of "
                     f"{fmt_when(services.local(held_from))}.")  # fmt: skip
    if previous is not None and previous != held_at:
        lines.append(f"Replaces the date recorded before ({fmt_when(services.local(previous))}).")
    await replies.card(session, cmd.where, cards.notice_card(
        f"{d.case_ref}: Initial Child Protection Conference held — recorded", lines,
        style="good" if within else "warning"), discussion_id=d.id)  # fmt: skip

"""What the scheduler finds due: candidate queries on indexed columns.

Each query returns only ids that may need something now, so a pass costs what is due, not
what the database holds: closed discussions that need nothing are never read. Already raised
escalations are left out with `NOT EXISTS` on their unique key (`escalations.dedupe_key`,
built here exactly as `dialogs` builds it), so a due thing is not re-examined on every pass
after it was dealt with. The flows still re-check each candidate in its own transaction.

`discussion_ids` narrows every query to those discussions: after activities the scheduler
looks only at the discussions they touched (one query per check, however many).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from procedure.states import ActionStatus, DiscussionStatus, InvitationStatus
from storage.models import Action, Disagreement, Discussion, Escalation, Invitation


def _raised(*parts: Any) -> Any:
    """EXISTS an escalation whose key is the concatenation of `parts` (literals and columns)."""
    key: Any = literal(parts[0]) if isinstance(parts[0], str) else parts[0]
    for part in parts[1:]:
        key = key + (literal(part) if isinstance(part, str) else part)
    return exists().where(Escalation.dedupe_key == key)


def _only(query: Any, column: Any, discussion_ids: Sequence[str] | None) -> Any:
    return query.where(column.in_(discussion_ids)) if discussion_ids is not None else query


async def _ids(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.scalars(query)).all())


async def deadline_at_risk(session: AsyncSession, now: datetime, window: timedelta, duty_after: timedelta,
                           discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
    """Not yet held, inside the warning window, and the chair (or, later, the duty manager)
    not told yet. Index: discussions (status, convene_by)."""
    query = select(Discussion.id).where(
        Discussion.status.in_((DiscussionStatus.DRAFT, DiscussionStatus.INVITED)),
        Discussion.convene_by <= now + window,
        or_(
            ~_raised("deadline_at_risk:", Discussion.id, ":chair"),
            and_(Discussion.convene_by <= now + window - duty_after, ~_raised("deadline_at_risk:", Discussion.id, ":duty")),
        ),
    )
    return await _ids(session, _only(query, Discussion.id, discussion_ids).order_by(Discussion.convene_by))


async def invited_starting_between(session: AsyncSession, after: datetime | None, until: datetime,
                                   discussion_ids: Sequence[str] | None = None) -> list[Discussion]:  # fmt: skip
    """Invited discussions whose start is in (after, until]. Index: discussions (status, scheduled_for)."""
    query = select(Discussion).where(Discussion.status == DiscussionStatus.INVITED, Discussion.scheduled_for <= until)
    if after is not None:
        query = query.where(Discussion.scheduled_for > after)
    return list((await session.scalars(_only(query, Discussion.id, discussion_ids).order_by(Discussion.scheduled_for))).all())


async def csc_absent(session: AsyncSession, started_before: datetime, discussion_ids: Sequence[str] | None = None) -> list[str]:
    query = select(Discussion.id).where(
        Discussion.status == DiscussionStatus.INVITED,
        Discussion.scheduled_for <= started_before,
        ~_raised("csc_absent:", Discussion.id),
    )
    return await _ids(session, _only(query, Discussion.id, discussion_ids).order_by(Discussion.scheduled_for))


async def meeting_started(session: AsyncSession, now: datetime, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Invited discussions past their start (the chair has not typed `start`): open work only."""
    query = select(Discussion.id).where(Discussion.status == DiscussionStatus.INVITED, Discussion.scheduled_for <= now)
    return await _ids(session, _only(query, Discussion.id, discussion_ids).order_by(Discussion.scheduled_for))


async def unanswered_invitations(session: AsyncSession, now: datetime, remind_after: timedelta,
                                 escalate_after: timedelta, discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
    """Invitations of invited discussions unanswered past the reminder time whose reminder (or,
    later, the lead's ping) is not raised yet. Driven from the open discussions, so invitations
    of old discussions that never got an answer are not read. Indexes: discussions (status,
    scheduled_for), invitations (discussion_id)."""
    query = (
        select(Invitation.id)
        .join(Discussion, Discussion.id == Invitation.discussion_id)
        .where(
            Discussion.status == DiscussionStatus.INVITED,
            Invitation.status.in_((InvitationStatus.PENDING, InvitationStatus.DELEGATED)),
            Invitation.agency_id.is_not(None),
            Invitation.sent_at <= now - remind_after,
            or_(
                ~_raised("no_response:", Invitation.id, ":agency"),
                and_(Invitation.sent_at <= now - escalate_after, ~_raised("no_response:", Invitation.id, ":lead")),
            ),
        )
    )
    return await _ids(session, _only(query, Invitation.discussion_id, discussion_ids).order_by(Invitation.sent_at))


async def actions_due(session: AsyncSession, now: datetime, ahead: timedelta, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Open actions due for a reminder (not sent) or overdue (not escalated). Index: actions (status, due)."""
    query = select(Action.id).where(
        Action.status == ActionStatus.OPEN,
        Action.due <= now + ahead,
        or_(
            and_(Action.due > now, Action.reminded_at.is_(None)),
            and_(Action.due <= now, ~_raised("overdue_action:", Action.id)),
        ),
    )
    return await _ids(session, _only(query, Action.discussion_id, discussion_ids).order_by(Action.due))


async def circulation_overdue(session: AsyncSession, now: datetime, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Closed, not circulated by the deadline, not escalated. Index: discussions (circulated_at, circulate_by)."""
    query = select(Discussion.id).where(
        Discussion.circulated_at.is_(None),
        Discussion.circulate_by <= now,
        Discussion.status == DiscussionStatus.CLOSED,
        ~_raised("circulation_overdue:", Discussion.id),
    )
    return await _ids(session, _only(query, Discussion.id, discussion_ids).order_by(Discussion.circulate_by))


async def disagreements_due(session: AsyncSession, now: datetime, stages: int, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Unresolved past the stage's deadline, the next level not told yet (at the last level
    that key exists, so it is not re-examined). Index: disagreements (resolved_at, resolve_by)."""
    next_stage = case((Disagreement.stage_index + 1 > stages - 1, stages - 1), else_=Disagreement.stage_index + 1)
    query = select(Disagreement.id).where(
        Disagreement.resolved_at.is_(None),
        Disagreement.resolve_by <= now,
        ~_raised("disagreement:", Disagreement.id, ":", cast(next_stage, String)),
    )
    return await _ids(session, _only(query, Disagreement.discussion_id, discussion_ids).order_by(Disagreement.resolve_by))


async def reviews_due(session: AsyncSession, now: datetime, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Next-review reminders due (the working day before a planned review). Index: discussions
    (review_remind_at), cleared once the reminder is handled, so only due rows are read."""
    query = select(Discussion.id).where(Discussion.review_remind_at <= now)
    return await _ids(session, _only(query, Discussion.id, discussion_ids).order_by(Discussion.review_remind_at))


async def pending_meetings(session: AsyncSession, discussion_ids: Sequence[str] | None = None) -> list[str]:
    """Teams meetings still to create. Index: discussions (meeting_pending)."""
    query = select(Discussion.id).where(Discussion.meeting_pending.is_(True))
    return await _ids(session, _only(query, Discussion.id, discussion_ids))

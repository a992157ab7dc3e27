"""Queries the flows use. The only module (with outbox/activities) that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from procedure.states import ActionStatus, DiscussionStatus, EscalationKind
from storage import audit as audit_log
from storage import people
from storage.db import mark_touched
from storage.models import (
    Action,
    Agency,
    Attendance,
    AuditEntry,
    Contribution,
    Decision,
    Disagreement,
    Discussion,
    Escalation,
    Invitation,
    Person,
)

OPEN_STATUSES = (DiscussionStatus.DRAFT, DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS)


# Directory ---------------------------------------------------------------------------------


async def person_by_aad(session: AsyncSession, aad_object_id: str | None) -> Person | None:
    """The active person signed in as this Entra object id (from the directory snapshot)."""
    if not aad_object_id:
        return None
    return (await people.snapshot(session)).by_aad.get(aad_object_id.lower())


async def person(session: AsyncSession, person_id: str | None) -> Person | None:
    """A person by directory id, active or not (old records still name people who left)."""
    if not person_id:
        return None
    return (await people.snapshot(session)).people.get(person_id)


async def agency(session: AsyncSession, agency_id: str | None) -> Agency | None:
    if not agency_id:
        return None
    return (await people.snapshot(session)).agencies.get(agency_id)


async def agencies_of_kind(session: AsyncSession, kind: str) -> list[Agency]:
    return list((await people.snapshot(session)).by_kind.get(kind, ()))


async def people_in(session: AsyncSession, agency_id: str) -> list[Person]:
    """An agency's active people, by name."""
    return list((await people.snapshot(session)).by_agency.get(agency_id, ()))


# Discussions -------------------------------------------------------------------------------


async def discussion(session: AsyncSession, discussion_id: Any) -> Discussion | None:
    if not isinstance(discussion_id, str) or len(discussion_id) > 36:
        return None
    return await session.get(Discussion, discussion_id)


async def discussion_for_update(session: AsyncSession, discussion_id: str) -> Discussion | None:
    """Lock the discussion row (PostgreSQL) so concurrent presses on it serialise."""
    return await session.scalar(
        select(Discussion).where(Discussion.id == discussion_id).with_for_update()
    )


async def latest_discussion(
    session: AsyncSession, case_ref: str, statuses: Sequence[str] | None = None
) -> Discussion | None:
    query = select(Discussion).where(func.upper(Discussion.case_ref) == case_ref.upper())
    if statuses:
        query = query.where(Discussion.status.in_(statuses))
    return await session.scalar(query.order_by(Discussion.created_at.desc()).limit(1))


async def discussions_for_case(session: AsyncSession, case_ref: str) -> list[Discussion]:
    return list(
        (
            await session.scalars(
                select(Discussion)
                .where(func.upper(Discussion.case_ref) == case_ref.upper())
                .order_by(Discussion.created_at)
            )
        ).all()
    )


async def invitation(session: AsyncSession, invitation_id: Any) -> Invitation | None:
    if not isinstance(invitation_id, str) or len(invitation_id) > 36:
        return None
    return await session.get(Invitation, invitation_id)


async def invitation_for_update(session: AsyncSession, invitation_id: Any) -> Invitation | None:
    """An invitation with its discussion locked (PostgreSQL: concurrent answers to one discussion
    take turns) and all the discussion's invitations loaded: two statements."""
    if not isinstance(invitation_id, str) or len(invitation_id) > 36:
        return None
    d = await session.scalar(
        select(Discussion)
        .join(Invitation, Invitation.discussion_id == Discussion.id)
        .where(Invitation.id == invitation_id)
        .with_for_update(of=Discussion)
        .execution_options(populate_existing=True)
    )
    if d is None:
        return None
    for i in d.invitations:  # the reverse side, without a query per invitation
        set_committed_value(i, "discussion", d)
    return next((i for i in d.invitations if i.id == invitation_id), None)


async def escalations(session: AsyncSession, discussion_id: str) -> list[Escalation]:
    return list(
        (
            await session.scalars(
                select(Escalation).where(Escalation.discussion_id == discussion_id).order_by(Escalation.id)
            )
        ).all()
    )


async def escalation_exists(session: AsyncSession, dedupe_key: str) -> bool:
    return (
        await session.scalar(select(Escalation.id).where(Escalation.dedupe_key == dedupe_key))
    ) is not None


async def sent_keys_with_prefix(session: AsyncSession, prefix: str, *, discussion_id: str) -> list[str]:
    """Keys of the messages sent for a discussion that start with `prefix`, in sending order."""
    from storage.outbox import first_sends_with_prefix

    return [sent.key for sent in await first_sends_with_prefix(session, prefix, discussion_id=discussion_id)]


async def audit(
    session: AsyncSession,
    action: str,
    *,
    actor_aad: str | None,
    actor_name: str | None,
    discussion: Discussion | None = None,
    conversation_id: str | None = None,
    at: datetime | None = None,
    case_ref: str | None = None,
    **detail: Any,
) -> None:
    """Append to the hash-chained audit log (storage/audit.py) when the transaction commits.

    ``detail`` holds identifiers, counts, times and fixed words only, never text a person typed.
    """
    entry = AuditEntry(
        action=action,
        actor_aad_object_id=actor_aad,
        actor_name=actor_name,
        discussion_id=discussion.id if discussion else None,
        case_ref=discussion.case_ref if discussion else case_ref,
        conversation_id=conversation_id,
        detail=audit_log.normalise_detail(detail),
    )
    if at is not None:
        entry.at = at
    mark_touched(session, entry.discussion_id)
    audit_log.append(session, entry)


async def audit_entries(session: AsyncSession, discussion_id: str) -> list[AuditEntry]:
    return list(
        (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.discussion_id == discussion_id).order_by(AuditEntry.id)
            )
        ).all()
    )


# The record (issue 6) ------------------------------------------------------------------------


async def record_parts(session: AsyncSession, discussion_id: str) -> dict[str, list[Any]]:
    async def rows(model: Any, order: Any) -> list[Any]:
        return list(
            (await session.scalars(select(model).where(model.discussion_id == discussion_id).order_by(order))).all()
        )

    return {
        "attendance": await rows(Attendance, Attendance.id),
        "contributions": await rows(Contribution, Contribution.id),
        "decisions": await rows(Decision, Decision.id),
        "actions": await rows(Action, Action.created_at),
        "disagreements": await rows(Disagreement, Disagreement.created_at),
    }


async def claim_pending_meeting(session: AsyncSession, discussion_id: str, now: datetime, until: datetime) -> bool:
    """Lease the creation of a discussion's Teams meeting to one instance at a time."""
    from sqlalchemy import or_, update

    result = await session.execute(
        update(Discussion)
        .where(
            Discussion.id == discussion_id,
            Discussion.meeting_pending.is_(True),
            or_(Discussion.meeting_lease_until.is_(None), Discussion.meeting_lease_until < now),
        )
        .values(meeting_lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]





async def action(session: AsyncSession, action_id: Any) -> Action | None:
    if not isinstance(action_id, str) or len(action_id) > 36:
        return None
    return await session.get(Action, action_id)


async def disagreement(session: AsyncSession, disagreement_id: Any) -> Disagreement | None:
    if not isinstance(disagreement_id, str) or len(disagreement_id) > 36:
        return None
    return await session.get(Disagreement, disagreement_id)


async def agency_by_channel(session: AsyncSession, channel_id: str | None) -> Agency | None:
    if not channel_id:
        return None
    snap = await people.snapshot(session)
    return next((a for a in sorted(snap.agencies.values(), key=lambda a: a.id) if a.channel_id == channel_id), None)


# Calendar answers (issue 11) ------------------------------------------------------------------


async def calendar_polls_due(session: AsyncSession, now: datetime, limit: int) -> list[str]:
    """Discussions whose calendar answers are due to be read (indexed on the next poll time)."""
    return list(
        (
            await session.scalars(
                select(Discussion.id)
                .where(
                    Discussion.calendar_next_poll_at <= now,
                    Discussion.meeting_event_id.is_not(None),
                    Discussion.status.in_((DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS)),
                )
                .order_by(Discussion.calendar_next_poll_at)
                .limit(limit)
            )
        ).all()
    )


async def claim_calendar_poll(session: AsyncSession, discussion_id: str, now: datetime, until: datetime) -> str | None:
    """Move the next poll past a lease so one instance reads the event; its id, or None."""
    from sqlalchemy import update

    result = await session.execute(
        update(Discussion)
        .where(Discussion.id == discussion_id, Discussion.calendar_next_poll_at <= now)
        .values(calendar_next_poll_at=until)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.scalar(select(Discussion.meeting_event_id).where(Discussion.id == discussion_id))


# Cases (issue 11) -----------------------------------------------------------------------------

CASES_LIMIT = 25


async def open_discussions_of_chair(session: AsyncSession, chair_person_id: str, limit: int = CASES_LIMIT) -> list[Discussion]:
    """A chair's open discussions, newest first: draft, invited, in progress, or closed with
    the record not yet circulated (indexed on the chair)."""
    from sqlalchemy import and_, or_

    return list(
        (
            await session.scalars(
                select(Discussion)
                .where(
                    Discussion.chair_person_id == chair_person_id,
                    or_(
                        Discussion.status.in_(OPEN_STATUSES),
                        and_(Discussion.status == DiscussionStatus.CLOSED, Discussion.circulated_at.is_(None)),
                    ),
                )
                .order_by(Discussion.created_at.desc())
                .limit(limit)
            )
        ).all()
    )


async def agencies_with_duty_manager(session: AsyncSession, person_id: str) -> list[Agency]:
    snap = await people.snapshot(session)
    return [a for kind in sorted(snap.by_kind) for a in snap.by_kind[kind] if a.duty_manager_person_id == person_id]


async def discussions_at_risk(
    session: AsyncSession, now: datetime, *, at_risk_from: datetime, starts_before: datetime,
    agency_ids: Sequence[str] | None = None, include_csc_chaired: bool = False, limit: int = CASES_LIMIT,
) -> list[Discussion]:  # fmt: skip
    """Open discussions that may be at risk, newest first, for a duty manager's agencies (or
    all when `agency_ids` is None). Each branch is on an indexed or selective condition:
    an escalation raised, the deadline near (`at_risk_from` = now + the warning window), the
    start passed while not started, circulation or an action overdue. The caller decides."""
    from sqlalchemy import and_, or_

    open_or_uncirculated = or_(
        Discussion.status.in_((DiscussionStatus.DRAFT, DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS)),
        and_(Discussion.status == DiscussionStatus.CLOSED, Discussion.circulated_at.is_(None)),
    )
    risky = or_(
        and_(Discussion.status.in_((DiscussionStatus.DRAFT, DiscussionStatus.INVITED)), Discussion.convene_by <= at_risk_from),
        and_(Discussion.status == DiscussionStatus.INVITED, Discussion.scheduled_for <= starts_before),
        and_(Discussion.status == DiscussionStatus.CLOSED, Discussion.circulated_at.is_(None), Discussion.circulate_by <= now),
        Discussion.id.in_(select(Escalation.discussion_id).where(Escalation.kind.in_(
            (EscalationKind.INQUORATE, EscalationKind.CSC_ABSENT, EscalationKind.LATE_WITHDRAWAL, EscalationKind.OVERDUE_ACTION, EscalationKind.CIRCULATION_OVERDUE)))),
        Discussion.id.in_(select(Action.discussion_id).where(Action.status == ActionStatus.OPEN, Action.due <= now)),
    )
    query = select(Discussion).where(open_or_uncirculated, risky)
    if agency_ids is not None:
        involved: ColumnElement[bool] = Discussion.id.in_(select(Invitation.discussion_id).where(Invitation.agency_id.in_(list(agency_ids))))
        if include_csc_chaired:
            chairs = select(Person.id).where(Person.agency_id.in_(list(agency_ids)))
            involved = or_(involved, Discussion.chair_person_id.in_(chairs))
        query = query.where(involved)
    return list((await session.scalars(query.order_by(Discussion.created_at.desc()).limit(limit))).all())


async def digest_claim(session: AsyncSession, day: str, at: datetime, cases: int) -> None:
    """Record today's digest; a second instance's insert fails on the key and rolls back."""
    from storage.models import DailyDigest

    session.add(DailyDigest(day=day, at=at, cases=cases))
    await session.flush()


async def digest_sent(session: AsyncSession, day: str) -> bool:
    from storage.models import DailyDigest

    return (await session.get(DailyDigest, day)) is not None


async def discussion_with_invitations(session: AsyncSession, discussion_id: str) -> Discussion | None:
    """The discussion with its invitations loaded, even when it was first reached through an
    invitation (the relationship cycle leaves `invitations` unloaded then)."""
    from sqlalchemy.orm import selectinload

    return await session.scalar(
        select(Discussion)
        .where(Discussion.id == discussion_id)
        .options(selectinload(Discussion.invitations))
        .execution_options(populate_existing=True)
    )


async def overdue_action_counts(session: AsyncSession, discussion_ids: Sequence[str], now: datetime) -> dict[str, int]:
    """Open actions past due, per discussion, for the few discussions a list shows."""
    if not discussion_ids:
        return {}
    rows = await session.execute(
        select(Action.discussion_id, func.count())
        .where(Action.discussion_id.in_(list(discussion_ids)), Action.status == ActionStatus.OPEN, Action.due <= now)
        .group_by(Action.discussion_id)
    )
    return {discussion_id: count for discussion_id, count in rows.all()}


# The agenda: saving a step replaces the rows it wrote -----------------------------------------


async def people_matching(session: AsyncSession, typed: str) -> list[Person]:
    """Active people whose e-mail or full name is `typed` (case-insensitive): a name typed on
    the attendance step, matched against the directory."""
    wanted = typed.strip().lower()
    if not wanted:
        return []
    snap = await people.snapshot(session)
    by_email = "@" in wanted
    return sorted(
        (p for p in snap.people.values() if p.active and ((p.email or "") if by_email else p.name).lower() == wanted),
        key=lambda p: p.id,
    )


async def delete_attendance(session: AsyncSession, discussion_id: str, source: str) -> None:
    await session.execute(
        delete(Attendance)
        .where(Attendance.discussion_id == discussion_id, Attendance.source == source)
        .execution_options(synchronize_session="fetch")
    )


async def delete_chair_information(session: AsyncSession, discussion_id: str, chair_person_id: str) -> None:
    """The chair's own summary on the information step (partners' information stays)."""
    await session.execute(
        delete(Contribution)
        .where(
            Contribution.discussion_id == discussion_id,
            Contribution.step == "information",
            Contribution.author_person_id == chair_person_id,
            Contribution.agency_id.is_(None),
        )
        .execution_options(synchronize_session="fetch")
    )


async def delete_decisions(session: AsyncSession, discussion_id: str, topics: Sequence[str]) -> None:
    await session.execute(
        delete(Decision)
        .where(Decision.discussion_id == discussion_id, Decision.topic.in_(list(topics)))
        .execution_options(synchronize_session="fetch")
    )


# Reviews -----------------------------------------------------------------------------------


async def claim_review_reminder(session: AsyncSession, discussion_id: str, now: datetime) -> bool:
    """Clear a due reminder; True for the one instance whose update took it."""
    result = await session.execute(
        update(Discussion)
        .where(Discussion.id == discussion_id, Discussion.review_remind_at <= now)
        .values(review_remind_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


async def review_convened_after(session: AsyncSession, d: Discussion) -> bool:
    """Whether a later discussion (a review) of the same case exists and was not cancelled."""
    later = await session.scalar(
        select(Discussion.id)
        .where(
            func.upper(Discussion.case_ref) == d.case_ref.upper(),
            Discussion.created_at > d.created_at,
            Discussion.status != DiscussionStatus.CANCELLED,
        )
        .limit(1)
    )
    return later is not None

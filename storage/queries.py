"""Queries the flows use. The only module (with outbox/activities) that builds SQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    OutboxMessage,
    Person,
)

OPEN_STATUSES = ("draft", "invited", "in_progress")


# Directory ---------------------------------------------------------------------------------


async def person_by_aad(session: AsyncSession, aad_object_id: str | None) -> Person | None:
    if not aad_object_id:
        return None
    return await session.scalar(
        select(Person).where(Person.aad_object_id == aad_object_id.lower(), Person.active.is_(True))
    )


async def person(session: AsyncSession, person_id: str | None) -> Person | None:
    if not person_id:
        return None
    return await session.get(Person, person_id)


async def agency(session: AsyncSession, agency_id: str | None) -> Agency | None:
    if not agency_id:
        return None
    return await session.get(Agency, agency_id)


async def agencies_of_kind(session: AsyncSession, kind: str) -> list[Agency]:
    return list(
        (
            await session.scalars(
                select(Agency).where(Agency.kind == kind, Agency.active.is_(True)).order_by(Agency.id)
            )
        ).all()
    )


async def people_in(session: AsyncSession, agency_id: str) -> list[Person]:
    return list(
        (
            await session.scalars(
                select(Person)
                .where(Person.agency_id == agency_id, Person.active.is_(True))
                .order_by(Person.name)
            )
        ).all()
    )


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


async def discussions_with_status(session: AsyncSession, statuses: Sequence[str]) -> list[Discussion]:
    return list(
        (await session.scalars(select(Discussion).where(Discussion.status.in_(statuses)))).all()
    )


async def invitation(session: AsyncSession, invitation_id: Any) -> Invitation | None:
    if not isinstance(invitation_id, str) or len(invitation_id) > 36:
        return None
    return await session.get(Invitation, invitation_id)


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


async def sent_keys_with_prefix(session: AsyncSession, prefix: str) -> list[str]:
    rows = await session.scalars(
        select(OutboxMessage.message_key)
        .where(OutboxMessage.op == "send", OutboxMessage.message_key.like(f"{prefix}%"))
        .order_by(OutboxMessage.id)
    )
    return [k for k in rows.all() if k]


async def audit(
    session: AsyncSession,
    action: str,
    *,
    actor_aad: str | None,
    actor_name: str | None,
    discussion: Discussion | None = None,
    conversation_id: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> None:
    entry = AuditEntry(
        action=action,
        actor_aad_object_id=actor_aad,
        actor_name=actor_name,
        discussion_id=discussion.id if discussion else None,
        case_ref=discussion.case_ref if discussion else None,
        conversation_id=conversation_id,
        detail={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in detail.items()},
    )
    if at is not None:
        entry.at = at
    session.add(entry)


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


async def discussions_with_pending_meetings(session: AsyncSession) -> list[str]:
    return list(
        (await session.scalars(select(Discussion.id).where(Discussion.meeting_pending.is_(True)))).all()
    )


async def open_actions(session: AsyncSession) -> list[Action]:
    return list((await session.scalars(select(Action).where(Action.status == "open"))).all())


async def open_disagreements(session: AsyncSession) -> list[Disagreement]:
    return list((await session.scalars(select(Disagreement).where(Disagreement.resolved_at.is_(None)))).all())


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
    return await session.scalar(select(Agency).where(Agency.channel_id == channel_id).limit(1))

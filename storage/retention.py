"""Retention (PROCEDURE 8): a case's records are deleted once its last discussion closed more
than the profile's retention period ago; the purge itself is recorded in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Action,
    Attendance,
    AuditEntry,
    Contribution,
    Decision,
    Disagreement,
    Discussion,
    Escalation,
    Invitation,
    OutboxMessage,
)

_CHILDREN = (Invitation, Escalation, Attendance, Contribution, Decision, Action, Disagreement, OutboxMessage, AuditEntry)


async def expired_cases(session: AsyncSession, cutoff: datetime) -> dict[str, list[str]]:
    """Case reference -> discussion ids, for cases whose every discussion ended before `cutoff`."""
    cases: dict[str, list[Discussion]] = {}
    for d in (await session.scalars(select(Discussion))).all():
        cases.setdefault(d.case_ref, []).append(d)
    expired = {}
    for case_ref, discussions in cases.items():
        ended = [d.closed_at or (d.created_at if d.status == "cancelled" else None) for d in discussions]
        if all(e is not None and e < cutoff for e in ended):
            expired[case_ref] = [d.id for d in discussions]
    return expired


async def purge(session: AsyncSession, cutoff: datetime, actor: str, dry_run: bool = False) -> dict[str, list[str]]:
    expired = await expired_cases(session, cutoff)
    if dry_run:
        return expired
    for case_ref, ids in expired.items():
        for model in _CHILDREN:
            await session.execute(delete(model).where(model.discussion_id.in_(ids)))
        # Reviews point at earlier discussions: drop the links, then the rows.
        await session.execute(Discussion.__table__.update().where(Discussion.id.in_(ids)).values(review_of=None))
        await session.execute(delete(Discussion).where(Discussion.id.in_(ids)))
        session.add(AuditEntry(action="purge", actor_name=actor, case_ref=case_ref,
                               detail={"discussions": len(ids), "cutoff": cutoff.isoformat()}))  # fmt: skip
    return expired

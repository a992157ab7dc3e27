"""Retention (PROCEDURE 8): a case's records are deleted once its last discussion closed more
than the profile's retention period ago.

A purge removes everything of the case: its discussions and their rows, the messages the bot
sent about it (outbox rows, the record of where each was delivered), channel threads the bot
started for it, the card answers stored for Teams retries, and its audit entries. The purge
is then recorded in the audit log by an entry naming the case, with the positions and hashes
of the entries it removed, so the chain still verifies (storage/audit.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from procedure.states import DiscussionStatus
from storage import audit as audit_log
from storage import outbox
from storage.models import (
    Action,
    Attendance,
    AuditEntry,
    Contribution,
    ConversationRef,
    Decision,
    Disagreement,
    Discussion,
    Escalation,
    Invitation,
    OutboxMessage,
    ProcessedActivity,
    SentMessage,
    utcnow,
)

_CHILDREN = (Invitation, Escalation, Attendance, Contribution, Decision, Action, Disagreement)
# A channel thread the bot started (an invitation, an action) has this in its conversation id.
_THREAD_MARK = ";messageid="
RETRY_WINDOW = timedelta(days=7)


@dataclass
class Purged:
    """What one case's purge removed (counts only: this is printed and audited)."""

    discussions: int = 0
    audit_entries: int = 0
    messages: int = 0
    deliveries: int = 0
    threads: int = 0
    stored_answers: int = 0
    spans: list[list[Any]] = field(default_factory=list)


async def expired_cases(session: AsyncSession, cutoff: datetime) -> dict[str, list[str]]:
    """Case reference -> discussion ids, for cases whose every discussion ended before `cutoff`."""
    ended = case((Discussion.closed_at.is_not(None), Discussion.closed_at),
                 (Discussion.status == DiscussionStatus.CANCELLED, Discussion.created_at))  # fmt: skip
    refs = select(Discussion.case_ref).group_by(Discussion.case_ref).having(
        func.count() == func.count(ended), func.max(ended) < cutoff
    )
    rows = await session.execute(
        select(Discussion.case_ref, Discussion.id).where(Discussion.case_ref.in_(refs)).order_by(Discussion.created_at)
    )
    expired: dict[str, list[str]] = {}
    for case_ref, discussion_id in rows.all():
        expired.setdefault(case_ref, []).append(discussion_id)
    return expired


async def _purge_case(session: AsyncSession, case_ref: str, ids: list[str]) -> Purged:
    done = Purged(discussions=len(ids))
    of_case = or_(OutboxMessage.discussion_id.in_(ids), OutboxMessage.case_ref == case_ref)
    threads = set(
        (
            await session.scalars(
                select(OutboxMessage.conversation_id)
                .where(of_case, OutboxMessage.conversation_id.contains(_THREAD_MARK, autoescape=True))
                .distinct()
            )
        ).all()
    )
    keyed = select(OutboxMessage.message_key).where(of_case, OutboxMessage.message_key.is_not(None))
    done.deliveries = (await session.execute(delete(SentMessage).where(SentMessage.key.in_(keyed)))).rowcount  # type: ignore[attr-defined]
    done.messages = (await session.execute(delete(OutboxMessage).where(of_case))).rowcount  # type: ignore[attr-defined]
    outbox.forget_first_sends(session)
    if threads:
        # Threads started for this case and used by nothing else that remains.
        still_used = exists().where(OutboxMessage.conversation_id == ConversationRef.conversation_id)
        result = await session.execute(
            delete(ConversationRef)
            .where(ConversationRef.conversation_id.in_(threads), ~still_used)
            .execution_options(synchronize_session=False)
        )
        done.threads = result.rowcount  # type: ignore[attr-defined]
    done.stored_answers = (
        await session.execute(delete(ProcessedActivity).where(ProcessedActivity.case_ref == case_ref))
    ).rowcount  # type: ignore[attr-defined]

    # Audit entries of the case, except earlier purge entries: they account for older gaps.
    entries = and_(
        or_(AuditEntry.discussion_id.in_(ids), AuditEntry.case_ref == case_ref), AuditEntry.action != "purge"
    )
    removed = (await session.execute(select(AuditEntry.seq, AuditEntry.hash).where(entries).order_by(AuditEntry.seq))).all()
    done.audit_entries, done.spans = len(removed), audit_log.removed_spans((s, h) for s, h in removed)
    await session.execute(delete(AuditEntry).where(entries).execution_options(synchronize_session=False))

    for model in _CHILDREN:
        await session.execute(delete(model).where(model.discussion_id.in_(ids)))
    # Reviews point at earlier discussions: drop the links, then the rows.
    await session.execute(update(Discussion).where(Discussion.id.in_(ids)).values(review_of=None)
                          .execution_options(synchronize_session=False))
    await session.execute(delete(Discussion).where(Discussion.id.in_(ids)))
    return done


async def purge(session: AsyncSession, cutoff: datetime, actor: str, dry_run: bool = False) -> dict[str, list[str]]:
    """Delete every expired case; returns case reference -> the discussion ids it had."""
    if not dry_run:
        # Nothing may join the chain between reading the entries to remove and the purge entry.
        await audit_log.lock_for_removal(session)
    expired = await expired_cases(session, cutoff)
    if dry_run:
        return expired
    # Answers kept for Teams retries (which come within minutes) are not kept for long: this
    # also removes any that echo a case without being linked to it (e.g. a refused form).
    await session.execute(delete(ProcessedActivity).where(ProcessedActivity.at < utcnow() - RETRY_WINDOW))
    for case_ref, ids in expired.items():
        done = await _purge_case(session, case_ref, ids)
        audit_log.append(session, AuditEntry(
            action="purge", actor_name=actor, case_ref=case_ref,
            detail=audit_log.normalise_detail({
                "cutoff": cutoff, "discussions": done.discussions, "entries_removed": done.audit_entries,
                "removed": done.spans, "messages_removed": done.messages, "deliveries_removed": done.deliveries,
                "threads_removed": done.threads, "stored_answers_removed": done.stored_answers,
            }),
        ))  # fmt: skip
    return expired

"""Outbox queries: enqueue with the state change, claim with a lease, settle after delivery.

Claiming is a conditional UPDATE (``... WHERE lease is free``), so any number of processes on
PostgreSQL share the work and a row is delivered by one of them at a time. Per conversation,
rows go in order: a row waits while an earlier row for the same conversation is unsettled.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, event, exists, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, aliased

from storage.db import mark_touched
from storage.links import case_touched
from storage.models import (
    ConversationRef,
    OutboxMessage,
    OutboxOp,
    OutboxStatus,
    SentMessage,
    utcnow,
)
from storage.targets import ChannelSafe, ConfidentialityError, Target


def order_key_for(target: dict[str, Any] | Target) -> str:
    return Target.from_json(target).order_key


def check_payload(target: Target, payload: dict[str, Any] | ChannelSafe) -> tuple[dict[str, Any], bool]:
    """The activity to store and whether it is channel-safe; a shared target takes nothing else."""
    if isinstance(payload, ChannelSafe):
        return payload.activity, True
    if target.is_shared:
        raise ConfidentialityError(
            f"refused: a payload that is not ChannelSafe for a shared conversation ({target.order_key})"
        )
    return payload, False


async def enqueue(
    session: AsyncSession,
    *,
    target: dict[str, Any] | Target | None = None,
    payload: dict[str, Any] | ChannelSafe,
    op: OutboxOp = OutboxOp.SEND,
    message_key: str | None = None,
    discussion_id: str | None = None,
    purpose: str = "message",
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction.

    ``op="update"`` edits the message delivered earlier under ``message_key``; it is ordered
    behind that message's conversation, so it never overtakes the message it edits.

    A shared target (a channel, a group chat) takes only a `ChannelSafe` payload: anything else
    raises `ConfidentialityError`, and the caller's transaction rolls back with it.
    """
    if op == OutboxOp.UPDATE:
        if not message_key:
            raise ValueError("an update needs the message_key of the message it edits")
        original = await first_send(session, message_key)
        if original is None:
            raise ValueError(f"no message was ever sent under key {message_key!r}")
        resolved, order_key = original.target, original.order_key
    else:
        if target is None:
            raise ValueError("a send needs a target")
        resolved = Target.from_json(target)
        order_key = resolved.order_key
    activity, channel_safe = check_payload(resolved, payload)
    row = OutboxMessage(
        target=resolved.to_json(),
        order_key=order_key,
        op=op,
        message_key=message_key,
        payload=activity,
        channel_safe=channel_safe,
        discussion_id=discussion_id,
        case_ref=case_touched(session),
        purpose=purpose,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(row)
    await session.flush()
    if op == OutboxOp.SEND and message_key:
        _first_sends(session).setdefault(message_key, FirstSend(message_key, resolved, order_key))
    mark_touched(session, discussion_id)
    return row


@dataclass(frozen=True)
class FirstSend:
    """The first message sent under a key: where it went, and the queue its edits join."""

    key: str
    target: Target
    order_key: str


_FIRST_SENDS = "outbox_first_sends"


def _first_sends(session: AsyncSession) -> dict[str, FirstSend]:
    # Within one unit of work a message's first send does not change, so it is read once
    # however many edits (the roster, each copy of an invitation) refer to it.
    memo: dict[str, FirstSend] = session.info.setdefault(_FIRST_SENDS, {})
    return memo


def forget_first_sends(session: AsyncSession) -> None:
    """After deleting outbox rows (a purge)."""
    session.info.pop(_FIRST_SENDS, None)


async def first_send(session: AsyncSession, message_key: str) -> FirstSend | None:
    memo = _first_sends(session)
    if message_key in memo:
        return memo[message_key]
    row = (
        await session.execute(
            select(OutboxMessage.target, OutboxMessage.order_key)
            .where(OutboxMessage.message_key == message_key, OutboxMessage.op == OutboxOp.SEND)
            .order_by(OutboxMessage.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    memo[message_key] = sent = FirstSend(message_key, Target.from_json(row.target), row.order_key)
    return sent


async def first_sends_with_prefix(session: AsyncSession, prefix: str, *, discussion_id: str) -> list[FirstSend]:
    """The messages sent for a discussion under keys starting with `prefix`, in the order they
    were sent (the discussion's own rows, found by index: a prefix LIKE alone would read the
    whole outbox)."""
    rows = await session.execute(
        select(OutboxMessage.message_key, OutboxMessage.target, OutboxMessage.order_key)
        .where(
            OutboxMessage.discussion_id == discussion_id,
            OutboxMessage.op == OutboxOp.SEND,
            OutboxMessage.message_key.like(prefix.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\"),
        )
        .order_by(OutboxMessage.id)
    )
    memo = _first_sends(session)
    found: dict[str, FirstSend] = {}
    for key, target, order_key in rows.all():
        if key and key not in found:
            found[key] = memo.setdefault(key, FirstSend(key, Target.from_json(target), order_key))
    return list(found.values())


async def was_sent_under(session: AsyncSession, message_key: str) -> bool:
    return await first_send(session, message_key) is not None


async def claim_due(
    session: AsyncSession, owner: str, now: datetime, lease: timedelta, limit: int = 20
) -> list[OutboxMessage]:
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        and_(
            earlier.order_key == OutboxMessage.order_key,
            earlier.id < OutboxMessage.id,
            earlier.status == OutboxStatus.PENDING,
        )
    )
    candidates = (
        await session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.next_attempt_at <= now,
                or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
                ~blocked,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    if not candidates:
        return []
    # One conditional UPDATE for the batch: a row another worker leased meanwhile no longer
    # matches; then read back exactly the rows this lease (owner and expiry) holds.
    until = now + lease
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(candidates),
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=until)
        .execution_options(synchronize_session=False)
    )
    claimed = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), OutboxMessage.lease_owner == owner, OutboxMessage.lease_until == until)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(claimed.all())


async def renew_lease(session: AsyncSession, row_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend a lease this owner still holds; False when it expired and another worker took it."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == OutboxStatus.PENDING,
            # The owner alone decides: a claim by another worker overwrites it atomically.
            OutboxMessage.lease_owner == owner,
        )
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def settle_sent(
    session: AsyncSession,
    row_id: int,
    owner: str,
    conversation_id: str,
    activity_id: str | None,
    service_url: str,
) -> None:
    """Mark a row delivered, and remember where a keyed first send went (edits need it): one
    UPDATE and, for a first send, one insert that keeps an earlier record of the same key."""
    done = (
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status=OutboxStatus.SENT, sent_at=utcnow(), lease_until=None, conversation_id=conversation_id,
                    activity_id=activity_id, attempts=OutboxMessage.attempts + 1)  # fmt: skip
            .returning(OutboxMessage.op, OutboxMessage.message_key)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if done is None or done.op != OutboxOp.SEND or not done.message_key or not activity_id:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.execute(
        insert(SentMessage)
        .values(key=done.message_key, conversation_id=conversation_id, activity_id=activity_id, service_url=service_url)
        .on_conflict_do_nothing(index_elements=[SentMessage.key])
    )


async def settle_retry(
    session: AsyncSession, row_id: int, error: str, next_attempt_at: datetime, count_attempt: bool = True
) -> None:
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return
    row.last_error, row.next_attempt_at, row.lease_until = error[:2000], next_attempt_at, None
    if count_attempt:
        row.attempts += 1


async def settle_failed(session: AsyncSession, row_id: int, error: str) -> OutboxMessage | None:
    row = await session.get(OutboxMessage, row_id)
    if row is None:
        return None
    row.status, row.last_error, row.lease_until = OutboxStatus.FAILED, error[:2000], None
    row.attempts += 1
    return row


async def sent_times(session: AsyncSession, conversation_id: str, since: datetime) -> list[datetime]:
    """When messages to a conversation were delivered recently (by any instance)."""
    rows = await session.scalars(
        select(OutboxMessage.sent_at).where(
            OutboxMessage.conversation_id == conversation_id,
            OutboxMessage.status == OutboxStatus.SENT,
            OutboxMessage.sent_at >= since,
        )
    )
    return [t for t in rows.all() if t is not None]


async def target_of(session: AsyncSession, message_key: str) -> Target | None:
    """Where the message first sent under a key went (to choose what an edit may show)."""
    sent = await first_send(session, message_key)
    return sent.target if sent is not None else None


async def sent_message(session: AsyncSession, key: str) -> SentMessage | None:
    return await session.get(SentMessage, key)


async def pending_count(session: AsyncSession) -> int:
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )


async def messages(session: AsyncSession, discussion_id: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if discussion_id:
        query = query.where(OutboxMessage.discussion_id == discussion_id)
    return list((await session.scalars(query)).all())


# Conversation references ---------------------------------------------------------------


# Conversations this process saved, with what it saved and when (monotonic). Every activity
# names its conversation; writing the same reference again on each press was three statements
# for nothing. A reference is written again when anything in it changed, or after
# `RESAVE_SECONDS` (which keeps `updated_at`, the newest service URL, roughly current).
RESAVE_SECONDS = 600.0
_saved: weakref.WeakKeyDictionary[Any, dict[str, tuple[dict[str, Any], float]]] = weakref.WeakKeyDictionary()
_SAVED_NOW = "conversations_saved"


def _saved_for(session: Session) -> dict[str, tuple[dict[str, Any], float]] | None:
    bind = session.bind
    if bind is None:
        return None
    engine = getattr(bind, "engine", bind)
    return _saved.setdefault(engine, {})


@event.listens_for(Session, "after_commit")
def _remember_saved(session: Session) -> None:
    """Only what committed is remembered: a rolled-back save is written again next time."""
    saved_now = session.info.pop(_SAVED_NOW, None)
    memo = _saved_for(session) if saved_now else None
    if memo is not None and saved_now:
        if len(memo) > 50_000:  # bounded: a very long-running process forgets and re-saves
            memo.clear()
        memo.update(saved_now)


@event.listens_for(Session, "after_rollback")
def _forget_saved(session: Session) -> None:
    session.info.pop(_SAVED_NOW, None)


async def save_conversation(session: AsyncSession, key: str, **fields: Any) -> None:
    """Insert or update atomically: Teams sends several activities for one conversation at
    once (e.g. on install), and two inserts of the same key must not fail either turn."""
    values = {k: v for k, v in fields.items() if v is not None}
    memo = _saved_for(session.sync_session)
    now = time.monotonic()
    if memo is not None and (seen := memo.get(key)) is not None and seen[0] == values and now - seen[1] < RESAVE_SECONDS:
        return
    session.info.setdefault(_SAVED_NOW, {})[key] = (dict(values), now)
    values["updated_at"] = utcnow()
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ConversationRef).values(key=key, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=[ConversationRef.key], set_=values))


async def conversation(session: AsyncSession, key: str) -> ConversationRef | None:
    return await session.scalar(select(ConversationRef).where(ConversationRef.key == key))


async def latest_service_url(session: AsyncSession, tenant_id: str | None = None) -> ConversationRef | None:
    query = select(ConversationRef).order_by(ConversationRef.updated_at.desc()).limit(1)
    if tenant_id:
        query = query.where(ConversationRef.tenant_id == tenant_id)
    return await session.scalar(query)


async def delivery_of_keys(session: AsyncSession, discussion_id: str, prefix: str) -> list[tuple[OutboxStatus, int]]:
    """(status, attempts) of every first send under keys starting with `prefix` (e.g. the copies
    of one invitation), by the indexed discussion id."""
    rows = await session.execute(
        select(OutboxMessage.status, OutboxMessage.attempts).where(
            OutboxMessage.discussion_id == discussion_id,
            OutboxMessage.op == OutboxOp.SEND,
            OutboxMessage.message_key.like(f"{prefix}%"),
        )
    )
    return [(status, attempts) for status, attempts in rows.all()]


# Retention ---------------------------------------------------------------------------------


async def prune_delivered(session: AsyncSession, before: datetime, limit: int = 5000) -> int:
    """Delete up to `limit` delivered rows older than `before`, and handled activity ids as old,
    so the outbox's claim and pacing stay cheap as years pass. Kept: rows sent under a message
    key (an edit needs the original's target and order, and the roster and invitations are
    edited for as long as a discussion lives), failed rows (what the chair was told about),
    and every SentMessage."""
    from sqlalchemy import delete

    from storage.models import ProcessedActivity

    old = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.message_key.is_(None), OutboxMessage.sent_at < before)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    ids = list((await session.scalars(old)).all())
    if ids:
        await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)).execution_options(synchronize_session=False))
    old_activities = select(ProcessedActivity.activity_id).where(ProcessedActivity.at < before).limit(limit)
    activity_ids = list((await session.scalars(old_activities)).all())
    if activity_ids:
        await session.execute(delete(ProcessedActivity).where(ProcessedActivity.activity_id.in_(activity_ids))
                              .execution_options(synchronize_session=False))  # fmt: skip
    return len(ids) + len(activity_ids)

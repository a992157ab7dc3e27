"""The tamper-evident audit log: a hash chain over `audit_log`, anchored by `audit_head`.

Each entry has a position ``seq`` (1, 2, 3...) and
``hash = SHA-256(prev_hash + "\\n" + canonical content)``, where the canonical content is the
JSON (sorted keys, no spaces, ASCII) of seq, at (UTC ISO 8601, microseconds), action,
actor_aad_object_id, actor_name, discussion_id, case_ref, conversation_id and detail; the first
entry's ``prev_hash`` is 64 zeros. The one-row ``audit_head`` holds the newest seq and hash and is
updated in the same transaction as every append, so deleting the newest entries is caught too.

Appending: ``queries.audit`` (or ``append``) queues an entry on the session; at commit the
entries are chained while the head row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite a write to the head first takes the database's single writer lock), so concurrent
writers never fork the chain. The lock is taken last in the transaction and held only for the
commit, so it cannot deadlock with the row locks flows take.

Purging: a purge deletes a case's entries and appends an entry (action ``purge``) naming the
case, with ``entries_removed`` and ``removed``: the removed positions as spans
``[first_seq, last_seq, hash_of_last]``. The verifier accepts a gap in the chain exactly where
such spans, recorded by a later purge entry, cover it, and links the entry after the gap to
the recorded hash. The purge entry is itself chained, so its spans cannot be changed unnoticed.

What this does not defend against: someone able to rewrite the whole table and the head can
recompute every hash. `sdbot audit verify` prints the head; keeping that line elsewhere (a
ticket, an e-mail) anchors the log outside the database.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from storage.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64
HEAD_ID = 1
_PENDING = "sdbot_audit_pending"
_head = AuditHead.metadata.tables[AuditHead.__tablename__]  # a Table (`__table__` is typed FromClause)


def normalise_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as the database gives it back (JSON), so the hash covers what is stored."""

    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    return json.loads(json.dumps({k: plain(v) for k, v in (detail or {}).items()}, default=str))


def utc_iso(value: datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC when read without the model's type
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> str:
    content = {
        "seq": entry.seq,
        "at": utc_iso(entry.at),
        "action": entry.action,
        "actor_aad_object_id": entry.actor_aad_object_id,
        "actor_name": entry.actor_name,
        "discussion_id": entry.discussion_id,
        "case_ref": entry.case_ref,
        "conversation_id": entry.conversation_id,
        "detail": entry.detail or {},
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(entry)}".encode()).hexdigest()


# Appending -----------------------------------------------------------------------------------


def append(session: AsyncSession | Session, entry: AuditEntry) -> None:
    """Queue an entry: it is chained and written when the transaction commits."""
    sync = getattr(session, "sync_session", session)
    sync.info.setdefault(_PENDING, []).append(entry)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.add_all(pending)  # the commit's flush chains them (below)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # rolled back: the entries go with the changes they describe
        session.info.pop(_PENDING, None)


def _lock_head(session: Session) -> tuple[int, str]:
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # SQLite runs reads outside the transaction until the first write: read the head with
        # a write, so it is read under the writer lock (other writers wait, busy_timeout).
        row = connection.execute(
            update(_head).where(_head.c.id == HEAD_ID).values(seq=_head.c.seq).returning(_head.c.seq, _head.c.hash)
        ).first()
    else:
        row = connection.execute(
            select(_head.c.seq, _head.c.hash).where(_head.c.id == HEAD_ID).with_for_update()
        ).first()
    if row is None:
        if connection.execute(select(AuditEntry.id).limit(1)).first() is not None:
            # Entries without a head: it was deleted. Refuse rather than start a second chain.
            raise RuntimeError("the audit chain head is missing: run `sdbot audit verify`")
        connection.execute(insert(_head).values(id=HEAD_ID, seq=0, hash=GENESIS))  # a new database
        return 0, GENESIS
    return int(row.seq), str(row.hash)


@event.listens_for(Session, "before_flush")
def _chain_new_entries(session: Session, _context: Any, _instances: Any) -> None:
    new = [o for o in session.new if isinstance(o, AuditEntry) and o.seq is None]
    if not new:
        return
    start_seq, prev = _lock_head(session)
    seq = start_seq
    for entry in new:  # in the order they were added
        if entry.at is None:
            entry.at = utcnow()
        entry.detail = normalise_detail(entry.detail or {})
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(prev, entry)
    result = session.connection().execute(
        update(_head).where(_head.c.id == HEAD_ID, _head.c.seq == start_seq).values(seq=seq, hash=prev)
    )
    if result.rowcount != 1:
        raise RuntimeError("the audit chain head moved while it was locked")


async def lock_for_removal(session: AsyncSession) -> None:
    """Take the head lock before removing entries, so nothing is appended meanwhile."""
    await session.run_sync(_lock_head)


def removed_spans(removed: Iterable[tuple[int, str]]) -> list[list[Any]]:
    """(seq, hash) in seq order -> [[first_seq, last_seq, hash_of_last], ...] for runs."""
    spans: list[list[Any]] = []
    for seq, digest in removed:
        if spans and spans[-1][1] == seq - 1:
            spans[-1][1], spans[-1][2] = seq, digest
        else:
            spans.append([seq, seq, digest])
    return spans


# Verifying -----------------------------------------------------------------------------------


@dataclass
class Verdict:
    ok: bool
    entries: int
    purged: int
    head_seq: int
    head_hash: str
    problem: str | None = None
    entry_id: int | None = None
    seq: int | None = None


class _Purged:
    """The positions purge entries account for, and the recorded hash at each span's end."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.last_hash: dict[int, str] = {}

    def add(self, first: int, last: int, digest: str) -> None:
        self.spans.append((first, last))
        self.last_hash[last] = digest

    def freeze(self) -> None:
        merged: list[tuple[int, int]] = []
        for first, last in sorted(self.spans):
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        self.spans = merged
        self._firsts = [first for first, _ in merged]

    def covers(self, first: int, last: int) -> bool:
        i = bisect.bisect_right(self._firsts, first) - 1
        return i >= 0 and self.spans[i][0] <= first and last <= self.spans[i][1]

    def count(self) -> int:
        return sum(last - first + 1 for first, last in self.spans)


def _spans_of(entry: AuditEntry) -> list[tuple[int, int, str]] | None:
    spans = (entry.detail or {}).get("removed")
    try:
        parsed = [(int(a), int(b), str(h)) for a, b, h in spans or []]
    except (TypeError, ValueError):
        return None
    if any(a > b or b >= entry.seq or len(h) != 64 for a, b, h in parsed):
        return None
    return parsed


def _bad(entry: AuditEntry | None, problem: str, entries: int, purged: int, head: tuple[int, str]) -> Verdict:
    return Verdict(False, entries, purged, head[0], head[1], problem,
                   entry.id if entry is not None else None, entry.seq if entry is not None else None)  # fmt: skip


async def verify(session: AsyncSession) -> Verdict:
    """Walk the chain in seq order; the first problem found is reported."""
    head_row = await session.get(AuditHead, HEAD_ID)
    head = (head_row.seq, head_row.hash) if head_row else (0, GENESIS)
    if head_row is None and await session.scalar(select(AuditEntry.id).limit(1)) is not None:
        return _bad(None, "the chain head (table audit_head) is missing: it was deleted", 0, 0, head)
    purged = _Purged()
    purge_entries = await session.scalars(select(AuditEntry).where(AuditEntry.action == "purge").order_by(AuditEntry.seq))
    for p in purge_entries.all():
        spans = _spans_of(p)
        if spans is None:
            return _bad(p, f"purge entry id={p.id} (seq {p.seq}) has a malformed list of removed entries", 0, 0, head)
        for first, last, digest in spans:
            purged.add(first, last, digest)
    purged.freeze()

    prev_seq, prev_hash, count = 0, GENESIS, 0
    stream = await session.stream_scalars(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=500))
    async for e in stream:
        count += 1
        name = f"entry id={e.id} (seq {e.seq}, {e.action})"
        if e.seq > head[0]:
            return _bad(e, f"{name} is beyond the chain head (seq {head[0]}): it was inserted", count, purged.count(), head)
        if e.hash != entry_hash(e.prev_hash, e):
            return _bad(e, f"{name} was changed: its content does not match its hash", count, purged.count(), head)
        if purged.covers(e.seq, e.seq):
            return _bad(e, f"{name} sits where a purge removed entries: it was inserted", count, purged.count(), head)
        if e.seq != prev_seq + 1:
            first, last = prev_seq + 1, e.seq - 1
            if not purged.covers(first, last):
                gap = f"seq {first}" if first == last else f"seq {first}..{last}"
                return _bad(e, f"{gap} missing before {name}: deleted without a purge", count, purged.count(), head)
            prev_hash = purged.last_hash.get(last, "")
        if e.prev_hash != prev_hash:
            return _bad(e, f"{name} does not link to the entry before it (seq {e.seq - 1}): "
                           "that entry was replaced or this one inserted", count, purged.count(), head)  # fmt: skip
        prev_seq, prev_hash = e.seq, e.hash
    if prev_seq < head[0]:
        first, last = prev_seq + 1, head[0]
        gap = f"seq {first}" if first == last else f"seq {first}..{last}"
        return _bad(None, f"the newest entries ({gap}) are missing: the chain head records seq {head[0]}",
                    count, purged.count(), head)  # fmt: skip
    if prev_hash != head[1]:
        return _bad(None, f"the chain head's hash does not match the newest entry (seq {prev_seq})",
                    count, purged.count(), head)  # fmt: skip
    return Verdict(True, count, purged.count(), head[0], head[1])

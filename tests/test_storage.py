"""Storage on SQLite and on a real PostgreSQL server: times, outbox ordering and leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage import outbox
from storage.db import create_engine, session_factory, transaction
from storage.models import AuditEntry, OutboxMessage

LONDON = ZoneInfo("Europe/London")


async def test_times_come_back_aware_and_equal(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = session_factory(engine)
    when = datetime(2026, 3, 29, 14, 0, tzinfo=LONDON)  # BST, just after the clock change
    try:
        async with transaction(factory) as session:
            session.add(AuditEntry(action="t", at=when))
        async with factory() as session:
            entry = await session.get(AuditEntry, 1)
        assert entry is not None and entry.at == when and entry.at.tzinfo is not None
        assert entry.at.astimezone(LONDON).hour == 14
    finally:
        await engine.dispose()


async def test_outbox_claims_in_order_per_conversation_and_leases(database_url: str) -> None:
    engine = create_engine(database_url)
    factory = session_factory(engine)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    a = {"kind": "conversation", "conversation_id": "a:1", "service_url": "http://x"}
    b = {"kind": "conversation", "conversation_id": "a:2", "service_url": "http://x"}
    try:
        async with transaction(factory) as session:
            for n in range(3):
                await outbox.enqueue(session, target=a, payload={"type": "message", "text": f"a{n}"}, not_before=now)
            await outbox.enqueue(session, target=b, payload={"type": "message", "text": "b0"}, not_before=now)
        async with transaction(factory) as session:
            first = await outbox.claim_due(session, "w1", now, timedelta(seconds=30))
        # One per conversation at a time, oldest first.
        assert [r.payload["text"] for r in first] == ["a0", "b0"]
        async with transaction(factory) as session:
            again = await outbox.claim_due(session, "w2", now, timedelta(seconds=30))
        assert again == []  # a0 is leased, a1 must wait behind it; b0 leased
        async with transaction(factory) as session:
            await outbox.settle_sent(session, first[0].id, "w1", "a:1", "m1", "http://x")
        async with transaction(factory) as session:
            nxt = await outbox.claim_due(session, "w2", now, timedelta(seconds=30))
        assert [r.payload["text"] for r in nxt] == ["a1"]
        # A lease that ran out (its worker died) can be claimed again.
        later = now + timedelta(seconds=31)
        async with transaction(factory) as session:
            reclaimed = await outbox.claim_due(session, "w3", later, timedelta(seconds=30))
        assert sorted(r.payload["text"] for r in reclaimed) == ["a1", "b0"]
        assert all(r.lease_owner == "w3" for r in reclaimed)
        async with factory() as session:
            assert await outbox.pending_count(session) == 3
            rows = await outbox.messages(session)
        assert all(isinstance(r, OutboxMessage) for r in rows)
    finally:
        await engine.dispose()


async def test_saving_the_same_conversation_concurrently_never_fails(database_url: str) -> None:
    import asyncio

    engine = create_engine(database_url)
    factory = session_factory(engine)

    async def save(n: int) -> None:
        async with transaction(factory) as session:
            await outbox.save_conversation(session, "conv:a:1", conversation_id="a:1", service_url=f"http://x/{n}",
                                           conversation_type="personal")  # fmt: skip

    try:
        await asyncio.gather(*(save(n) for n in range(8)))
        async with factory() as session:
            ref = await outbox.conversation(session, "conv:a:1")
        assert ref is not None and ref.service_url.startswith("http://x/")
    finally:
        await engine.dispose()


async def test_a_lease_taken_over_by_another_worker_cannot_be_renewed(database_url: str) -> None:
    """Pacing can outlast a lease: the first worker must then leave the row to the second."""
    engine = create_engine(database_url)
    factory = session_factory(engine)
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    target = {"kind": "conversation", "conversation_id": "a:lease", "service_url": "http://x"}
    lease = timedelta(seconds=2)
    try:
        async with transaction(factory) as session:
            row = await outbox.enqueue(session, target=target, payload={"type": "message", "text": "x"}, not_before=now)
            row_id = row.id
        async with transaction(factory) as session:
            assert [r.id for r in await outbox.claim_due(session, "worker-a", now, lease)] == [row_id]
        async with transaction(factory) as session:  # a still holds it: renewing works
            assert await outbox.renew_lease(session, row_id, "worker-a", now + timedelta(seconds=1), lease)
        later = now + timedelta(seconds=10)  # a's lease ran out; b claims the row
        async with transaction(factory) as session:
            assert [r.id for r in await outbox.claim_due(session, "worker-b", later, lease)] == [row_id]
        async with transaction(factory) as session:
            assert not await outbox.renew_lease(session, row_id, "worker-a", later, lease)
            assert await outbox.renew_lease(session, row_id, "worker-b", later, lease)
    finally:
        await engine.dispose()

"""The audit log is tamper-evident, and a purge removes everything of a case.

The chain is checked with `sdbot audit verify` run as a process, after a real flow through
/api/messages (convene, invite, accept, decline with a reason, start, the agenda, information,
a disagreement, close, circulation, export). Changing, inserting or deleting an entry (raw
SQL) makes it fail, naming the entry. After a purge the chain verifies, and neither the case
reference (outside the purge's own audit entry) nor anything typed into the case is left in
any table, nor, on SQLite, anywhere in the database file.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import JSON, String, column, delete, func, insert, select, table, text, update
from sqlalchemy.engine import make_url

from procedure import AGENDA
from storage import queries
from storage.audit import GENESIS, entry_hash, verify
from storage.db import create_engine, migrate_sync, session_factory, transaction
from storage.models import (
    AuditEntry,
    AuditHead,
    ConversationRef,
    Discussion,
    OutboxMessage,
    ProcessedActivity,
    SentMessage,
    UtcDateTime,
)
from tests.conftest import Bot
from tests.support import activities
from tests.support.postgres import PostgresServer
from tests.test_convene_flow import CHRIS_CHAT, card_json, sent_to, verb_data
from tests.test_discussion_flow import LONDON, next_step

LOG = AuditEntry.__table__
ROOT = Path(__file__).resolve().parent.parent


def sdbot(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, timeout=120)


async def run_case(bot: Bot, case_ref: str, marker: str) -> str:
    """A whole case through the route, with `marker` typed into every free-text field."""
    bot.clock.set(datetime(2026, 5, 20, 9, 0, tzinfo=LONDON))
    await bot.say("chris", f"convene {case_ref} concerns serious-injury flags school at today 15:00")
    await bot.drain()
    data = verb_data(sent_to(bot, CHRIS_CHAT)[-1].activity, "send_invitations")
    did = data["discussion_id"]
    assert (await bot.click("chris", "send_invitations", data, CHRIS_CHAT))[0] == 200
    await bot.drain()
    for prefix, who in (("19:police-sd@thread.tacv2;messageid=", "pat"), ("19:health-sd@thread.tacv2;messageid=", "hana")):
        thread = [m for m in sent_to(bot, prefix) if case_ref in card_json(m.activity)][-1]
        status, _ = await bot.click(who, "accept", verb_data(thread.activity, "accept"), thread.conversation_id)
        assert status == 200
    school = [m for m in sent_to(bot, activities.personal_conversation("29:ed")) if case_ref in card_json(m.activity)][-1]
    status, body = await bot.click("ed", "decline", {**verb_data(school.activity, "decline"),
                                                     "decline_reason": f"{marker} (decline)"}, school.conversation_id)  # fmt: skip
    assert status == 200 and "declined" in json.dumps(body).lower()
    bot.clock.advance(hours=6)
    await bot.say("chris", f"start {case_ref}")
    await bot.drain()
    for step in AGENDA:
        if step.key == "decisions":
            await next_step(bot, did, "decisions", {"decision:s47": "joint", "rationale:s47": f"{marker} (rationale)"})
        elif step.key == "actions":
            status, body = await bot.click("chris", "agenda_add_action", {"discussion_id": did, "step": "actions",
                "what": f"{marker} (what)", "owner": "sam", "due": "tomorrow 12:00", "purpose": f"{marker} (purpose)"},
                CHRIS_CHAT)  # fmt: skip
            assert status == 200 and marker in json.dumps(body)
            await next_step(bot, did, "actions")
        else:
            values = {f.key: f"{marker} ({step.key})" for f in step.fields if f.kind in ("text", "multiline")}
            values.update({f.key: f.choices[0][0] for f in step.fields if f.kind == "choice" and f.required})
            await next_step(bot, did, step.key, values)
    meeting = sent_to(bot, activities.personal_conversation("29:hana"))[-1]
    assert (await bot.click("hana", "info_add", {"discussion_id": did, "info": f"{marker} (info)"}, meeting.conversation_id))[0] == 200
    assert (await bot.click("pat", "disagree", {"discussion_id": did, "about": f"{marker} (disagreement)"}))[0] == 200
    await bot.drain()
    [notice] = [m for m in sent_to(bot, CHRIS_CHAT) if "professional disagreement" in card_json(m.activity) and case_ref in card_json(m.activity)]
    status, _ = await bot.click("chris", "resolve_disagreement", {**verb_data(notice.activity, "resolve_disagreement"),
                                                                  "resolution": f"{marker} (resolution)"}, CHRIS_CHAT)  # fmt: skip
    assert status == 200
    await bot.say("chris", f"status {case_ref}")
    await bot.say("chris", f"close {case_ref}")
    await bot.drain()
    status, _ = await bot.click("chris", "approve_circulation", {"discussion_id": did}, CHRIS_CHAT)
    assert status == 200
    await bot.drain()
    return did


async def rows_of(url: str, table: Any, order: Any) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [dict(r) for r in (await connection.execute(select(table).order_by(order))).mappings().all()]
    finally:
        await engine.dispose()


async def raw(url: str, *statements: Any) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(statement)
    finally:
        await engine.dispose()


async def verified(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return (await verify(session)).ok
    finally:
        await engine.dispose()


async def test_the_chain_verifies_after_a_real_flow_and_names_what_was_tampered_with(bot: Bot) -> None:
    url = bot.settings.database_url
    did = await run_case(bot, "CR-8101", "Fictional-note")
    exported = sdbot(url, "export", "CR-8101", "--format", "md")
    assert exported.returncode == 0, exported.stderr
    ok = sdbot(url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "audit log verified" in ok.stdout and "chain head: seq" in ok.stdout

    entries = await rows_of(url, LOG, LOG.c.seq)
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)) and entries[0]["prev_hash"] == GENESIS
    actions = [e["action"] for e in entries]
    for expected in ("convene", "send_invitations", "invitation_accept", "invitation_decline", "start",
                     "agenda_step", "close", "circulated", "export"):  # fmt: skip
        assert expected in actions, actions
    [circulated] = [e for e in entries if e["action"] == "circulated"]
    assert circulated["discussion_id"] == did and circulated["detail"]["shared"] == "record"
    assert {"pat", "hana", "gina"} <= set(circulated["detail"]["recipients"])  # person ids, never names or text
    [export] = [e for e in entries if e["action"] == "export"]
    assert export["case_ref"] == "CR-8101" and export["detail"]["format"] == "md" and export["detail"]["os_user"]
    assert "Fictional-note" not in json.dumps([{k: str(v) for k, v in e.items()} for e in entries])  # no typed text

    middle, last = entries[len(entries) // 2], entries[-1]
    # 1. One row's content changed.
    await raw(url, text("UPDATE audit_log SET actor_name = 'Someone Else' WHERE seq = :s").bindparams(s=middle["seq"]))
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1
    assert f"id={middle['id']} (seq {middle['seq']}" in broken.stderr and "changed" in broken.stderr
    await raw(url, update(LOG).where(LOG.c.seq == middle["seq"]).values(actor_name=middle["actor_name"]))
    assert await verified(url)
    # 2. Changed, with its own hash recomputed: the next entry no longer links to it.
    forged = {**middle, "action": "forged"}
    forged_entry = AuditEntry(**{k: v for k, v in forged.items() if k not in ("id", "prev_hash", "hash")})
    await raw(url, update(LOG).where(LOG.c.seq == middle["seq"]).values(action="forged",
                                                                        hash=entry_hash(middle["prev_hash"], forged_entry)))  # fmt: skip
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1 and f"seq {middle['seq'] + 1}" in broken.stderr and "does not link" in broken.stderr
    await raw(url, update(LOG).where(LOG.c.seq == middle["seq"]).values(action=middle["action"], hash=middle["hash"]))
    # 3. A middle row deleted.
    await raw(url, delete(LOG).where(LOG.c.seq == middle["seq"]))
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1 and f"seq {middle['seq']} missing" in broken.stderr, broken.stderr
    await raw(url, insert(LOG).values(**middle))
    assert await verified(url)
    # 4. The newest row deleted.
    await raw(url, delete(LOG).where(LOG.c.seq == last["seq"]))
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1 and f"seq {last['seq']}" in broken.stderr and "newest" in broken.stderr, broken.stderr
    await raw(url, insert(LOG).values(**last))
    assert await verified(url)
    # 5. A row inserted, linked and hashed like a real one, but not through the chain's head.
    extra = AuditEntry(seq=last["seq"] + 1, at=datetime.now(UTC), action="close", actor_name="Someone Else",
                       discussion_id=did, case_ref="CR-8101", detail={})  # fmt: skip
    await raw(url, insert(LOG).values(seq=extra.seq, at=extra.at, action=extra.action, actor_name=extra.actor_name,
                                      discussion_id=did, case_ref="CR-8101", detail={}, prev_hash=last["hash"],
                                      hash=entry_hash(last["hash"], extra)))  # fmt: skip
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1 and f"seq {extra.seq}" in broken.stderr and "inserted" in broken.stderr, broken.stderr
    await raw(url, delete(LOG).where(LOG.c.seq == extra.seq))
    assert await verified(url)
    # 6. The chain head deleted (to hide the newest entries' deletion): caught, and nothing is
    # appended to a chain without its head.
    [head] = await rows_of(url, AuditHead.__table__, AuditHead.id)
    await raw(url, delete(AuditHead.__table__))
    broken = sdbot(url, "audit", "verify")
    assert broken.returncode == 1 and "head" in broken.stderr and "missing" in broken.stderr
    form = {"case_ref": "CR-8109", "referral": "today 08:00", "concerns": "serious-neglect", "flags": "school", "at": "today 16:00"}
    status, body = await bot.click("chris", "convene_form", form, CHRIS_CHAT)
    assert "went wrong" in json.dumps(body).lower()  # refused, nothing changed
    assert [d["case_ref"] for d in await rows_of(url, Discussion.__table__, Discussion.created_at)] == ["CR-8101"]
    await raw(url, insert(AuditHead.__table__).values(**head))
    assert sdbot(url, "audit", "verify").returncode == 0


def _dump_by_table(path: str) -> dict[str, str]:
    """`sqlite3 .dump`, grouped by table."""
    connection = sqlite3.connect(path)
    try:
        tables: dict[str, list[str]] = {}
        for line in connection.iterdump():
            if line.startswith("INSERT INTO "):
                tables.setdefault(line.split('"')[1], []).append(line)
    finally:
        connection.close()
    return {table: "\n".join(lines) for table, lines in tables.items()}


async def _text_by_table(url: str) -> dict[str, str]:
    """Every row of every table as text (PostgreSQL: `row::text`)."""
    if make_url(url).get_backend_name() == "sqlite":
        return _dump_by_table(str(make_url(url).database))
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = (await connection.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            ))).scalars().all()  # fmt: skip
            found = {}
            for name in names:
                rows = (await connection.execute(text(f'SELECT t::text FROM "{name}" AS t'))).scalars().all()
                found[name] = "\n".join(rows)
            return found
    finally:
        await engine.dispose()


async def test_purge_removes_everything_of_the_case_and_the_chain_still_verifies(bot: Bot) -> None:
    url = bot.settings.database_url
    marker = f"Fictional-{uuid.uuid4().hex[:10]}"
    # A refused form echoes what was typed; no discussion exists yet to link its answer to.
    status, body = await bot.click("chris", "convene_form", {"case_ref": "CR-8201", "referral": f"{marker}-day",
                                                             "concerns": "serious-neglect", "at": "today 16:00"}, CHRIS_CHAT)  # fmt: skip
    assert status == 200 and marker in json.dumps(body)
    old_id = await run_case(bot, "CR-8201", marker)
    await run_case(bot, "CR-8202", "Kept-note")
    assert sdbot(url, "export", "CR-8201", "--format", "json").returncode == 0
    async with bot.state["factory"]() as session:
        # Before: the case's stored card answers, deliveries and threads exist, linked to it.
        assert await session.scalar(select(func.count()).select_from(ProcessedActivity).where(ProcessedActivity.case_ref == "CR-8201"))
        assert await session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_ref == "CR-8201"))
        old_keys = (await session.scalars(select(OutboxMessage.message_key).where(OutboxMessage.discussion_id == old_id,
                                                                                  OutboxMessage.message_key.is_not(None)))).all()  # fmt: skip
        threads = (await session.scalars(select(OutboxMessage.conversation_id).where(
            OutboxMessage.discussion_id == old_id, OutboxMessage.conversation_id.contains(";messageid=")))).all()  # fmt: skip
        thread_refs = (await session.scalars(select(ConversationRef.key).where(ConversationRef.conversation_id.in_(threads)))).all()
        removed_before = await session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.case_ref == "CR-8201"))  # fmt: skip
        await session.execute(update(Discussion).where(Discussion.case_ref == "CR-8201")
                              .values(closed_at=datetime.now(UTC) - timedelta(days=365 * 36)))  # fmt: skip
        # Answers kept for Teams retries, which come within minutes: the unlinked ones (the
        # refused form) are old by the time of the purge; the case's own are removed as its.
        await session.execute(update(ProcessedActivity).where(ProcessedActivity.case_ref.is_(None))
                              .values(at=datetime.now(UTC) - timedelta(days=30)))  # fmt: skip
        await session.commit()
    assert old_keys and thread_refs and removed_before
    before = await _text_by_table(url)
    assert marker in before["processed_activities"] and marker in before["outbox"]
    assert marker not in before["audit_log"]  # the audit log never held typed text

    await bot.stop()  # the purge runs while nothing else uses the database (then SQLite can be compacted)
    purged = sdbot(url, "purge")
    assert purged.returncode == 0 and "deleted 1 case" in purged.stdout and "CR-8201" in purged.stdout, purged.stderr
    ok = sdbot(url, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert f"{removed_before} removed by purges" in ok.stdout

    after = await _text_by_table(url)
    for name, content in after.items():
        assert marker not in content, f"{name} still holds text typed into the purged case"
        if name != "audit_log":
            assert "CR-8201" not in content, f"{name} still names the purged case"
    assert "Kept-note" in after["contributions"] and "CR-8202" in after["discussions"]  # the other case is untouched
    [purge_entry] = [e for e in await rows_of(url, LOG, LOG.c.seq) if e["action"] == "purge"]
    assert purge_entry["case_ref"] == "CR-8201" and purge_entry["detail"]["entries_removed"] == removed_before
    assert purge_entry["detail"]["discussions"] == 1 and purge_entry["detail"]["removed"]
    assert "CR-8201" not in after["audit_log"].replace(json.dumps(purge_entry["case_ref"])[1:-1], "", 1)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(select(SentMessage.key).where(SentMessage.key.in_(old_keys)))).all() == []
            assert (await connection.execute(select(ConversationRef.key).where(ConversationRef.key.in_(thread_refs)))).all() == []
            assert (await connection.execute(select(func.count()).select_from(Discussion))).scalar() == 1
            kept = select(func.count()).select_from(ProcessedActivity).where(ProcessedActivity.case_ref == "CR-8202")
            assert (await connection.execute(kept)).scalar()  # recent answers of the other case stay
    finally:
        await engine.dispose()
    if make_url(url).get_backend_name() == "sqlite":
        # The bytes on disk: the purge compacted the file and emptied the write-ahead log.
        database = Path(str(make_url(url).database))
        on_disk = b"".join(p.read_bytes() for p in (database, Path(f"{database}-wal")) if p.exists())
        assert marker.encode() not in on_disk
        assert b"Kept-note" in on_disk


async def test_concurrent_appends_keep_one_chain(database_url: str) -> None:
    """Two connection pools (two sessions at once, as two processes would) append together."""
    engines = [create_engine(database_url), create_engine(database_url)]
    factories = [session_factory(e) for e in engines]

    async def append(n: int) -> None:
        async with transaction(factories[n % 2]) as session:
            await queries.audit(session, "concurrency_probe", actor_aad=None, actor_name=f"writer {n % 2}", n=n)
            await asyncio.sleep(0.01)  # overlap the transactions

    try:
        await asyncio.gather(*(append(n) for n in range(40)))
        async with factories[0]() as session:
            verdict = await verify(session)
            seqs = (await session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))).all()
            head = await session.get(AuditHead, 1)
        assert verdict.ok, verdict.problem
        assert list(seqs) == list(range(1, 41)) and head is not None and head.seq == 40
    finally:
        for engine in engines:
            await engine.dispose()


APPENDER = """
import asyncio, sys
from storage import queries
from storage.db import create_engine, session_factory, transaction

async def main(url, name, count):
    engine = create_engine(url)
    factory = session_factory(engine)
    for n in range(count):
        async with transaction(factory) as session:
            await queries.audit(session, "concurrency_probe", actor_aad=None, actor_name=name, n=n)
            await asyncio.sleep(0.005)
    await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


async def test_two_processes_appending_at_once_keep_one_chain(database_url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [await asyncio.create_subprocess_exec(sys.executable, "-c", APPENDER, database_url, f"process {n}", "30",
                                                    env=env, stderr=asyncio.subprocess.PIPE)  # fmt: skip
               for n in range(2)]
    results = [await asyncio.wait_for(w.communicate(), timeout=120) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [r[1].decode()[-2000:] for r in results]
    ok = sdbot(database_url, "audit", "verify")
    assert ok.returncode == 0 and "60 entries" in ok.stdout, ok.stderr
    entries = await rows_of(database_url, LOG, LOG.c.seq)
    assert {e["actor_name"] for e in entries} == {"process 0", "process 1"} and entries[-1]["seq"] == 60


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.make_database(f"t_{uuid.uuid4().hex[:12]}")


async def test_the_migration_chains_existing_entries_and_drops_typed_reasons(unmigrated_url: str) -> None:
    await asyncio.to_thread(migrate_sync, unmigrated_url, "0001")
    when = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    # The 0001 table, as it was: no chain columns.
    old_log = table("audit_log", column("at", UtcDateTime()), column("action", String()), column("actor_name", String()),
                    column("discussion_id", String()), column("case_ref", String()), column("detail", JSON()))  # fmt: skip
    row = {"at": when, "actor_name": "Pat Lead", "discussion_id": "d-1", "case_ref": "CR-8301"}
    await raw(unmigrated_url, insert(old_log).values(**row, action="convene", detail={"flags": ["school"]}),
              insert(old_log).values(**row, action="invitation_decline", detail={"reason": "Fictional typed reason"}))  # fmt: skip
    await asyncio.to_thread(migrate_sync, unmigrated_url)
    entries = await rows_of(unmigrated_url, LOG, LOG.c.seq)
    assert [(e["seq"], e["action"]) for e in entries] == [(1, "convene"), (2, "invitation_decline")]
    assert entries[1]["detail"] == {"reason_given": True}
    assert await verified(unmigrated_url)
    result = sdbot(unmigrated_url, "audit", "verify")
    assert result.returncode == 0 and "2 entries" in result.stdout, result.stderr

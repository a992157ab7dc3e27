"""Whole processes: a bot killed with SIGKILL loses nothing; two workers on one PostgreSQL
server send each escalation exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select, update

from storage.db import create_engine, migrate, migrate_sync, session_factory
from storage.models import Discussion, Escalation, OutboxMessage
from tests.conftest import PEOPLE, Bot, Clock, make_settings
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.postgres import PostgresServer
from tests.test_convene_flow import CHRIS_CHAT, verb_data

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, connector: FakeConnector, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "SDBOT_"))}
    env.update({
        "DATABASE_URL": database_url, "SDBOT_DEV": "1", "SDBOT_SERVICE_URL": connector.url,
        "SDBOT_OUTBOX_LEASE_SECONDS": "2", "SDBOT_OUTBOX_POLL_SECONDS": "0.1", "SDBOT_OUTBOX_BACKOFF_BASE": "0.05",
        "SDBOT_LOG_LEVEL": "WARNING", **extra,
    })  # fmt: skip
    return env


class Served:
    """`sdbot serve` as a child process."""

    def __init__(self, env: dict[str, str]):
        self.port = free_port()
        self.env = {**env, "SDBOT_PORT": str(self.port)}
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=self.env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError("sdbot serve did not come up")

    async def post(self, activity: dict) -> tuple[int, dict | None]:
        async with aiohttp.ClientSession() as http, http.post(f"http://127.0.0.1:{self.port}/api/messages", json=activity) as r:
            return r.status, (await r.json() if r.status == 200 else None)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def outbox_rows(url: str) -> list[OutboxMessage]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())
    finally:
        await engine.dispose()


async def wait_until_delivered(url: str, timeout: float = 30) -> list[OutboxMessage]:
    for _ in range(int(timeout / 0.1)):
        rows = await outbox_rows(url)
        if rows and all(r.status != "pending" for r in rows):
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError("outbox not drained")


async def test_sigkill_after_commit_before_delivery_loses_nothing_and_sends_once(tmp_path: Path, connector: FakeConnector) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kill.db'}"
    await migrate(url)
    bot = Served(environment(url, connector, SDBOT_RUN_SCHEDULER="0"))
    await bot.start()
    try:
        chris = PEOPLE["chris"]
        status, _ = await bot.post(activities.message(chris, "convene CR-800 at tomorrow 15:00", connector.url))
        assert status == 201
        await connector.wait_for(lambda c: len(c.sent) == 1, timeout=15)
        summary = connector.sent[0]
        # From now on the connector holds every request: deliveries are in flight, not done.
        connector.delay_next(1000, 3600)
        status, body = await bot.post(activities.invoke(chris, "send_invitations", verb_data(summary.activity, "send_invitations"),
                                                        connector.url, CHRIS_CHAT))  # fmt: skip
        assert status == 200 and body is not None and body["statusCode"] == 200
        await connector.wait_for(lambda c: c.held >= 1, timeout=15)
        bot.kill()
    finally:
        bot.stop()
    connector.clear_faults()
    assert len(connector.sent) == 1  # only the summary got through before the kill
    pending = [r for r in await outbox_rows(url) if r.status == "pending"]
    assert len(pending) == 3  # the police and health threads and the roster: committed, not delivered
    restarted = Served(environment(url, connector, SDBOT_RUN_SCHEDULER="0"))
    await restarted.start()
    try:
        rows = await wait_until_delivered(url)
    finally:
        restarted.stop()
    assert all(r.status == "sent" for r in rows)
    sends = [r for r in rows if r.op == "send"]
    # Each outbox row reached Teams exactly once: one connector post per row.
    assert len(connector.sent) == len(sends)
    threads = [m for m in connector.sent if m.conversation_id.startswith("19:police-sd@thread.tacv2")]
    assert len(threads) == 1


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> Iterator[str]:
    url = pg_server.make_database(f"p_{uuid.uuid4().hex[:10]}")
    migrate_sync(url)
    yield url


async def test_two_workers_on_postgres_send_each_escalation_once(pg_url: str, connector: FakeConnector) -> None:
    cases = [f"CR-9{n:02d}" for n in range(12)]
    clock = Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2))
    seeder = Bot(make_settings(pg_url, service_url=connector.url), connector, clock)
    await seeder.start()
    try:
        for case in cases:
            await seeder.say("chris", f"convene {case} at today 23:30")
            await seeder.drain()
            summary = [m for m in connector.sent if case in str(m.activity)][-1]
            status, _ = await seeder.click("chris", "send_invitations", verb_data(summary.activity, "send_invitations"), CHRIS_CHAT)
            assert status == 200
        await seeder.drain()
    finally:
        await seeder.stop()
    # The discussions were due to start half an hour ago and nobody started them.
    engine = create_engine(pg_url)
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(Discussion).values(scheduled_for=datetime.now(UTC) - timedelta(minutes=30)))
    await engine.dispose()
    before = len(connector.sent)
    connector.delay_next(10_000, 0.05)  # slow Teams a little, so both workers take part
    env = environment(pg_url, connector, SDBOT_SCHEDULER_POLL_SECONDS="0.2")
    workers = [subprocess.Popen([sys.executable, "-m", "bot.cli", "worker"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]  # fmt: skip
    try:
        for _ in range(600):
            pings = [m for m in connector.sent[before:] if m.conversation_id.startswith("19:escalations@thread.tacv2")]
            if len(pings) >= len(cases):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2)  # time for any duplicate to show up
        rows = await wait_until_delivered(pg_url)
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=20)
    pings = [m for m in connector.sent[before:] if m.conversation_id.startswith("19:escalations@thread.tacv2")]
    # The duty managers' daily digest (real time: a working day after 08:30) is not an
    # escalation; it too goes out once however many instances run.
    digests = [m for m in pings if "Daily digest" in json.dumps(m.activity)]
    assert len(digests) <= 1  # before 08:30 or on a holiday there is none
    pings = [m for m in pings if m not in digests]
    absent = [m for m in pings if "has not started" in m.activity.get("text", "")]
    dee = PEOPLE["dee"]["teams_id"]
    per_case = {case: sum(1 for m in absent if case in m.activity["text"]) for case in cases}
    assert per_case == {case: 1 for case in cases}
    assert all(dee in [e["mentioned"]["id"] for e in m.activity["entities"]] for m in absent)
    engine = create_engine(pg_url)
    async with session_factory(engine)() as session:
        escalations = (await session.scalars(select(Escalation))).all()
    await engine.dispose()
    assert len([e for e in escalations if e.kind == "csc_absent"]) == len(cases)
    # Every escalation (the unanswered invitations' leads too) was posted exactly once.
    to_channel = [e for e in escalations if not e.dedupe_key.endswith(":agency")]
    assert len(pings) == len(to_channel)
    owners = {r.lease_owner for r in rows[-len(cases) * 2:] if r.lease_owner}
    assert len(owners) == 2, owners  # both processes delivered part of the work

"""Shared fixtures: a real database (SQLite and a real PostgreSQL server), the fake Bot
Connector on 127.0.0.1, and the bot itself served over real HTTP."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import STATE, create_app
from bot.settings import Settings
from procedure import AGENCY_KINDS
from storage.db import migrate_sync
from storage.directory import load_directory
from tests.support import activities
from tests.support.connector import FakeConnector
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'sdbot.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("pg_server")
        url = server.make_database(f"t_{uuid.uuid4().hex[:12]}")
    migrate_sync(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: each test using it runs on SQLite and on PostgreSQL."""
    return _fresh_database(request.param, request, tmp_path)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return _fresh_database("sqlite", request, tmp_path)


@dataclass
class Clock:
    """An injected clock: tests move time instead of sleeping."""

    at: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> datetime:
        self.at += timedelta(**kwargs)
        return self.at

    def set(self, when: datetime) -> None:
        self.at = when.astimezone(UTC)


DIRECTORY = load_directory(kinds=AGENCY_KINDS)
PEOPLE = {p.id: {"id": p.id, "name": p.name, "teams_id": p.teams_id, "aad_object_id": p.aad_object_id,
                 "agency": p.agency} for p in DIRECTORY.people}  # fmt: skip


class Bot:
    """The bot served over real HTTP, driven with Teams-shaped activities."""

    def __init__(self, settings: Settings, connector: FakeConnector, clock: Clock):
        self.settings = settings
        self.connector = connector
        self.clock = clock
        self.client: TestClient | None = None

    async def start(self) -> None:
        app = create_app(self.settings, clock=self.clock.now)
        self.client = TestClient(TestServer(app, host="127.0.0.1"))
        await self.client.start_server()

    async def stop(self) -> None:
        if self.client is not None:
            await self.client.close()
            self.client = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    @property
    def state(self) -> dict[str, Any]:
        assert self.client is not None
        return self.client.server.app[STATE]

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, Any]:
        assert self.client is not None
        response = await self.client.post("/api/messages", json=activity, headers=headers or {})
        text = await response.text()
        try:
            body = await response.json(content_type=None) if text else None
        except ValueError:
            body = text
        return response.status, body

    async def say(self, person_id: str, text: str, channel_id: str | None = None) -> dict[str, Any]:
        activity = activities.message(PEOPLE[person_id], text, self.connector.url, channel_id)
        status, _ = await self.post(activity)
        assert status in (200, 201), status
        return activity

    async def click(self, person_id: str, verb: str, data: dict[str, Any], conversation_id: str | None = None,
                    activity_id: str | None = None) -> tuple[int, Any]:  # fmt: skip
        activity = activities.invoke(PEOPLE[person_id], verb, data, self.connector.url, conversation_id)
        if activity_id:
            activity["id"] = activity_id
        return await self.post(activity)

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until the outbox worker has delivered everything due."""
        from storage import outbox

        deadline = asyncio.get_running_loop().time() + timeout
        factory = self.state["factory"]
        while True:
            async with factory() as session:
                pending = await outbox.pending_count(session)
            if pending == 0:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{pending} outbox message(s) still pending after {timeout}s")
            self.state["worker"].wake()
            await asyncio.sleep(0.02)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        dev=True,
        database_url=database_url,
        outbox_poll_seconds=0.05,
        outbox_lease_seconds=5,
        outbox_backoff_base=0.05,
        run_scheduler=False,
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    fake = FakeConnector()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def bot(database_url: str, connector: FakeConnector, clock: Clock) -> AsyncIterator[Bot]:
    harness = Bot(make_settings(database_url, service_url=connector.url), connector, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def sqlite_bot(sqlite_url: str, connector: FakeConnector, clock: Clock) -> AsyncIterator[Bot]:
    harness = Bot(make_settings(sqlite_url, service_url=connector.url), connector, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@asynccontextmanager
async def bot_with_graph(database_url: str, connector: FakeConnector, clock: Clock, monkeypatch: pytest.MonkeyPatch,
                         *, max_attempts: int, backoff_base: float) -> AsyncIterator[tuple[Bot, Any]]:  # fmt: skip
    """The bot with Teams meetings and calendar answers through the fake Entra ID and Graph
    (tests/support/identity.py), configured by environment as an administrator would."""
    from tests.support.identity import FakeIdentityAndGraph

    async with FakeIdentityAndGraph() as fake:
        graph_env = {"SDBOT_GRAPH_TENANT_ID": fake.tenant, "SDBOT_GRAPH_CLIENT_ID": fake.client_id,
                     "SDBOT_GRAPH_CLIENT_SECRET": fake.client_secret, "SDBOT_GRAPH_ORGANISER": "sd@example.org",
                     "SDBOT_GRAPH_AUTHORITY_HOST": fake.url, "SDBOT_GRAPH_BASE_URL": fake.url,
                     "SDBOT_GRAPH_CA_FILE": fake.ca_file, "SDBOT_GRAPH_MAX_ATTEMPTS": str(max_attempts),
                     "SDBOT_GRAPH_BACKOFF_BASE": str(backoff_base)}  # fmt: skip
        for key, value in graph_env.items():
            monkeypatch.setenv(key, value)
        bot = Bot(make_settings(database_url, service_url=connector.url, extra=graph_env), connector, clock)
        await bot.start()
        try:
            yield bot, fake
        finally:
            await bot.stop()


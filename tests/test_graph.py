"""The Graph client against a local fake identity platform and Graph; and the meeting link
reaching the invitations through the real route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.graph import GraphClient, GraphError, GraphSettings
from tests.support.identity import FakeIdentityAndGraph

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 23, 15, 0, tzinfo=LONDON)


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdentityAndGraph]:
    server = FakeIdentityAndGraph()
    await server.start()
    yield server
    await server.stop()


def settings_for(fake: FakeIdentityAndGraph, **overrides: object) -> GraphSettings:
    values: dict[str, object] = dict(tenant_id=fake.tenant, client_id=fake.client_id, client_secret=fake.client_secret,
                                     organiser="sd-meetings@example.org", authority_host=fake.url, graph_base=fake.url,
                                     max_attempts=4, backoff_base=0.05, ca_file=fake.ca_file)  # fmt: skip
    values.update(overrides)
    return GraphSettings(**values)  # type: ignore[arg-type]


async def test_creates_a_teams_meeting_and_caches_the_token(fake: FakeIdentityAndGraph) -> None:
    client = GraphClient(settings_for(fake))
    try:
        first = await client.create_meeting("Strategy discussion CR-1", START, START + timedelta(hours=1),
                                            [("Pat Lead", "pat@example.org")])  # fmt: skip
        second = await client.create_meeting("Strategy discussion CR-2", START, START + timedelta(hours=1), [])
    finally:
        await client.close()
    assert first.join_url.startswith("https://teams.example.test/l/meetup-join/") and first.event_id != second.event_id
    assert fake.token_calls == 1  # msal's cache served the second
    event = fake.events[first.event_id]
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["start"] == {"dateTime": "2026-11-23T15:00:00", "timeZone": "Europe/London"}
    assert "CR-1" in event["subject"]


async def test_429_retry_after_is_honoured_and_503_retried(fake: FakeIdentityAndGraph) -> None:
    fake.fail_next(1, 429, retry_after=0.3)
    fake.fail_next(2, 503)
    client = GraphClient(settings_for(fake))
    started = time.monotonic()
    try:
        meeting = await client.create_meeting("Strategy discussion CR-3", START, START + timedelta(hours=1), [])
    finally:
        await client.close()
    assert meeting.join_url and time.monotonic() - started >= 0.3
    assert [s for _, p, s in fake.requests if "/events" in p] == [429, 503, 503, 201]


async def test_persistent_failure_and_a_bad_secret_raise_graph_error(fake: FakeIdentityAndGraph) -> None:
    fake.fail_next(10, 503)
    client = GraphClient(settings_for(fake))
    with pytest.raises(GraphError, match="gave up after 4 attempts"):
        await client.create_meeting("x", START, START + timedelta(hours=1), [])
    await client.close()
    bad = GraphClient(settings_for(fake, client_secret="wrong"))
    with pytest.raises(GraphError, match="invalid_client"):
        await bad.create_meeting("x", START, START + timedelta(hours=1), [])
    await bad.close()


async def test_msal_runs_off_the_event_loop(fake: FakeIdentityAndGraph) -> None:
    fake.delay_tokens(0.5)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    task = asyncio.create_task(ticker())
    client = GraphClient(settings_for(fake))
    try:
        await client.token()
    finally:
        task.cancel()
        await client.close()
    assert ticks >= 15  # the loop kept turning while msal waited for the token endpoint


def test_settings_from_environment() -> None:
    env = {"MicrosoftAppTenantId": "t", "MicrosoftAppId": "a", "MicrosoftAppPassword": "p"}
    assert not GraphSettings.from_env(env).configured  # no organiser mailbox: not configured
    configured = GraphSettings.from_env({**env, "SDBOT_GRAPH_ORGANISER": "sd@example.org"})
    assert configured.configured and configured.client_id == "a"

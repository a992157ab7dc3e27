"""The Graph client (bot/graph.py) against a local fake identity platform and Graph over HTTPS
(tests/support/identity.py): Teams meetings, msal's token cache, retries, errors, and msal kept
off the event loop."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.graph import GraphClient, GraphError, GraphSettings, event_times, parse_retry_after
from tests.support.identity import TOKEN, FakeIdentityAndGraph

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 11, 23, 15, 0, tzinfo=LONDON)
END = START + timedelta(hours=1)
ORGANISER = "sd-meetings@example.org"


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdentityAndGraph]:
    async with FakeIdentityAndGraph() as server:
        yield server


def settings_for(fake: FakeIdentityAndGraph, **overrides: object) -> GraphSettings:
    values: dict[str, object] = dict(tenant_id=fake.tenant, client_id=fake.client_id, client_secret=fake.client_secret,
                                     organiser=ORGANISER, authority_host=fake.url, graph_base=fake.url,
                                     max_attempts=3, backoff_base=0.02, ca_file=fake.ca_file)  # fmt: skip
    values.update(overrides)
    return GraphSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def client(fake: FakeIdentityAndGraph) -> AsyncIterator[GraphClient]:
    graph = GraphClient(settings_for(fake))
    yield graph
    await graph.close()


def event_statuses(fake: FakeIdentityAndGraph) -> list[int]:
    return [r.status for r in fake.graph_requests()]


async def test_creates_a_teams_meeting_with_the_case_reference_only(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    meeting = await client.create_meeting("Strategy discussion CR-1", START, END,
                                          [("Pat Lead", "pat@example.org"), ("Hana Nurse", "hana@example.org"),
                                           ("Pat again", "PAT@example.org")])  # fmt: skip
    assert meeting.join_url.startswith("https://teams.example.test/l/meetup-join/")
    event = fake.events[meeting.event_id]
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["subject"] == "Strategy discussion CR-1"
    assert event["start"] == {"dateTime": "2026-11-23T15:00:00", "timeZone": "Europe/London"}
    assert event["end"] == {"dateTime": "2026-11-23T16:00:00", "timeZone": "Europe/London"}
    assert [a["emailAddress"] for a in event["attendees"]] == [
        {"address": "pat@example.org", "name": "Pat Lead"}, {"address": "hana@example.org", "name": "Hana Nurse"}]
    assert "CR-1" in event["body"]["content"] and "Pat" not in event["body"]["content"]
    assert event["organizer"]["emailAddress"]["address"] == ORGANISER
    [create] = [r for r in fake.graph_requests() if r.method == "POST"]
    assert create.path == f"/v1.0/users/{ORGANISER}/events" and create.authorization.startswith("Bearer graph-token-")


async def test_msal_caches_the_token_one_token_call_for_two_meetings(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    first = await client.create_meeting("Strategy discussion CR-1", START, END, [])
    second = await client.create_meeting("Strategy discussion CR-2", START, END, [])
    assert first.event_id != second.event_id
    assert fake.token_calls == 1 and fake.discovery_calls == 1
    [token_request] = [r for r in fake.requests if r.path.endswith(TOKEN)]
    assert token_request.json["grant_type"] == "client_credentials"
    assert token_request.json["scope"] == f"{fake.url}/.default"


async def test_429_retry_after_is_honoured(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    fake.fail_next(1, 429, retry_after=0.2)
    meeting = await client.create_meeting("Strategy discussion CR-3", START, END, [])
    assert meeting.join_url and event_statuses(fake) == [429, 201]
    throttled, created = fake.graph_requests()
    assert 0.2 <= created.at - throttled.at < 1.0  # waited what Graph asked, not the backoff
    # The retry is the same create: Graph dedupes on transactionId, so no duplicate event.
    assert throttled.json["transactionId"] == created.json["transactionId"]


async def test_a_long_retry_after_is_capped(fake: FakeIdentityAndGraph) -> None:
    fake.fail_next(1, 429, retry_after=120)
    graph = GraphClient(settings_for(fake, max_retry_after=0.1))
    try:
        started = time.monotonic()
        await graph.create_meeting("Strategy discussion CR-3", START, END, [])
    finally:
        await graph.close()
    assert time.monotonic() - started < 5 and event_statuses(fake) == [429, 201]


async def test_503_then_success(fake: FakeIdentityAndGraph, client: GraphClient, caplog: pytest.LogCaptureFixture) -> None:
    fake.fail_next(2, 503)
    caplog.set_level(logging.WARNING, "sdbot.graph")
    meeting = await client.create_meeting("Strategy discussion CR-4", START, END, [])
    assert meeting.event_id in fake.events and event_statuses(fake) == [503, 503, 201]
    retries = [r for r in caplog.records if r.name == "sdbot.graph" and r.levelno == logging.WARNING]
    assert [(r.attempt, r.status) for r in retries] == [(1, 503), (2, 503)]  # type: ignore[attr-defined]
    assert all(r.wait_s > 0 for r in retries)  # type: ignore[attr-defined]


async def test_a_dropped_connection_is_retried(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    fake.drop_connection_next(1)
    meeting = await client.create_meeting("Strategy discussion CR-5", START, END, [])
    assert meeting.join_url and event_statuses(fake) == [0, 201]


async def test_persistent_failure_raises_graph_error(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    fake.fail_next(10, 503)
    with pytest.raises(GraphError, match="gave up after 3 attempts") as raised:
        await client.create_meeting("Strategy discussion CR-6", START, END, [])
    assert raised.value.status == 503 and raised.value.transient
    assert event_statuses(fake) == [503, 503, 503] and not fake.events


async def test_a_refusal_is_not_retried(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    fake.fail_next(1, 403)
    with pytest.raises(GraphError, match="403") as raised:
        await client.create_meeting("Strategy discussion CR-7", START, END, [])
    assert raised.value.status == 403 and not raised.value.transient and event_statuses(fake) == [403]


async def test_a_bad_secret_raises_graph_error_naming_the_problem(fake: FakeIdentityAndGraph) -> None:
    graph = GraphClient(settings_for(fake, client_secret="wrong"))
    try:
        with pytest.raises(GraphError, match="invalid_client.*Invalid client secret") as raised:
            await graph.create_meeting("Strategy discussion CR-8", START, END, [])
    finally:
        await graph.close()
    assert raised.value.status == 401 and raised.value.code == "invalid_client"
    assert fake.token_calls == 1 and not fake.graph_requests()  # not retried; Graph never called


async def test_an_unknown_tenant_raises_graph_error(fake: FakeIdentityAndGraph) -> None:
    graph = GraphClient(settings_for(fake, tenant_id="00000000-0000-4000-8000-000000000000"))
    try:
        with pytest.raises(GraphError, match="(?s)tenant.*AADSTS90002") as raised:
            await graph.token()
        assert raised.value.status == 400
    finally:
        await graph.close()


async def test_token_endpoint_outages_are_retried(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    # msal alone would replay a failed token response from its own cache for 5 s.
    fake.fail_next(1, 503, match=TOKEN)
    fake.fail_next(1, 429, retry_after=0.2, match=TOKEN)
    meeting = await client.create_meeting("Strategy discussion CR-9", START, END, [])
    assert meeting.join_url
    assert [r.status for r in fake.requests if r.path.endswith(TOKEN)] == [503, 429, 200]
    tokens = [r for r in fake.requests if r.path.endswith(TOKEN)]
    assert tokens[2].at - tokens[1].at >= 0.2


async def test_an_unreachable_authority_raises_graph_error(fake: FakeIdentityAndGraph) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{s.getsockname()[1]}"
    graph = GraphClient(settings_for(fake, max_attempts=2, authority_host=closed))
    try:
        with pytest.raises(GraphError, match="gave up after 2 attempts.*could not get a Graph token") as raised:
            await graph.create_meeting("Strategy discussion CR-10", START, END, [])
    finally:
        await graph.close()
    assert raised.value.status is None


async def test_a_revoked_token_is_replaced_once(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    await client.create_meeting("Strategy discussion CR-11", START, END, [])
    fake.expire_tokens()  # e.g. revoked: msal's cache would keep handing it out
    await client.create_meeting("Strategy discussion CR-12", START, END, [])
    assert fake.token_calls == 2 and event_statuses(fake) == [201, 401, 201]


async def test_the_event_loop_keeps_turning_while_msal_works(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    fake.delay_next(1, 0.4, match="openid-configuration")  # msal's discovery, on first use
    fake.delay_tokens(0.4)
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.02)
            ticks.append(time.monotonic())

    task = asyncio.create_task(ticker())
    started = time.monotonic()
    try:
        await client.token()
    finally:
        task.cancel()
    ended = time.monotonic()
    assert ended - started >= 0.8
    # The loop ran the ticker throughout: msal waiting 0.4 s on the loop would leave a gap of at
    # least that long. (Counting ticks instead failed on a busy machine with no blocking at all.)
    moments = [started, *ticks, ended]
    assert max(b - a for a, b in zip(moments, moments[1:], strict=False)) < 0.3


async def test_attendee_responses_and_reschedule(fake: FakeIdentityAndGraph, client: GraphClient) -> None:
    meeting = await client.create_meeting("Strategy discussion CR-13", START, END,
                                          [("Pat Lead", "Pat@example.org"), ("Hana Nurse", "hana@example.org")])  # fmt: skip
    assert await client.attendee_responses(meeting.event_id) == {"pat@example.org": "none", "hana@example.org": "none"}
    fake.set_response(meeting.event_id, "pat@example.org", "accepted")
    fake.set_response(meeting.event_id, "hana@example.org", "declined")
    assert await client.attendee_responses(meeting.event_id) == {"pat@example.org": "accepted", "hana@example.org": "declined"}
    await client.reschedule_meeting(meeting.event_id, START + timedelta(days=1), END + timedelta(days=1))
    assert fake.events[meeting.event_id]["start"] == {"dateTime": "2026-11-24T15:00:00", "timeZone": "Europe/London"}
    with pytest.raises(GraphError) as raised:
        await client.attendee_responses("AAMk-no-such-event")
    assert raised.value.status == 404 and raised.value.code == "ErrorItemNotFound"


def test_event_times_use_the_zone_graph_knows_or_utc() -> None:
    summer = datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)
    assert event_times(summer, summer + timedelta(minutes=45)) == (
        {"dateTime": "2026-07-01T09:30:00", "timeZone": "Europe/London"},
        {"dateTime": "2026-07-01T10:15:00", "timeZone": "Europe/London"})
    # An end given in another zone is the same instant, written in the start's zone.
    assert event_times(summer, datetime(2026, 7, 1, 9, 30, tzinfo=UTC))[1]["dateTime"] == "2026-07-01T10:30:00"
    fixed = datetime(2026, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))  # no zone name: say it in UTC
    assert event_times(fixed, fixed + timedelta(hours=1))[0] == {"dateTime": "2026-07-01T08:30:00", "timeZone": "UTC"}
    with pytest.raises(ValueError, match="timezone-aware"):
        event_times(datetime(2026, 7, 1, 9, 30), datetime(2026, 7, 1, 10, 30))
    with pytest.raises(ValueError, match="end after"):
        event_times(summer, summer)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert parse_retry_after("3", now) == 3.0 and parse_retry_after("0.2", now) == 0.2
    assert parse_retry_after("Mon, 23 Nov 2026 09:00:07 GMT", now) == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None


def test_settings_from_environment() -> None:
    env = {"MicrosoftAppTenantId": "t", "MicrosoftAppId": "a", "MicrosoftAppPassword": "p"}
    assert not GraphSettings.from_env(env).configured  # no organiser mailbox: not configured
    configured = GraphSettings.from_env({**env, "SDBOT_GRAPH_ORGANISER": "sd@example.org"})
    assert configured.configured and configured.client_id == "a" and configured.client_secret == "p"
    assert configured.authority == "https://login.microsoftonline.com/t"
    assert configured.scope == "https://graph.microsoft.com/.default"
    own = GraphSettings.from_env({**env, "SDBOT_GRAPH_TENANT_ID": "t2", "SDBOT_GRAPH_CLIENT_ID": "c2",
                                  "SDBOT_GRAPH_CLIENT_SECRET": "s2", "SDBOT_GRAPH_ORGANISER": "o",
                                  "SDBOT_GRAPH_AUTHORITY_HOST": "https://login.example/",
                                  "SDBOT_GRAPH_BASE_URL": "https://graph.example/"})  # fmt: skip
    assert (own.tenant_id, own.client_id, own.client_secret) == ("t2", "c2", "s2")
    assert own.authority == "https://login.example/t2" and own.scope == "https://graph.example/.default"
    assert "s2" not in repr(own)  # the secret stays out of logs


def test_graph_settings_honour_the_dotenv_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.settings import load_settings

    dotenv = tmp_path / ".env"
    dotenv.write_text("SDBOT_GRAPH_ORGANISER=sd@example.org\nSDBOT_GRAPH_CLIENT_ID=c3\n"
                      "SDBOT_GRAPH_CLIENT_SECRET='s3'\nSDBOT_GRAPH_TENANT_ID=t3\n")  # fmt: skip
    graph = load_settings(env={}, dotenv=dotenv).graph()
    assert graph.configured and (graph.tenant_id, graph.client_id, graph.client_secret) == ("t3", "c3", "s3")
    assert not load_settings(env={}, dotenv=None).graph().configured

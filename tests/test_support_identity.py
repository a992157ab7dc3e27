"""The fake identity platform and Graph answer as the real ones do where the bot depends on it:
OpenID configuration, client-credential tokens and their errors, Bearer checks, events."""

from __future__ import annotations

import base64
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.support.identity import TOKEN, FakeIdentityAndGraph


@pytest.fixture
async def fake() -> AsyncIterator[FakeIdentityAndGraph]:
    async with FakeIdentityAndGraph() as server:
        yield server


@pytest.fixture
async def http(fake: FakeIdentityAndGraph) -> AsyncIterator[aiohttp.ClientSession]:
    context = ssl.create_default_context(cafile=fake.ca_file)  # the fake's own certificate, verified
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=context)) as session:
        yield session


async def token(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession, **form: str) -> tuple[int, dict[str, Any]]:
    data = {"grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": fake.client_secret,
            "scope": "https://graph.microsoft.com/.default", **form}  # fmt: skip
    async with http.post(f"{fake.url}/{fake.tenant}{TOKEN}", data=data) as r:
        return r.status, await r.json()


EVENT = {"subject": "Strategy discussion CR-1", "isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness",
         "start": {"dateTime": "2026-11-23T15:00:00", "timeZone": "Europe/London"},
         "end": {"dateTime": "2026-11-23T16:00:00", "timeZone": "Europe/London"},
         "attendees": [{"emailAddress": {"address": "pat@example.org", "name": "Pat"}, "type": "required"}]}  # fmt: skip


async def test_openid_configuration_points_at_itself(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{fake.url}/{fake.tenant}/v2.0/.well-known/openid-configuration") as r:
        config = await r.json()
    assert r.status == 200
    assert config["token_endpoint"] == f"{fake.url}/{fake.tenant}{TOKEN}"
    assert config["issuer"].startswith(fake.url) and config["authorization_endpoint"].startswith(fake.url)
    async with http.get(f"{fake.url}/not-a-tenant/v2.0/.well-known/openid-configuration") as r:
        assert r.status == 400 and "AADSTS90002" in (await r.json())["error_description"]


async def test_tokens_and_their_refusals(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession) -> None:
    status, body = await token(fake, http)
    assert status == 200 and body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["access_token"] in fake.tokens
    assert (await token(fake, http, client_secret="wrong"))[1]["error"] == "invalid_client"
    assert (await token(fake, http, client_id="other"))[1]["error"] == "unauthorized_client"
    assert (await token(fake, http, scope="https://graph.microsoft.com/Calendars.ReadWrite"))[1]["error"] == "invalid_scope"
    assert (await token(fake, http, grant_type="password"))[1]["error"] == "unsupported_grant_type"
    basic = base64.b64encode(f"{fake.client_id}:{fake.client_secret}".encode()).decode()
    form = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"}
    async with http.post(f"{fake.url}/{fake.tenant}{TOKEN}", data=form, headers={"Authorization": f"Basic {basic}"}) as r:
        assert r.status == 200  # client_secret_basic works too
    assert fake.token_calls == 6


async def test_token_failures_can_be_injected(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession) -> None:
    fake.fail_next(1, 429, retry_after=2, match=TOKEN)
    async with http.post(f"{fake.url}/{fake.tenant}{TOKEN}", data={}) as r:
        assert r.status == 429 and r.headers["Retry-After"] == "2"
    assert (await token(fake, http))[0] == 200


async def test_graph_wants_a_token_it_issued(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession) -> None:
    events = f"{fake.url}/v1.0/users/sd@example.org/events"
    for header in ({}, {"Authorization": "Bearer forged"}):
        async with http.post(events, json=EVENT, headers=header) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == "InvalidAuthenticationToken"
    _, body = await token(fake, http)
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    async with http.post(events, json=EVENT, headers=auth) as r:
        created = await r.json()
    assert r.status == 201 and created["onlineMeeting"]["joinUrl"].startswith("https://teams.example.test/l/meetup-join/")
    assert created["attendees"][0]["status"]["response"] == "none"
    fake.expire_tokens()
    async with http.get(f"{events}/{created['id']}", headers=auth) as r:
        assert r.status == 401


async def test_events_create_read_patch_and_answers(fake: FakeIdentityAndGraph, http: aiohttp.ClientSession) -> None:
    _, body = await token(fake, http)
    auth = {"Authorization": f"Bearer {body['access_token']}"}
    events = f"{fake.url}/v1.0/users/sd@example.org/events"
    async with http.post(events, json={**EVENT, "transactionId": "tx-1"}, headers=auth) as r:
        first = await r.json()
    async with http.post(events, json={**EVENT, "transactionId": "tx-1"}, headers=auth) as r:
        assert (await r.json())["id"] == first["id"]  # a retried create is the same event
    assert len(fake.events) == 1
    async with http.post(events, json={**EVENT, "start": {"dateTime": "2026-11-23T15:00:00"}}, headers=auth) as r:
        assert r.status == 400  # no timeZone
    fake.set_response(first["id"], "PAT@example.org", "tentativelyAccepted")
    with pytest.raises(ValueError):
        fake.set_response(first["id"], "pat@example.org", "maybe")
    async with http.patch(f"{events}/{first['id']}", json={"subject": "Strategy discussion CR-1 (moved)"}, headers=auth) as r:
        patched = await r.json()
    assert patched["subject"].endswith("(moved)") and patched["attendees"][0]["status"]["response"] == "tentativelyAccepted"
    async with http.get(f"{fake.url}/v1.0/users/someone-else@example.org/events/{first['id']}", headers=auth) as r:
        assert r.status == 404  # events live in their organiser's mailbox
    async with http.patch(f"{events}/AAMk-missing", json={}, headers=auth) as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "ErrorItemNotFound"
    async with http.delete(f"{events}/{first['id']}", headers=auth) as r:
        assert r.status == 204 and not fake.events

"""Authentication proven positively: a channel token minted as the Bot Framework mints it (from
a local OpenID metadata and JWKS fake) is accepted; the bot's replies carry its own token from
a fake token endpoint; tokens for another audience, issuer, service URL, key or tenant are
refused; and a hanging metadata endpoint never freezes the bot."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import PEOPLE, Bot, Clock, make_settings
from tests.support import activities
from tests.support.botframework import FakeBotFrameworkIdentity, SigningKeyPair
from tests.support.connector import FakeConnector
from tests.support.identity import FakeIdentityAndGraph


@pytest.fixture
async def bf() -> AsyncIterator[FakeBotFrameworkIdentity]:
    async with FakeBotFrameworkIdentity() as fake:
        yield fake


@pytest.fixture
async def idp() -> AsyncIterator[FakeIdentityAndGraph]:
    async with FakeIdentityAndGraph(tenant=activities.TENANT) as fake:
        yield fake


def _settings(url: str, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph, connector: FakeConnector, **extra: Any) -> Any:
    return make_settings(url, dev=False, app_id=idp.client_id, app_password=idp.client_secret,
                         app_type="SingleTenant", tenant_id=activities.TENANT, service_url=connector.url,
                         openid_metadata_url=bf.metadata_url, login_url=idp.url, ca_file=idp.ca_file, **extra)  # fmt: skip


@pytest.fixture
async def secured(database_url: str, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph,
                  connector: FakeConnector, clock: Clock) -> AsyncIterator[Bot]:  # fmt: skip
    harness = Bot(_settings(database_url, bf, idp, connector), connector, clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_channel_token_is_accepted_and_replies_carry_the_bots_token(
    secured: Bot, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph
) -> None:
    token = bf.channel_token(idp.client_id, secured.connector.url)
    message = activities.message(PEOPLE["chris"], "help", secured.connector.url)
    status, _ = await secured.post(message, bearer(token))
    assert status == 201
    assert bf.metadata_calls == 1 and bf.key_calls == 1

    # A card press (an invoke) is answered with its card.
    invoke = activities.invoke(PEOPLE["pat"], "convene_form", {"case_ref": "CR-1"}, secured.connector.url)
    status, body = await secured.post(invoke, bearer(token))
    assert status == 200 and body["statusCode"] == 200 and body["value"]["type"] == "AdaptiveCard"

    # The reply to `help` went out with the bot's own token, from the (fake) token endpoint.
    await secured.drain()
    [reply] = [r for r in secured.connector.requests if r.method == "POST" and r.path.endswith("/activities")]
    scheme, _, sent_token = (reply.authorization or "").partition(" ")
    assert scheme == "Bearer" and sent_token in idp.tokens
    token_requests = [r for r in idp.requests if r.path.endswith("/oauth2/v2.0/token")]
    assert token_requests and token_requests[-1].json["scope"] == "https://api.botframework.com/.default"
    assert token_requests[-1].path.startswith(f"/{activities.TENANT}/")  # single tenant: its own authority
    # The keys were fetched once and reused.
    assert bf.metadata_calls == 1


async def test_tokens_for_someone_else_are_refused(secured: Bot, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph) -> None:
    url = secured.connector.url
    message = activities.message(PEOPLE["chris"], "help", url)
    unpublished = SigningKeyPair("bf-key-unknown", ["msteams"])
    webchat_only = SigningKeyPair("bf-key-webchat", ["webchat"])
    bf.keys.append(webchat_only)
    refused = {
        "another audience": bf.channel_token("99999999-0000-4000-8000-000000000000", url),
        "another issuer": bf.channel_token(idp.client_id, url, issuer="https://sts.example.test/"),
        "another service url": bf.channel_token(idp.client_id, "https://smba.example.test/amer/"),
        "expired": bf.channel_token(idp.client_id, url, lifetime=-600),
        "signed by an unpublished key": bf.channel_token(idp.client_id, url, key=unpublished),
        "signed by a stranger under a known kid": bf.channel_token(idp.client_id, url, key=bf.rogue),
        "a key not endorsed for Teams": bf.channel_token(idp.client_id, url, key=webchat_only),
    }
    for why, token in refused.items():
        status, body = await secured.post(message, bearer(token))
        assert status == 401, (why, status, body)
    # A valid token, but the activity comes from another tenant.
    other = activities.message(PEOPLE["chris"], "help", url, tenant="99999999-9999-4999-8999-999999999999")
    status, _ = await secured.post(other, bearer(bf.channel_token(idp.client_id, url)))
    assert status == 403
    await secured.drain()
    assert secured.connector.sent == []


async def test_a_hanging_metadata_endpoint_does_not_freeze_the_bot(
    sqlite_url: str, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph, connector: FakeConnector, clock: Clock
) -> None:
    harness = Bot(_settings(sqlite_url, bf, idp, connector, auth_timeout_seconds=2.0), connector, clock)
    await harness.start()
    try:
        assert harness.client is not None
        bf.hang()
        token = bf.channel_token(idp.client_id, connector.url)
        message = activities.message(PEOPLE["chris"], "help", connector.url)
        started = time.monotonic()
        pending = asyncio.create_task(harness.post(message, bearer(token)))
        while bf.metadata_calls == 0:  # the request is now waiting on the metadata
            assert time.monotonic() - started < 5
            await asyncio.sleep(0.02)
        health_started = time.monotonic()
        response = await asyncio.wait_for(harness.client.get("/healthz"), 1.0)
        assert response.status == 200 and time.monotonic() - health_started < 1.0
        assert not pending.done()
        status, body = await asyncio.wait_for(pending, 10)
        assert status == 503 and time.monotonic() - started < 5, (status, body)
        # Once the metadata answers again, the same token is accepted.
        bf.release()
        await asyncio.sleep(5.1)  # the bot waits a little before fetching again after a failure
        status, _ = await harness.post(activities.message(PEOPLE["chris"], "help", connector.url), bearer(token))
        assert status == 201
    finally:
        bf.release()
        await harness.stop()


@pytest.mark.slow
async def test_a_served_bot_waiting_on_hanging_metadata_still_answers_and_stops_on_sigterm(
    tmp_path: Any, bf: FakeBotFrameworkIdentity, idp: FakeIdentityAndGraph, connector: FakeConnector
) -> None:
    import aiohttp

    from storage.db import migrate
    from tests.test_processes import Served, environment

    url = f"sqlite+aiosqlite:///{tmp_path / 'auth.db'}"
    await migrate(url)
    served = Served(environment(url, connector, MicrosoftAppId=idp.client_id, MicrosoftAppPassword=idp.client_secret,
                                MicrosoftAppType="SingleTenant", MicrosoftAppTenantId=activities.TENANT,
                                SDBOT_OPENID_METADATA_URL=bf.metadata_url, SDBOT_AUTH_TIMEOUT_SECONDS="60"))  # fmt: skip
    await served.start()
    try:
        bf.hang()
        token = bf.channel_token(idp.client_id, connector.url)
        base = f"http://127.0.0.1:{served.port}"
        async with aiohttp.ClientSession() as http:
            pending = asyncio.create_task(http.post(f"{base}/api/messages", headers=bearer(token),
                                                    json=activities.message(PEOPLE["chris"], "help", connector.url)))  # fmt: skip
            started = time.monotonic()
            while bf.metadata_calls == 0:
                assert time.monotonic() - started < 10
                await asyncio.sleep(0.05)
            started = time.monotonic()
            async with http.get(f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=1)) as r:
                assert r.status == 200 and time.monotonic() - started < 1.0
            assert served.proc is not None
            served.proc.terminate()  # SIGTERM while a request waits on the metadata
            stopped = time.monotonic()
            # It stops after its short shutdown grace, long before the 60 s the request may wait.
            await asyncio.to_thread(served.proc.wait, 40)
            assert time.monotonic() - stopped < 25
            pending.cancel()
    finally:
        bf.release()
        served.stop()

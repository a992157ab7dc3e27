"""The aiohttp application: POST /api/messages, GET /healthz, and the background workers."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

import aiohttp
import dateparser  # noqa: F401  (loaded at start: procedure.dates imports it lazily, for the CLI)
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity
from botframework.connector.auth import ConnectorFactory

from bot import auth
from bot.connector import BotTokenProvider, ConnectorClient
from bot.handler import StrategyDiscussionBot, tenant_of
from bot.outbox import OutboxWorker
from bot.settings import Settings
from dialogs.services import Services
from procedure import AGENCY_KINDS, load_profile
from storage.db import (
    DatabaseUnavailable,
    create_engine,
    is_unavailable,
    session_factory,
    transaction,
    write_probe,
)
from storage.directory import load_directory, sync_directory
from storage.models import utcnow

log = logging.getLogger("sdbot.app")

SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", dict)


class _AuthConfig:
    """What ConfigurationBotFrameworkAuthentication reads, named as Azure names it."""

    def __init__(self, settings: Settings):
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        self.APP_TYPE = settings.app_type
        self.APP_TENANTID = settings.tenant_id


def _app_id(claims_identity: Any) -> str | None:
    # As the SDK reads it: the audience claim from a channel, the appid claim from the emulator.
    if claims_identity is None:
        return None
    return claims_identity.get_claim_value("aud") or claims_identity.get_claim_value("appid")


class _CachedConnectorFactory(ConnectorFactory):
    def __init__(self, inner: ConnectorFactory, cache: dict[Any, Any], app_id: str | None):
        self._inner, self._cache, self._app_id = inner, cache, app_id

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url, audience)
        client = self._cache.get(key)
        if client is None:
            if len(self._cache) >= 64:  # service URLs are few (one per region); never grow unbounded
                self._cache.clear()
            client = self._cache[key] = await self._inner.create(service_url, audience)
        return client


class _ReusedClients(ConfigurationBotFrameworkAuthentication):
    """The SDK builds a new Bot Connector client and user-token client for every activity
    (msrest's retry policy alone costs milliseconds of CPU each time). Replies go out through
    the bot's own client (bot/connector.py) and nobody signs in through the bot, so one of each
    per app id and service URL is kept and reused, as the SDK's older adapter did."""

    def __init__(self, configuration: Any):
        super().__init__(configuration)
        self._connectors: dict[Any, Any] = {}
        self._token_clients: dict[Any, Any] = {}

    async def authenticate_request(self, activity: Activity, auth_header: str) -> Any:
        result = await super().authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _CachedConnectorFactory(
                result.connector_factory, self._connectors, _app_id(result.claims_identity)
            )
        return result

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        key = _app_id(claims_identity)
        client = self._token_clients.get(key)
        if client is None:
            if len(self._token_clients) >= 64:
                self._token_clients.clear()
            client = self._token_clients[key] = await super().create_user_token_client(claims_identity)
        return client


MAX_JSON_DEPTH = 64  # Teams activities nest about 8 deep; a card's data a few more
RETRY_AFTER_SECONDS = "30"


def _problem(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


class _TooDeep(ValueError):
    pass


def clean_json(value: Any) -> Any:
    """Every string with NUL removed and lone surrogates replaced (PostgreSQL refuses both in
    text, on every retry), refusing nesting deeper than MAX_JSON_DEPTH. Iterative: a hostile
    body must not exhaust the stack."""
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, int]] = [(root, 0, 0)]  # (container, key, depth)
    while stack:
        container, key, depth = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = clean_text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _TooDeep
            if isinstance(item, dict):
                cleaned = {clean_text(k): v for k, v in item.items()}
                container[key] = cleaned
                stack.extend((cleaned, k, depth + 1) for k in cleaned)
            else:
                stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON "\\ud800" escapes decode to these


def clean_text(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", ""))


async def messages(request: web.Request) -> web.Response:
    state = request.app[STATE]
    settings: Settings = request.app[SETTINGS]
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Content-Type must be application/json")
    try:
        # A body that trickles in would hold a connection (and its memory) for ever.
        raw = await asyncio.wait_for(request.read(), settings.body_timeout_seconds)
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"body larger than {settings.max_body_bytes} bytes")
    except TimeoutError:
        log.warning("request refused: body too slow", extra={"timeout": settings.body_timeout_seconds})
        return _problem(408, f"the body did not arrive within {settings.body_timeout_seconds:g} s",
                        {"Connection": "close"})  # fmt: skip
    try:
        body = clean_json(json.loads(raw))
    except (_TooDeep, RecursionError):
        return _problem(400, f"body is nested deeper than {MAX_JSON_DEPTH} levels")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return _problem(400, "body is not an activity (no 'type')")
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises several kinds on odd shapes
        return _problem(400, "body is not a valid activity")

    adapter: CloudAdapter = state["adapter"]
    auth_header = request.headers.get("Authorization", "")
    try:
        # Bounded: the signing keys come from the network (bot/auth.py fetches them off the loop).
        auth_result = await asyncio.wait_for(
            adapter.bot_framework_authentication.authenticate_request(activity, auth_header),
            settings.auth_timeout_seconds,
        )
    except (auth.MetadataUnavailable, TimeoutError) as e:
        log.warning("request refused: tokens cannot be checked now", extra={"reason": type(e).__name__})
        return _problem(503, "cannot check the token now; try again", {"Retry-After": RETRY_AFTER_SECONDS})
    except Exception as e:  # a bad token raises jwt errors, PermissionError, KeyError...: all 401
        log.warning("request refused: not authenticated", extra={"reason": type(e).__name__})
        return _problem(401, "not authenticated")

    if settings.tenant_id:
        tenant = tenant_of(activity)
        if tenant and tenant.lower() != settings.tenant_id.lower():
            log.warning("request refused: other tenant", extra={"tenant": tenant})
            return _problem(403, "this bot serves one tenant only")
        if not tenant and settings.auth_enabled:
            return _problem(403, "activity names no tenant")

    try:
        invoke_response = await adapter.process_activity(auth_result, activity, state["bot"].on_turn)
    except PermissionError:
        return _problem(401, "not authenticated")
    except Exception as e:
        if isinstance(e, DatabaseUnavailable) or is_unavailable(e):
            # Not accepted, and said so at once: Teams may retry; nothing half-done was kept.
            return _problem(503, "the bot cannot save anything just now; try again", {"Retry-After": RETRY_AFTER_SECONDS})
        log.error("activity failed", exc_info=e, extra={"type": activity.type})
        return _problem(500, "something went wrong; nothing was changed")
    if invoke_response is None:
        return web.Response(status=201)
    payload: Any = invoke_response.body
    if payload is not None and not isinstance(payload, dict | list | str | int | float | bool):
        payload = serializer_helper(payload)
    return web.json_response(payload, status=invoke_response.status or 200)


async def healthz(request: web.Request) -> web.Response:
    """200 only when the database can take a write now (a write transaction, rolled back)."""
    state = request.app[STATE]
    try:
        await asyncio.wait_for(write_probe(state["engine"]), 3.0)
    except (DatabaseUnavailable, TimeoutError) as e:
        cause = e.__cause__ or e
        return web.json_response({"status": "unhealthy", "database": type(cause).__name__}, status=503,
                                 headers={"Retry-After": RETRY_AFTER_SECONDS})  # fmt: skip
    return web.json_response({"status": "ok"})


async def _on_turn_error(context: Any, error: Exception) -> None:
    if not (isinstance(error, DatabaseUnavailable) or is_unavailable(error)):
        log.error("turn failed", exc_info=error)
    raise error


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    services: Services | None = None,
) -> web.Application:
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[STATE] = {}
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)

    async def startup(app: web.Application) -> None:
        state = app[STATE]
        engine = create_engine(settings.database_url)
        factory = session_factory(engine)
        directory = load_directory(settings.directory or None, kinds=AGENCY_KINDS)
        async with transaction(factory) as session:
            await sync_directory(session, directory)
        svc = services or Services.build(
            load_profile(settings.profile or None), settings.timezone, directory.escalation_channel
        )
        if svc.meetings is None:
            svc.meetings = _graph_meetings(state, settings)
        http = aiohttp.ClientSession()
        if settings.auth_enabled:
            auth.install(settings.openid_metadata_url, http, settings.auth_timeout_seconds, settings.ca_file)
        tokens = BotTokenProvider(settings.app_id, settings.app_password, settings.tenant_id, settings.app_type,
                                  login_url=settings.login_url, scope=settings.bot_oauth_scope,
                                  ca_file=settings.ca_file) if settings.auth_enabled else None  # fmt: skip
        # Delivery runs on real time (retries, leases); the injected clock is business time.
        worker = OutboxWorker(factory, ConnectorClient(http, tokens), settings, backoff_base=settings.outbox_backoff_base,
                              services=svc, business_clock=clock)  # fmt: skip
        adapter = CloudAdapter(_ReusedClients(_AuthConfig(settings)))
        adapter.on_turn_error = _on_turn_error
        from bot.scheduler import Scheduler

        scheduler = Scheduler(factory, svc, settings, clock=clock, on_enqueued=worker.wake)

        def enqueued(touched: Collection[str] = ()) -> None:
            worker.wake()
            if touched:  # only the discussions the activity touched, e.g. a Teams meeting to create
                scheduler.wake(touched)

        bot = StrategyDiscussionBot(factory, svc, on_enqueued=enqueued, clock=clock)
        state.update(engine=engine, factory=factory, http=http, worker=worker, adapter=adapter, bot=bot,
                     services=svc, scheduler=scheduler)  # fmt: skip
        tasks = []
        if settings.run_worker:
            tasks.append(asyncio.create_task(worker.run_forever(), name="outbox"))
        if settings.run_scheduler:
            tasks.append(asyncio.create_task(scheduler.run_forever(), name="scheduler"))
        state["tasks"] = tasks
        log.info("bot ready", extra={"database": engine.url.render_as_string(hide_password=True), "auth": settings.auth_enabled})

    async def cleanup(app: web.Application) -> None:
        state = app[STATE]
        worker = state.get("worker")
        if worker:
            worker.stop()
        if state.get("scheduler"):
            state["scheduler"].stop()
        for task in state.get("tasks", []):
            task.cancel()
        for task in state.get("tasks", []):
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        if state.get("graph"):
            await state["graph"].close()
        if state.get("http"):
            await state["http"].close()
        if state.get("engine"):
            await state["engine"].dispose()

    app.on_startup.append(startup)
    app.on_cleanup.append(cleanup)
    return app


def _graph_meetings(state: dict[str, Any], settings: Settings) -> Any:
    """The Teams-meeting creator when Graph is configured, else None (links added by hand)."""
    from bot.graph import GraphClient

    graph_settings = settings.graph()
    if not graph_settings.configured:
        return None
    client = GraphClient(graph_settings)
    state["graph"] = client
    return GraphMeetings(client)


class GraphMeetings:
    def __init__(self, client: Any):
        self._client = client

    async def create_meeting(
        self, subject: str, start: datetime, end: datetime, attendees: list[tuple[str, str]]
    ) -> tuple[str, str]:
        meeting = await self._client.create_meeting(subject, start, end, attendees)
        return meeting.event_id, meeting.join_url

    async def attendee_responses(self, event_id: str) -> dict[str, str]:
        responses: dict[str, str] = await self._client.attendee_responses(event_id)
        return responses

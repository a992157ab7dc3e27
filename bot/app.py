"""The aiohttp application: POST /api/messages, GET /healthz, and the background workers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web
from botbuilder.core import serializer_helper
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity

from bot.connector import BotTokenProvider, ConnectorClient
from bot.handler import StrategyDiscussionBot, tenant_of
from bot.outbox import OutboxWorker
from bot.settings import Settings
from dialogs.services import Services
from procedure import load_profile
from storage.db import create_engine, session_factory, transaction
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


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def messages(request: web.Request) -> web.Response:
    state = request.app[STATE]
    settings: Settings = request.app[SETTINGS]
    if "application/json" not in request.headers.get("Content-Type", ""):
        return _problem(415, "Content-Type must be application/json")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return _problem(413, f"body larger than {settings.max_body_bytes} bytes")
    try:
        body = json.loads(raw)
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
        auth = await adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
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
        invoke_response = await adapter.process_activity(auth, activity, state["bot"].on_turn)
    except PermissionError:
        return _problem(401, "not authenticated")
    if invoke_response is None:
        return web.Response(status=201)
    payload: Any = invoke_response.body
    if payload is not None and not isinstance(payload, dict | list | str | int | float | bool):
        payload = serializer_helper(payload)
    return web.json_response(payload, status=invoke_response.status or 200)


async def healthz(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        async with state["factory"]() as session:
            from sqlalchemy import text

            await session.execute(text("select 1"))
    except Exception as e:
        return web.json_response({"status": "unhealthy", "database": str(type(e).__name__)}, status=503)
    return web.json_response({"status": "ok"})


async def _on_turn_error(context: Any, error: Exception) -> None:
    log.exception("turn failed", exc_info=error)
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
        directory = load_directory(settings.directory or None)
        async with transaction(factory) as session:
            await sync_directory(session, directory)
        svc = services or Services.build(
            load_profile(settings.profile or None), settings.timezone, directory.escalation_channel
        )
        if svc.meetings is None:
            svc.meetings = _graph_meetings(state, settings)
        http = aiohttp.ClientSession()
        tokens = BotTokenProvider(settings.app_id, settings.app_password, settings.tenant_id, settings.app_type) if settings.auth_enabled else None
        # Delivery runs on real time (retries, leases); the injected clock is business time.
        worker = OutboxWorker(factory, ConnectorClient(http, tokens), settings, backoff_base=settings.outbox_backoff_base)
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_AuthConfig(settings)))
        adapter.on_turn_error = _on_turn_error
        from bot.scheduler import Scheduler

        scheduler = Scheduler(factory, svc, settings, clock=clock, on_enqueued=worker.wake)

        def enqueued() -> None:
            worker.wake()
            scheduler.wake()  # e.g. a Teams meeting to create before invitations go out

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

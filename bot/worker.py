"""`sdbot worker`: the outbox worker and the scheduler without the web server."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

import aiohttp

from bot.connector import BotTokenProvider, ConnectorClient
from bot.outbox import OutboxWorker
from bot.scheduler import Scheduler
from bot.settings import Settings
from dialogs.services import Services
from procedure import AGENCY_KINDS, load_profile
from storage.db import create_engine, session_factory
from storage.directory import load_directory

log = logging.getLogger("sdbot.worker")


async def run_worker(settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    directory = load_directory(settings.directory or None, kinds=AGENCY_KINDS)
    services = Services.build(load_profile(settings.profile or None), settings.timezone, directory.escalation_channel)
    tokens = (
        BotTokenProvider(settings.app_id, settings.app_password, settings.tenant_id, settings.app_type)
        if settings.auth_enabled
        else None
    )
    from bot.app import _graph_meetings

    graph: dict[str, Any] = {}
    services.meetings = _graph_meetings(graph, settings)  # Teams meetings and calendar answers, when configured
    async with aiohttp.ClientSession() as http:
        worker = OutboxWorker(factory, ConnectorClient(http, tokens), settings, backoff_base=settings.outbox_backoff_base,
                              services=services)  # fmt: skip
        scheduler = Scheduler(factory, services, settings, on_enqueued=worker.wake)
        loop = asyncio.get_running_loop()

        def stop() -> None:
            worker.stop()
            scheduler.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop)
        log.info("worker started", extra={"owner": worker.owner})
        await asyncio.gather(worker.run_forever(), scheduler.run_forever())
    if graph.get("graph"):
        await graph["graph"].close()
    await engine.dispose()
    return 0

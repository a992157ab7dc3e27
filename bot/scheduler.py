"""The scheduler: polls the database for what is due. No in-memory timers a restart forgets.

Each pass runs the due checks of `dialogs.escalate` in its own transaction; an escalation is
recorded under a unique key together with its outbox rows, so with several instances each
escalation is still sent once (the loser of a race rolls back).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from dialogs import due
from dialogs.services import Services
from storage.db import is_unavailable
from storage.models import utcnow

log = logging.getLogger("sdbot.scheduler")


class Scheduler:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        services: Services,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        on_enqueued: Callable[[], None] = lambda: None,
    ):
        self._factory = factory
        self._services = services
        self._settings = settings
        self._clock = clock
        self._on_enqueued = on_enqueued
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self) -> int:
        raised = await due.run_due(self._factory, self._services, self._clock())
        if raised:
            self._on_enqueued()
        return raised

    async def run_forever(self) -> None:
        log.info("scheduler started")
        while not self._stopping:
            try:
                await self.run_once()
            except Exception as e:
                if is_unavailable(e):  # expected in an outage: one line, no traceback
                    log.warning("scheduler pass skipped: database unavailable", extra={"error": type(e).__name__})
                else:
                    log.exception("scheduler pass failed")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), self._settings.scheduler_poll_seconds)
            except TimeoutError:
                pass

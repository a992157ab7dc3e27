"""The scheduler: polls the database for what is due. No in-memory timers a restart forgets.

Each pass runs the due checks of `dialogs.due` in its own transaction; an escalation is
recorded under a unique key together with its outbox rows, so with several instances each
escalation is still sent once (the loser of a race rolls back).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from dialogs import due
from dialogs.services import Services
from storage.db import is_unavailable
from storage.models import utcnow

log = logging.getLogger("sdbot.scheduler")

TOUCHED_PASS_DELAY = 0.1  # seconds


class Scheduler:
    """A full pass every `scheduler_poll_seconds`; in between, `wake(ids)` after an activity
    runs the checks for the discussions it touched only (`wake()` asks for a full pass)."""

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
        self._touched: set[str] = set()
        self._full_pass_wanted = False

    def wake(self, discussion_ids: Iterable[str] | None = None) -> None:
        if discussion_ids is None:
            self._full_pass_wanted = True
        else:
            self._touched.update(discussion_ids)
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_once(self, discussion_ids: Collection[str] | None = None) -> int:
        ids = sorted(discussion_ids) if discussion_ids is not None else None  # a set when merged: a stable order
        raised = await due.run_due(self._factory, self._services, self._clock(), ids)
        if raised:
            self._on_enqueued()
        return raised

    async def run_forever(self) -> None:
        log.info("scheduler started")
        loop = asyncio.get_running_loop()
        next_full = loop.time()
        while not self._stopping:
            full = self._full_pass_wanted or loop.time() >= next_full
            touched, self._touched = self._touched, set()
            self._full_pass_wanted = False
            self._wake.clear()
            try:
                if full:
                    next_full = loop.time() + self._settings.scheduler_poll_seconds
                    await self.run_once()
                elif touched:
                    # A moment for more activities to arrive: under load one pass serves many.
                    await asyncio.sleep(TOUCHED_PASS_DELAY)
                    touched |= self._touched
                    self._touched = set()
                    await self.run_once(sorted(touched))
            except Exception as e:
                if is_unavailable(e):  # expected in an outage: one line, no traceback
                    log.warning("scheduler pass skipped: database unavailable", extra={"error": type(e).__name__})
                else:
                    log.exception("scheduler pass failed")
            if self._touched or self._full_pass_wanted:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_full - loop.time()))
            except TimeoutError:
                pass

"""The outbox worker: delivers what the flows committed, exactly once, whatever fails.

- 429 waits for Retry-After; 5xx, 412 and connection errors back off exponentially with jitter;
- per conversation, rows go in order and within Teams' rate limits (7 per second, 60 per 30 s);
- a row that keeps failing (or fails permanently, e.g. 403) is marked failed and the chair is told.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.connector import ConnectorClient, ConnectorError
from bot.settings import Settings
from dialogs import notify, record_files, uploads
from dialogs.services import Services
from procedure import load_profile
from storage import outbox as q
from storage.db import is_unavailable, transaction
from storage.models import OutboxMessage, OutboxOp, utcnow
from storage.targets import Target, TargetKind, is_shared_conversation

log = logging.getLogger("sdbot.outbox")

# Teams' per-bot, per-conversation limits (TEAMS-NOTES): (window seconds, sends).
RATE_LIMITS = ((1.0, 7), (2.0, 8), (30.0, 60))
SAFETY_MARGIN = 0.15
PRUNE_EVERY_SECONDS = 3600.0


def wait_needed(history: list[float], now: float, limits: tuple[tuple[float, int], ...] = RATE_LIMITS) -> float:
    """Seconds to wait before the next send, given the times of earlier sends."""
    wait = 0.0
    for window, count in limits:
        recent = sorted(t for t in history if now - t < window + SAFETY_MARGIN)
        if len(recent) >= count:
            # A margin: Teams counts arrivals, and requests do not arrive evenly spaced.
            wait = max(wait, window + SAFETY_MARGIN - (now - recent[-count]))
    return wait


class RateLimiter:
    """This process's own sends (monotonic clock), for sends not yet recorded in the database."""

    def __init__(self, limits: tuple[tuple[float, int], ...] = RATE_LIMITS):
        self._limits = limits
        self._sent: dict[str, deque[float]] = defaultdict(deque)

    def wait_needed(self, conversation: str, now: float) -> float:
        sent = self._sent[conversation]
        longest = max(w for w, _ in self._limits) + SAFETY_MARGIN
        while sent and now - sent[0] > longest:
            sent.popleft()
        return wait_needed(list(sent), now, self._limits)

    def record(self, conversation: str, now: float) -> None:
        self._sent[conversation].append(now)


def backoff_seconds(attempts: int, base: float = 1.0, cap: float = 300.0) -> float:
    # Full jitter: spreads retries from many instances after a shared outage.
    return random.uniform(base / 2, min(cap, base * (2**attempts)))


class OutboxWorker:
    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        connector: ConnectorClient,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        backoff_base: float = 1.0,
        services: Services | None = None,
        business_clock: Callable[[], datetime] = utcnow,
    ):
        self._factory = factory
        self._connector = connector
        self._settings = settings
        self._clock = clock
        self._backoff_base = backoff_base
        # For the roster a delivery change redraws: the rules in force and business time.
        self._services = services
        self._record_rules: Services | None = None
        self._business_clock = business_clock
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self._wake = asyncio.Event()
        self._limiter = RateLimiter()
        self._stopping = False
        self._next_prune = time.monotonic() + 60.0  # not at start-up: let the bot settle first
        self._held_since: dict[int, float] = {}  # row id -> when this worker's lease was last taken
        # Where each delivered message went (key -> SentMessage): never changes once written,
        # and every edit of the roster or an invitation needs it.
        self._sent: dict[str, Any] = {}

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_forever(self) -> None:
        log.info("outbox worker started", extra={"owner": self.owner})
        while not self._stopping:
            try:
                handled = await self.run_once()
            except Exception as e:  # the worker must outlive a database hiccup
                if is_unavailable(e):  # expected in an outage: one line, no traceback
                    log.warning("outbox pass skipped: database unavailable", extra={"error": type(e).__name__})
                else:
                    log.exception("outbox pass failed")
                handled = 0
            if handled == 0:
                await self._prune_when_due()
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._settings.outbox_poll_seconds)
                except TimeoutError:
                    pass

    async def _prune_when_due(self) -> None:
        """Hourly, when idle: drop delivered rows past the retention window (storage/outbox.py
        says what is kept), a batch at a time so no transaction holds the table long."""
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        before = self._clock() - timedelta(days=self._settings.outbox_retention_days)
        try:
            while True:
                async with transaction(self._factory) as session:
                    deleted = await q.prune_delivered(session, before)
                if deleted == 0 or self._stopping:
                    break
                log.info("pruned delivered outbox rows", extra={"deleted": deleted})
        except Exception:  # pruning is housekeeping: never let it stop delivery
            log.exception("outbox pruning failed")

    async def run_once(self) -> int:
        now = self._clock()
        async with transaction(self._factory) as session:
            rows = await q.claim_due(
                session, self.owner, now, timedelta(seconds=self._settings.outbox_lease_seconds)
            )
        claimed = time.monotonic()
        self._held_since = {row.id: claimed for row in rows}
        for row in rows:
            await self._deliver(row)
        return len(rows)

    async def _deliver(self, row: OutboxMessage) -> None:
        fields = {"outbox_id": row.id, "op": row.op, "purpose": row.purpose, "attempt": row.attempts + 1}
        if row.op == record_files.UPLOAD_OP:
            await self._deliver_upload(row, fields)
            return
        try:
            conversation_id, activity_id, service_url = await self._send(row)
        except ConnectorError as e:
            await self._failed_attempt(row, e, fields)
            return
        except _Permanent as e:
            await self._give_up(row, str(e), fields)
            return
        except _LeaseLost:
            log.info("lease lost before sending; left to its new owner", extra=fields)
            return
        async with transaction(self._factory) as session:
            await q.settle_sent(session, row.id, self.owner, conversation_id, activity_id, service_url)
            await self._delivery_changed(session, row.id)
        log.info("delivered", extra={**fields, "conversation": conversation_id, "activity": activity_id})

    async def _deliver_upload(self, row: OutboxMessage, fields: dict[str, Any]) -> None:
        """A file a person allowed (the record's PDF, or the report): made fresh, PUT to the upload
        URL, then the file card and the audit entry in one transaction. Retried like any delivery."""
        try:
            async with self._factory() as session:
                pdf = await uploads.content(session, self._record_services(), row.payload, self._clock())
            if pdf is None:
                raise _Permanent("what this file was made from no longer exists")
            await self._hold(row)  # making the PDF may have outlasted the lease
            await self._connector.upload(row.payload["upload_url"], pdf)
        except ConnectorError as e:
            await self._failed_attempt(row, e, fields)
            return
        except _Permanent as e:
            await self._give_up(row, str(e), fields)
            return
        except _LeaseLost:
            log.info("lease lost before uploading; left to its new owner", extra=fields)
            return
        except Exception as e:  # e.g. the PDF could not be made: counted, so it ends, not loops
            if is_unavailable(e):
                raise  # a database outage: the worker's loop waits it out, and the lease returns the row
            log.exception("file upload failed", extra=fields)
            await self._failed_attempt(row, ConnectorError(f"could not make or send the file: {type(e).__name__}"), fields)
            return
        async with transaction(self._factory) as session:
            await q.settle_sent(session, row.id, self.owner, "", None, "")
            await uploads.uploaded(session, row.target, row.payload, self._clock())
        log.info("file uploaded", extra={**fields, "bytes": len(pdf)})
        self.wake()

    def _record_services(self) -> Services:
        # The rules and time zone a record is rendered with (built from the settings when the
        # worker was given none).
        if self._services is not None:
            return self._services
        if self._record_rules is None:
            self._record_rules = Services.build(load_profile(self._settings.profile or None), self._settings.timezone)
        return self._record_rules

    async def _failed_attempt(self, row: OutboxMessage, e: ConnectorError, fields: dict[str, Any]) -> None:
        attempts = row.attempts + 1
        if not e.transient or attempts >= self._settings.outbox_max_attempts:
            await self._give_up(row, str(e), {**fields, "status": e.status})
            return
        if e.status == 429 and e.retry_after is not None:
            delay = e.retry_after
        else:
            delay = backoff_seconds(attempts, self._backoff_base)
        async with transaction(self._factory) as session:
            await q.settle_retry(session, row.id, str(e), self._clock() + timedelta(seconds=delay))
            if e.status != 429:  # throttling waits Retry-After (seconds): not a delay to report
                await self._delivery_changed(session, row.id)
        log.warning("delivery failed; will retry", extra={**fields, "status": e.status, "retry_in": round(delay, 2)})
        self.wake()

    async def _give_up(self, row: OutboxMessage, error: str, fields: dict[str, Any]) -> None:
        async with transaction(self._factory) as session:
            failed = await q.settle_failed(session, row.id, error)
            if failed is not None:
                await self._delivery_changed(session, row.id)
                await notify.delivery_failed(session, failed, self._services)
        log.error("delivery failed for good", extra={**fields, "error": error[:300]})
        self.wake()

    async def _delivery_changed(self, session: AsyncSession, row_id: int) -> None:
        """An invitation's delivery state for its roster row (dialogs decide what it means)."""
        row = await session.get(OutboxMessage, row_id)
        if row is not None and notify.invitation_id_of(row):
            await notify.invitation_delivery(session, row, self._services, self._business_clock())

    async def _service_url(self, session: AsyncSession, target: Target) -> tuple[str, str | None]:
        """The service URL to call, and the tenant (a 1:1 chat cannot be created without it)."""
        tenant = target.tenant_id or self._settings.tenant_id or None
        if target.service_url and tenant:
            return target.service_url, tenant
        ref = await q.latest_service_url(session, tenant)
        if ref is None:
            ref = await q.latest_service_url(session)
        tenant = tenant or (ref.tenant_id if ref is not None else None)
        if target.service_url:
            return target.service_url, tenant
        if ref is not None:
            return ref.service_url, tenant
        if self._settings.service_url:
            return self._settings.service_url, tenant
        raise _Permanent("no service URL known yet: nobody has talked to the bot in this tenant")

    async def _hold(self, row: OutboxMessage) -> None:
        """Renew this worker's lease just before the request: pacing can outlast a lease, and a
        row another worker has claimed since must not be sent twice. A lease taken or renewed
        less than half its length ago is certainly still this worker's: no write for it."""
        held_since = self._held_since.get(row.id)
        if held_since is not None and time.monotonic() - held_since < self._settings.outbox_lease_seconds / 2:
            return
        lease = timedelta(seconds=self._settings.outbox_lease_seconds)
        async with transaction(self._factory) as session:
            held = await q.renew_lease(session, row.id, self.owner, self._clock(), lease)
        if not held:
            raise _LeaseLost(row.id)
        self._held_since[row.id] = time.monotonic()

    async def _pace(self, conversation_id: str) -> None:
        # Teams limits the bot, not one process: sends by other instances count too, and
        # they are in the database.
        async with self._factory() as session:
            others = await q.sent_times(session, conversation_id, utcnow() - timedelta(seconds=35))
        shared = wait_needed([t.timestamp() for t in others], time.time())
        wait = max(shared, self._limiter.wait_needed(conversation_id, time.monotonic()))
        if wait > 0:
            await asyncio.sleep(wait)
        self._limiter.record(conversation_id, time.monotonic())

    @staticmethod
    def _refuse_unless_channel_safe(row: OutboxMessage, shared: bool) -> None:
        """The last line: whatever wrote this row, free text never goes to a shared conversation."""
        if shared and not row.channel_safe:
            raise _Permanent("refused: this message is not channel-safe and its conversation is shared")

    async def _send(self, row: OutboxMessage) -> tuple[str, str | None, str]:
        target, payload = Target.from_json(row.target), row.payload
        async with self._factory() as session:
            if row.op == OutboxOp.UPDATE:
                sent = self._sent.get(row.message_key or "") or await q.sent_message(session, row.message_key or "")
                if sent is not None:
                    if len(self._sent) >= 10_000:  # bounded: forget and read again
                        self._sent.clear()
                    self._sent[sent.key] = sent
                if sent is None:
                    raise _Permanent(f"the message to edit ({row.message_key}) was never delivered")
                self._refuse_unless_channel_safe(row, target.is_shared or is_shared_conversation(sent.conversation_id, None))
                await self._pace(sent.conversation_id)
                await self._hold(row)
                await self._connector.update(sent.service_url, sent.conversation_id, sent.activity_id, payload)
                return sent.conversation_id, sent.activity_id, sent.service_url
            self._refuse_unless_channel_safe(row, target.is_shared)
            service_url, tenant_id = await self._service_url(session, target)
            if target.kind == TargetKind.CONVERSATION:
                conversation_id = target.conversation_id or ""
            elif target.kind == TargetKind.CHANNEL:
                # A new thread in the channel: the message is the thread's first post.
                params = {
                    "isGroup": True,
                    "bot": {"id": self._settings.app_id or "sdbot"},
                    "channelData": {"channel": {"id": target.channel_id}, **({"tenant": {"id": tenant_id}} if tenant_id else {})},
                    "activity": payload,
                    **({"tenantId": tenant_id} if tenant_id else {}),
                }
                await self._pace(f"channel:{target.channel_id}")
                await self._hold(row)
                conversation_id, activity_id = await self._connector.create_conversation(service_url, params)
                return conversation_id, activity_id or conversation_id.partition(";messageid=")[2] or None, service_url
            else:
                conversation_id = await self._personal_conversation(session, target, service_url, tenant_id)
            # A person's chat, or a conversation whose stored type said personal: check the id too.
            self._refuse_unless_channel_safe(row, is_shared_conversation(conversation_id, None))
        await self._pace(conversation_id)
        await self._hold(row)
        activity_id = await self._connector.send(service_url, conversation_id, payload)
        return conversation_id, activity_id, service_url

    async def _personal_conversation(
        self, session: AsyncSession, target: Target, service_url: str, tenant_id: str | None
    ) -> str:
        """The person's 1:1 chat with the bot; created (POST /v3/conversations) when the bot has
        none yet, and remembered as their `user:<aad>` conversation reference."""
        aad = target.aad_object_id
        if aad:
            ref = await q.conversation(session, f"user:{aad}")
            if ref is not None and not is_shared_conversation(ref.conversation_id, ref.conversation_type):
                return ref.conversation_id
        teams_id = target.teams_id
        if not teams_id:
            raise _Permanent(f"no Teams id for person {target.person_id}: the bot cannot reach them")
        params = {
            "isGroup": False,
            "bot": {"id": self._settings.app_id or "sdbot"},
            "members": [{"id": teams_id}],
            "channelData": {"tenant": {"id": tenant_id}} if tenant_id else {},
            **({"tenantId": tenant_id} if tenant_id else {}),
        }
        conversation_id, _ = await self._connector.create_conversation(service_url, params)
        if aad:
            async with transaction(self._factory) as tx:
                await q.save_conversation(
                    tx,
                    f"user:{aad}",
                    conversation_id=conversation_id,
                    conversation_type="personal",
                    service_url=service_url,
                    tenant_id=tenant_id,
                    user_aad_object_id=aad,
                )
        return conversation_id


class _LeaseLost(Exception):
    """The lease ran out and another worker took the row: it delivers it, not this one."""


class _Permanent(Exception):
    """A delivery that cannot succeed by retrying."""

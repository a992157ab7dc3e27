"""The scheduler's pass: Teams meetings waiting to be created, then every due check.

Each candidate is handled in its own transaction; an escalation's unique key makes a check
that two instances run at once take effect once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs import calendar, checks
from dialogs.roster import post_invitations, refresh_roster
from dialogs.services import Services
from storage import due, queries
from storage.db import transaction

log = logging.getLogger("sdbot.due")


async def run_due(factory: async_sessionmaker[AsyncSession], services: Services, now: datetime,
                  discussion_ids: Sequence[str] | None = None) -> int:  # fmt: skip
    """One scheduler pass; returns how many things it raised or sent. With `discussion_ids`,
    only those discussions are looked at (after an activity touched them)."""
    raised = await _create_pending_meetings(factory, services, now, discussion_ids)
    if discussion_ids is None:  # calendars are polled on the full pass only (Graph, not per activity)
        raised += await calendar.poll_calendars(factory, services, now)
    # Find every check's candidates first, in one read-only session: each is an indexed query.
    found: list[tuple[checks.Check, list[Any]]] = []
    async with factory() as session:
        for check in checks.ALL:
            found.append((check, await check.candidates(session, services, now, discussion_ids)))
    for check, candidates in found:
        for candidate in candidates:
            try:
                async with transaction(factory) as session:
                    raised += await check.run(session, services, candidate, now)
            except IntegrityError:
                log.info("escalation raised by another instance", extra={"check": check.__name__})
    return raised


async def _create_pending_meetings(factory: async_sessionmaker[AsyncSession], services: Services, now: datetime,
                                   discussion_ids: Sequence[str] | None = None) -> int:  # fmt: skip
    done = 0
    async with factory() as session:
        pending = await due.pending_meetings(session, discussion_ids)
    for discussion_id in pending:
        async with transaction(factory) as session:
            if not await queries.claim_pending_meeting(session, discussion_id, now, now + timedelta(minutes=2)):
                continue
            d = await queries.discussion(session, discussion_id)
            assert d is not None
            attendees = await calendar.meeting_attendees(session, d)
            # In the configured zone, so Outlook shows the wall-clock time the chair typed.
            subject = f"Strategy discussion {d.case_ref}"
            start = services.local(d.scheduled_for) if d.scheduled_for else None
        note: str | None = None
        event_id = join_url = None
        try:
            assert services.meetings is not None and start is not None
            event_id, join_url = await services.meetings.create_meeting(
                subject, start, start + timedelta(minutes=d.duration_minutes), attendees
            )
        except Exception as e:  # Graph down or refusing: invite anyway, link by hand
            log.warning("Teams meeting not created", extra={"discussion": discussion_id, "error": str(e)[:200]})
            note = "The Teams meeting could not be created automatically: the chair will add the link."
        async with transaction(factory) as session:
            d = await queries.discussion(session, discussion_id)
            assert d is not None
            d.meeting_pending, d.meeting_lease_until = False, None
            d.meeting_event_id, d.meeting_url, d.meeting_note = event_id, join_url, note
            d.calendar_next_poll_at = calendar.next_poll(d, now) if event_id else None
            await post_invitations(session, services, d, now)
            await refresh_roster(session, services, d, now)
            await queries.audit(session, "meeting_created" if join_url else "meeting_failed", actor_aad=None,
                                actor_name="sdbot", discussion=d, at=now, event_id=event_id)  # fmt: skip
        done += 1
    return done

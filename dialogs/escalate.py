"""Escalations: who is told what, recorded once, delivered through the outbox.

`raise_escalation` records an escalation under a unique key in the caller's transaction,
with the chair's notice and the @mention ping; `run_due` is the scheduler's pass.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import cards
from dialogs import replies
from dialogs.services import Services
from procedure import ESCALATION_KINDS
from storage import outbox, queries
from storage.db import transaction
from storage.models import Discussion, Escalation, Invitation, Person

log = logging.getLogger("sdbot.escalate")


def person_target(p: Person) -> dict[str, Any]:
    return {"kind": "person", "person_id": p.id, "teams_id": p.teams_id, "aad_object_id": p.aad_object_id}


async def chair_target(session: AsyncSession, d: Discussion) -> dict[str, Any] | None:
    ref = await outbox.conversation(session, d.chair_conversation_key or "")
    if ref is not None:
        return {"kind": "conversation", "conversation_id": ref.conversation_id,
                "service_url": ref.service_url, "tenant_id": ref.tenant_id}  # fmt: skip
    chair = await queries.person(session, d.chair_person_id)
    return person_target(chair) if chair and chair.teams_id else None


async def raise_escalation(
    session: AsyncSession,
    services: Services,
    d: Discussion,
    kind: str,
    *,
    dedupe_key: str,
    notify: list[Person],
    what_is_wrong: str,
    what_to_do: str,
    now: datetime,
    agency_id: str | None = None,
    tell_chair: bool = True,
    agency_channel: str | None = None,
    to_escalation_channel: bool = True,
    chair_detail: str | None = None,
) -> bool:
    """Record and send one escalation; False when it was raised before (by anyone)."""
    if await queries.escalation_exists(session, dedupe_key):
        return False
    notified = [{"name": p.name, "role": p.role, "person_id": p.id} for p in notify]
    session.add(
        Escalation(discussion_id=d.id, kind=kind, agency_id=agency_id, dedupe_key=dedupe_key,
                   notified=notified, detail=what_is_wrong, at=now)  # fmt: skip
    )
    await session.flush()  # a concurrent twin fails here on the unique key and rolls back
    label = ESCALATION_KINDS.get(kind, kind)
    mentions = [(p.teams_id, p.name) for p in notify if p.teams_id]
    view = cards.EscalationView(
        kind_label=label, case_ref=d.case_ref, what_is_wrong=what_is_wrong, what_to_do=what_to_do,
        mentions=mentions, at=services.local(now),
    )  # fmt: skip
    names = " ".join(f"<at>{name}</at>" for _, name in mentions)
    ping = cards.mention_message(f"{names} escalation for {d.case_ref}: {what_is_wrong}", mentions)
    ping["attachments"] = [cards.attachment(cards.escalation_card(view))]
    # Escalations go to the escalation channel; a reminder to an agency only to its own channel.
    channels = [c for c in (services.escalation_channel if to_escalation_channel else None, agency_channel) if c]
    if channels:
        for channel in dict.fromkeys(channels):
            await outbox.enqueue(session, target={"kind": "channel", "channel_id": channel}, payload=ping,
                                 discussion_id=d.id, purpose=f"escalation:{kind}")  # fmt: skip
    else:
        for p in notify:
            if p.teams_id:
                await outbox.enqueue(session, target=person_target(p), payload=ping,
                                     discussion_id=d.id, purpose=f"escalation:{kind}")  # fmt: skip
    if tell_chair:
        target = await chair_target(session, d)
        if target is not None:
            told = ", ".join(f"{p.name} ({p.role})" for p in notify) or "nobody could be reached"
            notice = cards.notice_card(
                f"{d.case_ref}: {label}",
                [what_is_wrong, chair_detail or "", f"Notified: {told}, {services.local(now):%H:%M on %a %d %b}.",
                 what_to_do],
                style="attention",
            )
            await outbox.enqueue(session, target=target, payload=replies.card_activity(notice),
                                 discussion_id=d.id, purpose=f"escalation:{kind}:chair")  # fmt: skip
    await queries.audit(session, "escalation", actor_aad=None, actor_name="sdbot", discussion=d, at=now,
                        kind=kind, agency=agency_id, notified=[n["name"] for n in notified])  # fmt: skip
    log.info("escalation raised", extra={"kind": kind, "discussion": d.id, "agency": agency_id})
    return True


async def late_withdrawal(
    session: AsyncSession, services: Services, d: Discussion, inv: Invitation, by: Person, now: datetime
) -> None:
    """SX 6.6 'Inquorate Strategy Discussion': the CSC lead escalates to the absent agency's lead."""
    agency = await queries.agency(session, inv.agency_id)
    lead = await queries.person(session, agency.lead_person_id if agency else None)
    starts = services.local(d.scheduled_for).strftime("%H:%M on %a %d %b") if d.scheduled_for else "soon"
    name = agency.name if agency else inv.agency_kind
    await raise_escalation(
        session, services, d, "late_withdrawal",
        dedupe_key=f"late_withdrawal:{inv.id}:{now.isoformat()}",
        notify=[lead] if lead else [],
        what_is_wrong=f"{name} withdrew late from the strategy discussion starting {starts} ({by.name}).",
        # Free text stays out of channels (PROCEDURE 8): the reason goes to the chair only.
        chair_detail=f"Reason given: {inv.answer_reason or 'none'}",
        what_to_do=f"{lead.name if lead else 'Agency lead'}: please send a replacement who can decide for "
                   f"{name}, or tell the chair at once. The time you were told is recorded.",
        now=now, agency_id=inv.agency_id,
    )  # fmt: skip


async def run_due(factory: async_sessionmaker[AsyncSession], services: Services, now: datetime) -> int:
    """One scheduler pass; returns how many things it raised or sent."""
    raised = await _create_pending_meetings(factory, services, now)
    from dialogs import checks

    for check in checks.ALL:
        async with factory() as session:
            candidates = await check.candidates(session, services, now)
        for candidate in candidates:
            try:
                async with transaction(factory) as session:
                    raised += await check.run(session, services, candidate, now)
            except IntegrityError:
                log.info("escalation raised by another instance", extra={"check": check.__name__})
    return raised


async def _create_pending_meetings(factory: async_sessionmaker[AsyncSession], services: Services, now: datetime) -> int:
    from dialogs.convene import post_invitations, refresh_roster

    done = 0
    async with factory() as session:
        pending = await queries.discussions_with_pending_meetings(session)
    for discussion_id in pending:
        async with transaction(factory) as session:
            if not await queries.claim_pending_meeting(session, discussion_id, now, now + timedelta(minutes=2)):
                continue
            d = await queries.discussion(session, discussion_id)
            assert d is not None
            attendees = []
            for inv in d.invitations:
                for p in await queries.people_in(session, inv.agency_id) if inv.agency_id else []:
                    if p.email:
                        attendees.append((p.name, p.email))
            subject, start = f"Strategy discussion {d.case_ref}", d.scheduled_for
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
            await post_invitations(session, services, d, now)
            await refresh_roster(session, services, d, now)
            await queries.audit(session, "meeting_created" if join_url else "meeting_failed", actor_aad=None,
                                actor_name="sdbot", discussion=d, at=now, event_id=event_id)  # fmt: skip
        done += 1
    return done

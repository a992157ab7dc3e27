"""Escalations: who is told what, recorded once, delivered through the outbox.

`raise_escalation` records an escalation under a unique key in the caller's transaction,
with the chair's notice and the @mention ping. The scheduler's pass is `dialogs.due`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies
from dialogs.services import Services
from dialogs.targets import chair_target, channel_target, person_target
from procedure import ESCALATION_KINDS
from procedure.states import EscalationKind
from storage import outbox, queries
from storage.models import Discussion, Escalation, Invitation, Person

log = logging.getLogger("sdbot.escalate")


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
    private_detail: str | None = None,
) -> bool:
    """Record and send one escalation; False when it was raised before (by anyone).

    The ping (in a channel) says what is wrong in the bot's words; anything typed that the
    chair (`chair_detail`) or the people notified (`private_detail`) need goes to their
    personal chats only."""
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
    # The ping (channel-safe: what is wrong is composed from identifiers, never typed text; a
    # typed reason goes to the chair alone, as `chair_detail`).
    ping = cards.channel_escalation(view)
    # Escalations go to the escalation channel; a reminder to an agency only to its own channel.
    channels = [c for c in (services.escalation_channel if to_escalation_channel else None, agency_channel) if c]
    if channels:
        for channel in dict.fromkeys(channels):
            await replies.to_channel(session, channel_target(channel), ping, discussion_id=d.id,
                                     purpose=f"escalation:{kind}")  # fmt: skip
    else:
        for p in notify:
            if p.teams_id:
                await replies.to_channel(session, person_target(p), ping, discussion_id=d.id,
                                         purpose=f"escalation:{kind}")  # fmt: skip
    if private_detail:
        for p in notify:
            if p.teams_id and p.id != d.chair_person_id:
                notice = cards.notice_card(f"{d.case_ref}: {label}", [what_is_wrong, private_detail, what_to_do],
                                           style="attention")  # fmt: skip
                await outbox.enqueue(session, target=person_target(p), payload=replies.card_activity(notice),
                                     discussion_id=d.id, purpose=f"escalation:{kind}:detail")  # fmt: skip
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
                        kind=kind, agency=agency_id, notified=[n["person_id"] for n in notified])  # fmt: skip
    log.info("escalation raised", extra={"kind": kind, "discussion": d.id, "agency": agency_id})
    return True


async def late_withdrawal(
    session: AsyncSession, services: Services, d: Discussion, inv: Invitation, by_name: str, now: datetime
) -> None:
    """SX 6.6 'Inquorate Strategy Discussion': the CSC lead escalates to the absent agency's lead."""
    agency = await queries.agency(session, inv.agency_id)
    lead = await queries.person(session, agency.lead_person_id if agency else None)
    starts = services.local(d.scheduled_for).strftime("%H:%M on %a %d %b") if d.scheduled_for else "soon"
    name = agency.name if agency else inv.agency_kind
    await raise_escalation(
        session, services, d, EscalationKind.LATE_WITHDRAWAL,
        dedupe_key=f"late_withdrawal:{inv.id}:{now.isoformat()}",
        notify=[lead] if lead else [],
        what_is_wrong=f"{name} withdrew late from the strategy discussion starting {starts} ({by_name}).",
        # Free text stays out of channels (PROCEDURE 8): the reason goes to the chair only.
        chair_detail=f"Reason given: {inv.answer_reason or 'none'}",
        what_to_do=f"{lead.name if lead else 'Agency lead'}: please send a replacement who can decide for "
                   f"{name}, or tell the chair at once. The time you were told is recorded.",
        now=now, agency_id=inv.agency_id,
    )  # fmt: skip


async def csc_duty_manager(session: AsyncSession, d: Discussion) -> Person | None:
    chair = await queries.person(session, d.chair_person_id)
    agency = await queries.agency(session, chair.agency_id if chair else None)
    return await queries.person(session, agency.duty_manager_person_id if agency else None)


def at_text(services: Services, when: datetime | None) -> str:
    return services.local(when).strftime("%H:%M on %a %d %b") if when else "not set"


async def csc_absent(session: AsyncSession, services: Services, d: Discussion, now: datetime,
                     reported_by: Person | None) -> bool:  # fmt: skip
    duty = await csc_duty_manager(session, d)
    who = f"{reported_by.name} ({reported_by.role}) reports that" if reported_by else "The bot reports that"
    return await raise_escalation(
        session, services, d, EscalationKind.CSC_ABSENT, dedupe_key=f"csc_absent:{d.id}",
        notify=[duty] if duty else [],
        what_is_wrong=f"{who} children's social care has not started the strategy discussion due at "
                      f"{at_text(services, d.scheduled_for)}.",
        what_to_do=f"{duty.name if duty else 'CSC duty manager'}: find a chair now, or rearrange with the "
                   "police and health and tell them.",
        now=now,
    )  # fmt: skip

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
from procedure import ESCALATION_KINDS, ladder
from procedure.escalation import (
    ACTION_OWNER,
    AGENCY,
    AGENCY_CHANNEL,
    AGENCY_LEAD,
    AGENCY_SENIOR,
    CHAIR,
    CSC_DUTY_MANAGER,
    CSC_LEAD,
    CSC_SENIOR,
    ESCALATION_CHANNEL,
    Rung,
)
from procedure.states import EscalationKind
from storage import outbox, queries
from storage.models import Agency, Discussion, Escalation, Invitation, Person

log = logging.getLogger("sdbot.escalate")


async def recipients(
    session: AsyncSession,
    d: Discussion,
    roles: tuple[str, ...],
    *,
    agency: Agency | None = None,
    owner: Person | None = None,
    delegate_id: str | None = None,
) -> list[Person]:
    """The people a rung's roles (`procedure.escalation`) name, in order, each once. `agency`
    is the agency concerned; the chair's agency is CSC's."""
    chair = await queries.person(session, d.chair_person_id)
    csc = await queries.agency(session, chair.agency_id if chair else None)
    found: list[Person | None] = []
    for role in roles:
        if role == CHAIR:
            found.append(chair)
        elif role == ACTION_OWNER:
            found.append(owner)
        elif role in (CSC_DUTY_MANAGER, CSC_LEAD, CSC_SENIOR):
            found.append(await _manager(session, csc, role))
        elif role in (AGENCY_LEAD, AGENCY_SENIOR):
            found.append(await _manager(session, agency, role))
        elif role == AGENCY and agency is not None:
            people = [p for p in await queries.people_in(session, agency.id) if p.teams_id]
            found.extend([p for p in people if p.id == delegate_id] or people)
        elif role != AGENCY:
            raise ValueError(f"unknown escalation role {role!r}")
    out: dict[str, Person] = {}
    for person in found:
        if person is not None:
            out.setdefault(person.id, person)
    return list(out.values())


async def _manager(session: AsyncSession, agency: Agency | None, role: str) -> Person | None:
    if agency is None:
        return None
    if role in (CSC_LEAD, AGENCY_LEAD):
        return await queries.person(session, agency.lead_person_id)
    if role == CSC_DUTY_MANAGER:
        return await queries.person(session, agency.duty_manager_person_id)
    # A senior manager: the duty manager, else the lead (DESIGN: disagreements past stage 2).
    return await queries.person(session, agency.duty_manager_person_id or agency.lead_person_id)


async def raise_escalation(
    session: AsyncSession,
    services: Services,
    d: Discussion,
    kind: str,
    rung: Rung,
    *,
    dedupe_key: str,
    notify: list[Person],
    what_is_wrong: str,
    what_to_do: str,
    now: datetime,
    agency_id: str | None = None,
    agency_channel: str | None = None,
    chair_detail: str | None = None,
    private_detail: str | None = None,
) -> bool:
    """Record and send one escalation; False when it was raised before (by anyone).

    `notify` are the rung's people (`recipients`); the rung says whether the chair also gets a
    notice and where the ping goes. The ping (in a channel) says what is wrong in the bot's
    words; anything typed that the chair (`chair_detail`) or the people notified
    (`private_detail`) need goes to their personal chats only."""
    tell_chair = rung.tell_chair
    to_escalation_channel = rung.channel == ESCALATION_CHANNEL
    if rung.channel != AGENCY_CHANNEL:
        agency_channel = None
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
                [what_is_wrong, chair_detail or "", f"Notified: {told}, {services.when(now)}.",
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
    [rung] = ladder(EscalationKind.LATE_WITHDRAWAL, services.profile)
    notify = await recipients(session, d, rung.notify, agency=agency)
    starts = services.when(d.scheduled_for) if d.scheduled_for else "soon"
    name = agency.name if agency else inv.agency_kind
    await raise_escalation(
        session, services, d, EscalationKind.LATE_WITHDRAWAL, rung,
        dedupe_key=f"late_withdrawal:{inv.id}:{now.isoformat()}",
        notify=notify,
        what_is_wrong=f"{name} withdrew late from the strategy discussion starting {starts} ({by_name}).",
        # Free text stays out of channels (PROCEDURE 8): the reason goes to the chair only.
        chair_detail=f"Reason given: {inv.answer_reason or 'none'}",
        what_to_do=f"{names(notify, 'Agency lead')}: please send a replacement who can decide for "
                   f"{name}, or tell the chair at once. The time you were told is recorded.",
        now=now, agency_id=inv.agency_id,
    )  # fmt: skip


def names(people: list[Person], nobody: str) -> str:
    return ", ".join(p.name for p in people) or nobody


async def csc_absent(session: AsyncSession, services: Services, d: Discussion, now: datetime,
                     reported_by: Person | None) -> bool:  # fmt: skip
    [rung] = ladder(EscalationKind.CSC_ABSENT, services.profile)
    notify = await recipients(session, d, rung.notify)
    who = f"{reported_by.name} ({reported_by.role}) reports that" if reported_by else "The bot reports that"
    return await raise_escalation(
        session, services, d, EscalationKind.CSC_ABSENT, rung, dedupe_key=f"csc_absent:{d.id}",
        notify=notify,
        what_is_wrong=f"{who} children's social care has not started the strategy discussion due at "
                      f"{services.when(d.scheduled_for)}.",
        what_to_do=f"{names(notify, 'CSC duty manager')}: find a chair now, or rearrange with the "
                   "police and health and tell them.",
        now=now,
    )  # fmt: skip

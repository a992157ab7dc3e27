"""`cases`: a chair's open discussions; a duty manager's cases at risk; the daily digest.

Chosen in SQL with limits (storage.queries): never every discussion. Lines carry case
references, states and deadlines only: no free text, so the digest may go to a channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies, views
from dialogs.services import Services
from dialogs.types import Command
from procedure import CSC, answer_by
from procedure.escalation import (
    csc_absent_at,
    deadline_at_risk_from,
    escalation_rule,
    inquorate_window,
)
from procedure.states import Delivery, DiscussionStatus, EscalationKind, InvitationStatus
from storage import queries
from storage.models import Discussion

CASE_STATES = {
    DiscussionStatus.DRAFT: "draft",
    DiscussionStatus.INVITED: "invited",
    DiscussionStatus.IN_PROGRESS: "in progress",
    DiscussionStatus.CLOSED: "record not circulated",
}
RISKS = {
    "deadline": "deadline at risk",
    "inquorate": "inquorate",
    "csc_absent": "CSC absent",
    "circulation": "circulation overdue",
    "actions": "actions overdue",
}


def risks(d: Discussion, services: Services, now: datetime, overdue_actions: int) -> list[str]:
    """Why a discussion is at risk (keys of RISKS), from the same rules the escalations use."""
    found: list[str] = []
    profile = services.profile
    q = views.quorum_of(d, services)
    # A review with no time asked for yet has no deadline (held when the chair asks).
    at_risk_from = deadline_at_risk_from(d.convene_by, profile) if d.convene_by else None
    if d.status in (DiscussionStatus.DRAFT, DiscussionStatus.INVITED) and at_risk_from is not None and d.convene_by is not None and now >= at_risk_from:
        on_track = d.status == DiscussionStatus.INVITED and d.scheduled_for is not None and d.scheduled_for <= d.convene_by and q.quorate
        if not on_track:
            found.append("deadline")
    if d.status == DiscussionStatus.INVITED and not q.quorate and d.scheduled_for is not None:
        due = answer_by(d.scheduled_for, d.invited_at, profile)
        if due is not None and due <= now:
            found.append("inquorate")
    if d.status == DiscussionStatus.INVITED and d.scheduled_for and now >= csc_absent_at(d.scheduled_for, profile):
        found.append("csc_absent")
    if d.status == DiscussionStatus.CLOSED and d.circulated_at is None and d.circulate_by and d.circulate_by <= now:
        found.append("circulation")
    if overdue_actions:
        found.append("actions")
    return found


def _next(d: Discussion, services: Services, now: datetime) -> str:
    if d.status == DiscussionStatus.DRAFT:
        return f"hold by {services.when(d.convene_by)}"
    if d.status == DiscussionStatus.INVITED:
        if d.scheduled_for and d.scheduled_for > now:
            return f"starts {services.when(d.scheduled_for)} (hold by {services.when(d.convene_by)})"
        return f"was due to start {services.when(d.scheduled_for)}"
    if d.status == DiscussionStatus.IN_PROGRESS:
        return f"started {services.when(d.started_at)}"
    return f"circulate by {services.when(d.circulate_by)}"


def _missing(d: Discussion, services: Services) -> list[str]:
    missing: list[str] = []
    if d.status == DiscussionStatus.DRAFT:
        missing.append("invitations not sent")
        if d.scheduled_for is None:
            missing.append("no start time")
    elif d.status == DiscussionStatus.INVITED:
        q = views.quorum_of(d, services)
        missing.extend(f"confirmation from {m}" for m in q.missing)
        unanswered = sum(1 for i in d.invitations if i.status in (InvitationStatus.PENDING, InvitationStatus.DELEGATED, InvitationStatus.TENTATIVE))
        if unanswered:
            missing.append(f"{unanswered} agenc{'y has' if unanswered == 1 else 'ies have'} not answered")
        failed = sum(1 for i in d.invitations if i.delivery == Delivery.FAILED and i.status in (InvitationStatus.PENDING, InvitationStatus.DELEGATED))
        if failed:
            missing.append(f"{failed} invitation(s) not delivered: phone them")
    elif d.status == DiscussionStatus.IN_PROGRESS:
        missing.append("not closed: record not produced")
    else:
        missing.append("record not circulated (Approve circulation)")
    return missing


async def _lines(session: AsyncSession, services: Services, found: list[Discussion], now: datetime,
                 with_missing: bool) -> list[cards.CaseLine]:  # fmt: skip
    overdue = await queries.overdue_action_counts(session, [d.id for d in found], now)
    lines = []
    for d in found:
        at_risk = risks(d, services, now, overdue.get(d.id, 0))
        lines.append(cards.CaseLine(case_ref=d.case_ref, state=CASE_STATES.get(d.status, d.status),
                                    next_deadline=_next(d, services, now),
                                    missing=_missing(d, services) if with_missing else [],
                                    at_risk=[RISKS[r] for r in at_risk]))  # fmt: skip
    return lines


async def at_risk(session: AsyncSession, services: Services, now: datetime, agency_ids: list[str] | None,
                  include_csc_chaired: bool, limit: int) -> list[tuple[Discussion, list[str]]]:  # fmt: skip
    """Discussions at risk (the SQL narrows, the rules decide), newest first."""
    profile = services.profile
    found = await queries.discussions_at_risk(
        # Deadlines at risk by now are those up to the warning span ahead (`deadline_at_risk_from`).
        session, now, at_risk_from=now - escalation_rule(EscalationKind.DEADLINE_AT_RISK, profile).offset,
        starts_before=now + inquorate_window(profile), agency_ids=agency_ids,
        include_csc_chaired=include_csc_chaired, limit=limit,
    )  # fmt: skip
    overdue = await queries.overdue_action_counts(session, [d.id for d in found], now)
    return [(d, r) for d in found if (r := risks(d, services, now, overdue.get(d.id, 0)))]


async def cases_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    person = await queries.person_by_aad(session, cmd.actor.aad_object_id)
    if person is None:
        await replies.card(session, cmd.where, cards.error_card(
            "You are not in the directory", "Ask your administrator to add you; nothing is shown."))  # fmt: skip
        return
    if cmd.where.conversation_type != "personal":
        # Case lists are for one person: a channel is not the place (need to know).
        await replies.card(session, cmd.where, cards.error_card(
            "Ask me in a personal chat", "Type 'cases' in your personal chat with the bot."))  # fmt: skip
        return
    shown = False
    limit = queries.CASES_LIMIT
    chaired = await queries.open_discussions_of_chair(session, person.id, limit + 1)
    if person.can_chair or chaired:
        await replies.card(session, cmd.where, cards.cases_card(cards.CasesView(
            title="Your open discussions", subtitle="Newest first: the next deadline and what is missing.",
            lines=await _lines(session, services, chaired[:limit], cmd.now, with_missing=True),
            empty="You have no open discussions.", more=len(chaired) > limit,
        )))  # fmt: skip
        shown = True
    agencies = await queries.agencies_with_duty_manager(session, person.id)
    if agencies:
        found = await at_risk(session, services, cmd.now, [a.id for a in agencies],
                              any(a.kind == CSC for a in agencies), limit + 1)  # fmt: skip
        names = ", ".join(a.name for a in agencies)
        await replies.card(session, cmd.where, cards.cases_card(cards.CasesView(
            title="Cases at risk", subtitle=f"Discussions {names} is involved in that need a duty manager.",
            lines=await _lines(session, services, [d for d, _ in found[:limit]], cmd.now, with_missing=True),
            empty="No case your agency is involved in is at risk.", more=len(found) > limit,
        )))  # fmt: skip
        shown = True
    if not shown:
        await replies.card(session, cmd.where, cards.error_card(
            "No cases to show", "`cases` lists a chair's open discussions, and a duty manager's cases at risk. "
            "You are neither in the directory."))  # fmt: skip


DIGEST_LIMIT = 50


async def digest_card(session: AsyncSession, services: Services, now: datetime) -> tuple[cards.ChannelMessage, int]:
    """Counts and case references at risk, nothing more (it goes to a channel)."""
    found = await at_risk(session, services, now, None, False, DIGEST_LIMIT)
    by_risk: dict[str, list[str]] = {key: [] for key in RISKS}
    for d, keys in found:
        for key in keys:
            by_risk[key].append(d.case_ref)
    cases_at_risk = len({d.case_ref for d, _ in found})
    view = cards.DigestView(
        title=f"Daily digest {services.when(now, 'date')}: {cases_at_risk} case(s) at risk",
        at_risk=[(RISKS[key], refs) for key, refs in by_risk.items()],
        limit_note=f"Only the newest {DIGEST_LIMIT} are counted." if len(found) >= DIGEST_LIMIT else None,
        any_at_risk=bool(found),
    )
    return cards.channel_digest(view), cases_at_risk

"""From stored rows to the data the cards show (cards never see the database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.format import fmt_when
from dialogs.parse import FORMATS
from dialogs.services import Services
from procedure import (
    AGENCY_KINDS,
    CONCERNS,
    CSC,
    ESCALATION_KINDS,
    FLAGS,
    answer_by,
    load_profile,
    planning_notes,
    quorum,
)
from procedure.states import Delivery, DiscussionStatus, InvitationStatus
from storage import queries
from storage.models import Discussion, Invitation

STATUS_WORDS = {
    DiscussionStatus.DRAFT: "Draft: invitations not sent",
    DiscussionStatus.INVITED: "Invitations sent",
    DiscussionStatus.IN_PROGRESS: "In progress",
    DiscussionStatus.CLOSED: "Closed",
    DiscussionStatus.CANCELLED: "Cancelled",
}


def kind_label(kind: str) -> str:
    return AGENCY_KINDS.get(kind, kind)


async def agency_name(session: AsyncSession, inv: Invitation) -> str:
    agency = await queries.agency(session, inv.agency_id)
    return agency.name if agency else f"{kind_label(inv.agency_kind)} (not in the directory)"


async def reach(session: AsyncSession, inv: Invitation) -> str:
    agency = await queries.agency(session, inv.agency_id)
    if agency is None:
        return "no agency of this kind in the directory: the chair must invite by phone"
    if inv.agency_kind == CSC and inv.status == InvitationStatus.ACCEPTED and inv.person_id:
        return "the chair represents children's social care"
    if agency.channel_id:
        return f"new thread in {agency.name}'s Teams channel"
    people = [p for p in await queries.people_in(session, agency.id) if p.teams_id]
    if people:
        return "personal chat with " + ", ".join(p.name for p in people)
    return "no Teams contact: the chair must invite by phone"


async def contact_line(session: AsyncSession, inv: Invitation) -> str | None:
    """Who the chair phones for an agency: its lead (name, role) and a number (the lead's,
    else the agency's); None when the directory has no number."""
    agency = await queries.agency(session, inv.agency_id)
    if agency is None:
        return None
    lead = await queries.person(session, agency.lead_person_id)
    phone = (lead.phone if lead else None) or agency.phone
    if lead and phone:
        return f"{lead.name} ({lead.role or agency.name}) on {phone}"
    if phone:
        return f"{agency.name} on {phone}"
    return None


async def record_answer_form(session: AsyncSession, d: Discussion, selected: str | None = None,
                             origin: str = "roster") -> cards.RecordAnswerForm:  # fmt: skip
    choices = [(i.id, await agency_name(session, i)) for i in d.invitations if i.agency_id]
    return cards.RecordAnswerForm(discussion_id=d.id, choices=choices, selected=selected, origin=origin)


def confirmed_kinds(discussion: Discussion) -> list[str]:
    return [i.agency_kind for i in discussion.invitations if i.status == InvitationStatus.ACCEPTED]


def quorum_of(discussion: Discussion, services: Services):  # type: ignore[no-untyped-def]
    return quorum(confirmed_kinds(discussion), discussion.flags, services.profile)


async def convene_summary(
    session: AsyncSession, services: Services, d: Discussion, now: datetime
) -> dict:
    tz = services.local
    invitees = [
        cards.InviteeLine(
            agency_id=i.agency_id or "",
            agency_name=await agency_name(session, i),
            kind_label=kind_label(i.agency_kind),
            reason=i.reason,
            required=i.required,
            reach=await reach(session, i),
        )
        for i in d.invitations
    ]
    view = cards.ConveneSummary(
        discussion_id=d.id,
        case_ref=d.case_ref,
        kind=d.kind,
        referral_at=tz(d.referral_received_at),
        concerns=[CONCERNS.get(c, c) for c in d.concerns],
        flags=[FLAGS.get(f, f) for f in d.flags],
        convene_by=tz(d.convene_by) if d.convene_by else None,
        convene_by_rule=d.convene_by_rule,
        convene_by_note=d.convene_by_note,
        now=tz(now),
        scheduled_for=tz(d.scheduled_for) if d.scheduled_for else None,
        format_label=FORMATS.get(d.format, d.format),
        invitees=invitees,
        planning_notes=list(planning_notes(d.flags)),
        meeting_url=d.meeting_url,
        meeting_note=d.meeting_note,
        invitations_sent=d.status not in (DiscussionStatus.DRAFT,),
    )
    return cards.convene_summary(view)


async def invitation_card(
    session: AsyncSession, services: Services, inv: Invitation, now: datetime
) -> dict:
    """The invitation for a personal chat (or the card answering a press made there)."""
    return cards.invitation(await invitation_view(session, services, inv, now))


async def invitation_for_channel(
    session: AsyncSession, services: Services, inv: Invitation, now: datetime
) -> cards.ChannelMessage:
    """The invitation for the agency's channel: no typed reason, whatever happened."""
    return cards.channel_invitation(await invitation_view(session, services, inv, now))


async def invitation_cards(
    session: AsyncSession, services: Services, inv: Invitation, now: datetime
) -> tuple[dict, cards.ChannelMessage]:
    """Both versions from one view (one set of queries): personal chat, and channel."""
    view = await invitation_view(session, services, inv, now)
    return cards.invitation(view), cards.channel_invitation(view)


async def invitation_view(
    session: AsyncSession, services: Services, inv: Invitation, now: datetime
) -> cards.InvitationView:
    d = inv.discussion
    chair = await queries.person(session, d.chair_person_id)
    responder = await queries.person(session, inv.person_id)
    delegate = await queries.person(session, inv.delegated_to_person_id)
    colleagues = [(p.id, p.name) for p in await queries.people_in(session, inv.agency_id)] if inv.agency_id else []
    view = cards.InvitationView(
        invitation_id=inv.id,
        discussion_id=d.id,
        case_ref=d.case_ref,
        kind=d.kind,
        agency_name=await agency_name(session, inv),
        reason=inv.reason,
        required=inv.required,
        scheduled_for=services.local(d.scheduled_for) if d.scheduled_for else None,
        format_label=FORMATS.get(d.format, d.format),
        meeting_url=d.meeting_url,
        meeting_note=d.meeting_note,
        chair_name=chair.name if chair else "the chair",
        status=inv.status,
        responder_name=responder.name if responder else None,
        responded_at=services.local(inv.responded_at) if inv.responded_at else None,
        late=inv.late,
        delegated_to_name=delegate.name if delegate else None,
        colleagues=colleagues,
        now=services.local(now),
        answer_reason=inv.answer_reason,
        answer_by=services.local(by) if (by := answer_by(d.scheduled_for, d.invited_at, services.profile)) else None,
    )
    return view


async def roster_card(session: AsyncSession, services: Services, d: Discussion, now: datetime,
                      for_chair: bool = True) -> dict:  # fmt: skip
    """The roster; `Record answer` only on the chair's copy (the server checks anyway). The
    reasons agencies typed for declining or withdrawing are on the chair's copy only."""
    rows = []
    for i in d.invitations:
        person = await queries.person(session, i.person_id or i.delegated_to_person_id)
        recorder = await queries.person(session, i.recorded_by_person_id)
        rows.append(
            cards.RosterRow(
                agency_name=await agency_name(session, i),
                kind_label=kind_label(i.agency_kind),
                required=i.required,
                status=i.status,
                person_name=person.name if person else None,
                responded_at=services.local(i.responded_at) if i.responded_at else None,
                late=i.late,
                reason=i.answer_reason if for_chair else None,
                delivery=i.delivery,
                contact=await contact_line(session, i) if i.delivery in (Delivery.FAILED, Delivery.RETRYING) else None,
                recorded_by=recorder.name if recorder else None,
                source=i.answer_source,
            )
        )
    lines = []
    for e in await queries.escalations(session, d.id):
        agency = await queries.agency(session, e.agency_id)
        lines.append(
            cards.EscalationLine(
                kind_label=ESCALATION_KINDS.get(e.kind, e.kind),
                at=services.local(e.at),
                notified=[n.get("name", "") for n in e.notified],
                agency_name=agency.name if agency else None,
            )
        )
    q = quorum_of(d, services)
    view = cards.RosterView(
        discussion_id=d.id,
        case_ref=d.case_ref,
        status=STATUS_WORDS.get(d.status, d.status),
        convene_by=services.local(d.convene_by) if d.convene_by else None,
        convene_by_rule=d.convene_by_rule,
        now=services.local(now),
        scheduled_for=services.local(d.scheduled_for) if d.scheduled_for else None,
        rows=rows,
        quorate=q.quorate,
        missing=list(q.missing),
        escalations=lines,
        meeting_url=d.meeting_url,
        updated_at=services.local(now),
        not_delivered=sum(1 for i in d.invitations if i.delivery == Delivery.FAILED and i.status in (InvitationStatus.PENDING, InvitationStatus.DELEGATED)),
        record_form=await record_answer_form(session, d) if for_chair and d.status in (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS) else None,
        state=str(d.status) if for_chair else "",  # the next step is the chair's
        icpc=icpc_words(services, d.icpc_by, await icpc_held_of(session, d), now) if d.icpc_by else None,
    )
    return cards.roster(view)


def quorum_of_kinds(kinds: list[str], flags: list[str], profile_name: str):  # type: ignore[no-untyped-def]

    return quorum(kinds, flags, load_profile(profile_name))


async def icpc_held_of(session: AsyncSession, d: Discussion) -> datetime | None:
    """When the ICPC that `d`'s deadline is about was held (None: not recorded)."""
    if d.icpc_by is None or not d.initiating_discussion_id:
        return None
    source = d if d.initiating_discussion_id == d.id else await queries.discussion(session, d.initiating_discussion_id)
    return source.icpc_held_at if source is not None else None


def icpc_words(services: Services, icpc_by: datetime, held_at: datetime | None, now: datetime) -> str:
    """One line for the roster and the confirmation: the deadline, and whether it was met."""
    if held_at is None:
        state = "deadline passed, not recorded as held" if now > icpc_by else "not yet held"
        return f"ICPC by {fmt_when(services.local(icpc_by))}: {state}"
    verdict = f"within {services.profile.icpc_within_wd} working days" if held_at <= icpc_by else "LATE"
    return f"ICPC held {fmt_when(services.local(held_at))} (by {fmt_when(services.local(icpc_by))}: {verdict})"

"""Running the discussion: `start`, the chair's agenda one step at a time, attendees'
information and disagreements, and `CSC not present` (PROCEDURE sections 4, 5 and 7)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from cards.common import card, execute, show_card, text
from cards.meeting import MeetingState, MeetingView, meeting_card
from cards.verbs import Verb
from dialogs import escalate, parse, replies
from dialogs.access import may_see
from dialogs.agenda import chair_of, post_agenda, refresh_agenda
from dialogs.parse import InputError
from dialogs.roster import refresh_roster
from dialogs.services import Services
from dialogs.targets import chair_target, person_target
from dialogs.types import CardAction, CardReply, Command
from dialogs.views import quorum_of_kinds
from procedure import (
    CSC,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    REPORTS_CSC_ABSENT,
    disagreement_resolve_by,
)
from procedure.states import DiscussionStatus, InvitationStatus
from storage import outbox, queries
from storage.models import Attendance, Contribution, Disagreement, Discussion, OutboxOp, Person


def _s(data: dict[str, Any], key: str, limit: int = 4000) -> str:
    value = data.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


# start ---------------------------------------------------------------------------------------


async def start_command(session: AsyncSession, services: Services, cmd: Command, rest: str) -> None:
    try:
        ref = parse.case_ref(rest)
    except InputError as e:
        await replies.card(session, cmd.where, cards.error_card("Which case?", f"Type: start CASE_REF. {e}"))
        return
    d = await queries.latest_discussion(session, ref, (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS))
    chair = await chair_of(session, d, cmd.actor.aad_object_id) if d else None
    if d is None or chair is None:
        await replies.card(session, cmd.where, cards.error_card(
            f"Nothing to start for {ref}",
            "Only the chair can start a discussion, after sending its invitations. Check the case reference.",
        ))  # fmt: skip
        return
    d.chair_conversation_key = cmd.where.key or d.chair_conversation_key
    if d.status == DiscussionStatus.INVITED:
        d.status, d.started_at = DiscussionStatus.IN_PROGRESS, cmd.now
        accepted = [i.agency_kind for i in d.invitations if i.status == InvitationStatus.ACCEPTED]
        d.quorate_at_start = quorum_of_kinds(accepted, d.flags, d.profile).quorate  # for the reports
        await _prefill_attendance(session, d)
        await queries.audit(session, "start", actor_aad=cmd.actor.aad_object_id, actor_name=cmd.actor.name,
                            discussion=d, conversation_id=cmd.where.conversation_id, at=cmd.now)  # fmt: skip
        await refresh_meeting_cards(session, services, d)  # those sent at the start time now say "Started"
        await _send_meeting_cards(session, services, d)
        await refresh_roster(session, services, d, cmd.now)
    # The agenda carries what agencies share: in a channel, it goes to the chair's personal chat.
    target = cmd.where.target if cmd.where.conversation_type == "personal" or not chair.teams_id else person_target(chair)
    await post_agenda(session, services, d, target)


async def _prefill_attendance(session: AsyncSession, d: Discussion) -> None:
    if await queries.record_parts(session, d.id) and (await queries.record_parts(session, d.id))["attendance"]:
        return
    seen: set[str] = set()
    for inv in d.invitations:
        agency = await queries.agency(session, inv.agency_id)
        pid = inv.person_id or inv.delegated_to_person_id
        person = await queries.person(session, pid)
        if person is not None and person.id not in seen:
            seen.add(person.id)
            session.add(Attendance(discussion_id=d.id, person_id=person.id, name=person.name, role=person.role,
                                   agency_id=person.agency_id, agency_name=agency.name if agency else "",
                                   agency_kind=inv.agency_kind, present=inv.status == InvitationStatus.ACCEPTED,
                                   apologies=None if inv.status == InvitationStatus.ACCEPTED else inv.answer_reason,
                                   source="invitation"))  # fmt: skip
        elif person is None and agency is not None:
            accepted = inv.status == InvitationStatus.ACCEPTED  # e.g. the chair accepted on the agency's behalf
            name = f"{agency.name} representative (name to confirm)" if accepted else f"No one confirmed from {agency.name}"
            session.add(Attendance(discussion_id=d.id, name=name, role="", agency_id=agency.id, agency_name=agency.name,
                                   agency_kind=inv.agency_kind, present=accepted,
                                   apologies=None if accepted else (inv.answer_reason or inv.status),
                                   source="invitation"))  # fmt: skip
    await session.flush()


async def meeting_view(session: AsyncSession, services: Services, d: Discussion, agency_kind: str, agency_name: str) -> dict[str, Any]:
    chair = await queries.person(session, d.chair_person_id)
    reported = await queries.escalation_exists(session, f"csc_absent:{d.id}")
    return meeting_card(MeetingView(
        discussion_id=d.id, case_ref=d.case_ref, agency_name=agency_name,
        scheduled_for=services.local(d.scheduled_for) if d.scheduled_for else None,
        meeting_url=d.meeting_url, chair_name=chair.name if chair else "the chair",
        state=MeetingState.CLOSED if d.status == DiscussionStatus.CLOSED
        else MeetingState.STARTED if d.started_at is not None else MeetingState.WAITING,
        may_report_csc_absent=agency_kind in REPORTS_CSC_ABSENT,
        difference_statement=PROFESSIONAL_DIFFERENCE_STATEMENT, csc_absent_reported=reported,
        started_at=services.local(d.started_at) if d.started_at else None,
        closed_at=services.local(d.closed_at) if d.closed_at else None,
    ))  # fmt: skip


async def refresh_meeting_cards(session: AsyncSession, services: Services, d: Discussion) -> None:
    """Edit every attendee's meeting card in place so it tells the discussion's one state."""
    for key in await queries.sent_keys_with_prefix(session, f"meeting:{d.id}:", discussion_id=d.id):
        person = await queries.person(session, key.rsplit(":", 1)[1])
        agency = await queries.agency(session, person.agency_id if person else None)
        if agency is None:
            continue
        kind = next((i.agency_kind for i in d.invitations if i.agency_id == agency.id), agency.kind)
        card = await meeting_view(session, services, d, kind, agency.name)
        await outbox.enqueue(session, op=OutboxOp.UPDATE, message_key=key, payload=replies.card_activity(card),
                             discussion_id=d.id, purpose="meeting")  # fmt: skip


async def _send_meeting_cards(session: AsyncSession, services: Services, d: Discussion) -> None:
    """The meeting card to everyone who accepted (personal chat: it can carry information)."""
    for inv in d.invitations:
        if inv.status != InvitationStatus.ACCEPTED or inv.agency_kind == CSC:
            continue
        person = await queries.person(session, inv.person_id or inv.delegated_to_person_id)
        agency = await queries.agency(session, inv.agency_id)
        if person is None or not person.teams_id or agency is None:
            continue
        key = f"meeting:{d.id}:{person.id}"
        if await outbox.was_sent_under(session, key):
            continue
        card = await meeting_view(session, services, d, inv.agency_kind, agency.name)
        await outbox.enqueue(session, target=person_target(person), payload=replies.card_activity(card),
                             message_key=key, discussion_id=d.id, purpose="meeting")  # fmt: skip


async def send_meeting_cards_at_start_time(session: AsyncSession, services: Services, d: Discussion) -> int:
    before = len(await queries.sent_keys_with_prefix(session, f"meeting:{d.id}:", discussion_id=d.id))
    await _send_meeting_cards(session, services, d)
    return len(await queries.sent_keys_with_prefix(session, f"meeting:{d.id}:", discussion_id=d.id)) - before


# What attendees do ---------------------------------------------------------------------------


async def _participant(session: AsyncSession, act: CardAction) -> tuple[Discussion | None, Person | None, CardReply | None]:
    d = await queries.discussion(session, act.data.get("discussion_id"))
    person = await queries.person_by_aad(session, act.actor.aad_object_id)
    if d is None or not await may_see(session, d, person):
        return None, None, CardReply(card=cards.error_card("Not available", "Only the chair and the invited agencies can do this."))
    return d, person, None


async def info_add(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    text = _s(act.data, "info")
    if not text:
        return CardReply(card=cards.error_card("Nothing to add", "Write the information first; nothing was saved."))
    if d.status not in (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS):
        return CardReply(card=cards.error_card("The discussion is closed", "Send further information to the chair directly."))
    session.add(Contribution(discussion_id=d.id, step="information", agency_id=person.agency_id,
                             author_person_id=person.id, author_name=person.name, text=text, at=act.now))  # fmt: skip
    await queries.audit(session, "information_added", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, conversation_id=act.where.conversation_id, at=act.now, chars=len(text))  # fmt: skip
    if d.status == DiscussionStatus.IN_PROGRESS:
        await session.flush()
        await refresh_agenda(session, services, d)  # the chair's agenda card shows it at once
    return CardReply(card=cards.notice_card(f"{d.case_ref}: information shared with the chair",
                                            ["It will appear in the record under your name and agency."], style="good"))  # fmt: skip


async def disagree(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    about = _s(act.data, "about", 2000)
    if not about:
        return CardReply(card=cards.error_card("Say what you disagree with", "Nothing was saved."))
    deadline = disagreement_resolve_by(act.now, services.profile, 0)
    row = Disagreement(id=str(uuid.uuid4()), discussion_id=d.id, raised_by_person_id=person.id,
                       raised_by_name=person.name, agency_id=person.agency_id, about=about, stage_index=0,
                       resolve_by=deadline.at, created_at=act.now)  # fmt: skip
    session.add(row)
    await queries.audit(session, "disagreement", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                        discussion=d, at=act.now, disagreement=row.id, resolve_by=deadline.at)  # fmt: skip
    target = await chair_target(session, d)
    if target is not None:
        notice = disagreement_card(d.case_ref, row, person, services)
        await outbox.enqueue(session, target=target, payload=replies.card_activity(notice), discussion_id=d.id,
                             message_key=f"disagreement:{row.id}", purpose="disagreement")  # fmt: skip
    return CardReply(card=cards.notice_card(
        f"{d.case_ref}: disagreement registered",
        [f"The chair has been told. It must be resolved at {services.profile.disagreement_stages[0]} level by "
         f"{services.when(deadline.at)}, or it goes to the next level."], style="good"))  # fmt: skip


def disagreement_card(case_ref: str, row: Disagreement, person: Person | None, services: Services) -> dict[str, Any]:
    """The chair's card for a disagreement: what, the stage and its deadline, and a way to
    record how it was resolved (GM: resolved at practitioner level "and recorded")."""

    who = f"{person.name} ({person.role})" if person else row.raised_by_name
    stage = services.profile.disagreement_stages[min(row.stage_index, len(services.profile.disagreement_stages) - 1)]
    body = [text(f"{case_ref}: professional disagreement", weight="Bolder", size="Medium"),
            text(f"{who} disagrees: {row.about[:500]}")]  # fmt: skip
    if row.resolved_at:
        body.append(text(f"Resolved {services.when(row.resolved_at)}: {row.resolution}", color="Good"))
        return card(body)
    body.append(text(f"Stage: {stage}. Resolve by {services.when(row.resolve_by)}, or it goes to "
                     "the next level (SX 7.2).", color="Warning"))  # fmt: skip
    return card(body, [show_card("Record resolution", [
        {"type": "Input.Text", "id": "resolution", "label": "How was it resolved?", "isMultiline": True,
         "isRequired": True, "errorMessage": "Say how it was resolved.", "maxLength": 2000},
    ], execute("Save resolution", Verb.RESOLVE_DISAGREEMENT, {"disagreement_id": row.id}, "positive"))])  # fmt: skip


async def resolve_disagreement(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    row = await queries.disagreement(session, act.data.get("disagreement_id"))
    if row is None:
        return CardReply(card=cards.error_card("Unknown disagreement", "It does not exist."))
    d = await queries.discussion(session, row.discussion_id)
    if d is None or await chair_of(session, d, act.actor.aad_object_id) is None:
        return CardReply(card=cards.error_card("Only the chair records the resolution", "Nothing was changed."))
    resolution = _s(act.data, "resolution", 2000)
    if not resolution:
        return CardReply(card=cards.error_card("Say how it was resolved", "Nothing was changed."))
    if row.resolved_at is None:
        row.resolved_at, row.resolution = act.now, resolution
        await queries.audit(session, "disagreement_resolved", actor_aad=act.actor.aad_object_id, actor_name=act.actor.name,
                            discussion=d, at=act.now, disagreement=row.id)  # fmt: skip
    raiser = await queries.person(session, row.raised_by_person_id)
    return CardReply(card=disagreement_card(d.case_ref, row, raiser, services))


async def csc_not_present(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    d, person, refusal = await _participant(session, act)
    if refusal or d is None or person is None:
        return refusal or CardReply()
    agency = await queries.agency(session, person.agency_id)
    if agency is None or agency.kind not in REPORTS_CSC_ABSENT:
        return CardReply(card=cards.error_card("For the police and health", "Only the police or health attendee reports CSC absence."))
    if d.status == DiscussionStatus.INVITED:
        await escalate.csc_absent(session, services, d, act.now, reported_by=person)
        await refresh_roster(session, services, d, act.now)
        await refresh_meeting_cards(session, services, d)  # every attendee sees it was reported
    return CardReply(card=await meeting_view(session, services, d, agency.kind, agency.name))

"""Calendar invitations and answers (Microsoft Graph), for people who answer from Outlook.

The Teams meeting's event lists the people expected to attend: an agency's shared mailbox
where it has one, else its people with an e-mail, and the chair (never every member of
children's social care). The scheduler polls each discussion's event when its next poll is
due (a column, chosen in SQL); a changed calendar answer goes through `rsvp.apply_answer`,
exactly as a card answer does (roster, quorum, late withdrawal).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dialogs.rsvp import Answer, apply_answer
from dialogs.services import Services
from procedure import CSC
from procedure.states import AnswerSource, DiscussionStatus, InvitationStatus
from storage import queries
from storage.db import transaction
from storage.models import Discussion, Invitation, Person

log = logging.getLogger("sdbot.calendar")

# Polling: often enough that a chair convening at 4 pm for the same day sees Outlook answers
# within minutes, rarely enough to stay far inside Graph's limits.
POLL_EVERY = timedelta(minutes=5)
POLL_EVERY_SOON = timedelta(minutes=2)  # when the start is this near (SOON)
SOON = timedelta(hours=3)
BACKOFF_MAX = timedelta(hours=1)  # after failures: 5, 10, 20, 40, 60 minutes
LEASE = timedelta(minutes=2)  # one instance polls a discussion at a time
BATCH = 50  # discussions polled per pass at most

# Graph's response -> an invitation status; precedence when several people of an agency answer.
STATUS_OF = {"accepted": InvitationStatus.ACCEPTED, "tentativelyAccepted": InvitationStatus.TENTATIVE,
             "declined": InvitationStatus.DECLINED}
PRECEDENCE = ("accepted", "tentativelyAccepted", "declined", "none")


async def meeting_attendees(session: AsyncSession, d: Discussion) -> list[tuple[str, str]]:
    """(name, e-mail) of who the calendar event invites: the chair, and per invited agency its
    shared mailbox, else its people with an e-mail. Children's social care is the chair (plus
    its mailbox when CSC must still answer, GM): not every CSC member for every case."""
    attendees: list[tuple[str, str]] = []
    chair = await queries.person(session, d.chair_person_id)
    if chair and chair.email:
        attendees.append((chair.name, chair.email))
    for inv in d.invitations:
        agency = await queries.agency(session, inv.agency_id)
        if agency is None:
            continue
        if agency.email:
            if inv.agency_kind != CSC or inv.status != InvitationStatus.ACCEPTED:
                attendees.append((agency.name, agency.email))
            continue
        if inv.agency_kind == CSC:
            continue
        attendees.extend((p.name, p.email) for p in await queries.people_in(session, agency.id) if p.email)
    return attendees


def next_poll(d: Discussion, now: datetime) -> datetime | None:
    """When to read the event's answers again; None once the discussion is over."""
    if d.status not in (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS) or not d.meeting_event_id:
        return None
    if d.scheduled_for is not None:
        if now >= d.scheduled_for + timedelta(minutes=d.duration_minutes):
            return None
        if d.scheduled_for - now <= SOON:
            return now + POLL_EVERY_SOON
    return now + POLL_EVERY


def backoff(failures: int) -> timedelta:
    return min(BACKOFF_MAX, POLL_EVERY * 2 ** max(0, failures - 1))


def _best(responses: list[str]) -> str:
    return min(responses, key=lambda r: PRECEDENCE.index(r) if r in PRECEDENCE else len(PRECEDENCE))


async def _addresses(session: AsyncSession, d: Discussion, inv: Invitation, chair: Person | None) -> list[tuple[str, Person | None]]:
    agency = await queries.agency(session, inv.agency_id)
    if agency is None:
        return []
    found: list[tuple[str, Person | None]] = []
    if agency.email:
        found.append((agency.email.lower(), None))
    for p in await queries.people_in(session, agency.id):
        # The chair's own answer to the event is not CSC's answer (convening is).
        if p.email and (chair is None or p.id != chair.id):
            found.append((p.email.lower(), p))
    return found


async def apply_calendar_answers(
    session: AsyncSession, services: Services, d: Discussion, responses: dict[str, str], now: datetime
) -> int:
    """Apply what changed in the event's attendee answers since the last poll; returns how many
    invitations changed. An attendee e-mail maps to the agency (its mailbox) or to a person
    of the agency."""
    chair = await queries.person(session, d.chair_person_id)
    changed = 0
    for inv in d.invitations:
        seen = [(responses[email], person) for email, person in await _addresses(session, d, inv, chair)
                if email in responses]  # fmt: skip
        if not seen:
            continue
        best = _best([r for r, _ in seen])
        if best == inv.calendar_response:
            continue  # nothing new in the calendar: a later card answer stands
        inv.calendar_response = best
        status = STATUS_OF.get(best)
        if status is None or inv.status == status:
            continue
        if status == InvitationStatus.DECLINED and inv.status == InvitationStatus.WITHDRAWN:
            continue
        by = next((p for r, p in seen if r == best and p is not None), None)
        answer = Answer(status, "Declined the calendar invitation" if status == InvitationStatus.DECLINED else None, AnswerSource.CALENDAR,
                        by=by, by_label="in their calendar")  # fmt: skip
        if await apply_answer(session, services, d, inv, answer, now, audit_action=f"calendar_{status}",
                              actor_aad=by.aad_object_id if by else None,
                              actor_name=by.name if by else "calendar"):  # fmt: skip
            changed += 1
    return changed


async def poll_calendars(factory: async_sessionmaker[AsyncSession], services: Services, now: datetime) -> int:
    """Read the attendee answers of the discussions whose poll is due (chosen in SQL)."""
    if services.meetings is None:
        return 0
    changed = 0
    async with factory() as session:
        due = await queries.calendar_polls_due(session, now, BATCH)
    for discussion_id in due:
        async with transaction(factory) as session:
            event_id = await queries.claim_calendar_poll(session, discussion_id, now, now + LEASE)
        if event_id is None:
            continue  # another instance has it
        try:
            responses = await services.meetings.attendee_responses(event_id)
        except Exception as e:  # Graph down or refusing: back off, try later
            async with transaction(factory) as session:
                d = await queries.discussion(session, discussion_id)
                if d is not None:
                    d.calendar_failures += 1
                    d.calendar_next_poll_at = now + backoff(d.calendar_failures)
            log.warning("calendar answers not read", extra={"discussion": discussion_id, "error": str(e)[:200]})
            continue
        async with transaction(factory) as session:
            d = await queries.discussion_for_update(session, discussion_id)
            if d is None:
                continue
            changed += await apply_calendar_answers(session, services, d, responses, now)
            d.calendar_checked_at, d.calendar_failures = now, 0
            d.calendar_next_poll_at = next_poll(d, now)
    return changed

"""The scheduler's due checks. Each finds candidates cheaply, then raises what is due for one
candidate inside its own transaction (an escalation's unique key makes it happen once).

Who is told follows PROCEDURE sections 4 and 7 (rules named in `procedure.escalation`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import cases, escalate, replies
from dialogs.meeting import send_meeting_cards_at_start_time
from dialogs.services import Services
from dialogs.targets import chair_target, channel_target, person_target
from dialogs.views import quorum_of
from procedure import answer_by, disagreement_resolve_by
from procedure.escalation import (
    action_reminder_ahead,
    action_reminder_at,
    disagreement_rung,
    escalation_rule,
    inquorate_window,
)
from procedure.states import ActionStatus, DiscussionStatus, EscalationKind, InvitationStatus
from storage import due, outbox, queries
from storage.models import Discussion


class Check(Protocol):
    __name__: str

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[Any]: ...  # fmt: skip

    async def run(self, session: AsyncSession, services: Services, candidate: Any, now: datetime) -> int: ...


class DeadlineAtRisk:
    """The convene-by deadline approaches and the discussion is not set up to meet it:
    the chair first, then (half the warning time later) the CSC duty manager."""

    __name__ = "deadline_at_risk"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        rule = escalation_rule(EscalationKind.DEADLINE_AT_RISK, services.profile)
        chair, duty = rule.rungs
        return await due.deadline_at_risk(session, now, -rule.offset, duty.after, discussion_ids)

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or d.status not in (DiscussionStatus.DRAFT, DiscussionStatus.INVITED) or d.convene_by is None:
            return 0
        problems = []
        if d.status == DiscussionStatus.DRAFT:
            problems.append("invitations have not been sent")
        if d.scheduled_for is None:
            problems.append("no start time is set")
        elif d.scheduled_for > d.convene_by:
            problems.append(f"it is set for {services.when(d.scheduled_for)}, after the deadline")
        q = quorum_of(d, services)
        if not q.quorate:
            problems.append("not quorate yet: missing " + ", ".join(q.missing))
        if not problems:
            return 0
        what = (f"The strategy discussion must be held by {services.when(d.convene_by)} "
                f"({d.convene_by_rule}), but " + "; ".join(problems) + ".")  # fmt: skip
        raised = 0
        rule = escalation_rule(EscalationKind.DEADLINE_AT_RISK, services.profile)
        chair, duty = rule.rungs  # the chair first, the CSC duty manager later
        raised += await escalate.raise_escalation(
            session, services, d, EscalationKind.DEADLINE_AT_RISK, chair, dedupe_key=f"deadline_at_risk:{d.id}:chair",
            notify=await escalate.recipients(session, d, chair.notify), what_is_wrong=what,
            what_to_do="Chair: send the invitations, set a time before the deadline, and chase the missing agencies.",
            now=now,
        )  # fmt: skip
        if now >= rule.rung_due(d.convene_by, duty):
            raised += await escalate.raise_escalation(
                session, services, d, EscalationKind.DEADLINE_AT_RISK, duty, dedupe_key=f"deadline_at_risk:{d.id}:duty",
                notify=await escalate.recipients(session, d, duty.notify), what_is_wrong=what,
                what_to_do="CSC duty manager: make sure the discussion is held in time, or record why not.",
                now=now,
            )  # fmt: skip
        return raised


class Inquorate:
    """Before the start, a statutory partner has not confirmed: the chair and that agency's lead."""

    __name__ = "inquorate"

    @staticmethod
    def due_at(d: Discussion, services: Services) -> datetime | None:
        """The answer-by time invitations show (procedure.answer_by): one rule for both."""
        return answer_by(d.scheduled_for, d.invited_at, services.profile)

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        # Only discussions starting within the warning window can be due (due_at is never earlier).
        soon = await due.invited_starting_between(
            session, now, now + inquorate_window(services.profile), discussion_ids
        )
        return [d.id for d in soon if (at := self.due_at(d, services)) is not None and at <= now]

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or d.status != DiscussionStatus.INVITED or quorum_of(d, services).quorate:
            return 0
        raised = 0
        [rung] = escalation_rule(EscalationKind.INQUORATE, services.profile).rungs
        for inv in d.invitations:
            if inv.agency_kind not in services.profile.statutory_kinds or inv.status == InvitationStatus.ACCEPTED:
                continue
            if any(i.agency_kind == inv.agency_kind and i.status == InvitationStatus.ACCEPTED for i in d.invitations):
                continue
            agency = await queries.agency(session, inv.agency_id)
            notify = await escalate.recipients(session, d, rung.notify, agency=agency)
            name = agency.name if agency else inv.agency_kind
            raised += await escalate.raise_escalation(
                session, services, d, EscalationKind.INQUORATE, rung, dedupe_key=f"inquorate:{d.id}:{inv.id}",
                notify=notify, agency_id=inv.agency_id,
                what_is_wrong=f"{name} has not confirmed attendance ({inv.status}) for the discussion at "
                              f"{services.when(d.scheduled_for)}: without it the discussion is inquorate.",
                what_to_do=f"{escalate.names(notify, 'Agency lead')}: confirm someone who can decide for {name} "
                           "will attend (Accept on the invitation), or tell the chair.",
                now=now,
            )  # fmt: skip
        return raised


class CscAbsent:
    """The start passed and the chair has not started: the police escalate to the CSC duty
    manager at once (SX 6.6); the bot does it for them."""

    __name__ = "csc_absent"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        grace = escalation_rule(EscalationKind.CSC_ABSENT, services.profile).offset  # after the start
        return await due.csc_absent(session, now - grace, discussion_ids)

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or d.status != DiscussionStatus.INVITED:
            return 0
        return int(await escalate.csc_absent(session, services, d, now, reported_by=None))


class NoResponse:
    """An invited agency has not answered: a reminder to the agency, later its lead."""

    __name__ = "no_response"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        rule = escalation_rule(EscalationKind.NO_RESPONSE, services.profile)
        reminder, lead = rule.rungs
        return await due.unanswered_invitations(
            session, now, rule.offset + reminder.after, rule.offset + lead.after, discussion_ids,
        )  # fmt: skip

    async def run(self, session: AsyncSession, services: Services, invitation_id: str, now: datetime) -> int:
        inv = await queries.invitation(session, invitation_id)
        if inv is None or inv.status not in (InvitationStatus.PENDING, InvitationStatus.DELEGATED) or inv.sent_at is None:
            return 0
        d = inv.discussion
        if d.status != DiscussionStatus.INVITED:
            return 0
        agency = await queries.agency(session, inv.agency_id)
        if agency is None:
            return 0
        rule = escalation_rule(EscalationKind.NO_RESPONSE, services.profile)
        reminder, lead_rung = rule.rungs  # the agency in its own channel, then its lead
        people = await escalate.recipients(session, d, reminder.notify, agency=agency,
                                           delegate_id=inv.delegated_to_person_id)  # fmt: skip
        what = (f"{agency.name} has not answered the invitation to the strategy discussion for {d.case_ref} "
                f"at {services.when(d.scheduled_for)} (sent {services.when(inv.sent_at)}).")  # fmt: skip
        raised = int(await escalate.raise_escalation(
            session, services, d, EscalationKind.NO_RESPONSE, reminder, dedupe_key=f"no_response:{inv.id}:agency",
            notify=people, agency_id=agency.id, what_is_wrong=what, agency_channel=agency.channel_id,
            what_to_do="Please answer the invitation card: Accept, Decline with a reason, or Delegate.",
            now=now,
        ))  # fmt: skip
        if now >= rule.rung_due(inv.sent_at, lead_rung):
            leads = await escalate.recipients(session, d, lead_rung.notify, agency=agency)
            raised += await escalate.raise_escalation(
                session, services, d, EscalationKind.NO_RESPONSE, lead_rung, dedupe_key=f"no_response:{inv.id}:lead",
                notify=leads, agency_id=agency.id, what_is_wrong=what,
                what_to_do=f"{escalate.names(leads, 'Agency lead')}: make sure someone who can decide for "
                           f"{agency.name} answers now.",
                now=now,
            )  # fmt: skip
        return raised


ALL: list[Check] = [DeadlineAtRisk(), Inquorate(), CscAbsent(), NoResponse()]


class MeetingCards:
    """At the start time, everyone who accepted gets the meeting card (with `CSC not present`
    for the police and health), whether or not the chair has typed `start`."""

    __name__ = "meeting_cards"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        return await due.meeting_started(session, now, discussion_ids)

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or d.status != DiscussionStatus.INVITED:
            return 0
        return await send_meeting_cards_at_start_time(session, services, d)


class ActionsDue:
    """A reminder to the owner before an action is due; one escalation to the chair when overdue."""

    __name__ = "actions_due"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        return await due.actions_due(session, now, action_reminder_ahead(services.profile), discussion_ids)

    async def run(self, session: AsyncSession, services: Services, action_id: str, now: datetime) -> int:

        row = await queries.action(session, action_id)
        if row is None or row.status != ActionStatus.OPEN:
            return 0
        d = await queries.discussion(session, row.discussion_id)
        owner = await queries.person(session, row.owner_person_id)
        if d is None:
            return 0
        if now < row.due:
            if now >= action_reminder_at(row.due, services.profile) and row.reminded_at is None and owner is not None and owner.teams_id:
                row.reminded_at = now
                notice = cards.notice_card(f"{d.case_ref}: action due {services.when(row.due)}",
                                           [row.what[:300], "Mark it done on the action card when it is."], style="warning")  # fmt: skip
                await outbox.enqueue(session, target=person_target(owner), payload=replies.card_activity(notice),
                                     discussion_id=d.id, purpose="action_reminder")  # fmt: skip
                return 1
            return 0
        [rung] = escalation_rule(EscalationKind.OVERDUE_ACTION, services.profile).rungs
        notify = await escalate.recipients(session, d, rung.notify, owner=owner)
        return int(await escalate.raise_escalation(
            session, services, d, EscalationKind.OVERDUE_ACTION, rung, dedupe_key=f"overdue_action:{row.id}", notify=notify,
            agency_id=row.agency_id,
            what_is_wrong=f"The action '{row.what[:200]}' for {row.owner_name} was due {services.when(row.due)} "
                          "and is not marked done.",
            what_to_do="Owner: do it or tell the chair what stops you. Chair: follow it up (GM: follow up actions).",
            now=now,
        ))  # fmt: skip


class CirculationOverdue:
    """The record must reach everyone within 1 WD of the discussion (SX 6.6, GM)."""

    __name__ = "circulation_overdue"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        return await due.circulation_overdue(session, now, discussion_ids)

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or d.circulated_at is not None:
            return 0
        [rung] = escalation_rule(EscalationKind.CIRCULATION_OVERDUE, services.profile).rungs
        return int(await escalate.raise_escalation(
            session, services, d, EscalationKind.CIRCULATION_OVERDUE, rung, dedupe_key=f"circulation_overdue:{d.id}",
            notify=await escalate.recipients(session, d, rung.notify),
            what_is_wrong=f"The record of {d.case_ref} had to be circulated by {services.when(d.circulate_by)} "
                          "and has not been.",
            what_to_do="Chair: press Approve circulation on the record card (type 'close "
                       f"{d.case_ref}' to see it again).",
            now=now,
        ))  # fmt: skip


class DisagreementsDue:
    """Unresolved at its stage's deadline, a disagreement goes to the next level (SX 7.2, GM)."""

    __name__ = "disagreements_due"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        return await due.disagreements_due(session, now, len(services.profile.disagreement_stages), discussion_ids)

    async def run(self, session: AsyncSession, services: Services, disagreement_id: str, now: datetime) -> int:

        g = await queries.disagreement(session, disagreement_id)
        if g is None or g.resolved_at is not None or g.resolve_by > now:
            return 0
        d = await queries.discussion(session, g.discussion_id)
        if d is None:
            return 0
        stages = services.profile.disagreement_stages
        next_index = min(g.stage_index + 1, len(stages) - 1)
        # Line managers at stage 2, senior managers after (procedure.disagreement_rung).
        rung = disagreement_rung(next_index)
        notify = await escalate.recipients(session, d, rung.notify, agency=await queries.agency(session, g.agency_id))
        raised = await escalate.raise_escalation(
            session, services, d, EscalationKind.DISAGREEMENT, rung, dedupe_key=f"disagreement:{g.id}:{next_index}",
            notify=notify, agency_id=g.agency_id,
            what_is_wrong=f"A professional disagreement raised by {g.raised_by_name} was not resolved at "
                          f"{stages[g.stage_index]} level by {services.when(g.resolve_by)}.",
            what_to_do=f"Now for the {stages[next_index]} level: resolve it and tell the chair, who records it.",
            private_detail=f"What it is about: {g.about[:1000]}",  # to those who must resolve it, privately
            now=now,
        )  # fmt: skip
        if raised:
            g.stage_index = next_index
            g.resolve_by = disagreement_resolve_by(now, services.profile, next_index).at
        return int(raised)


class ReviewReminders:
    """The working day before a planned next review (agenda step 15, or a looked-after child's
    interval, SX 6.6), the chair is reminded unless a review has been convened. Once each."""

    __name__ = "review_reminders"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        return await due.reviews_due(session, now, discussion_ids)

    async def run(self, session: AsyncSession, services: Services, discussion_id: str, now: datetime) -> int:
        d = await queries.discussion(session, discussion_id)
        if d is None or not await queries.claim_review_reminder(session, discussion_id, now):
            return 0  # another instance took it
        if d.next_review_at is None or await queries.review_convened_after(session, d):
            return 0
        target = await chair_target(session, d)
        if target is None:
            return 0
        planned = isinstance(d.agenda.get("contingency"), dict) and d.agenda["contingency"].get("next_review")
        why = ("The discussion planned its next review (agenda step 15)." if planned else
               "The child is looked after and allegations are ongoing: review at regular intervals (SX 6.6).")  # fmt: skip
        notice = cards.notice_card(f"{d.case_ref}: review strategy discussion due {services.when(d.next_review_at)}",
                                   [why, f"Type 'review {d.case_ref} at WHEN' to convene it."], style="warning")  # fmt: skip
        await outbox.enqueue(session, target=target, payload=replies.card_activity(notice), discussion_id=d.id,
                             purpose="review_due")  # fmt: skip
        await queries.audit(session, "review_due", actor_aad=None, actor_name="sdbot", discussion=d, at=now)
        return 1


ALL.extend([MeetingCards(), ActionsDue(), CirculationOverdue(), DisagreementsDue(), ReviewReminders()])


class DailyDigest:
    """Working days at the profile's digest time: counts and case references at risk, in the
    escalation channel (no free text), once a day (the day is the row's key)."""

    __name__ = "daily_digest"

    async def candidates(self, session: AsyncSession, services: Services, now: datetime,
                         discussion_ids: Sequence[str] | None = None) -> list[str]:  # fmt: skip
        if discussion_ids is not None:  # on the full pass only: it is about every case
            return []
        local = services.local(now)
        if (not services.escalation_channel or local.time() < services.profile.digest_time
                or not services.calendar.is_working_day(local.date())):  # fmt: skip
            return []
        day = local.date().isoformat()
        return [] if await queries.digest_sent(session, day) else [day]

    async def run(self, session: AsyncSession, services: Services, day: str, now: datetime) -> int:
        digest, count = await cases.digest_card(session, services, now)
        await queries.digest_claim(session, day, now, count)  # a twin instance fails here and rolls back
        assert services.escalation_channel is not None
        await replies.to_channel(session, channel_target(services.escalation_channel), digest, purpose="digest")
        await queries.audit(session, "daily_digest", actor_aad=None, actor_name="sdbot", at=now, day=day, cases=count)
        return 1


ALL.append(DailyDigest())

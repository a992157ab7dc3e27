"""Who is told what, and when (PROCEDURE sections 4 and 7): one rule per escalation kind.

Each kind is due at a time counted from something the discussion records (the convene-by
deadline, the start, the answer-by time, an action's due time...), and then tells people in
rungs: who (roles the dialogs resolve to people from the directory) and how long after it is
due. The dialogs ask here and never hold a duration or a recipient of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from procedure.profile import Profile

ESCALATION_KINDS: dict[str, str] = {
    "late_withdrawal": "Late withdrawal: the absent agency's lead is told (SX 6.6 Inquorate)",
    "inquorate": "Inquorate: a statutory partner has not confirmed (SX 6.6; GM)",
    "csc_absent": "CSC absent: the CSC duty manager is told at once (SX 6.6 Inquorate)",
    "deadline_at_risk": "Convene-by deadline at risk (SX 6.6 Timing)",
    "overdue_action": "Action overdue (GM Roles: follow up actions)",
    "disagreement": "Professional disagreement not resolved in time (SX 7.2; GM)",
    "circulation_overdue": "Record not circulated within 1 working day (SX 6.6 Recording; GM)",
    "no_response": "No answer to an invitation",
}

# Who may be told. `dialogs.escalate.recipients` turns a role into people.
CHAIR = "chair"
CSC_DUTY_MANAGER = "csc_duty_manager"  # the duty manager of the chair's agency (CSC)
CSC_LEAD = "csc_lead"  # the lead (line manager) of the chair's agency
CSC_SENIOR = "csc_senior"  # the chair's agency's duty manager, else its lead
AGENCY = "agency"  # the people of the agency concerned (a delegate alone when delegated)
AGENCY_LEAD = "agency_lead"  # the lead of the agency concerned (its line management)
AGENCY_SENIOR = "agency_senior"  # the agency's duty manager, else its lead
ACTION_OWNER = "action_owner"
ROLES = (CHAIR, CSC_DUTY_MANAGER, CSC_LEAD, CSC_SENIOR, AGENCY, AGENCY_LEAD, AGENCY_SENIOR, ACTION_OWNER)

# Where the ping goes: the escalation channel (duty managers watch it), or the agency's own.
ESCALATION_CHANNEL = "escalation"
AGENCY_CHANNEL = "agency"


@dataclass(frozen=True)
class Rung:
    notify: tuple[str, ...]  # roles, mentioned in the ping
    after: timedelta = timedelta(0)  # after the escalation is due
    tell_chair: bool = True  # the chair also gets a private notice (with any typed reason)
    channel: str = ESCALATION_CHANNEL


@dataclass(frozen=True)
class EscalationRule:
    kind: str
    source: str
    counted_from: str  # what `due` is counted from, in words
    offset: timedelta  # due this long after that time (negative: before it)
    rungs: tuple[Rung, ...]

    def due(self, counted_from: datetime) -> datetime:
        return counted_from + self.offset

    def rung_due(self, counted_from: datetime, rung: Rung) -> datetime:
        return counted_from + self.offset + rung.after


def escalation_rule(kind: str, profile: Profile) -> EscalationRule:
    """The rule for one kind under `profile`. Unknown kinds raise KeyError."""
    at_risk = timedelta(hours=profile.deadline_at_risk_hours)
    reminder = timedelta(minutes=profile.rsvp_reminder_minutes)
    rules = {
        # SX 6.6 Timing: the chair, then (a DESIGN decision) the CSC duty manager at half the
        # warning time; the chair hears again then.
        "deadline_at_risk": EscalationRule(
            kind, "SX 6.6 Timing; DESIGN (duty manager at half the warning time)", "the convene-by deadline",
            -at_risk, (Rung((CHAIR,), tell_chair=False), Rung((CSC_DUTY_MANAGER,), at_risk / 2))),
        # SX 6.6, GM: a statutory partner missing at the answer-by time (`answer_by`): its lead.
        "inquorate": EscalationRule(
            kind, "SX 6.6 Inquorate; GM (non-attendance of statutory partners)", "the answer-by time",
            timedelta(0), (Rung((AGENCY_LEAD,)),)),
        # SX 6.6 Inquorate: CSC fails to attend: the CSC duty manager at once (after a grace).
        "csc_absent": EscalationRule(
            kind, "SX 6.6 Inquorate", "the start", timedelta(minutes=profile.csc_absent_minutes),
            (Rung((CSC_DUTY_MANAGER,)),)),
        # PROCEDURE 4: the CSC lead escalates to the absent agency's lead (`is_late_withdrawal`).
        "late_withdrawal": EscalationRule(
            kind, "SX 6.6 Inquorate; PROCEDURE 4", "the withdrawal", timedelta(0), (Rung((AGENCY_LEAD,)),)),
        # No answer: a reminder to the agency in its own channel, then its lead.
        "no_response": EscalationRule(
            kind, "profile [escalation] rsvp_reminder_minutes, rsvp_escalate_minutes", "the invitation",
            reminder, (Rung((AGENCY,), tell_chair=False, channel=AGENCY_CHANNEL),
                       Rung((AGENCY_LEAD,), timedelta(minutes=profile.rsvp_escalate_minutes) - reminder))),
        # GM Roles: the chair follows up actions; the owner is told too.
        "overdue_action": EscalationRule(
            kind, "GM Roles (follow up actions)", "the action's due time", timedelta(0),
            (Rung((CHAIR, ACTION_OWNER), tell_chair=False),)),
        # SX 6.6 Recording, GM: within 1 WD (`circulate_by`): the chair and the CSC duty manager.
        "circulation_overdue": EscalationRule(
            kind, "SX 6.6 Recording; GM", "the circulate-by deadline", timedelta(0),
            (Rung((CHAIR, CSC_DUTY_MANAGER), tell_chair=False),)),
        # SX 7.2, London ch. 11: one rung per stage after the first (`disagreement_rung`).
        "disagreement": EscalationRule(
            kind, "SX 7.2; GM; London ch. 11", "the stage's resolve-by time (`disagreement_resolve_by`)",
            timedelta(0), tuple(disagreement_rung(i) for i in range(1, len(profile.disagreement_stages)))),
    }  # fmt: skip
    return rules[kind]


def disagreement_rung(stage_index: int) -> Rung:
    """Who is told when a disagreement moves to stage `stage_index` (0 = practitioners): line
    managers (the leads of the chair's and the disagreeing agency) at stage 2 (London ch. 11);
    their senior (duty) managers after that (DESIGN, decisions)."""
    if stage_index <= 1:
        return Rung((CSC_LEAD, AGENCY_LEAD))
    return Rung((CSC_SENIOR, AGENCY_SENIOR))


def ladder(kind: str, profile: Profile) -> tuple[Rung, ...]:
    """The order in which people are told, each rung after the escalation is due."""
    return escalation_rule(kind, profile).rungs


def deadline_at_risk_from(convene_by: datetime, profile: Profile) -> datetime:
    """From when a convene-by deadline is at risk (SX 6.6 Timing)."""
    return escalation_rule("deadline_at_risk", profile).due(convene_by)


def csc_absent_at(starts_at: datetime, profile: Profile) -> datetime:
    """When CSC counts as absent: the start plus the profile's grace (SX 6.6 Inquorate)."""
    return escalation_rule("csc_absent", profile).due(starts_at)


def inquorate_window(profile: Profile) -> timedelta:
    """How long before the start the inquorate warning can fire at the earliest (`answer_by`
    is never earlier)."""
    return timedelta(hours=profile.inquorate_warning_hours)


def action_reminder_ahead(profile: Profile) -> timedelta:
    """How long before an action is due its owner is reminded (GM Roles: follow up actions)."""
    return timedelta(hours=profile.action_reminder_hours)


def action_reminder_at(due: datetime, profile: Profile) -> datetime:
    return due - action_reminder_ahead(profile)


def answer_by(starts_at: datetime | None, invited_at: datetime | None, profile: Profile) -> datetime | None:
    """When an invited agency must have answered: the moment the inquorate warning fires.

    The warning window opens `inquorate_warning_hours` before the start, but never before the
    agencies have had a fair chance to answer: up to the reminder interval after sending, at
    most half the time that was left when the invitations went out (DESIGN, decisions).
    Invitations show this time; `Inquorate` fires at it. One place, so they cannot disagree.
    """
    if starts_at is None:
        return None
    window_opens = starts_at - inquorate_window(profile)
    if invited_at is None:
        return window_opens
    grace = min(timedelta(minutes=profile.rsvp_reminder_minutes), (starts_at - invited_at) / 2)
    return max(window_opens, invited_at + grace)

"""Who is told what, and when (PROCEDURE sections 4 and 7)."""

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


@dataclass(frozen=True)
class Rung:
    who: str  # chair | duty_manager | agency_lead | agency
    after_minutes: int


def ladder(kind: str, profile: Profile) -> tuple[Rung, ...]:
    """The order in which people are told, minutes after the trigger."""
    at_risk = profile.deadline_at_risk_hours * 60
    ladders = {
        "deadline_at_risk": (Rung("chair", 0), Rung("duty_manager", at_risk // 2)),
        "inquorate": (Rung("chair", 0), Rung("agency_lead", 0)),
        "csc_absent": (Rung("duty_manager", 0),),
        "late_withdrawal": (Rung("chair", 0), Rung("agency_lead", 0)),
        "no_response": (Rung("agency", 0), Rung("agency_lead", profile.rsvp_escalate_minutes - profile.rsvp_reminder_minutes)),
        "overdue_action": (Rung("chair", 0),),
        "circulation_overdue": (Rung("chair", 0), Rung("duty_manager", 0)),
        "disagreement": (Rung("agency_lead", 0), Rung("duty_manager", profile.disagreement_stage_wd * 24 * 60)),
    }
    return ladders[kind]


def answer_by(starts_at: datetime | None, invited_at: datetime | None, profile: Profile) -> datetime | None:
    """When an invited agency must have answered: the moment the inquorate warning fires.

    The warning window opens `inquorate_warning_hours` before the start, but never before the
    agencies have had a fair chance to answer: up to the reminder interval after sending, at
    most half the time that was left when the invitations went out (DESIGN, decisions).
    Invitations show this time; `Inquorate` fires at it. One place, so they cannot disagree.
    """
    if starts_at is None:
        return None
    window_opens = starts_at - timedelta(hours=profile.inquorate_warning_hours)
    if invited_at is None:
        return window_opens
    grace = min(timedelta(minutes=profile.rsvp_reminder_minutes), (starts_at - invited_at) / 2)
    return max(window_opens, invited_at + grace)

"""The procedure as rules: pure Python, no I/O beyond reading a profile, no Teams.

Every rule names its source: SX = Pan-Sussex 6.6, GM = the Greater Manchester briefing.
"""

from procedure.agenda import (
    AGENDA,
    DECISION_TOPICS,
    OUTCOMES,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    AgendaStep,
    Field,
    input_id,
    medical_decision_allowed,
    s47_initiated,
    step_values,
)
from procedure.calendar import WorkingDayCalendar
from procedure.codes import AGENCY_KINDS, CONCERNS, FLAGS, UnknownCode, parse_codes
from procedure.dates import DateParseError, parse_when
from procedure.deadlines import (
    REVIEW_RULE,
    Deadline,
    circulate_by,
    convene_by,
    disagreement_resolve_by,
    icpc_by,
    next_looked_after_review,
    review_convene_by,
    review_reminder_at,
)
from procedure.escalation import ESCALATION_KINDS, Rung, answer_by, ladder
from procedure.invitees import (
    RECORD_RECIPIENT_KINDS,
    Requirement,
    invitees,
    may_invite,
    planning_notes,
)
from procedure.profile import Profile, ProfileError, load_profile, profile_from_mapping
from procedure.quorum import Quorum, is_late_withdrawal, quorum

__all__ = [
    "AGENCY_KINDS", "AGENDA", "CONCERNS", "DECISION_TOPICS", "ESCALATION_KINDS", "FLAGS", "OUTCOMES",
    "PROFESSIONAL_DIFFERENCE_STATEMENT", "RECORD_RECIPIENT_KINDS", "REVIEW_RULE", "AgendaStep", "DateParseError", "Deadline",
    "Field", "Profile", "ProfileError", "Quorum", "Requirement", "Rung", "UnknownCode", "WorkingDayCalendar",
    "answer_by", "circulate_by", "convene_by", "disagreement_resolve_by", "icpc_by", "invitees", "is_late_withdrawal",
    "input_id", "ladder", "load_profile", "may_invite", "medical_decision_allowed", "next_looked_after_review",
    "parse_codes", "parse_when", "planning_notes", "profile_from_mapping", "quorum", "review_convene_by",
    "review_reminder_at", "s47_initiated", "step_values",
]  # fmt: skip

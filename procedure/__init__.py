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
    medical_decision_allowed,
    s47_initiated,
)
from procedure.calendar import WorkingDayCalendar
from procedure.codes import AGENCY_KINDS, CONCERNS, FLAGS, UnknownCode, parse_codes
from procedure.dates import DateParseError, parse_when
from procedure.deadlines import (
    Deadline,
    circulate_by,
    convene_by,
    disagreement_resolve_by,
    icpc_by,
    next_looked_after_review,
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
    "PROFESSIONAL_DIFFERENCE_STATEMENT", "RECORD_RECIPIENT_KINDS", "AgendaStep", "DateParseError", "Deadline",
    "Field", "Profile", "ProfileError", "Quorum", "Requirement", "Rung", "UnknownCode", "WorkingDayCalendar",
    "answer_by", "circulate_by", "convene_by", "disagreement_resolve_by", "icpc_by", "invitees", "is_late_withdrawal",
    "ladder", "load_profile", "may_invite", "medical_decision_allowed", "next_looked_after_review",
    "parse_codes", "parse_when", "planning_notes", "profile_from_mapping", "quorum", "s47_initiated",
]  # fmt: skip

"""The procedure as rules: pure Python, no I/O beyond reading a profile, no Teams.

Every rule names its source: SX = Pan-Sussex 6.6, GM = the Greater Manchester briefing.
"""

from procedure.agenda import (
    AGENDA,
    DECISION_TOPICS,
    PROFESSIONAL_DIFFERENCE_STATEMENT,
    AgendaStep,
    Field,
    input_id,
    medical_decision_allowed,
    s47_initiated,
    step_values,
)
from procedure.calendar import WorkingDayCalendar
from procedure.codes import (
    AGENCY_KINDS,
    CONCERNS,
    CSC,
    FLAGS,
    HEALTH,
    HEALTH_KINDS,
    MEDICAL_DECISION_KINDS,
    MEDICAL_EXPERTISE,
    POLICE,
    REPORTS_CSC_ABSENT,
    UnknownCode,
    parse_codes,
)
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
from procedure.escalation import (
    ESCALATION_KINDS,
    EscalationRule,
    Rung,
    action_reminder_at,
    answer_by,
    csc_absent_at,
    deadline_at_risk_from,
    disagreement_rung,
    escalation_rule,
    ladder,
)
from procedure.invitees import (
    Requirement,
    convening_confirms,
    invitees,
    may_invite,
    planning_notes,
)
from procedure.profile import Profile, ProfileError, load_profile, profile_from_mapping
from procedure.quorum import Quorum, is_late_withdrawal, quorum

__all__ = [
    "AGENCY_KINDS", "CSC", "HEALTH", "HEALTH_KINDS", "MEDICAL_DECISION_KINDS", "MEDICAL_EXPERTISE", "POLICE",
    "REPORTS_CSC_ABSENT", "AGENDA", "CONCERNS", "DECISION_TOPICS", "ESCALATION_KINDS", "FLAGS",
    "PROFESSIONAL_DIFFERENCE_STATEMENT", "REVIEW_RULE", "AgendaStep", "DateParseError", "Deadline",
    "Field", "Profile", "ProfileError", "Quorum", "Requirement", "EscalationRule", "Rung", "UnknownCode", "WorkingDayCalendar",
    "action_reminder_at", "answer_by", "csc_absent_at", "deadline_at_risk_from", "disagreement_rung", "escalation_rule", "circulate_by", "convening_confirms", "convene_by", "disagreement_resolve_by", "icpc_by", "invitees", "is_late_withdrawal",
    "input_id", "ladder", "load_profile", "may_invite", "medical_decision_allowed", "next_looked_after_review",
    "parse_codes", "parse_when", "planning_notes", "profile_from_mapping", "quorum", "review_convene_by",
    "review_reminder_at", "s47_initiated", "step_values",
]  # fmt: skip

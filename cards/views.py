"""The data each card shows. Filled by `dialogs/`; cards never see the database.

Labels arrive as plain strings (the dialogs look them up); states are the StrEnums of
`procedure.states`, the only module of ours the views need. Every datetime is timezone-aware and shown in its own zone. Nothing here identifies a
child: a case is its case reference, and every name is a professional's or an agency's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from procedure.states import AnswerSource, Delivery, InvitationStatus


@dataclass(frozen=True)
class InviteeLine:
    agency_id: str
    agency_name: str
    kind_label: str  # what requirement it meets, e.g. "Police", "Paediatrician"
    reason: str  # why it is invited, with its source
    required: bool
    reach: str  # how the bot will reach it, e.g. "new thread in Police (MASH)'s Teams channel"


@dataclass(frozen=True)
class ConveneSummary:
    discussion_id: str
    case_ref: str
    kind: str  # "initial" | "review"
    referral_at: datetime
    concerns: list[str]  # labels
    flags: list[str]  # labels
    convene_by: datetime | None  # None: a review held when the chair asks
    convene_by_rule: str
    convene_by_note: str | None
    now: datetime
    scheduled_for: datetime | None
    format_label: str
    invitees: list[InviteeLine]
    planning_notes: list[str]
    meeting_url: str | None
    meeting_note: str | None
    invitations_sent: bool


@dataclass(frozen=True)
class ConveneFormView:
    values: dict[str, str]  # what the chair entered, kept when the form comes back with errors
    errors: dict[str, str]  # field id -> what is wrong (server-side validation)
    concern_choices: list[tuple[str, str]]  # (code, label)
    flag_choices: list[tuple[str, str]]
    format_choices: list[tuple[str, str]]


@dataclass(frozen=True)
class InvitationView:
    invitation_id: str
    discussion_id: str
    case_ref: str
    kind: str
    agency_name: str
    reason: str
    required: bool
    scheduled_for: datetime | None
    format_label: str
    meeting_url: str | None
    meeting_note: str | None
    chair_name: str
    status: InvitationStatus
    responder_name: str | None
    responded_at: datetime | None
    late: bool
    delegated_to_name: str | None
    colleagues: list[tuple[str, str]]  # (person id, name): who it may be delegated to
    now: datetime
    answer_reason: str | None = None  # the reason given with a decline or withdrawal
    late_window_hours: int | None = None  # the profile's late-withdrawal window, for the warning
    # True only for a copy one person sees (a personal chat, or the card answering their click):
    # then the free-text reason is shown. Channel copies say a reason was given, not what it was.
    private_copy: bool = False
    answer_by: datetime | None = None  # when the inquorate warning fires: answer before it


@dataclass(frozen=True)
class RosterRow:
    agency_name: str
    kind_label: str
    required: bool
    status: InvitationStatus
    person_name: str | None
    responded_at: datetime | None
    late: bool
    reason: str | None
    delivery: Delivery | None = None  # of its invitation; None: nothing sent
    contact: str | None = None  # who to phone when Teams cannot reach it: "Name (role), phone"
    recorded_by: str | None = None  # the chair's name when the chair recorded the answer
    source: AnswerSource | None = None


@dataclass(frozen=True)
class RecordAnswerForm:
    """The chair's `Record answer` form: which agency (the discussion's invitations), what."""

    discussion_id: str
    choices: list[tuple[str, str]]  # (invitation id, agency name)
    selected: str | None = None
    origin: str = "roster"  # roster | notice: what the click answers with


@dataclass(frozen=True)
class EscalationLine:
    kind_label: str
    at: datetime
    notified: list[str]
    agency_name: str | None


@dataclass(frozen=True)
class RosterView:
    discussion_id: str
    case_ref: str
    status: str  # a label, e.g. "Invitations sent"
    convene_by: datetime | None  # None: a review held when the chair asks
    convene_by_rule: str
    now: datetime
    scheduled_for: datetime | None
    rows: list[RosterRow]
    quorate: bool
    missing: list[str]  # what the quorum still needs, in words
    escalations: list[EscalationLine]
    meeting_url: str | None
    updated_at: datetime
    not_delivered: int = 0  # invitations that failed for good
    record_form: RecordAnswerForm | None = None  # the chair's Record answer button
    state: str = ""  # the discussion's status code ("invited", "in_progress"...): the next step follows from it
    icpc: str | None = None  # the ICPC deadline and when it was held, in words (after an S47)


@dataclass(frozen=True)
class CaseLine:
    """One line of `cases`: a discussion, where it stands, what comes next and what is missing."""

    case_ref: str
    state: str
    next_deadline: str  # e.g. "hold by 17:00 Mon 23 Nov"
    missing: list[str]
    at_risk: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CasesView:
    title: str
    subtitle: str
    lines: list[CaseLine]
    empty: str
    more: bool = False  # the list was cut at its limit


@dataclass(frozen=True)
class EscalationView:
    kind_label: str
    case_ref: str
    what_is_wrong: str
    what_to_do: str
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (teams id, name)
    at: datetime | None = None

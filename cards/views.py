"""The data each card shows. Filled by `dialogs/`; cards never see the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InviteeLine:
    agency_id: str
    agency_name: str
    kind_label: str
    reason: str
    required: bool
    reach: str


@dataclass(frozen=True)
class ConveneSummary:
    discussion_id: str
    case_ref: str
    kind: str
    referral_at: datetime
    concerns: list[str]
    flags: list[str]
    convene_by: datetime
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
    values: dict[str, str]
    errors: dict[str, str]
    concern_choices: list[tuple[str, str]]
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
    status: str
    responder_name: str | None
    responded_at: datetime | None
    late: bool
    delegated_to_name: str | None
    colleagues: list[tuple[str, str]]
    now: datetime
    answer_reason: str | None = None


@dataclass(frozen=True)
class RosterRow:
    agency_name: str
    kind_label: str
    required: bool
    status: str
    person_name: str | None
    responded_at: datetime | None
    late: bool
    reason: str | None


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
    status: str
    convene_by: datetime
    convene_by_rule: str
    now: datetime
    scheduled_for: datetime | None
    rows: list[RosterRow]
    quorate: bool
    missing: list[str]
    escalations: list[EscalationLine]
    meeting_url: str | None
    updated_at: datetime


@dataclass(frozen=True)
class EscalationView:
    kind_label: str
    case_ref: str
    what_is_wrong: str
    what_to_do: str
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (teams id, name)
    at: datetime | None = None

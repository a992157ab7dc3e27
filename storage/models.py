"""The database schema: SQLAlchemy 2 declarative models.

Times are stored as timezone-aware UTC (``UtcDateTime``) so SQLite and PostgreSQL agree.
JSON columns hold small lists and documents (codes, card payloads, agenda answers).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from procedure.states import (
    ActionStatus,
    AnswerSource,
    Delivery,
    DiscussionStatus,
    EscalationKind,
    InvitationStatus,
)


class OutboxStatus(StrEnum):
    """An outbox row's state: a lease (`lease_until`) does not change it (storage/outbox.py)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class OutboxOp(StrEnum):
    """What an outbox row asks of Teams."""

    SEND = "send"  # post a new message (recording its id when it has a message key)
    UPDATE = "update"  # edit the message sent under the same message key
    UPLOAD = "upload"  # put the record's file where the person allowed it (file consent)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class StateString(TypeDecorator[E]):
    """A state kept as its plain string (the schema and the export stay strings) and read back as
    its StrEnum member. Writing or comparing with a value the enum does not have raises, so a
    mistyped state cannot reach the database."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Any) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: str | None, dialect: Any) -> E | None:
        return None if value is None else self.enum(value)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Agency(Base):
    """An agency from the directory file (kept in step with it at start-up)."""

    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(300))
    lead_person_id: Mapped[str | None] = mapped_column(String(64))
    duty_manager_person_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # A shared mailbox gets the calendar invitation instead of each person; the phone is who
    # the chair calls when Teams cannot reach the agency.
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Person(Base):
    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[str] = mapped_column(String(64), index=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    teams_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(64))
    can_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ConversationRef(Base):
    """Where the bot can post proactively. Keyed by what we know the conversation as."""

    __tablename__ = "conversation_refs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(400))
    conversation_type: Mapped[str] = mapped_column(String(32), default="personal")
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    team_id: Mapped[str | None] = mapped_column(String(300))
    channel_id: Mapped[str | None] = mapped_column(String(300))
    bot_id: Mapped[str | None] = mapped_column(String(200))
    user_aad_object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Discussion(Base):
    __tablename__ = "discussions"
    # What the scheduler's checks look up (storage/due.py): work proportional to what is due.
    __table_args__ = (
        Index("ix_discussions_status_convene_by", "status", "convene_by"),
        Index("ix_discussions_status_scheduled_for", "status", "scheduled_for"),
        Index("ix_discussions_circulation_due", "circulated_at", "circulate_by"),
        Index("ix_discussions_next_review_at", "next_review_at"),
        Index("ix_discussions_meeting_pending", "meeting_pending"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="initial")
    review_of: Mapped[str | None] = mapped_column(ForeignKey("discussions.id"))
    status: Mapped[DiscussionStatus] = mapped_column(StateString(DiscussionStatus, 16), default=DiscussionStatus.DRAFT)
    profile: Mapped[str] = mapped_column(String(64))
    referral_received_at: Mapped[datetime]
    concerns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    action_at: Mapped[datetime | None]
    # None for a review with no time asked for yet: a review is held when the chair asks (SX 6.6).
    convene_by: Mapped[datetime | None]
    convene_by_rule: Mapped[str] = mapped_column(Text)
    convene_by_note: Mapped[str | None] = mapped_column(Text)
    scheduled_for: Mapped[datetime | None]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    format: Mapped[str] = mapped_column(String(16), default="teams")
    chair_person_id: Mapped[str] = mapped_column(String(64), index=True)
    chair_conversation_key: Mapped[str | None] = mapped_column(String(400))
    meeting_url: Mapped[str | None] = mapped_column(Text)
    meeting_event_id: Mapped[str | None] = mapped_column(String(400))
    meeting_note: Mapped[str | None] = mapped_column(Text)
    meeting_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    meeting_lease_until: Mapped[datetime | None]
    # Calendar answers are polled: only discussions whose next poll is due are read (indexed).
    calendar_checked_at: Mapped[datetime | None]
    calendar_next_poll_at: Mapped[datetime | None] = mapped_column(index=True)
    calendar_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The roster card edited in place; `status` re-posts it under a new key.
    roster_message_key: Mapped[str | None] = mapped_column(String(200))
    created_by_conversation: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Indexed: the learning and assurance report selects discussions by when they were sent.
    invited_at: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    # Whether CSC, police and health had confirmed when the chair started (PROCEDURE 4).
    quorate_at_start: Mapped[bool | None] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None]
    circulate_by: Mapped[datetime | None]
    circulation_approved_at: Mapped[datetime | None]
    circulated_at: Mapped[datetime | None]
    icpc_by: Mapped[datetime | None]
    # When the Initial Child Protection Conference was held, as the chair recorded it (`icpc`):
    # kept on the discussion that initiated the S47 (the one whose icpc_by counts).
    icpc_held_at: Mapped[datetime | None]
    s47_initiated: Mapped[bool] = mapped_column(Boolean, default=False)
    initiating_discussion_id: Mapped[str | None] = mapped_column(String(36))
    agenda_step: Mapped[int] = mapped_column(Integer, default=0)
    agenda: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_review_at: Mapped[datetime | None]
    # When the chair is reminded of the next review (the working day before); cleared once done.
    review_remind_at: Mapped[datetime | None] = mapped_column(index=True)
    # The chair's agenda card, a message edited in place (partners' information shows at once).
    agenda_message_key: Mapped[str | None] = mapped_column(String(200))

    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="discussion", order_by="Invitation.position", lazy="selectin"
    )


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("discussion_id", "agency_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    agency_id: Mapped[str | None] = mapped_column(String(64), index=True)
    agency_kind: Mapped[str] = mapped_column(String(64))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[InvitationStatus] = mapped_column(StateString(InvitationStatus, 16), default=InvitationStatus.PENDING)
    person_id: Mapped[str | None] = mapped_column(String(64))
    delegated_to_person_id: Mapped[str | None] = mapped_column(String(64))
    answer_reason: Mapped[str | None] = mapped_column(Text)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    responded_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # Delivery of the invitation card: None while nothing is sent.
    delivery: Mapped[Delivery | None] = mapped_column(StateString(Delivery, 16))
    # The last calendar answer read from Graph (accepted, tentativelyAccepted, declined, none):
    # only a change is applied, so a later card answer is not overwritten by an old calendar one.
    calendar_response: Mapped[str | None] = mapped_column(String(32))
    # Who recorded the answer on the agency's behalf (the chair, after a phone call or e-mail).
    recorded_by_person_id: Mapped[str | None] = mapped_column(String(64))
    answer_note: Mapped[str | None] = mapped_column(Text)
    answer_source: Mapped[AnswerSource | None] = mapped_column(StateString(AnswerSource, 16))

    # Agencies and people are read from the directory snapshot (storage/people.py), not joined.
    discussion: Mapped[Discussion] = relationship(back_populates="invitations", lazy="selectin")


class SentMessage(Base):
    """The activity id under which a keyed message was delivered, so it can be edited in place."""

    __tablename__ = "sent_messages"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(400))
    activity_id: Mapped[str] = mapped_column(String(400))
    service_url: Mapped[str] = mapped_column(String(400))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """A message the bot owes Teams. Written with the state change; delivered by the worker."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Per conversation in order: "is an earlier row of this conversation still pending?"
        Index("ix_outbox_order", "order_key", "status", "id"),
        # An edit finds the message it edits; pacing reads a conversation's recent deliveries.
        Index("ix_outbox_message_key", "message_key"),
        Index("ix_outbox_conversation_sent", "conversation_id", "sent_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    discussion_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Replies that name a case without belonging to a discussion (e.g. `status`): purged with it.
    case_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(64), default="message")
    target: Mapped[dict[str, Any]] = mapped_column(JSON)
    order_key: Mapped[str] = mapped_column(String(400))
    op: Mapped[OutboxOp] = mapped_column(StateString(OutboxOp, 16), default=OutboxOp.SEND)
    message_key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Set only by `outbox.enqueue` for a ChannelSafe payload: the worker sends nothing else to
    # a shared conversation (storage/targets.py).
    channel_safe: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[OutboxStatus] = mapped_column(StateString(OutboxStatus, 16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    activity_id: Mapped[str | None] = mapped_column(String(400))


class Escalation(Base):
    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    kind: Mapped[EscalationKind] = mapped_column(StateString(EscalationKind, 32))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    # One escalation per situation: the unique key makes "sent once" hold across instances.
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    notified: Mapped[list[Any]] = mapped_column(JSON, default=list)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DailyDigest(Base):
    """The duty managers' digest of cases at risk: one per working day (the key makes it once)."""

    __tablename__ = "daily_digests"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date, local
    at: Mapped[datetime] = mapped_column(default=utcnow)
    cases: Mapped[int] = mapped_column(Integer, default=0)


class ProcessedActivity(Base):
    """Teams retries: the same activity id is handled once; the first answer is replayed."""

    __tablename__ = "processed_activities"
    activity_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # pruned by age
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The case whose card the stored response shows, so purging the case removes it.
    case_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class AuditEntry(Base):
    """Append-only and hash-chained (storage/audit.py): who did what, when, from which
    conversation. Identifiers and fixed words only: never text a person typed."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("seq", name="uq_audit_log_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Position in the chain: 1, 2, 3... with no gaps except spans a purge entry accounts for.
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_aad_object_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    discussion_id: Mapped[str | None] = mapped_column(String(36), index=True)
    case_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # SHA-256 hex of the previous entry's hash and this entry's canonical content.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's newest position and hash (one row, id 1), updated with every append in the
    same transaction: deleting the newest entries leaves the head pointing past them."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class Attendance(Base):
    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    agency_id: Mapped[str | None] = mapped_column(String(64))
    agency_name: Mapped[str] = mapped_column(String(200), default="")
    agency_kind: Mapped[str | None] = mapped_column(String(64))
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    apologies: Mapped[str | None] = mapped_column(Text)
    # Which step wrote the row ("invitation", "others", "consulted"): saving a step replaces its own rows.
    source: Mapped[str | None] = mapped_column(String(16))


class Contribution(Base):
    """Information shared at the discussion by an agency, or an answer to an agenda step."""

    __tablename__ = "contributions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    author_person_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(64))
    rationale: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (Index("ix_actions_status_due", "status", "due"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner_person_id: Mapped[str | None] = mapped_column(String(64))
    owner_name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[datetime]
    purpose: Mapped[str] = mapped_column(Text)
    status: Mapped[ActionStatus] = mapped_column(StateString(ActionStatus, 16), default=ActionStatus.OPEN)
    done_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Disagreement(Base):
    __tablename__ = "disagreements"
    __table_args__ = (Index("ix_disagreements_open_due", "resolved_at", "resolve_by"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    discussion_id: Mapped[str] = mapped_column(ForeignKey("discussions.id"), index=True)
    raised_by_person_id: Mapped[str | None] = mapped_column(String(64))
    raised_by_name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[str | None] = mapped_column(String(64))
    about: Mapped[str] = mapped_column(Text)
    stage_index: Mapped[int] = mapped_column(Integer, default=0)
    resolve_by: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

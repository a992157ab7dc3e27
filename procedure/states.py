"""The states a discussion, an invitation, an action and an escalation can be in.

A leaf module (it imports nothing of ours) so every layer may use the same names: storage keeps
them in String columns, cards show them, dialogs move between them. Each member's value is the
exact string stored in the database and written by `sdbot export` (CONTRACT "export"): renaming
a member is free, changing a value is a data migration.
"""

from __future__ import annotations

from enum import StrEnum


class DiscussionStatus(StrEnum):
    DRAFT = "draft"  # convened, invitations not sent
    INVITED = "invited"  # invitations sent
    IN_PROGRESS = "in_progress"  # started by the chair
    CLOSED = "closed"  # the record is produced (circulated or not)
    CANCELLED = "cancelled"  # an unsent draft replaced by a re-typed convene


# A discussion that still needs the chair: what `cases` and the digest look at.
OPEN_DISCUSSION = (DiscussionStatus.DRAFT, DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS)
# Invitations may still be answered and the meeting cards still act.
LIVE_DISCUSSION = (DiscussionStatus.INVITED, DiscussionStatus.IN_PROGRESS)


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # declined after accepting
    DELEGATED = "delegated"  # handed to a colleague, who has not answered yet
    TENTATIVE = "tentative"  # from a calendar or the chair: shown, not counted towards the quorum


# No answer that counts yet: reminders and "no answer" escalations look at these.
AWAITING_ANSWER = (InvitationStatus.PENDING, InvitationStatus.DELEGATED)
# The agency will not come.
REFUSED = (InvitationStatus.DECLINED, InvitationStatus.WITHDRAWN)


class AnswerSource(StrEnum):
    """Where an invitation's answer came from (`Invitation.answer_source`)."""

    CARD = "card"
    CALENDAR = "calendar"
    CHAIR = "chair"  # recorded by the chair after a phone call or e-mail


class Delivery(StrEnum):
    """How the invitation card's delivery is going (`Invitation.delivery`; None: nothing sent)."""

    SENDING = "sending"
    DELIVERED = "delivered"
    RETRYING = "retrying"  # Teams refused for now (5xx, 412): the outbox retries
    FAILED = "failed"  # refused for good or out of attempts: the chair must phone


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class EscalationKind(StrEnum):
    LATE_WITHDRAWAL = "late_withdrawal"
    INQUORATE = "inquorate"
    CSC_ABSENT = "csc_absent"
    DEADLINE_AT_RISK = "deadline_at_risk"
    OVERDUE_ACTION = "overdue_action"
    DISAGREEMENT = "disagreement"
    CIRCULATION_OVERDUE = "circulation_overdue"
    NO_RESPONSE = "no_response"

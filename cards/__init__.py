"""Adaptive Card 1.5 builders: pure functions from data to the JSON Teams renders.

One module per card family (`convene`, `invitation`, `roster`, `meeting`, `common`); the data
each card shows is in `views`. No I/O, no Bot Framework: a card is a dict.
"""

from cards.channel import (
    ChannelMessage,
    DigestView,
    channel_action,
    channel_digest,
    channel_escalation,
    channel_help,
    channel_invitation,
    sent_privately,
)
from cards.common import attachment, error_card, help_card, mention_message, notice_card
from cards.convene import convene_form, convene_summary
from cards.format import fmt_when, time_left
from cards.invitation import invitation
from cards.roster import cases_card, delivery_notice, escalation_card, roster
from cards.views import (
    CaseLine,
    CasesView,
    ConveneFormView,
    ConveneSummary,
    EscalationLine,
    EscalationView,
    InvitationView,
    InviteeLine,
    RecordAnswerForm,
    RosterRow,
    RosterView,
)

__all__ = [
    "CaseLine", "CasesView", "RecordAnswerForm", "cases_card", "delivery_notice",
    "ChannelMessage", "DigestView", "channel_action", "channel_digest", "channel_escalation", "channel_help", "channel_invitation", "sent_privately",
    "ConveneFormView", "ConveneSummary", "EscalationLine", "EscalationView", "InvitationView", "InviteeLine",
    "RosterRow", "RosterView", "attachment", "convene_form", "convene_summary", "error_card",
    "escalation_card", "fmt_when", "help_card", "invitation", "mention_message", "notice_card", "roster",
    "time_left",
]  # fmt: skip

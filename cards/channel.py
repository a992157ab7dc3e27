"""What may be posted in a channel (or a group chat): the only builders of `ChannelMessage`.

Channels carry case references, invitations (with the procedure's reason the agency is needed),
actions (what, who, by when) and escalation pings; never anything a person typed as a reason,
information, a disagreement, an agenda answer, a decision or the record (PROCEDURE 8). Each
builder here takes a view and drops what must not be shown, whatever the view holds, so a
caller cannot put free text into a channel through it. The outbox accepts nothing else for a
shared conversation (storage/targets.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cards.common import attachment, help_card, mention_message, notice_card
from cards.invitation import invitation
from cards.meeting import ActionView, action_card
from cards.roster import escalation_card
from cards.views import EscalationView, InvitationView


@dataclass(frozen=True)
class ChannelMessage:
    """A message activity fit for a shared conversation. Build it only with the functions below."""

    activity: dict[str, Any]

    @property
    def card(self) -> dict[str, Any] | None:
        """Its card, for answering a button pressed in a channel (it replaces the pressed card)."""
        for a in self.activity.get("attachments") or []:
            if isinstance(a, dict) and isinstance(a.get("content"), dict):
                return a["content"]
        return None


def _card_message(content: dict[str, Any], summary: str) -> ChannelMessage:
    return ChannelMessage({"type": "message", "summary": summary, "attachments": [attachment(content)]})


def channel_invitation(view: InvitationView) -> ChannelMessage:
    """The invitation as the agency's channel sees it: its state and who answered, never the
    reason typed with a decline or withdrawal (that goes to the chair only)."""
    # The reason itself is replaced: the card then says only that one was given to the chair.
    safe = replace(view, answer_reason="given to the chair" if view.answer_reason else None, private_copy=False)
    return _card_message(invitation(safe), f"Invitation: {view.case_ref}")


def channel_action(view: ActionView) -> ChannelMessage:
    """An action in its owner's agency channel: what, who, by when (the purpose stays with the
    owner and the chair)."""
    return _card_message(action_card(replace(view, purpose="")), f"Action: {view.case_ref}")


def channel_escalation(view: EscalationView) -> ChannelMessage:
    """An escalation ping: real @mentions, the case reference, what is wrong and what to do.
    `what_is_wrong` and `what_to_do` are composed by the bot from identifiers (dialogs/escalate)."""
    names = " ".join(f"<at>{name}</at>" for _, name in view.mentions)
    ping = mention_message(f"{names} escalation for {view.case_ref}: {view.what_is_wrong}", view.mentions)
    ping["attachments"] = [attachment(escalation_card(view))]
    return ChannelMessage(ping)


@dataclass(frozen=True)
class DigestView:
    """The daily digest: case references at risk by risk, and counts; nothing else."""

    title: str  # e.g. "Daily digest Tue 24 Nov: 2 case(s) at risk"
    at_risk: list[tuple[str, list[str]]]  # (risk label, case references)
    limit_note: str | None = None
    any_at_risk: bool = False


def channel_digest(view: DigestView) -> ChannelMessage:
    lines = [f"{label[:1].upper()}{label[1:]}: {len(refs)} — {', '.join(dict.fromkeys(refs))}"
             for label, refs in view.at_risk if refs] or ["No case is at risk."]  # fmt: skip
    if view.limit_note:
        lines.append(view.limit_note)
    content = notice_card(view.title, lines, style="attention" if view.any_at_risk else "good")
    return _card_message(content, view.title)


def channel_help(commands: list[tuple[str, str]]) -> ChannelMessage:
    return _card_message(help_card(commands), "Strategy Discussions: commands")


def something_went_wrong() -> ChannelMessage:
    return ChannelMessage({"type": "message", "text": "Something went wrong and nothing was changed. Try again in a "
                                                      "moment; if it keeps failing, tell your administrator."})


def sent_privately(case_ref: str | None = None) -> ChannelMessage:
    """The whole answer to a command typed, or a button pressed, in a channel: the content went
    to the person's personal chat. `case_ref` is a validated case reference, or None."""
    return ChannelMessage({"type": "message", "text": sent_privately_text(case_ref)})


def sent_privately_text(case_ref: str | None = None) -> str:
    return f"{case_ref}: sent to you in a personal chat." if case_ref else "Sent to you in a personal chat."


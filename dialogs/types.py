"""Typed requests the bot hands to the flows, and what the flows answer with.

Nothing here knows about botbuilder: `bot/` translates activities into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cards import ChannelMessage
from storage.targets import Target, is_shared_conversation


@dataclass(frozen=True)
class Actor:
    """Who typed or pressed. Authorisation is decided from `aad_object_id` only."""

    aad_object_id: str | None
    teams_id: str | None
    name: str


@dataclass(frozen=True)
class Where:
    """The conversation an activity came from (enough to answer into it later), or, for a
    command typed or a button pressed in a channel, the person's personal chat the answer goes
    to instead (`dialogs.targets.private_where`): then `person` is set when the bot has no
    personal chat with them yet, and the outbox worker creates one."""

    conversation_id: str
    conversation_type: str  # personal | channel | groupChat
    service_url: str
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    bot_id: str | None = None
    person: Target | None = None

    @property
    def is_shared(self) -> bool:
        """A channel or a group chat: more than one person reads what is posted here."""
        return self.person is None and is_shared_conversation(self.conversation_id, self.conversation_type)

    @property
    def target(self) -> Target:
        if self.person is not None:
            return self.person
        return Target.conversation(self.conversation_id, self.conversation_type, service_url=self.service_url,
                                   tenant_id=self.tenant_id)  # fmt: skip

    @property
    def key(self) -> str:
        """Its conversation reference key (storage.outbox): where a discussion's chair is told."""
        if self.person is not None:
            return f"user:{self.person.aad_object_id}" if self.person.aad_object_id else ""
        return f"conv:{self.conversation_id}"


@dataclass(frozen=True)
class Command:
    actor: Actor
    where: Where
    text: str
    activity_id: str | None
    now: datetime
    origin: Where | None = None  # the channel it was typed in, when `where` is the personal chat


@dataclass(frozen=True)
class CardAction:
    actor: Actor
    where: Where
    verb: str
    data: dict[str, Any]
    activity_id: str | None
    reply_to_id: str | None
    now: datetime
    origin: Where | None = None  # the channel it was pressed in, when `where` is the personal chat


@dataclass
class CardReply:
    """The answer to a card click: a card (replaces the clicked card for the clicker),
    a short message, or an error (HTTP 200 with an error body the client shows).

    `card` may carry free text. For a press made in a channel the router never returns it: it
    returns `channel_card` when the flow offers one (a card fit for the channel), else sends
    `card` to the presser's personal chat and answers with a short message."""

    card: dict[str, Any] | None = None
    message: str | None = None
    error: tuple[str, str] | None = None  # (code, message)
    channel_card: ChannelMessage | None = None

    def as_invoke_body(self) -> dict[str, Any]:
        card = self.card if self.card is not None else (self.channel_card.card if self.channel_card else None)
        if card is not None:
            return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": card}
        if self.error is not None:
            code, message = self.error
            return {
                "statusCode": 400,
                "type": "application/vnd.microsoft.error",
                "value": {"code": code, "message": message},
            }
        return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": self.message or "Done."}


@dataclass
class Outcome:
    """What a flow did, for the bot to log and to wake the outbox worker."""

    enqueued: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FileConsent:
    """A person's answer to a file consent card (Teams' `fileConsent/invoke`): `accept` with
    `upload_info` (where to put the file), or `decline`. `context` is what the card carried:
    untrusted, like any card data."""

    actor: Actor
    where: Where
    action: str
    context: dict[str, Any]
    upload_info: dict[str, Any]
    activity_id: str | None
    now: datetime

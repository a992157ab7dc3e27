"""Typed requests the bot hands to the flows, and what the flows answer with.

Nothing here knows about botbuilder: `bot/` translates activities into these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Who typed or pressed. Authorisation is decided from `aad_object_id` only."""

    aad_object_id: str | None
    teams_id: str | None
    name: str


@dataclass(frozen=True)
class Where:
    """The conversation an activity came from (enough to answer into it later)."""

    conversation_id: str
    conversation_type: str  # personal | channel | groupChat
    service_url: str
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    bot_id: str | None = None

    @property
    def target(self) -> dict[str, Any]:
        return {
            "kind": "conversation",
            "conversation_id": self.conversation_id,
            "service_url": self.service_url,
            "tenant_id": self.tenant_id,
        }


@dataclass(frozen=True)
class Command:
    actor: Actor
    where: Where
    text: str
    activity_id: str | None
    now: datetime


@dataclass(frozen=True)
class CardAction:
    actor: Actor
    where: Where
    verb: str
    data: dict[str, Any]
    activity_id: str | None
    reply_to_id: str | None
    now: datetime


@dataclass
class CardReply:
    """The answer to a card click: a card (replaces the clicked card for the clicker),
    a short message, or an error (HTTP 200 with an error body the client shows)."""

    card: dict[str, Any] | None = None
    message: str | None = None
    error: tuple[str, str] | None = None  # (code, message)

    def as_invoke_body(self) -> dict[str, Any]:
        if self.card is not None:
            return {"statusCode": 200, "type": "application/vnd.microsoft.card.adaptive", "value": self.card}
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

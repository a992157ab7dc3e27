"""Putting messages into the outbox: answers in the same conversation, cards, mentions.

A card built by the flows (`dict`) may carry free text and goes to personal chats only; a
shared conversation takes a `cards.ChannelMessage`, turned here (and only here) into the
outbox's `ChannelSafe` payload. `storage.outbox.enqueue` refuses anything else for a channel.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs.types import Where
from storage import outbox
from storage.targets import ChannelSafe, Target


def card_activity(card: dict[str, Any], summary: str | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {"type": "message", "attachments": [cards.attachment(card)]}
    if summary:
        activity["summary"] = summary
    return activity


def channel_safe(message: cards.ChannelMessage) -> ChannelSafe:
    """The outbox payload for a shared conversation: only from a `cards.channel` builder."""
    if not isinstance(message, cards.ChannelMessage):
        raise TypeError("only a cards.ChannelMessage may go to a channel")
    return ChannelSafe(dict(message.activity))


def payload(content: dict[str, Any] | cards.ChannelMessage) -> dict[str, Any] | ChannelSafe:
    """A private card as a message activity, or a channel message as a ChannelSafe payload."""
    if isinstance(content, cards.ChannelMessage):
        return channel_safe(content)
    return card_activity(content)


async def card(
    session: AsyncSession,
    where: Where,
    content: dict[str, Any] | cards.ChannelMessage,
    *,
    message_key: str | None = None,
    discussion_id: str | None = None,
    purpose: str = "reply",
) -> None:
    await outbox.enqueue(
        session,
        target=where.target,
        payload=payload(content),
        message_key=message_key,
        discussion_id=discussion_id,
        purpose=purpose,
    )


async def text(session: AsyncSession, where: Where, message: str, discussion_id: str | None = None) -> None:
    """A plain text answer: private (a personal chat) by construction, like any dict payload."""
    await outbox.enqueue(
        session,
        target=where.target,
        payload={"type": "message", "text": message},
        discussion_id=discussion_id,
        purpose="reply",
    )


async def to_channel(session: AsyncSession, target: Target | Where, message: cards.ChannelMessage, *,
                     message_key: str | None = None, discussion_id: str | None = None,
                     purpose: str = "channel") -> None:  # fmt: skip
    await outbox.enqueue(session, target=target.target if isinstance(target, Where) else target,
                         payload=channel_safe(message), message_key=message_key, discussion_id=discussion_id,
                         purpose=purpose)  # fmt: skip

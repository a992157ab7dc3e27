"""Putting messages into the outbox: answers in the same conversation, cards, mentions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs.types import Where
from storage import outbox


def card_activity(card: dict[str, Any], summary: str | None = None) -> dict[str, Any]:
    activity: dict[str, Any] = {"type": "message", "attachments": [cards.attachment(card)]}
    if summary:
        activity["summary"] = summary
    return activity


async def card(
    session: AsyncSession,
    where: Where,
    content: dict[str, Any],
    *,
    message_key: str | None = None,
    discussion_id: str | None = None,
    purpose: str = "reply",
) -> None:
    await outbox.enqueue(
        session,
        target=where.target,
        payload=card_activity(content),
        message_key=message_key,
        discussion_id=discussion_id,
        purpose=purpose,
    )


async def text(session: AsyncSession, where: Where, message: str, discussion_id: str | None = None) -> None:
    await outbox.enqueue(
        session,
        target=where.target,
        payload={"type": "message", "text": message},
        discussion_id=discussion_id,
        purpose="reply",
    )

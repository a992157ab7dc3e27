"""Telling the chair when a message could not be delivered (after every retry)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies
from storage import outbox, queries
from storage.models import OutboxMessage


async def delivery_failed(session: AsyncSession, row: OutboxMessage) -> None:
    if row.purpose.startswith("delivery_failure") or not row.discussion_id:
        return
    d = await queries.discussion(session, row.discussion_id)
    if d is None:
        return
    ref = await outbox.conversation(session, d.chair_conversation_key or "")
    if ref is None:
        return
    if row.order_key == f"conv:{ref.conversation_id}":
        return  # the chair's own conversation is what fails: nothing more to send there
    notice = cards.notice_card(
        f"{d.case_ref}: a message could not be delivered",
        [
            f"The bot could not deliver a {row.purpose.replace('_', ' ')} message after {row.attempts} attempt(s).",
            f"Last error: {(row.last_error or 'unknown')[:200]}",
            "Please contact the recipient another way (phone or e-mail).",
        ],
        style="attention",
    )
    await outbox.enqueue(
        session,
        target={"kind": "conversation", "conversation_id": ref.conversation_id, "service_url": ref.service_url,
                "tenant_id": ref.tenant_id},
        payload=replies.card_activity(notice),
        discussion_id=d.id,
        purpose="delivery_failure",
    )

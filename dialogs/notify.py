"""Telling the chair when a message could not be delivered (after every retry)."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies
from storage import outbox, queries
from storage.models import OutboxMessage

PURPOSES = {"invitation": "The invitation", "meeting": "The meeting card", "action": "The action card",
            "record": "The record", "reminder": "A reminder"}  # fmt: skip


async def _recipient(session: AsyncSession, row: OutboxMessage) -> str:
    target = row.target or {}
    if target.get("kind") == "person":
        person = await queries.person(session, target.get("person_id"))
        return person.name if person else "a person"
    if target.get("kind") == "channel":
        agency = await queries.agency_by_channel(session, target.get("channel_id"))
        return f"the {agency.name} channel" if agency else "a channel"
    return "a conversation"


def _reason(error: str | None) -> str:
    status = re.search(r"answered (\d{3})", error or "")
    code = re.search(r'"code"\s*:\s*"([^"]+)"', error or "")
    if status:
        return f"Teams answered {status.group(1)}" + (f" ({code.group(1)})" if code else "")
    return "Teams could not be reached"


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
    what = PURPOSES.get(row.purpose.split(":")[0], "A message")
    notice = cards.notice_card(
        f"{d.case_ref}: {what.lower()} did not reach {await _recipient(session, row)}",
        [
            f"{what} could not be delivered after {row.attempts} attempt(s): {_reason(row.last_error)}.",
            "Please contact them another way (phone or e-mail) and tell them the case reference.",
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

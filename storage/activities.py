"""Activities already handled: Teams retries a POST it thinks failed, with the same id.

An activity id is unique only within its conversation, so the key is the activity id with the
conversation (and the sender): someone else re-sending a known id in another conversation is a
new activity, and never gets the first person's answer replayed. The conversation part is
hashed to keep the key short (conversation ids can be long).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.links import case_touched
from storage.models import ProcessedActivity

_ABSENT = "activities_not_processed"


def activity_key(conversation_id: str, activity_id: str, sender: str | None = None) -> str:
    scope = hashlib.sha256(f"{conversation_id}\x1f{sender or ''}".encode()).hexdigest()[:40]
    return f"{activity_id[:300]}@{scope}"


async def mark_processed(session: AsyncSession, key: str, response: dict[str, Any] | None = None) -> bool:
    """Record the activity (by `activity_key`) as handled; False when it already was."""
    # `earlier_response` already looked in this unit of work and found nothing: no second read.
    known_new = key in session.info.get(_ABSENT, ())
    existing = None if known_new else await session.get(ProcessedActivity, key)
    if existing is not None:
        if response is not None and existing.response is None:
            existing.response, existing.case_ref = response, case_touched(session)
            return True
        return False
    # The response is a card about the case the flow touched: linked so a purge removes it.
    session.add(ProcessedActivity(activity_id=key, response=response,
                                  case_ref=case_touched(session) if response is not None else None))  # fmt: skip
    await session.flush()
    return True


async def earlier_response(session: AsyncSession, key: str) -> dict[str, Any] | None:
    existing = await session.get(ProcessedActivity, key)
    if existing is None:
        session.info.setdefault(_ABSENT, set()).add(key)
    return existing.response if existing is not None else None

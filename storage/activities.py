"""Activities already handled: Teams retries a POST it thinks failed, with the same id."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedActivity


async def mark_processed(session: AsyncSession, activity_id: str, response: dict[str, Any] | None = None) -> bool:
    """Record the activity as handled; False when it already was."""
    existing = await session.get(ProcessedActivity, activity_id)
    if existing is not None:
        if response is not None and existing.response is None:
            existing.response = response
            return True
        return False
    session.add(ProcessedActivity(activity_id=activity_id, response=response))
    await session.flush()
    return True


async def earlier_response(session: AsyncSession, activity_id: str) -> dict[str, Any] | None:
    existing = await session.get(ProcessedActivity, activity_id)
    return existing.response if existing is not None else None

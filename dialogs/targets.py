"""Where a message for a person or a discussion's chair goes (outbox targets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox, queries
from storage.models import Discussion, Person


def person_target(p: Person) -> dict[str, Any]:
    return {"kind": "person", "person_id": p.id, "teams_id": p.teams_id, "aad_object_id": p.aad_object_id}


async def chair_target(session: AsyncSession, d: Discussion) -> dict[str, Any] | None:
    ref = await outbox.conversation(session, d.chair_conversation_key or "")
    if ref is not None:
        return {"kind": "conversation", "conversation_id": ref.conversation_id,
                "service_url": ref.service_url, "tenant_id": ref.tenant_id}  # fmt: skip
    chair = await queries.person(session, d.chair_person_id)
    return person_target(chair) if chair and chair.teams_id else None

"""Where a message for a person or a discussion's chair goes (outbox targets).

Free text goes to people, never to shared conversations: a chair is told in their personal
chat, and a command typed (or a button pressed) in a channel is answered in the person's
personal chat (`private_where`), which the outbox worker creates when there is none yet.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dialogs.types import Actor, Where
from storage import outbox, queries
from storage.models import Discussion, Person
from storage.targets import Target, is_shared_conversation

__all__ = ["Target", "channel_target", "chair_target", "person_target", "private_where"]


def person_target(p: Person) -> Target:
    return Target.person(person_id=p.id, teams_id=p.teams_id, aad_object_id=p.aad_object_id)


def channel_target(channel_id: str) -> Target:
    """A new thread in a channel: takes only channel-safe payloads (storage/targets.py)."""
    return Target.channel(channel_id)


async def chair_target(session: AsyncSession, d: Discussion) -> Target | None:
    """The chair's conversation for this discussion, if it is a personal one; else the chair
    as a person (their personal chat, created if need be)."""
    ref = await outbox.conversation(session, d.chair_conversation_key or "")
    if ref is not None and not is_shared_conversation(ref.conversation_id, ref.conversation_type):
        return Target.conversation(ref.conversation_id, ref.conversation_type or "personal",
                                   service_url=ref.service_url, tenant_id=ref.tenant_id)  # fmt: skip
    chair = await queries.person(session, d.chair_person_id)
    return person_target(chair) if chair and chair.teams_id else None


async def private_where(session: AsyncSession, actor: Actor, origin: Where) -> Where:
    """Where to answer `actor` privately for something they did in `origin` (a channel): their
    personal chat with the bot, or, when the bot has none yet, the person (the outbox worker
    creates the chat and remembers it under `user:<aad>`)."""
    if actor.aad_object_id:
        ref = await outbox.conversation(session, f"user:{actor.aad_object_id}")
        if ref is not None and not is_shared_conversation(ref.conversation_id, ref.conversation_type):
            return Where(conversation_id=ref.conversation_id, conversation_type="personal",
                         service_url=ref.service_url or origin.service_url, tenant_id=ref.tenant_id or origin.tenant_id,
                         bot_id=origin.bot_id)  # fmt: skip
    person = await queries.person_by_aad(session, actor.aad_object_id)
    return Where(
        conversation_id="", conversation_type="personal", service_url=origin.service_url,
        tenant_id=origin.tenant_id, bot_id=origin.bot_id,
        person=Target.person(person_id=person.id if person else None, teams_id=actor.teams_id,
                             aad_object_id=actor.aad_object_id, service_url=origin.service_url,
                             tenant_id=origin.tenant_id),
    )  # fmt: skip

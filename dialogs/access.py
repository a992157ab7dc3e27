"""Who may do what: chairs, a discussion's chair, and who may see a discussion (need to know)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs.parse import InputError
from dialogs.types import Actor, CardReply
from storage import queries
from storage.models import Discussion, Person


async def chair_or_none(session: AsyncSession, actor: Actor) -> Person | None:
    person = await queries.person_by_aad(session, actor.aad_object_id)
    return person if person is not None and person.can_chair else None


def not_a_chair_card(actor: Actor) -> dict[str, Any]:
    return cards.error_card(
        "Only a chair can do that",
        f"{actor.name}, the directory does not list you as a chair (a CSC manager with "
        "can_chair = true). Ask your team manager or the CSC duty manager to convene.",
    )


def input_error_card(e: InputError) -> dict[str, Any]:
    message = str(e)
    if e.choices:
        # The card lists the choices under the message: once is enough (twice read as a wall of codes).
        message = message.split(" Choose from: ")[0]
    return cards.error_card("I could not read that — nothing was saved", message, e.choices or None)


def chair_check(d: Discussion, person: Person | None) -> str | None:
    if person is None or person.id != d.chair_person_id:
        return "Only the chair of this discussion can do that."
    return None


async def may_see(session: AsyncSession, d: Discussion, person: Person | None) -> bool:
    """The chair, and the people of the invited agencies (need to know, PROCEDURE 8)."""
    if person is None:
        return False
    if person.id == d.chair_person_id:
        return True
    return any(i.agency_id == person.agency_id for i in d.invitations if i.agency_id)


def refusal(title: str, message: str) -> CardReply:
    """A refusal: the error card in a personal chat; pressed in a channel, an error only the
    presser sees (the pressed card stays as it is). Title and message are the bot's own words."""
    return CardReply(card=cards.error_card(title, message), error=("Refused", f"{title}. {message}"))

"""Typed routing: a command word or a card verb to the flow that handles it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

import cards
from dialogs import replies
from dialogs.services import Services
from dialogs.types import CardAction, CardReply, Command, Where

log = logging.getLogger("sdbot.dialogs")

CommandFlow = Callable[[AsyncSession, Services, Command, str], Awaitable[None]]
ActionFlow = Callable[[AsyncSession, Services, CardAction], Awaitable[CardReply]]

COMMANDS: list[tuple[str, str]] = [
    ("convene CASE_REF [referral WHEN] [concerns CODES] [flags CODES] [action WHEN] [at WHEN]",
     "Work out the convene-by deadline and who to invite; then press Send invitations. "
     "`convene` alone opens a form."),
    ("status CASE_REF", "Show the roster: who accepted, quorum, time left, escalations."),
    ("start CASE_REF", "Open the discussion: the Professional Difference Statement, then the agenda."),
    ("close CASE_REF", "Close the discussion and produce the record for circulation."),
    ("review CASE_REF", "Convene a review discussion linked to the last one."),
    ("help", "This list."),
]  # fmt: skip

_command_flows: dict[str, CommandFlow] = {}
_action_flows: dict[str, ActionFlow] = {}


def command(word: str) -> Callable[[CommandFlow], CommandFlow]:
    def register(flow: CommandFlow) -> CommandFlow:
        _command_flows[word] = flow
        return flow

    return register


def action(*verbs: str) -> Callable[[ActionFlow], ActionFlow]:
    def register(flow: ActionFlow) -> ActionFlow:
        for verb in verbs:
            _action_flows[verb] = flow
        return flow

    return register


def _load_flows() -> None:
    # Importing registers each flow's commands and verbs.
    from dialogs import convene, meeting, record, review, rsvp, status  # noqa: F401


async def handle_command(session: AsyncSession, services: Services, cmd: Command) -> None:
    _load_flows()
    word, _, rest = cmd.text.partition(" ")
    word = word.lower().strip()
    if word in ("", "help", "?", "hi", "hello"):
        await replies.card(session, cmd.where, cards.help_card(COMMANDS))
        return
    flow = _command_flows.get(word)
    if flow is None:
        await replies.card(
            session,
            cmd.where,
            cards.error_card(
                f"I don't know the command '{word[:40]}'",
                "Type one of these:",
                [c for c, _ in COMMANDS],
            ),
        )
        return
    await flow(session, services, cmd, rest.strip())


async def handle_action(session: AsyncSession, services: Services, act: CardAction) -> CardReply:
    _load_flows()
    flow = _action_flows.get(act.verb)
    if flow is None:
        return CardReply(error=("UnknownAction", f"This button ({act.verb[:40]}) is not one I know."))
    return await flow(session, services, act)


async def failed(session: AsyncSession, where: Where) -> None:
    await replies.card(session, where, cards.error_card(
        "Something went wrong — nothing was changed",
        "Try again in a moment; if it keeps failing, tell your administrator.",
    ))  # fmt: skip


async def welcome(session: AsyncSession, services: Services, where: Where) -> None:
    await replies.card(session, where, cards.help_card(COMMANDS))

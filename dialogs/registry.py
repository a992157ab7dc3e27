"""The table of command words and card verbs, filled explicitly by `dialogs.router`.

A leaf: it imports no flow, so flows never import upward to register themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from cards.verbs import Verb
from dialogs.services import Services
from dialogs.types import CardAction, CardReply, Command

CommandFlow = Callable[[AsyncSession, Services, Command, str], Awaitable[None]]
ActionFlow = Callable[[AsyncSession, Services, CardAction], Awaitable[CardReply]]


@dataclass
class Registry:
    commands: dict[str, CommandFlow] = field(default_factory=dict)
    actions: dict[Verb, ActionFlow] = field(default_factory=dict)

    def command(self, word: str, flow: CommandFlow) -> None:
        if word in self.commands:
            raise ValueError(f"command {word!r} registered twice")
        self.commands[word] = flow

    def action(self, flow: ActionFlow, *verbs: Verb) -> None:
        for verb in verbs:
            if not isinstance(verb, Verb):
                raise TypeError(f"card verb {verb!r} is not a cards.verbs.Verb")
            if verb in self.actions:
                raise ValueError(f"card verb {verb!r} registered twice")
            self.actions[verb] = flow

"""Building blocks shared by every card, and the small cards: help, error, notice, mentions."""

from __future__ import annotations

from typing import Any

from cards.format import escape_markdown
from cards.verbs import Verb

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CONTAINER_STYLES = ("default", "emphasis", "good", "attention", "warning", "accent")

Element = dict[str, Any]


def card(body: list[Element], actions: list[Element] | None = None,
         entities: list[Element] | None = None) -> Element:  # fmt: skip
    """An Adaptive Card 1.5 at Teams' full width; `entities` are its @mentions."""
    content: Element = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body,
                        "msteams": {"width": "Full"}}  # fmt: skip
    if entities:
        content["msteams"]["entities"] = entities
    if actions:
        content["actions"] = actions
    return content


def text(value: str, **extra: Any) -> Element:
    return {"type": "TextBlock", "text": value, "wrap": True, **extra}


def heading(value: str, subtitle: str | None = None) -> list[Element]:
    blocks = [text(value, size="Large", weight="Bolder", style="heading")]
    if subtitle:
        blocks.append(text(subtitle, isSubtle=True, spacing="None"))
    return blocks


def facts(pairs: list[tuple[str, str]]) -> Element:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def box(items: list[Element], style: str = "emphasis") -> Element:
    return {"type": "Container", "style": style if style in CONTAINER_STYLES else "default", "items": items}


def field_error(message: str) -> Element:
    """A server-side validation message, in red, right under its input."""
    return text(f"⚠️ {message}", color="Attention", size="Small", spacing="None")


def input_text(id_: str, label: str, *, value: str = "", placeholder: str | None = None, required: bool = False,
               error: str | None = None, multiline: bool = False, max_length: int | None = None,
               regex: str | None = None) -> Element:  # fmt: skip
    element: Element = {"type": "Input.Text", "id": id_, "label": label, "isMultiline": multiline}
    if value:
        element["value"] = value
    if placeholder:
        element["placeholder"] = placeholder
    if required:
        element.update(isRequired=True, errorMessage=error or f"{label}: required.")
    if max_length:
        element["maxLength"] = max_length
    if regex:
        element["regex"] = regex
        element.setdefault("errorMessage", error or f"{label}: not in the expected form.")
    return element


def execute(title: str, verb: Verb, data: dict[str, Any], style: str | None = None) -> Element:
    """A Universal Action button: Teams sends `verb` and `data` (plus any inputs) to the bot.
    Only a `Verb` member: each has a registered handler (tests/test_verbs.py)."""
    if not isinstance(verb, Verb):
        raise TypeError(f"card verb {verb!r} is not a cards.verbs.Verb")
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def show_card(title: str, body: list[Element], submit: Element) -> Element:
    """A button that opens a small form under the card; `submit` sends it."""
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "version": "1.5", "body": body, "actions": [submit]}}  # fmt: skip


def attachment(content: Element) -> Element:
    return {"contentType": CONTENT_TYPE, "content": content}


def at(name: str) -> str:
    return f"<at>{name}</at>"


def mention_entity(teams_id: str, name: str) -> Element:
    """What makes `<at>name</at>` a real @mention (on an activity, or under a card's msteams)."""
    return {"type": "mention", "text": at(name), "mentioned": {"id": teams_id, "name": name}}


def error_card(title: str, message: str, choices: list[str] | None = None) -> Element:
    """What went wrong and, when it helps, the valid choices. Nothing on it is clickable."""
    # Error messages quote what was typed (a case reference, a date, a word): shown literally.
    items = [text(f"⚠️ {escape_markdown(title)}", weight="Bolder", color="Attention"), text(escape_markdown(message))]
    if choices:
        items.append(text("Valid choices:", weight="Bolder", size="Small"))
        items.append(text("\n".join(f"- {c}" for c in choices), fontType="Monospace", size="Small", spacing="None"))
    return card([box(items, "attention")])


def notice_card(title: str, lines: list[str], style: str = "default") -> Element:
    # Notices can carry a person's words (an action's description): shown literally.
    return card([box([text(escape_markdown(title), weight="Bolder"),
                      *[text(escape_markdown(line)) for line in lines if line]], style)])  # fmt: skip


def help_card(commands: list[tuple[str, str]]) -> Element:
    body = [
        *heading("Strategy Discussions", "Convene and run multi-agency child-protection strategy discussions."),
        text("Type one of these (dates are UK style: today 09:30, tomorrow 2pm, 24/12/2026 10:00):"),
    ]
    for usage, description in commands:
        body.append(box([text(usage, fontType="Monospace", weight="Bolder", size="Small"),
                         text(description, spacing="None")], "default"))  # fmt: skip
    body.append(text("Channels show case references only: never type a child's name.", isSubtle=True, size="Small"))
    return card(body)


def mention_message(message: str, mentions: list[tuple[str, str]]) -> Element:
    """A message activity whose `<at>Name</at>` texts are real @mentions.

    Each (teams id, name) gets an entity; a name the text does not already tag is put in front,
    because Teams only pings a mention whose tag is in the text.
    """
    missing = [at(name) for _, name in mentions if at(name) not in message]
    return {
        "type": "message",
        "text": " ".join([*missing, message]) if missing else message,
        "entities": [mention_entity(teams_id, name) for teams_id, name in mentions],
    }

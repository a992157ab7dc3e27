"""Building blocks shared by every card."""

from __future__ import annotations

from typing import Any

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None,
         entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": "1.5", "body": body,
                               "msteams": {"width": "Full"}}  # fmt: skip
    if entities:
        content["msteams"]["entities"] = entities
    if actions:
        content["actions"] = actions
    return content


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": value, "wrap": True, **extra}


def heading(value: str, subtitle: str | None = None) -> list[dict[str, Any]]:
    blocks = [text(value, size="Large", weight="Bolder", style="heading")]
    if subtitle:
        blocks.append(text(subtitle, isSubtle=True, spacing="None"))
    return blocks


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in pairs]}


def box(items: list[dict[str, Any]], style: str = "emphasis") -> dict[str, Any]:
    return {"type": "Container", "style": style, "items": items}


def execute(title: str, verb: str, data: dict[str, Any], style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": data}
    if style:
        action["style"] = style
    return action


def show_card(title: str, body: list[dict[str, Any]], submit: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Action.ShowCard", "title": title,
            "card": {"type": "AdaptiveCard", "version": "1.5", "body": body, "actions": [submit]}}  # fmt: skip


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": content}


def error_card(title: str, message: str, choices: list[str] | None = None) -> dict[str, Any]:
    items = [text(f"⚠️ {title}", weight="Bolder", color="Attention"), text(message)]
    if choices:
        items.append(text("\n".join(f"- {c}" for c in choices), fontType="Monospace", size="Small"))
    return card([box(items, "attention")])


def notice_card(title: str, lines: list[str], style: str = "default") -> dict[str, Any]:
    return card([box([text(title, weight="Bolder"), *[text(line) for line in lines if line]], style)])


def help_card(commands: list[tuple[str, str]]) -> dict[str, Any]:
    body = [
        *heading("Strategy Discussions", "Convene and run multi-agency child-protection strategy discussions."),
        text("Type one of these (dates are UK style: today 09:30, tomorrow 2pm, 24/12/2026 10:00):"),
    ]
    for usage, description in commands:
        body.append(box([text(usage, fontType="Monospace", weight="Bolder", size="Small"), text(description, spacing="None")], "default"))
    body.append(text("Channels show case references only: never type a child's name.", isSubtle=True, size="Small"))
    return card(body)


def mention_message(message: str, mentions: list[tuple[str, str]]) -> dict[str, Any]:
    """A message activity whose `<at>Name</at>` texts are real @mentions."""
    return {
        "type": "message",
        "text": message,
        "entities": [{"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": teams_id, "name": name}}
                     for teams_id, name in mentions],
    }  # fmt: skip

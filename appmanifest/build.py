"""Builds the Teams app package: manifest.json with the bot's id and commands, and the icons."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

HERE = Path(__file__).parent

# The command menu Teams shows (title <= 32, description <= 128 characters).
COMMANDS = [
    ("convene", "Convene a strategy discussion: convene CASE_REF ... (or alone, for a form)"),
    ("status", "Show the roster of a discussion: status CASE_REF"),
    ("start", "Start the discussion and its agenda: start CASE_REF"),
    ("close", "Close the discussion and produce the record: close CASE_REF"),
    ("review", "Convene a review discussion: review CASE_REF"),
    ("help", "What the bot can do"),
]


def manifest(bot_id: str, app_id: str | None = None, version: str = "1.0.0") -> dict[str, object]:
    text = (HERE / "manifest.template.json").read_text(encoding="utf-8")
    text = text.replace("{{VERSION}}", version).replace("{{APP_ID}}", app_id or bot_id).replace("{{BOT_ID}}", bot_id)
    data = json.loads(text)
    for entry in data["bots"][0]["commandLists"]:
        entry["commands"] = [{"title": title, "description": description} for title, description in COMMANDS]
    return data


def build_package(out: Path, bot_id: str, app_id: str | None = None, version: str = "1.0.0") -> Path:
    out = Path(out)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest(bot_id, app_id, version), indent=2))
        package.write(HERE / "color.png", "color.png")
        package.write(HERE / "outline.png", "outline.png")
    return out

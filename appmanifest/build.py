"""Builds the Teams app package: manifest.json with the bot's id and commands, and the icons.

`build_package` is the only function that writes; the rest is data.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

# The command menu Teams shows (title <= 32, description <= 128 characters).
COMMANDS = [
    ("convene", "Convene a strategy discussion: convene CASE_REF ... (or alone, for a form)"),
    ("status", "Show the roster of a discussion: status CASE_REF"),
    ("start", "Start the discussion and its agenda: start CASE_REF"),
    ("close", "Close the discussion and produce the record: close CASE_REF"),
    ("review", "Convene a review discussion: review CASE_REF"),
    ("icpc", "Record when the Initial Child Protection Conference was held: icpc CASE_REF held WHEN"),
    ("cases", "Your open discussions; for a duty manager, the cases at risk"),
    ("report", "Chairs and duty managers: timeliness, attendance and escalation figures"),
    ("help", "What the bot can do"),
]


def _fill(node: Any, values: dict[str, Any]) -> Any:
    """Replace every "{{NAME}}" string of the template with values[NAME]."""
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value, values) for value in node]
    if isinstance(node, str) and node.startswith("{{") and node.endswith("}}"):
        return values[node[2:-2]]
    return node


def manifest(bot_id: str, app_id: str | None = None, version: str = "1.0.0") -> dict[str, Any]:
    """The manifest for the bot `bot_id` (the Azure Bot registration's app id, a GUID).

    The Teams app id defaults to the bot id, which Teams allows; `version` is MAJOR.MINOR.PATCH.
    """
    app_id = app_id or bot_id
    for label, value in (("bot id", bot_id), ("app id", app_id)):
        if not _GUID.match(value):
            raise ValueError(f"the {label} must be a GUID like 6a1c9a2e-0000-4000-8000-00000000abcd, not {value!r}")
    if not _VERSION.match(version):
        raise ValueError(f"the version must be MAJOR.MINOR.PATCH, e.g. 1.0.0, not {version!r}")
    template = json.loads((HERE / "manifest.template.json").read_text(encoding="utf-8"))
    commands = [{"title": title, "description": description} for title, description in COMMANDS]
    return _fill(template, {"VERSION": version, "APP_ID": app_id, "BOT_ID": bot_id, "COMMANDS": commands})


def build_package(out: Path, bot_id: str, app_id: str | None = None, version: str = "1.0.0") -> Path:
    """Write the zip Teams uploads: manifest.json, color.png and outline.png at its root."""
    out = Path(out)
    content = json.dumps(manifest(bot_id, app_id, version), indent=2, ensure_ascii=False)
    files = {"manifest.json": content.encode("utf-8"), **{icon: (HERE / icon).read_bytes() for icon in ICONS}}
    with zipfile.ZipFile(out, "w") as package:
        for name, data in files.items():
            # A fixed timestamp: the same inputs give the same bytes.
            package.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    return out

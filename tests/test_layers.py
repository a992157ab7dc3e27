"""Dependencies point one way: bot -> dialogs -> procedure, storage, cards. Only bot/ imports
botbuilder; procedure/ is pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"bot", "dialogs", "procedure", "storage", "cards", "appmanifest"}
ALLOWED = {
    "procedure": set(),
    "storage": set(),
    "cards": {"procedure"},
    "dialogs": {"procedure", "storage", "cards"},
    "bot": {"dialogs", "procedure", "storage", "cards", "appmanifest"},
}
SDK = ("botbuilder", "botframework")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layering(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for name in imports(path):
            top = name.split(".")[0]
            if top in OURS and top != package:
                assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"
            if package != "bot":
                assert not top.startswith(SDK), f"{path.relative_to(ROOT)} imports {name}: only bot/ may"
            if package == "procedure":
                assert top not in {"aiohttp", "sqlalchemy", "msal"}, f"{path.relative_to(ROOT)} imports {name}"

"""Every card the product sends passes the official Adaptive Card 1.5 JSON schema and
Microsoft's own renderer (as Teams parses it), and stays small enough for Teams."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cards.samples import all_cards

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
CARDS = all_cards()
# Known bad: the harness must catch these, or a passing run proves nothing.
BROKEN = {
    "canary-bad-colour": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "x", "color": "Red"}]},
    "canary-unlabelled-input": {"type": "AdaptiveCard", "version": "1.5", "body": [], "actions": [
        {"type": "Action.ShowCard", "title": "Decline", "card": {"type": "AdaptiveCard", "version": "1.5",
         "body": [{"type": "Input.Text", "id": "r", "isRequired": True}],
         "actions": [{"type": "Action.Execute", "title": "Send", "verb": "decline"}]}}]},
    "canary-newer-than-1-5": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Icon", "name": "Calendar"}]},
}  # fmt: skip


@cache
def validator() -> jsonschema.Draft6Validator:
    schema = json.loads(resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text())
    jsonschema.Draft6Validator.check_schema(schema)
    return jsonschema.Draft6Validator(schema)


def schema_errors(card: dict[str, Any]) -> list[str]:
    # `msteams` (width, mention entities) is Teams' documented host extension, not in the schema:
    # it is checked on its own below.
    body = {k: v for k, v in card.items() if k != "msteams"}
    errors = sorted(validator().iter_errors(body), key=lambda e: list(e.path))
    return [f"{list(sub.absolute_path)}: {sub.message[:200]}" for e in errors for sub in (e.context or [e])][:8]


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_matches_the_adaptive_card_1_5_schema(name: str) -> None:
    errors = schema_errors(CARDS[name])
    assert not errors, f"{name}: " + "; ".join(errors)


def test_the_schema_check_catches_a_bad_card() -> None:
    assert schema_errors(BROKEN["canary-bad-colour"])


@pytest.mark.parametrize("name", sorted(CARDS))
def test_teams_extension_is_well_formed(name: str) -> None:
    card = CARDS[name]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert card["msteams"]["width"] == "Full"
    assert set(card["msteams"]) <= {"width", "entities"}
    for entity in card["msteams"].get("entities", []):
        assert entity["type"] == "mention" and entity["text"] == f"<at>{entity['mentioned']['name']}</at>"


def test_every_card_passes_microsofts_renderer(tmp_path: Path) -> None:
    """One Node process validates every card (and the canaries, which must fail)."""
    if not (NODE_DIR / "node_modules" / "adaptivecards").is_dir() or not shutil.which("node"):
        pytest.fail("Microsoft's renderer is missing: run make test (npm ci --prefix tests/node)")
    files = []
    for name, card in {**CARDS, **BROKEN}.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(card))
        files.append(str(path))
    result = subprocess.run(["node", str(NODE_DIR / "validate-cards.js"), *files], capture_output=True, text=True, timeout=120)
    assert result.stdout, result.stderr
    report = {Path(f).stem: errors for f, errors in json.loads(result.stdout).items()}
    assert set(report) == set(CARDS) | set(BROKEN)
    problems = {name: errors for name, errors in report.items() if errors and name not in BROKEN}
    assert not problems, json.dumps(problems, indent=1)[:3000]
    missed = [name for name in BROKEN if not report[name]]
    assert not missed, f"the renderer check let these through: {missed}"
    assert result.returncode == 1  # because of the canaries only


@pytest.mark.parametrize("name", sorted(CARDS))
def test_cards_are_small_enough_for_teams(name: str) -> None:
    assert len(json.dumps(CARDS[name]).encode()) < 28 * 1024  # \u escapes: the larger count

"""Every card the product sends passes the official Adaptive Card 1.5 JSON schema and
Microsoft's own renderer (as Teams parses it), and keeps the contract's buttons."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.cards.samples import activities, all_cards

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
CARDS = all_cards()


def schema() -> dict[str, Any]:
    return json.loads(resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text())


@pytest.mark.parametrize("name", sorted(CARDS))
def test_card_matches_the_adaptive_card_1_5_schema(name: str) -> None:
    validator = jsonschema.Draft6Validator(schema())
    # `msteams` (width, mention entities) is Teams' documented host extension, not in the schema.
    card = {k: v for k, v in CARDS[name].items() if k != "msteams"}
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.path))
    detail = [f"{list(sub.absolute_path)}: {sub.message[:200]}" for e in errors for sub in (e.context or [e])][:8]
    assert not errors, f"{name}: " + "; ".join(detail)


def test_every_card_passes_microsofts_renderer(tmp_path: Path) -> None:
    if not (NODE_DIR / "node_modules" / "adaptivecards").is_dir() or not shutil.which("node"):
        pytest.fail("Microsoft's renderer is missing: run make test (npm ci --prefix tests/node)")
    files = []
    for name, card in CARDS.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(card))
        files.append(str(path))
    result = subprocess.run(["node", str(NODE_DIR / "validate-cards.js"), *files], capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout or "{}")
    problems = {Path(f).stem: e for f, e in report.items() if e}
    assert result.returncode == 0 and not problems, json.dumps(problems, indent=1)[:3000]
    assert len(report) == len(CARDS)


def actions(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Action."):
            found.append(node)
        for value in node.values():
            found += actions(value)
    elif isinstance(node, list):
        for value in node:
            found += actions(value)
    return found


def inputs(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Input."):
            found.append(node)
        for value in node.values():
            found += inputs(value)
    elif isinstance(node, list):
        for value in node:
            found += inputs(value)
    return found


def titles(name: str) -> list[str]:
    return [a["title"] for a in actions(CARDS[name])]


def test_the_contract_buttons() -> None:
    assert "Send invitations" in titles("summary-draft") and "Send invitations" not in titles("summary-sent")
    assert {"Accept", "Decline", "Delegate"} <= set(titles("invitation-pending")) and "Withdraw" not in titles("invitation-pending")
    assert "Withdraw" in titles("invitation-accepted") and "Accept" not in titles("invitation-accepted")
    assert "CSC not present" in titles("meeting-police") and "CSC not present" not in titles("meeting-started")
    assert "Approve circulation" in titles("record-approvable") and "Approve circulation" not in titles("record-circulated")
    assert "Mark done" in titles("action-open") and "Mark done" not in titles("action-done")


@pytest.mark.parametrize("name", sorted(CARDS))
def test_buttons_carry_a_verb_and_ids_and_inputs_are_labelled(name: str) -> None:
    for action in actions(CARDS[name]):
        if action["type"] == "Action.Execute":
            assert action.get("verb"), action
            assert isinstance(action.get("data"), dict)
            if action["verb"] not in ("convene_form",):
                assert any(k.endswith("_id") for k in action["data"]), action
    for element in inputs(CARDS[name]):
        if element.get("isRequired"):
            assert element.get("label") and element.get("errorMessage"), element


@pytest.mark.parametrize("name", sorted(CARDS))
def test_cards_are_small_enough_for_teams(name: str) -> None:
    assert len(json.dumps(CARDS[name]).encode()) < 28 * 1024


def test_mentions_match_their_text() -> None:
    card = CARDS["escalation"]
    entities = card["msteams"]["entities"]
    text = json.dumps(card["body"])
    assert entities and all(e["text"] in text and e["mentioned"]["id"].startswith("29:") for e in entities)
    message = activities()["mention"]
    assert all(e["text"] in message["text"] for e in message["entities"])


def test_the_deadline_rule_and_the_late_start_warning_show() -> None:
    assert "SX 6.6" in json.dumps(CARDS["summary-draft"])
    assert "AFTER the deadline" in json.dumps(CARDS["summary-after-deadline"])
    assert "overdue by" in json.dumps(CARDS["summary-overdue"])

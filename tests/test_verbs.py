"""Card verbs: one `Verb` member per button, used by the card builder and by the router.

Every verb a card emits has a registered handler, and every registered verb is emitted by some
card. Checked twice: on every sample card (tests/cards/samples.py builds every card in every
state, the verbs read from each Action.Execute, inside Action.ShowCard forms too), and in the
source (every `Verb.X` the builders and flows name), which also covers cards only a flow builds.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from cards.common import execute
from cards.verbs import Verb
from dialogs.registry import Registry
from dialogs.router import REGISTRY
from tests.cards import samples

ROOT = Path(__file__).resolve().parent.parent
# Where the verbs are declared and registered: naming a verb there is not emitting it.
NOT_EMITTERS = {ROOT / "cards" / "verbs.py", ROOT / "dialogs" / "router.py"}


def executed_verbs(node: Any) -> list[str]:
    """The verb of every Action.Execute anywhere in a card (ShowCard forms included)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute":
            found.append(node["verb"])
        for value in node.values():
            found += executed_verbs(value)
    elif isinstance(node, list):
        for value in node:
            found += executed_verbs(value)
    return found


def verbs_named_in_source() -> set[str]:
    """Every `Verb.NAME` the card builders and the flows use (cards/ and dialogs/)."""
    named: set[str] = set()
    for package in ("cards", "dialogs"):
        for path in (ROOT / package).rglob("*.py"):
            if path in NOT_EMITTERS:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "Verb":
                    named.add(node.attr)
    return named


def bare_string_verbs() -> list[str]:
    """`execute(...)` or `RecordButton(...)` given a string literal as its verb."""
    found: list[str] = []
    for package in ("cards", "dialogs"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else \
                    node.func.attr if isinstance(node.func, ast.Attribute) else ""  # fmt: skip
                if name not in ("execute", "RecordButton"):
                    continue
                verb = node.args[1] if len(node.args) > 1 else \
                    next((k.value for k in node.keywords if k.arg == "verb"), None)  # fmt: skip
                if isinstance(verb, ast.Constant):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_verb_has_exactly_one_registered_handler() -> None:
    assert set(REGISTRY.actions) == set(Verb), "a Verb without a handler, or a handler for no Verb"
    assert all(isinstance(verb, Verb) for verb in REGISTRY.actions)


def test_every_verb_a_sample_card_emits_is_handled_and_every_verb_is_emitted() -> None:
    emitted = {verb for card in samples.all_cards().values() for verb in executed_verbs(card)}
    assert emitted, "the samples emit no verb: the walk is broken"
    assert emitted - set(REGISTRY.actions) == set(), "a card emits a verb nothing handles"
    assert set(Verb) - emitted == set(), "a registered verb no sample card emits (add the card to tests/cards/samples.py)"


def test_the_source_names_every_verb_and_only_verbs() -> None:
    named = verbs_named_in_source()
    assert named <= set(Verb.__members__), f"unknown Verb members: {named - set(Verb.__members__)}"
    assert set(Verb.__members__) - named == set(), "a Verb no card builder or flow emits"


def test_no_button_is_given_a_bare_string_verb() -> None:
    assert bare_string_verbs() == []


def test_a_string_verb_is_refused_when_a_card_is_built_or_a_handler_registered() -> None:
    with pytest.raises(TypeError):
        execute("Accept", "accept", {})  # type: ignore[arg-type]  # the mistake this refuses
    assert execute("Accept", Verb.ACCEPT, {})["verb"] == "accept"

    async def flow(*_: Any) -> Any:
        raise AssertionError("never called")

    with pytest.raises(TypeError):
        Registry().action(flow, "accept")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="twice"):
        registry = Registry()
        registry.action(flow, Verb.ACCEPT)
        registry.action(flow, Verb.ACCEPT)


def test_verb_values_are_those_on_cards_already_sent() -> None:
    # Cards posted before a release still carry these strings: changing one orphans their buttons.
    assert {v.value for v in Verb} == {
        "convene_form", "send_invitations", "accept", "decline", "delegate", "withdraw", "record_answer",
        "status", "agenda_back", "agenda_next", "agenda_add_action", "info_add", "disagree",
        "resolve_disagreement", "csc_not_present", "approve_circulation", "action_done", "record_pdf", "report_file",
    }  # fmt: skip

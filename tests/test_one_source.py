"""One source for each rule (issue 12, point 6), checked on the source itself:

- times people read are written only by `procedure/times.py` (no strftime, no `%` format specs
  elsewhere) and no code asks for the server's zone (`astimezone()` without a zone);
- agency kinds are named only in `procedure/` (no kind literal compared or tabled elsewhere);
- the escalation timings of the profile are read only in `procedure/`;
- the S47 rule ("single" or "joint") is written once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from procedure import AGENCY_KINDS, CONCERNS, DECISION_TOPICS, FLAGS
from procedure.agenda import AGENDA

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dialogs", "cards", "storage", "procedure")
FORMATTER = Path("procedure/times.py")
# The profile's escalation timings (PROCEDURE 4 and 7): read by procedure/escalation.py and
# procedure/quorum.py only.
TIMINGS = {"deadline_at_risk_hours", "inquorate_warning_hours", "csc_absent_minutes", "rsvp_reminder_minutes",
           "rsvp_escalate_minutes", "action_reminder_hours", "late_withdrawal_hours"}  # fmt: skip
# Kinds that are not also some other code (a flag, a concern, an agenda step, a decision topic):
# such a string outside procedure/ can only mean the agency kind.
OTHER_CODES = set(FLAGS) | set(CONCERNS) | {s.key for s in AGENDA} | set(DECISION_TOPICS)
ONLY_KINDS = set(AGENCY_KINDS) - OTHER_CODES


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT), ast.parse(path.read_text(), str(path))


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def time_formatting(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "strftime":
                found.append(f"line {node.lineno}: strftime")
            if node.func.attr == "astimezone" and not node.args and not node.keywords:
                found.append(f"line {node.lineno}: astimezone() without a zone (the server's zone)")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            spec = "".join(_strings_of_joined(node.format_spec))
            if "%" in spec:
                found.append(f"line {node.lineno}: f-string time format {spec!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "format":
            if any("%" in s for a in node.args[1:] for s in _strings(a)):
                found.append(f"line {node.lineno}: format() with a time format")
    return found


def _strings_of_joined(node: ast.AST) -> list[str]:
    return [v.value for v in ast.walk(node) if isinstance(v, ast.Constant) and isinstance(v.value, str)]


def kind_literals(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr in ("kind", "agency_kind") for s in sides):
                literal = [x for s in sides for x in _strings(s) if x in AGENCY_KINDS]
                if literal:
                    found.append(f"line {node.lineno}: compares an agency kind with {literal}")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            kinds = [x for x in _strings(node) if x in AGENCY_KINDS]
            if len(kinds) >= 3:
                found.append(f"line {node.lineno}: a table of agency kinds {kinds}")
        elif isinstance(node, ast.Constant) and node.value in ONLY_KINDS:
            found.append(f"line {node.lineno}: the agency kind {node.value!r}")
    return found


def timing_reads(tree: ast.Module) -> list[str]:
    return [f"line {n.lineno}: profile.{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in TIMINGS]


def s47_rules(tree: ast.Module) -> list[str]:
    """A collection of the S47 outcomes itself (not the agenda's table of choices)."""
    return [f"line {n.lineno}" for n in ast.walk(tree) if isinstance(n, (ast.Tuple, ast.List, ast.Set))
            and {"single", "joint"} <= {e.value for e in n.elts if isinstance(e, ast.Constant)}]  # fmt: skip


def test_only_the_formatter_writes_times_and_nothing_asks_for_the_servers_zone() -> None:
    found = {str(p): f for p, tree in modules() if p != FORMATTER and (f := time_formatting(tree))}
    assert not found, f"format times with procedure.times.fmt_when (Services.when): {found}"


def test_the_formatter_is_a_leaf() -> None:
    """Cards, the dialogs and the command line all use it: it imports only the standard library."""
    tree = ast.parse((ROOT / FORMATTER).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "datetime", "typing"}, imported


def test_agency_kinds_are_named_only_in_procedure() -> None:
    found = {str(p): f for p, tree in modules() if p.parts[0] != "procedure" and (f := kind_literals(tree))}
    assert not found, f"use the names in procedure.codes (CSC, REPORTS_CSC_ABSENT, ...): {found}"


def test_escalation_timings_are_read_only_in_procedure() -> None:
    found = {str(p): f for p, tree in modules() if p.parts[0] != "procedure" and (f := timing_reads(tree))}
    assert not found, f"ask procedure.escalation (escalation_rule, answer_by, ...): {found}"


def test_the_s47_rule_is_written_once() -> None:
    found = {str(p): f for p, tree in modules() if (f := s47_rules(tree))}
    assert set(found) == {"procedure/agenda.py"} and len(found["procedure/agenda.py"]) == 1, found


@pytest.mark.parametrize("source, finder", [
    ("when = later.astimezone()\n", time_formatting),
    ("text = f'{when:%H:%M}'\n", time_formatting),
    ("text = when.strftime('%d %b')\n", time_formatting),
    ("if agency.kind == 'police': pass\n", kind_literals),
    ("if inv.agency_kind in ('police', 'health'): pass\n", kind_literals),
    ("KINDS = ('csc', 'police', 'health')\n", kind_literals),
    ("people = of_kind(session, 'gp')\n", kind_literals),
    ("grace = timedelta(minutes=services.profile.csc_absent_minutes)\n", timing_reads),
    ("initiated = outcome in ('single', 'joint')\n", s47_rules),
])  # fmt: skip
def test_the_checks_find_what_they_look_for(source: str, finder) -> None:  # type: ignore[no-untyped-def]
    assert finder(ast.parse(source))

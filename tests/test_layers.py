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
# The one module of ours storage may import: the StrEnums of the states its columns hold
# (procedure/states.py imports nothing, so no cycle and no rule leaks into storage).
ALLOWED_MODULES = {"storage": {"procedure.states"}}
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
            if top in OURS and top != package and name not in ALLOWED_MODULES.get(package, set()):
                assert top in ALLOWED[package], f"{path.relative_to(ROOT)} imports {name}"
            if package != "bot":
                assert not top.startswith(SDK), f"{path.relative_to(ROOT)} imports {name}: only bot/ may"
            if package == "procedure":
                assert top not in {"aiohttp", "sqlalchemy", "msal"}, f"{path.relative_to(ROOT)} imports {name}"


def _module_graph(package: str) -> dict[str, set[str]]:
    """Imports between the modules of one package, wherever they stand (a function-level import
    closes a cycle just as well as a top-level one)."""
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
        for p in (ROOT / package).rglob("*.py")
        if "migrations" not in p.parts
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from dialogs import convene` imports the submodule dialogs.convene
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target != package:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_cycle_inside_a_package(package: str) -> None:
    cycle = _cycle(_module_graph(package))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None

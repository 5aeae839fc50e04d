"""autograder.grading has no import cycles, counting imports made only for type checking or inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

GRADING = Path(__file__).resolve().parents[2] / "autograder" / "grading"


def _imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in GRADING.glob("*.py"):
        found = graph.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("autograder.grading."):
                found.add(node.module.rsplit(".", 1)[-1])  # type: ignore[union-attr]
            elif isinstance(node, ast.ImportFrom) and node.module == "autograder.grading":
                found.update(alias.name for alias in node.names)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == 1:
                return path[path.index(imported):] + [imported]
            if imported not in state and (cycle := visit(imported)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def test_the_grading_package_has_no_import_cycles() -> None:
    graph = _imports()
    assert {"suite", "assignment", "prepare", "kit"} <= set(graph)
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_suite_data_module_is_a_leaf_of_the_engine() -> None:
    # suite.py holds the data every stage shares: it may use the spec and the mistakes, nothing that uses it.
    assert _imports()["suite"] <= {"mistakes", "spec"}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None

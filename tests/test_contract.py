"""The student contract lives in the repository: docs/CONTRACT.md and each assignment's README state it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.assignment import assignment_names, find_assignment

CONTRACT = (Path(__file__).resolve().parents[1] / "docs" / "CONTRACT.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", assignment_names())
def test_contract_and_readme_name_every_graded_function(name: str) -> None:
    assignment = find_assignment(name)
    assert f"`{name}`" in CONTRACT and f"`{assignment.file}`" in CONTRACT
    assert f"**`{assignment.file}`**" in assignment.readme
    for function in assignment.functions:
        assert f"`{function.name}" in CONTRACT, f"{function.name} missing from docs/CONTRACT.md"
        assert f"`{function.name}" in assignment.readme, f"{function.name} missing from {name}/README.md"


def test_the_contract_states_the_rules_for_every_exercise() -> None:
    for rule in ("float64", "rtol=1e-6", "atol=1e-9", "(N, 1)", "0-d array", "in place", "PyTorch"):
        assert rule in CONTRACT, rule

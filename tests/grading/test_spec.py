"""spec.toml validation and assignment loading errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.grading.assignment import AssignmentNotFound, find_assignment, folder_version, load_assignment
from autograder.grading.spec import SpecError, parse_spec


def _minimal(**changes):
    data = {"name": "toy", "file": "toy.py", "public_seed": 1,
            "functions": [{"name": "f", "points": 1, "checks": [{"name": "c", "cases": "gen"}]}]}
    data.update(changes)
    return data


def test_minimal_spec_has_defaults():
    spec = parse_spec(_minimal())
    assert spec.title == "toy" and spec.max_file_bytes == 200_000 and spec.limits.wall_seconds == 10
    check = spec.functions[0].checks[0]
    assert (check.kind, check.weight, check.rtol, check.atol) == ("values", 1.0, 1e-6, 1e-9)
    assert spec.functions[0].returns == ()


def test_returned_entries_can_be_named():
    functions = [{"name": "f", "points": 1, "returns": ["dx", "dw"], "checks": [{"name": "c", "cases": "g"}]}]
    assert parse_spec(_minimal(functions=functions)).functions[0].returns == ("dx", "dw")


@pytest.mark.parametrize("changes, message", [
    ({"colour": "red"}, "unknown key(s) colour"),
    ({"file": "../toy.py"}, "plain module file name"),
    ({"public_seed": "1"}, "'public_seed' must be int"),
    ({"functions": []}, "at least one"),
    ({"functions": [{"name": "f", "points": 1, "checks": [{"name": "c", "kind": "magic", "cases": "g"}]}]}, "kind must be"),
    ({"functions": [{"name": "f", "points": 1, "checks": [{"name": "c"}]}]}, "missing key 'cases'"),
    ({"functions": [{"name": "f", "points": 1, "checks": [{"name": "c", "kind": "unchanged", "cases": "g"}]}]}, "remove 'cases'"),
    ({"functions": [{"name": "f", "points": 1, "checks": [{"name": "c", "cases": "g", "wieght": 1}]}]}, "unknown key(s) wieght"),
    ({"limits": {"wall": 3}}, "unknown key(s) wall"),
    ({"functions": [{"name": "f", "points": 1, "returns": "dx", "checks": [{"name": "c", "cases": "g"}]}]},
     "'returns' must be list"),
    ({"functions": [{"name": "f", "points": 1, "returns": ["dx", 1], "checks": [{"name": "c", "cases": "g"}]}]},
     "'returns' must list the names"),
])
def test_spec_errors_name_the_problem(changes, message):
    with pytest.raises(SpecError, match=None) as error:
        parse_spec(_minimal(**changes))
    assert message in str(error.value)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_missing_generator_is_reported(toy_copy):
    _edit(toy_copy / "cases.py", "def scale_cases(", "def scale_cases_renamed(")
    with pytest.raises(SpecError, match="generator 'scale_cases'"):
        load_assignment(toy_copy)


def test_function_missing_from_reference(toy_copy):
    _edit(toy_copy / "reference.py", "def apply_twice(", "def apply_thrice(")
    with pytest.raises(SpecError, match="reference.py: function 'apply_twice'"):
        load_assignment(toy_copy)


def test_function_missing_from_starter(toy_copy):
    _edit(toy_copy / "starter.py", "def apply_twice(", "def apply_thrice(")
    with pytest.raises(SpecError, match="starter.py: function 'apply_twice'"):
        load_assignment(toy_copy)


def test_version_is_a_hash_of_the_files(toy_copy):
    before = folder_version(toy_copy)
    assert before == folder_version(toy_copy)
    (toy_copy / "README.md").write_text("changed")
    assert folder_version(toy_copy) != before


def test_mistakes_run_among_reference_globals(toy):
    assert [mistake.function for mistake in toy.mistakes] == ["scale", "square_loss", "linear_backward"]
    # square_loss_sum uses np, which only the reference module imports.
    assert toy.mistake_namespace["square_loss_sum"](__import__("numpy").ones(2), __import__("numpy").zeros(2)) == 2.0


def test_discovery_uses_environment_override(monkeypatch, toy_copy):
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS_DIR", str(toy_copy.parent))
    assert find_assignment("toy").path == toy_copy.resolve()
    with pytest.raises(AssignmentNotFound, match="available: toy"):
        find_assignment("nonexistent")

"""The student starter kit: no reference code, pickle-free fixtures, the same verdicts as the repository."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.assignment import KIT_FIXTURES, assignment_names, find_assignment, load_assignment
from autograder.grading.kit import write_kit
from autograder.grading.fixtures import _Writer
from autograder.grading.mistakes import variant_source
from autograder.grading.prepare import prepare_suite

NAMES = ["toy", *assignment_names()]


def _assignment(name, toy):
    return toy if name == "toy" else find_assignment(name)


@pytest.fixture(scope="module")
def kits(tmp_path_factory, request):
    return {}


def _kit(name, toy, kits, tmp_path_factory):
    if name not in kits:
        directory = tmp_path_factory.mktemp(f"kit-{name}")
        write_kit(_assignment(name, toy), directory)
        kits[name] = load_assignment(directory)
    return kits[name]


def _function_bodies(source: str) -> list[str]:
    tree = ast.parse(source)
    bodies = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            body = "\n".join(ast.get_source_segment(source, statement) or "" for statement in node.body
                             if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)))
            if len(body) > 25:  # ignore trivial bodies such as "return x"
                bodies.append(body)
    return bodies


@pytest.mark.parametrize("name", NAMES)
def test_kit_holds_no_reference_code_and_loads_without_pickle(name, toy, kits, tmp_path_factory):
    assignment = _assignment(name, toy)
    kit = _kit(name, toy, kits, tmp_path_factory)
    files = sorted(path.name for path in Path(kit.path).iterdir())
    assert "reference.py" not in files and "mistakes.py" not in files and "cases.py" not in files
    assert assignment.file in files and "README.md" in files and "spec.toml" in files
    texts = [path.read_bytes() for path in Path(kit.path).iterdir()]
    with np.load(Path(kit.path) / KIT_FIXTURES, allow_pickle=False) as archive:
        texts += [archive[key].tobytes() for key in archive.files]
    for body in _function_bodies(assignment.reference_source):
        assert not any(body.encode() in text for text in texts), body


def _suite_data(suite):
    writer = _Writer()
    manifest = writer.encode(suite)
    return manifest, {key: (array.dtype.str, array.shape, array.tobytes()) for key, array in writer.arrays.items()}


@pytest.mark.parametrize("name", NAMES)
def test_kit_holds_exactly_the_repository_public_suite(name, toy, kits, tmp_path_factory):
    # Grading is a function of the suite and the file: equal suites give equal verdicts.
    assignment = _assignment(name, toy)
    kit = _kit(name, toy, kits, tmp_path_factory)
    assert _suite_data(kit.kit_suite) == _suite_data(prepare_suite(assignment, "public", None))


# Every named mistake is graded both ways for the toy and losses; for the larger assignments the
# suite equality above carries the rest, and one mistake per function is graded both ways
# (grading all ~110 twice took over a minute on the CI machine).
EVERY_MISTAKE = {"toy", "losses"}


def _one_mistake_per_function(assignment):
    return list({mistake.function: mistake for mistake in reversed(assignment.mistakes)}.values())


@pytest.mark.parametrize("name", NAMES)
def test_kit_grading_equals_repository_grading(name, toy, grade, kits, tmp_path_factory):
    assignment = _assignment(name, toy)
    kit = _kit(name, toy, kits, tmp_path_factory)
    sources = [assignment.reference_source, assignment.starter]
    mistakes = assignment.mistakes if name in EVERY_MISTAKE else _one_mistake_per_function(assignment)
    sources += [variant_source(assignment, mistake) for mistake in mistakes]
    for source in sources:
        repository, from_kit = grade(assignment, source).to_json(), grade(kit, source).to_json()
        repository.pop("execution_time"), from_kit.pop("execution_time")
        assert from_kit == repository


def test_kit_refuses_hidden_mode(toy, grade, kits, tmp_path_factory):
    kit = _kit("toy", toy, kits, tmp_path_factory)
    with pytest.raises(ValueError, match="public cases only"):
        grade(kit, toy.reference_source, mode="hidden", hidden_seed=1)

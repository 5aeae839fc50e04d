"""No points without an implementation: every trivial implementation of every function earns 0, in both modes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main as autograder_main
from autograder.grading.assignment import assignment_names, find_assignment, load_assignment
from autograder.grading.prepare import prepare_suite
from autograder.grading.selfcheck import TRIVIAL, check_assignment, trivial_verdicts
from autograder.grading.trivial import TRIVIAL_BODIES, TRIVIAL_KINDS, trivial_source

ASSIGNMENTS = assignment_names()
HIDDEN_SEED = 31337


def test_every_assignment_is_covered():
    assert {"losses", "backprop", "optimizers", "gradient_check", "training"} <= set(ASSIGNMENTS)


@pytest.mark.parametrize("mode", ["public", "hidden"])
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_trivial_implementation_of_any_function_earns_a_point(name, mode):
    assignment = find_assignment(name)
    suite = prepare_suite(assignment, mode, HIDDEN_SEED if mode == "hidden" else None)
    verdicts = trivial_verdicts(assignment, suite)
    # Every kind was tried on every function it applies to (the optimizer-shaped one where there is a config).
    kinds = {verdict.kind for verdict in verdicts}
    assert kinds >= {kind.name for kind in TRIVIAL_KINDS} - {"returns (w, config) unchanged"}
    assert len({verdict.function for verdict in verdicts}) == len(assignment.functions)
    earning = [(verdict.function, verdict.kind, verdict.earned) for verdict in verdicts if verdict.earned]
    assert earning == []


@pytest.mark.parametrize("mode", ["public", "hidden"])
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_trivial_files_score_zero_through_the_sandbox(name, mode, grade):
    """Whole files that do nothing, graded as a student's upload is: 0 points, no grader error."""
    assignment = find_assignment(name)
    functions = {function.name: getattr(assignment.reference, function.name) for function in assignment.functions}
    seed = HIDDEN_SEED if mode == "hidden" else None
    sources = {"the starter": assignment.starter}
    sources.update({kind: trivial_source(functions, body) for kind, body in TRIVIAL_BODIES.items()})
    scores = {kind: grade(assignment, source, mode=mode, hidden_seed=seed).score for kind, source in sources.items()}
    assert scores == dict.fromkeys(sources, 0.0)


def test_untouched_starter_gets_one_note_instead_of_a_traceback_per_check(grade):
    assignment = find_assignment("losses")
    report = grade(assignment, assignment.starter)
    assert len(report.messages) == 1 and "raises NotImplementedError" in report.messages[0]
    assert {test.output for test in report.tests} == {"not implemented yet: it raises NotImplementedError"}


def test_self_check_fails_a_folder_where_a_trivial_implementation_earns(toy_copy: Path):
    # A check whose every case expects zeros: an implementation returning zeros passes it.
    with (toy_copy / "cases.py").open("a") as cases:
        cases.write("\n\ndef scale_by_zero(rng):\n"
                    "    return [Case([call('scale', rng.normal(size=(3,)), 0.0)], label='factor 0')]\n")
    spec = (toy_copy / "spec.toml").read_text()
    spec = spec.replace('  name = "arguments unchanged"\n  kind = "unchanged"',
                        '  name = "factor 0"\n  cases = "scale_by_zero"\n  [[functions.checks]]\n'
                        '  name = "arguments unchanged"\n  kind = "unchanged"', 1)
    (toy_copy / "spec.toml").write_text(spec)
    report = check_assignment(load_assignment(toy_copy))
    trivial = [problem for problem in report.problems if problem.part == TRIVIAL]
    subjects = {problem.subject for problem in trivial}
    assert "scale: returns zeros shaped like the expected result" in subjects
    assert all("factor 0" in problem.message for problem in trivial)
    result = CliRunner().invoke(autograder_main, ["selfcheck", str(toy_copy)])
    assert result.exit_code == 1 and "trivial" in result.output

"""The assignment self-check and `autograder selfcheck`: a clean folder passes, each kind of broken folder is named."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.cli import main as autograder_main
from autograder.grading.assignment import AssignmentError, load_assignment
from autograder.grading.kit import write_kit
from autograder.grading.prepare import prepare_suite
from autograder.grading.report import FAILED, PASSED
from autograder.grading.selfcheck import (CASES, MISTAKES, REFERENCE, STARTER, check_assignment, draw_cases,
                                          grade_in_process)

TOY_FUNCTIONS = ["scale", "square_loss", "square_loss_grad", "linear_forward", "linear_backward", "apply_twice"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new))


@pytest.fixture
def clean_toy(toy_copy: Path) -> Path:
    """The toy folder with a docstring in every starter function: nothing for the self-check to find."""
    _edit(toy_copy / "starter.py", "    raise NotImplementedError", '    """Fill this in."""\n    raise NotImplementedError')
    return toy_copy


def _problems(folder: Path) -> set[tuple[str, str]]:
    report = check_assignment(load_assignment(folder))
    return {(problem.part, problem.subject) for problem in report.problems}


def test_clean_folder_has_no_problem_and_every_mistake_is_caught_by_its_own_function(clean_toy):
    report = check_assignment(load_assignment(clean_toy), hidden_seeds=(3, 4))
    assert report.ok, report.problems
    assert report.suites == ["public", "hidden seed 3", "hidden seed 4"]
    caught = {(verdict.function, verdict.name): verdict.caught_by for verdict in report.mistakes}
    assert caught == {("scale", "modifies x in place"): ["arguments unchanged"],
                      ("square_loss", "sum instead of mean"): ["random shapes"],
                      ("linear_backward", "dw twice too large"): ["gradients"]}
    assert not any(verdict.also_failed for verdict in report.mistakes)
    assert report.fixed_generators == [] and report.seconds > 0


def test_starter_without_docstrings_is_reported(toy):
    assert {(problem.part, problem.subject) for problem in check_assignment(toy).problems} == {
        (STARTER, name) for name in TOY_FUNCTIONS}


def test_nondeterministic_generator_is_reported(clean_toy):
    _edit(clean_toy / "cases.py", "from autograder", "import numpy as np\nfrom autograder")
    _edit(clean_toy / "cases.py", "float(rng.uniform(-2, 2))", "float(np.random.default_rng().uniform(-2, 2))")
    report = check_assignment(load_assignment(clean_toy))
    assert [(p.part, p.subject) for p in report.problems] == [(CASES, "scale: random arrays")]
    assert "not deterministic" in report.problems[0].message


def test_generator_that_ignores_its_rng_is_noted_not_reported(clean_toy):
    _edit(clean_toy / "cases.py", 'return [Case([call("apply_twice", Probe("halve"), rng.normal(size=(3,)))]',
          'return [Case([call("apply_twice", Probe("halve"), np.arange(3.0))]')
    _edit(clean_toy / "cases.py", "from autograder", "import numpy as np\nfrom autograder")
    report = check_assignment(load_assignment(clean_toy))
    assert report.ok and report.fixed_generators == ["apply_twice: with a grader function"]


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_non_finite_expected_values_are_reported(clean_toy):
    _edit(clean_toy / "reference.py", "return f(f(x))", "return f(f(x)) / 0.0 * 0.0")
    problems = _problems(clean_toy)
    assert (CASES, "apply_twice: with a grader function") in problems


def test_reference_failing_its_own_checks_is_reported(clean_toy):
    # Modifies its argument (the "unchanged" check) and disagrees with its own forward (a gradient check).
    _edit(clean_toy / "reference.py", "    return x * factor", "    x *= factor\n    return x")
    _edit(clean_toy / "reference.py", "return dout @ w.T, x.T @ dout", "return dout @ w.T, 2 * x.T @ dout")
    report = check_assignment(load_assignment(clean_toy))
    failing = {(p.part, p.subject) for p in report.problems}
    assert {(REFERENCE, "scale: arguments unchanged"),
            (REFERENCE, "linear_backward: agrees with your linear_forward")} <= failing
    (gradient,) = report.problems_about("linear_backward: agrees with your linear_forward")
    assert gradient.message.startswith("public: the reference fails:") and "disagrees" in gradient.message


def test_reference_calling_another_graded_function_is_reported(clean_toy):
    _edit(clean_toy / "reference.py", "return f(f(x))", "return f(f(scale(x, 1.0)))")
    report = check_assignment(load_assignment(clean_toy))
    (problem,) = report.problems_about("apply_twice")
    assert problem.part == REFERENCE and "calls scale" in problem.message


def test_starter_that_does_not_raise_or_changes_a_signature_is_reported(clean_toy):
    _edit(clean_toy / "starter.py", '"""Fill this in."""\n    raise NotImplementedError\n\n\ndef square_loss(y_pred, y_true)',
          '"""Fill this in."""\n    return x\n\n\ndef square_loss(y_pred, y_true)')
    _edit(clean_toy / "starter.py", "def linear_forward(x, w):", "def linear_forward(x, weights):")
    report = check_assignment(load_assignment(clean_toy))
    assert {(p.part, p.subject) for p in report.problems} == {(STARTER, "scale"), (STARTER, "linear_forward")}
    assert "should raise NotImplementedError" in report.problems_about("scale")[0].message
    assert "signature (x, weights)" in report.problems_about("linear_forward")[0].message


def test_mistake_the_cases_cannot_tell_from_the_reference_is_reported(clean_toy):
    _edit(clean_toy / "mistakes.py", "MISTAKES = [", 'def square_loss_same(y_pred, y_true):\n'
          '    return float(np.mean((y_true - y_pred) ** 2))\n\n\nMISTAKES = [\n'
          '    Mistake("square_loss", "operands swapped", "Harmless here.", "square_loss_same"),')
    report = check_assignment(load_assignment(clean_toy))
    (problem,) = report.problems
    assert (problem.part, problem.subject) == (MISTAKES, "square_loss: operands swapped")
    assert "passes every public check of square_loss" in problem.message


@pytest.mark.parametrize("also_breaks, problem", [("", True), ('also_breaks=("linear_backward",)', False)])
def test_mistake_that_costs_another_function_points_needs_also_breaks(clean_toy, also_breaks, problem):
    _edit(clean_toy / "mistakes.py", "MISTAKES = [", 'def linear_forward_transposed(x, w):\n'
          '    return x @ w + 1.0, (2 * x, w)\n\n\nMISTAKES = [\n'
          f'    Mistake("linear_forward", "plus one", "No bias here.", "linear_forward_transposed", {also_breaks}),')
    report = check_assignment(load_assignment(clean_toy))
    (verdict,) = [v for v in report.mistakes if v.function == "linear_forward"]
    assert verdict.caught_by == ["out"]
    assert verdict.also_failed == (["linear_backward: gradients"] if problem else [])
    assert [p.subject for p in report.problems] == (["linear_forward: plus one"] if problem else [])


def test_grade_in_process_judges_like_the_engine_and_draws_follow_the_engine_seeds(toy):
    suite = prepare_suite(toy)
    results = grade_in_process(toy, suite, vars(toy.reference))
    assert [test.status for test in results] == [PASSED] * sum(len(f.checks) for f in toy.functions)
    wrong = dict(vars(toy.reference), square_loss=lambda y_pred, y_true: 0.0)
    (failed,) = grade_in_process(toy, suite, wrong, ["square_loss"])
    assert failed.status == FAILED and "wrong values" in failed.output
    (first,) = [draw for draw in draw_cases(toy) if draw.check == "random arrays"]
    assert first.seed == toy.spec.public_seed and len(first.items) == 3


def test_starter_kit_cannot_be_self_checked(toy, tmp_path):
    write_kit(toy, tmp_path / "kit")
    with pytest.raises(AssignmentError, match="starter kit"):
        check_assignment(load_assignment(tmp_path / "kit"))
    outcome = CliRunner().invoke(autograder_main, ["selfcheck", str(tmp_path / "kit")])
    assert outcome.exit_code == 2 and "starter kit" in outcome.output


def test_check_command_prints_the_report_and_exits_one_on_problems(clean_toy):
    runner = CliRunner()
    outcome = runner.invoke(autograder_main, ["selfcheck", str(clean_toy), "--hidden-seed", "5"])
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.startswith("toy: ok (public, hidden seed 5; 3/3 mistakes caught by their function only;")
    _edit(clean_toy / "reference.py", "return f(f(x))", "return f(f(scale(x, 1.0)))")
    outcome = runner.invoke(autograder_main, ["selfcheck", str(clean_toy)])
    assert outcome.exit_code == 1
    assert "toy: 1 problem" in outcome.output and "reference apply_twice: calls scale" in outcome.output

"""Every assignment folder: the engine's self-check finds nothing, and the course's own rules for a folder hold."""

from __future__ import annotations

import ast
import time

import pytest

from autograder.grading.assignment import assignment_names, find_assignment
from autograder.grading.report import FAILED
from autograder.grading.selfcheck import MISTAKES, grade_in_process

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

NAMES = assignment_names()
NAMED_MISTAKES = [(name, mistake.function, mistake.name) for name in NAMES for mistake in find_assignment(name).mistakes]
WITH_PROBES = [name for name in NAMES if find_assignment(name).probes_source]


@pytest.mark.parametrize("name", NAMES)
def test_selfcheck_finds_no_problem_in_cases_reference_or_starter(name, selfcheck):
    report = selfcheck(name)
    assert report.suites == ["public", "hidden seed 7"]
    problems = [problem for problem in report.problems if problem.part != MISTAKES]
    assert not problems, "\n".join(f"{p.part}: {p.subject}: {p.message}" for p in problems)


@pytest.mark.parametrize("name, function, mistake", NAMED_MISTAKES,
                         ids=[f"{name}-{function}: {mistake}" for name, function, mistake in NAMED_MISTAKES])
def test_mistake_fails_a_public_check_of_its_function_and_nothing_else(name, function, mistake, selfcheck):
    report = selfcheck(name)
    (verdict,) = [v for v in report.mistakes if (v.function, v.name) == (function, mistake)]
    assert verdict.caught_by, f"{mistake!r} passes every public check of {function}"
    assert not verdict.also_failed
    assert not report.problems_about(f"{function}: {mistake}")


@pytest.mark.parametrize("name", NAMES)
def test_public_cases_grade_the_reference_fast(name, suites):
    assignment = find_assignment(name)
    public = suites(name)[0]
    started = time.perf_counter()
    failed = [test.name for test in grade_in_process(assignment, public, vars(assignment.reference))
              if test.status == FAILED]
    assert time.perf_counter() - started < 5.0  # ~0.05 s when idle; the CI machine is shared
    assert not failed


@pytest.mark.parametrize("name", NAMES)
def test_every_function_has_at_least_two_distinct_named_mistakes_with_hints(name):
    assignment = find_assignment(name)
    for function in assignment.functions:
        mistakes = [mistake for mistake in assignment.mistakes if mistake.function == function.name]
        assert len(mistakes) >= 2, function.name
        assert len({mistake.name for mistake in mistakes}) == len(mistakes), function.name
        assert all(mistake.hint and mistake.name and len(mistake.name) <= 60 for mistake in mistakes), function.name


@pytest.mark.parametrize("name", NAMES)
def test_spec_gives_each_function_partial_credit_an_unchanged_check_and_free_gradient_checks(name):
    for function in find_assignment(name).functions:
        kinds = [check.kind for check in function.checks]
        assert kinds.count("values") >= 2 and kinds.count("unchanged") == 1, function.name
        for check in function.checks:
            assert (check.weight == 0) == (check.kind == "gradcheck"), (function.name, check.name)


@pytest.mark.parametrize("name", WITH_PROBES)
def test_probes_import_only_numpy_and_define_no_contract_function(name):
    assignment = find_assignment(name)
    tree = ast.parse(assignment.probes_source)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names} | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"numpy"}
    assert not set(assignment.probes) & {function.name for function in assignment.functions}

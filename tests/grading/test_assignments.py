"""Every assignment in assignments/: references full marks, starters zero, each mistake costs only its function."""

from __future__ import annotations

import pytest

from autograder.grading.assignment import assignment_names, find_assignment

# With the other module grading every named mistake's variant (test_assignments.py, test_diagnosis.py),
# on one worker: variant_report grades each variant once, not once per worker that draws it.
pytestmark = pytest.mark.xdist_group("mistake-variants")

NAMES = assignment_names()
MISTAKES = [(name, index) for name in NAMES for index in range(len(find_assignment(name).mistakes))]


def _function_scores(report):
    return {function.name: report.function_score(function.name) for function in find_assignment(report.assignment).functions}


@pytest.mark.parametrize("name", NAMES)
def test_reference_scores_full_marks(name, grade):
    assignment = find_assignment(name)
    report = grade(assignment, assignment.reference_source)
    failed = {test.name: test.output for test in report.tests if test.status != "passed"}
    assert report.full_marks and not failed, failed


@pytest.mark.parametrize("name", NAMES)
def test_starter_scores_zero(name, grade):
    assignment = find_assignment(name)
    report = grade(assignment, assignment.starter)
    assert report.score == 0, [test.name for test in report.tests if test.score]
    assert len(report.tests) == sum(len(function.checks) for function in assignment.functions)


@pytest.mark.parametrize("name, index", MISTAKES, ids=[f"{name}-{index}" for name, index in MISTAKES])
def test_mistake_loses_points_only_in_its_function(name, index, variant_report):
    assignment = find_assignment(name)
    mistake = assignment.mistakes[index]
    report = variant_report(assignment, mistake)
    scores = _function_scores(report)
    full = {function.name: function.points for function in assignment.functions}
    assert scores[mistake.function] < full[mistake.function], f"{mistake.name} was not detected"
    affected = {mistake.function, *mistake.also_breaks}
    others = {function: score for function, score in scores.items() if function not in affected}
    assert others == {function: points for function, points in full.items() if function not in affected}
    failed = [test for test in report.tests if test.function == mistake.function and test.status == "failed"]
    assert all(test.output for test in failed)

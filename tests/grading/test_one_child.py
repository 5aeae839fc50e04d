"""Hidden mode with one child for both phases gives the reports a fresh child per unit gives."""

from __future__ import annotations

import pytest

from autograder.grading.assignment import assignment_names, find_assignment
from autograder.grading.engine import grade_source
from autograder.grading.mistakes import variant_source
from autograder.sandbox.executor import UnitJob, UnitOutcome

HIDDEN_SEED = 4242
# Limits four times as long for both ways: a run slowed by a loaded machine must not time out in one of them only.
SLACK = {"mode": "hidden", "hidden_seed": HIDDEN_SEED, "time_scale": 4.0}


class OneChildPerUnit:
    """The shared executor without ``run_then``: every unit in a fresh child, as before one child served both."""

    def __init__(self, inner) -> None:
        self.inner, self.isolation = inner, inner.isolation
        self.units = 0

    def run(self, job: UnitJob) -> UnitOutcome:
        self.units += 1
        return self.inner.run(job)

    def close(self) -> None:
        pass


def shown(report) -> list[object]:
    return [report.score, report.messages, [(test.name, test.status, test.score, test.output) for test in report.tests]]


@pytest.mark.parametrize("name", assignment_names())
def test_the_same_reports_either_way(name, executor):
    assignment = find_assignment(name)
    sources = {"reference": assignment.reference_source, "starter": assignment.starter}
    sources.update({mistake.name: variant_source(assignment, mistake) for mistake in assignment.mistakes[:3]})
    one_per_unit = OneChildPerUnit(executor)
    for label, source in sources.items():
        data = source.encode() if isinstance(source, str) else source
        started_units = executor.children_used
        chained = grade_source(assignment, data, executor, **SLACK)
        if label == "reference":
            assert executor.children_used == started_units + 1  # one child: public and hidden cases
        units = one_per_unit.units
        fresh = grade_source(assignment, data, one_per_unit, **SLACK)
        assert one_per_unit.units - units >= 2, label  # the comparison is with two children
        assert shown(chained) == shown(fresh), label

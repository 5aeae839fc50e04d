"""Fixtures of the conformance suite: one sandbox executor per session, solution files, cached reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.grading.assignment import Assignment, find_assignment
from autograder.grading.engine import grade_source
from autograder.grading.report import Report
from autograder.sandbox import Executor, open_executor
from tests.slots import worker_slot

SOLUTIONS = Path(__file__).parent / "solutions"
# Sandbox uids of these tests, away from the slots other suites and workers use.
CONFORMANCE_SLOT = worker_slot(770)
HIDDEN_SEED = 424242


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """One sandbox executor shared by every conformance test."""
    opened = open_executor(slot=CONFORMANCE_SLOT)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def grade_file(executor: Executor) -> Callable[..., Report]:
    """Grade a source (text, or a file's bytes) in "public" or "hidden" mode; each is graded once.

    ``filename`` is the name the student's file had (a notebook is graded by its code cells).
    """
    reports: dict[tuple[str, str | bytes, str, str | None], Report] = {}
    assignments: dict[str, Assignment] = {}

    def grade(assignment_name: str, source: str | bytes, mode: str, filename: str | None = None) -> Report:
        key = (assignment_name, source, mode, filename)
        if key not in reports:
            assignment = assignments.setdefault(assignment_name, find_assignment(assignment_name))
            seed = HIDDEN_SEED if mode == "hidden" else None
            data = source.encode() if isinstance(source, str) else source
            reports[key] = grade_source(assignment, data, executor, mode=mode, hidden_seed=seed, filename=filename)
        return reports[key]

    return grade


@pytest.fixture(scope="session")
def solution_source() -> Callable[[str, str], str]:
    """Return the text of tests/conformance/solutions/<assignment>/<style>.py."""

    def read(assignment_name: str, style: str) -> str:
        return (SOLUTIONS / assignment_name / f"{style}.py").read_text(encoding="utf-8")

    return read

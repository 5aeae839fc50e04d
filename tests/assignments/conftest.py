"""Fixtures of the assignment-folder tests: each folder's self-check, its prepared suites, a sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.prepare import prepare_suite
from autograder.grading.suite import PreparedSuite
from autograder.grading.report import FAILED
from autograder.grading.selfcheck import DEFAULT_HIDDEN_SEEDS, SelfCheckReport, check_assignment, grade_in_process
from autograder.sandbox import Executor, open_executor
from tests.slots import worker_slot


@pytest.fixture(scope="session")
def selfcheck() -> Callable[[str], SelfCheckReport]:
    """Return the self-check report of an assignment, computed once per session."""
    reports: dict[str, SelfCheckReport] = {}

    def report(name: str) -> SelfCheckReport:
        if name not in reports:
            reports[name] = check_assignment(find_assignment(name))
        return reports[name]

    return report


@pytest.fixture(scope="session")
def suites() -> Callable[[str], list[PreparedSuite]]:
    """Return an assignment's public suite and the hidden draws the self-check prepares (cached by the engine)."""

    def prepared(name: str) -> list[PreparedSuite]:
        assignment = find_assignment(name)
        return [prepare_suite(assignment), *(prepare_suite(assignment, "hidden", seed) for seed in DEFAULT_HIDDEN_SEEDS)]

    return prepared


@pytest.fixture(scope="session")
def failed_checks(suites: Callable[[str], list[PreparedSuite]]) -> Callable[..., list[str]]:
    """Judge our own code in-process on every suite of an assignment; return the failed checks with their output."""

    def failures(name: str, namespace: Mapping[str, Any], functions: Sequence[str] | None = None) -> list[str]:
        assignment = find_assignment(name)
        return [f"{suite.mode}: {test.name}: {test.output}" for suite in suites(name)
                for test in grade_in_process(assignment, suite, namespace, functions) if test.status == FAILED]

    return failures


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """One sandbox executor for the few files that must cross the real wire."""
    opened = open_executor(require_full_isolation=False, slot=worker_slot(795))
    yield opened
    opened.close()

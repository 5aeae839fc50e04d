"""Fixtures of the grading-engine tests: one sandbox executor per session, the toy assignment."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.grading.assignment import Assignment, load_assignment
from autograder.grading.engine import grade_source
from autograder.grading.mistakes import Mistake, variant_source
from autograder.grading.report import Report
from autograder.sandbox import Executor, open_executor
from tests.slots import worker_slot

TOY = Path(__file__).parent / "fixtures" / "toy"
# Sandbox uids of these tests, away from the slots other suites and workers use.
GRADING_TEST_SLOT = worker_slot(760)


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """One sandbox executor shared by every grading test."""
    opened = open_executor(slot=GRADING_TEST_SLOT)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def toy() -> Assignment:
    """The small fixture assignment (forward/backward pair, gradient checks, a probe, mistakes)."""
    return load_assignment(TOY)


@pytest.fixture
def toy_copy(tmp_path: Path) -> Path:
    """A writable copy of the toy assignment folder, for breaking it on purpose."""
    target = tmp_path / "toy"
    shutil.copytree(TOY, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture
def grade(executor: Executor) -> Callable[..., Report]:
    """Grade a source text (or bytes) for an assignment with the shared executor."""

    def run(assignment: Assignment, source: str | bytes, **options: object) -> Report:
        data = source.encode() if isinstance(source, str) else source
        return grade_source(assignment, data, executor, **options)  # type: ignore[arg-type]

    return run


@pytest.fixture(scope="session")
def variant_report(executor: Executor) -> Callable[[Assignment, Mistake], Report]:
    """Grade a named mistake's variant file once per session (mutation and diagnosis tests share it)."""
    reports: dict[tuple[str, str, str, str], Report] = {}

    def report(assignment: Assignment, mistake: Mistake) -> Report:
        key = (str(assignment.path), assignment.version, mistake.function, mistake.name)
        if key not in reports:
            reports[key] = grade_source(assignment, variant_source(assignment, mistake).encode(), executor)
        return reports[key]

    return report

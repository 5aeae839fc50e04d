"""Fixtures of the job-system tests: an app on a throwaway database and real submissions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.grading.assignment import find_assignment
from autograder.models import Assignment, Course, CourseAssignment, Submission, SubmissionStatus, User
from autograder.sandbox import Executor, open_executor

REPOSITORY = Path(__file__).resolve().parents[2]
LOSSES_REFERENCE = (REPOSITORY / "assignments" / "losses" / "reference.py").read_text()
HIDDEN_SEED = 424242
# Sandbox uids of these tests, away from the slots other suites and running workers use.
TEST_SLOT_BASE = 700

_counter = itertools.count()


@pytest.fixture
def jobs_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a fresh SQLite database, hidden seed set, lease of 30 s."""
    config = TestConfig(tmp_path, f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    config.HIDDEN_SEED = HIDDEN_SEED
    config.GRADING_LEASE_SECONDS = 30
    config.GRADING_SWEEP_SECONDS = 0.2
    config.EMBEDDED_WORKERS = 2
    config.SANDBOX_SLOT = TEST_SLOT_BASE
    # These tests are about the queue, not the sandbox: take the best executor available.
    config.ALLOW_INSECURE_SANDBOX = True
    app = create_app(config)
    with app.app_context():
        db.create_all()
        yield app
        queue = app.extensions.get("autograder.grading_queue")
        if queue is not None:
            queue.stop()
        db.session.remove()


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """One sandbox executor shared by the tests that grade synchronously."""
    opened = open_executor(slot=TEST_SLOT_BASE + 50)
    yield opened
    opened.close()


@pytest.fixture
def losses_reference() -> str:
    """The reference solution of losses: a file that earns full marks."""
    return LOSSES_REFERENCE


@pytest.fixture
def make_submission(jobs_app: Flask) -> Callable[..., Submission]:
    """Build a committed, queued submission of ``source`` to ``assignment`` (default: the losses reference)."""

    def make(source: str = LOSSES_REFERENCE, assignment: str = "losses", late_days: int = 0,
             **course_assignment_fields: object) -> Submission:
        n = next(_counter)
        row = db.session.query(Assignment).filter_by(name=assignment).one_or_none()
        if row is None:
            version = find_assignment(assignment).version if assignment == "losses" else "missing"
            row = Assignment(name=assignment, title=assignment, filename=f"{assignment}.py", version=version,
                             max_score=35.0)
        user = User(email=f"student{n}@example.edu", name=f"Student {n}")
        course = Course(code=f"DL{n}", title="Deep learning", join_code=f"join-{n}")
        course_assignment = CourseAssignment(course=course, assignment=row, **course_assignment_fields)
        submission = Submission(user=user, course_assignment=course_assignment, filename=f"{assignment}.py",
                                source=source, sha256="0" * 64, status=SubmissionStatus.QUEUED,
                                late_days=late_days)
        db.session.add(submission)
        db.session.commit()
        return submission

    return make

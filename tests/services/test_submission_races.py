"""One student's simultaneous submissions, on SQLite and on the real PostgreSQL: the cooldown and the late-day tokens hold.

Each racer is a thread with its own app context, so its own session and database connection,
as two gunicorn processes (or a browser tab and ``grade --submit``) would be. The race is made
certain rather than left to luck: every INSERT of a submission waits until all racers have
reached theirs, so without serialization every racer has passed its checks before any submission
exists. With serialization only the first racer gets there; it waits out ``PATIENCE`` alone and
goes on, and the others then see its submission.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from autograder.app import create_app
from autograder.extensions import db
from autograder.models import CourseAssignment, Submission, User
from autograder.models._time import utcnow
from autograder.models.course import LatePolicy
from autograder.services import accounts, submissions
from autograder.services.submissions import CooldownActive
from tests.conftest import Factory, make_config

pytestmark = pytest.mark.slow  # each race waits out PATIENCE once

SOURCE = b"import numpy as np\n\ndef mse(y_pred, y_true):\n    return float(np.mean((y_pred - y_true) ** 2))\n"
RACERS = 8  # as many as the red team sent
# How long a racer holds its INSERT for the others: long enough for all of them to arrive when
# nothing serializes them, short of SQLite's busy timeout (10 s) when something does.
PATIENCE = 2.0


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def racing_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """An app (no context pushed) on its own SQLite file, or on a throwaway migrated PostgreSQL database."""
    on_postgres = request.param == "postgresql"
    if on_postgres:
        app = create_app(make_config(tmp_path, request.getfixturevalue("migrated_postgres_url")))
    else:
        app = make_app()
    try:
        yield app
    finally:
        queue = app.extensions.get("autograder.grading_queue")
        if queue is not None:
            # Everything graded first: a grader sending the student's next submission waits for the
            # pool's lock, which the pool's stop holds while it joins the graders.
            queue.join()
            if on_postgres:  # make_app stops its own
                queue.stop()
        if on_postgres:
            with app.app_context():
                db.engine.dispose()


@contextlib.contextmanager
def inserts_wait_for_every_racer(app: Flask, racers: int) -> Iterator[None]:
    """Hold each INSERT of a submission until ``racers`` of them are waiting (or PATIENCE has passed)."""
    everyone = threading.Barrier(racers)

    def hold(connection, cursor, statement: str, parameters, context, executemany) -> None:
        if statement.startswith("INSERT INTO submission "):
            with contextlib.suppress(threading.BrokenBarrierError):  # serialized: the others wait for us
                everyone.wait(timeout=PATIENCE)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)


def race(app: Flask, attempts: list[Callable[[], Any]]) -> list[Any]:
    """Start the attempts together, each in a thread with its own app context; return what each returned or raised."""
    outcomes: list[Any] = [None] * len(attempts)
    start = threading.Barrier(len(attempts))

    def run(index: int, attempt: Callable[[], Any]) -> None:
        with app.app_context():
            try:
                start.wait(timeout=30)
                outcomes[index] = attempt()
            except Exception as error:  # noqa: BLE001  (the test looks at what each racer got)
                outcomes[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, attempt)) for index, attempt in enumerate(attempts)]
    with inserts_wait_for_every_racer(app, len(attempts)):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    return outcomes


def submit(user_id: int, course_assignment_id: int) -> tuple[int, int, int]:
    """Submit in this thread's session; return (id, late_days, late_tokens) of the stored submission."""
    user = db.session.get(User, user_id)
    ca = db.session.get(CourseAssignment, course_assignment_id)
    submission = submissions.create_submission(user, ca, ca.assignment.filename, SOURCE)
    return submission.id, submission.late_days, submission.late_tokens


def stored_submissions(app: Flask) -> list[Submission]:
    with app.app_context():
        rows = list(db.session.scalars(select(Submission).order_by(Submission.id)))
        db.session.expunge_all()
        return rows


def test_simultaneous_submissions_to_one_assignment_get_past_the_cooldown_once(racing_app):
    racing_app.config["SUBMISSION_COOLDOWN_SECONDS"] = 60
    with racing_app.app_context():
        factory = Factory(racing_app)
        student = factory.user()
        ca = factory.course(students=(student,)).course_assignments[0]
        student_id, ca_id = student.id, ca.id
    outcomes = race(racing_app, [lambda: submit(student_id, ca_id)] * RACERS)
    accepted = [outcome for outcome in outcomes if isinstance(outcome, tuple)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, CooldownActive)]
    assert (len(accepted), len(refused)) == (1, RACERS - 1), outcomes
    assert [row.id for row in stored_submissions(racing_app)] == [accepted[0][0]]


def test_simultaneous_late_submissions_spend_the_late_day_tokens_once(racing_app):
    names = ("losses", "optimizers", "backprop")
    with racing_app.app_context():
        factory = Factory(racing_app)
        student = factory.user()
        course = factory.course(students=(student,), assignments=names)
        course.late_day_tokens = 2
        for ca in course.course_assignments:  # each submission is 2 started days late
            ca.due_at, ca.late_policy, ca.penalty_per_day = utcnow() - timedelta(days=2, hours=-1), LatePolicy.PENALTY, 0.1
        db.session.commit()
        student_id, ca_ids = student.id, [ca.id for ca in course.course_assignments]
    outcomes = race(racing_app, [lambda ca_id=ca_id: submit(student_id, ca_id) for ca_id in ca_ids])
    assert all(isinstance(outcome, tuple) for outcome in outcomes), outcomes
    # The 2 tokens go to one of them; the others are late in full.
    assert sorted((late_days, tokens) for _, late_days, tokens in outcomes) == [(0, 2), (2, 0), (2, 0)]
    assert sum(row.late_tokens for row in stored_submissions(racing_app)) == 2


def test_simultaneous_api_posts_get_one_202_and_the_rest_429(racing_app):
    racing_app.config["SUBMISSION_COOLDOWN_SECONDS"] = 60
    with racing_app.app_context():
        factory = Factory(racing_app)
        student = factory.user()
        factory.course(students=(student,))
        token = accounts.issue_api_token(student)

    def post() -> tuple[int, str | None]:
        response = racing_app.test_client().post(
            "/api/v1/assignments/losses/submissions", data={"file": (io.BytesIO(SOURCE), "losses.py")},
            headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")
        return response.status_code, response.headers.get("Retry-After")

    outcomes = race(racing_app, [post] * RACERS)
    assert sorted(status for status, _ in outcomes) == [202] + [429] * (RACERS - 1), outcomes
    assert all(retry_after for status, retry_after in outcomes if status == 429)
    with racing_app.app_context():
        assert db.session.scalar(select(func.count(Submission.id))) == 1

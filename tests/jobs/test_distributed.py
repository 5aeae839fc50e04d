"""The distributed mode against the machine's PostgreSQL and Redis: gunicorn, two Celery workers."""

from __future__ import annotations

import time

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, inspect, select

from autograder.extensions import db
from autograder.jobs.local_stack import free_port
from autograder.models import CheckResult, Submission, SubmissionStatus
from tests.jobs.api_submissions import SLOW_MSE, submit
from tests.jobs.conftest import RunningStack
from tests.slots import worker_slot

pytestmark = [pytest.mark.services, pytest.mark.timeout(120)]




def _wait_until_finished(ids: list[int], seconds: float) -> list[Submission]:
    deadline = time.monotonic() + seconds
    while True:
        db.session.expire_all()
        rows = [db.session.get(Submission, submission_id) for submission_id in ids]
        if all(row.status == SubmissionStatus.DONE for row in rows) or time.monotonic() > deadline:
            return rows
        db.session.rollback()
        time.sleep(0.2)


def _result_counts(submission_id: int) -> tuple[int, int]:
    """(rows, distinct positions) of a submission's CheckResults: equal when nothing is duplicated."""
    return db.session.execute(
        select(func.count(), func.count(func.distinct(CheckResult.position)))
        .where(CheckResult.submission_id == submission_id)
    ).one()


def test_migrations_bring_postgresql_to_the_models(stack, stack_app):
    tables = set(inspect(db.engine).get_table_names())
    assert {"alembic_version", "submission", "check_result", "course_assignment", "user"} <= tables
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def _graded_by_workers(stack: RunningStack) -> float:
    """Gradings the two workers' grading processes report on their own /metrics, together."""
    graded = 0.0
    for metrics_port in stack.metrics_ports.values():
        text = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        graded += sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
                      if sample.name == "autograder_gradings_total" and sample.labels == {"outcome": "graded"})
    return graded


def _done_on_the_web(port: int) -> float:
    """The web's autograder_submissions{status="done"} (read from the database)."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == "autograder_submissions" and sample.labels == {"status": "done"})


# The next two share one running deployment (gunicorn, grader-a and grader-b): one worker of this
# suite starts it once for both (tests/jobs/conftest.py, module_running_stack).
@pytest.mark.xdist_group("running-stack")
def test_submissions_flow_through_gunicorn_and_two_workers(running_stack, losses_reference):
    port, token = running_stack.port, running_stack.student_token
    graded_before, done_before = _graded_by_workers(running_stack), _done_on_the_web(port)
    responses = [submit(port, token, losses_reference) for _ in range(6)]
    assert [response.status_code for response in responses] == [202] * 6
    ids = [response.json()["id"] for response in responses]
    rows = _wait_until_finished(ids, 45)
    assert [row.status for row in rows] == [SubmissionStatus.DONE] * 6
    assert all(row.score == row.max_score == 35.0 and row.attempts == 1 for row in rows)
    assert {row.worker.split("@")[0] for row in rows} <= {"grader-a", "grader-b"}
    for row in rows:
        total, distinct = _result_counts(row.id)
        assert total == distinct > 8
    shown = requests.get(f"http://127.0.0.1:{port}/api/v1/submissions/{ids[0]}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert shown["score"] == 35.0
    # Each worker's grading process serves its own metrics; together they graded all six.
    assert _graded_by_workers(running_stack) - graded_before == 6
    # The web's readiness sees the database, the broker and both workers' heartbeats.
    ready = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"]["workers"] == "2 live"
    assert _done_on_the_web(port) - done_before == 6


@pytest.mark.xdist_group("running-stack")
def test_a_worker_killed_mid_grade_is_replaced_by_the_other(running_stack, losses_reference):
    stack, port = running_stack.stack, running_stack.port
    response = submit(port, running_stack.student_token, losses_reference + SLOW_MSE)
    assert response.status_code == 202
    submission_id = response.json()["id"]
    deadline = time.monotonic() + 30
    while True:
        db.session.expire_all()
        row = db.session.get(Submission, submission_id)
        if row.status == SubmissionStatus.RUNNING or time.monotonic() > deadline:
            break
        db.session.rollback()
        time.sleep(0.05)
    assert row.status == SubmissionStatus.RUNNING
    victim = row.worker.split("@")[0]
    survivor = ({"grader-a", "grader-b"} - {victim}).pop()
    db.session.rollback()
    stack.kill(victim)  # SIGKILL the worker and its pool while it grades (the next test starts it again)

    (row,) = _wait_until_finished([submission_id], 45)
    assert row.status == SubmissionStatus.DONE and row.score == 35.0
    assert row.attempts == 2 and row.worker.startswith(f"{survivor}@")
    total, distinct = _result_counts(submission_id)
    assert total == distinct > 8


def test_redis_restart_mid_run_loses_nothing(stack, stack_app, student_token, make_student_token, losses_reference,
                                              private_redis):
    stack.environment["REDIS_URL"] = private_redis.url  # a broker of our own, so we may kill it
    port = free_port()
    stack.start_web(port)
    stack.start_worker("grader-a", sandbox_slot=worker_slot(800))
    stack.start_worker("grader-b", sandbox_slot=worker_slot(810))
    accepted = [submit(port, student_token, losses_reference).json()["id"] for _ in range(10)]
    private_redis.stop()  # the queue is gone, with everything in it
    # Another student (the first one's later files wait behind their earlier ones, not in the broker).
    other = make_student_token("grace@example.edu")
    during_outage = submit(port, other, losses_reference)
    assert during_outage.status_code == 503  # refused, yet the file was kept ...
    time.sleep(1)
    private_redis.start()  # back, empty
    after = submit(port, make_student_token("alan@example.edu"), losses_reference)
    assert after.status_code == 202

    ids = accepted + [after.json()["id"]]
    ids += list(db.session.scalars(select(Submission.id).where(Submission.id.not_in(ids))))  # ... and graded
    assert len(ids) == 12
    rows = _wait_until_finished(ids, 50)
    assert [row.status for row in rows] == [SubmissionStatus.DONE] * 12
    for row in rows:
        assert row.score == 35.0
        total, distinct = _result_counts(row.id)
        assert total == distinct > 8


def test_worker_refuses_to_start_without_full_isolation(stack):
    stack.environment["AUTOGRADER_ALLOW_INSECURE_SANDBOX"] = "0"
    stack.environment["AUTOGRADER_SANDBOX_DISABLE_LAYERS"] = "seccomp"
    # The operator switched seccomp off and did not accept reduced isolation: the worker exits.
    with pytest.raises(RuntimeError, match="unsafe exited"):
        stack.start_worker("unsafe", sandbox_slot=worker_slot(820))
    assert b"refusing to start a grading worker" in stack.log("unsafe")
    assert b"seccomp" in stack.log("unsafe")


def test_worker_refuses_a_sandbox_slot_another_process_holds(stack):
    from autograder.jobs.slots import acquire_slot, runtime_dir

    slot = worker_slot(820)
    held = acquire_slot(runtime_dir(), slot)  # as another worker of this machine would
    try:
        with pytest.raises(RuntimeError, match="clash exited"):
            stack.start_worker("clash", sandbox_slot=slot)
        assert f"sandbox slot {slot} is already in use by pid".encode() in stack.log("clash")
    finally:
        held.release()

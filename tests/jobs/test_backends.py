"""The two queue backends: the embedded pool grades in-process; the Celery one refuses loudly."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import update

from autograder.extensions import db
from autograder.jobs import QueueUnavailable, enqueue_grading, grading_queue
from autograder.jobs.celery_app import celery_settings
from autograder.models import Submission, SubmissionStatus
from autograder.models._time import utcnow
from tests.jobs.conftest import TEST_SLOT_BASE


def test_embedded_pool_grades_everything_enqueued(jobs_app, make_submission):
    submissions = [make_submission() for _ in range(6)]
    for submission in submissions:
        enqueue_grading(submission.id)
    grading_queue().join()
    db.session.expire_all()
    rows = [db.session.get(Submission, submission.id) for submission in submissions]
    # On failure, say why: a row in error carries the grader's message.
    assert [row.status for row in rows] == [SubmissionStatus.DONE] * 6, [
        (row.id, row.status.value, row.attempts, row.error_message) for row in rows]
    assert all(row.score == 35.0 and row.attempts == 1 for row in rows)
    assert len({row.worker for row in rows}) == 2  # both threads took work


def test_embedded_pool_zygotes_live_as_long_as_their_grading_threads(jobs_app, make_submission):
    # The kernel kills a zygote when the thread that started it ends: a zygote opened by a helper
    # thread died under the first submission (a reference once scored 31/35 that way).
    jobs_app.config["EMBEDDED_LENT_EXECUTORS"] = ()  # the pool's own executors, opened by its threads
    queue = grading_queue()
    queue.start()
    zygotes = [getattr(executor, "inner", executor) for executor in queue.executors]
    if not all(hasattr(zygote, "restarts") for zygote in zygotes):
        pytest.skip("these executors have no zygote")
    submissions = [make_submission() for _ in range(4)]
    for submission in submissions:
        enqueue_grading(submission.id)
    queue.join()
    db.session.expire_all()
    assert [db.session.get(Submission, s.id).score for s in submissions] == [35.0] * 4
    assert [zygote.restarts for zygote in zygotes] == [0, 0]


def test_embedded_pool_start_recovers_what_a_previous_process_left(jobs_app, make_submission):
    # A process died mid-grade (running, lease expired) and another accepted a row but never enqueued it.
    interrupted, never_enqueued = make_submission(), make_submission()
    long_ago = utcnow() - timedelta(minutes=5)
    db.session.execute(update(Submission).where(Submission.id == interrupted.id).values(
        status=SubmissionStatus.RUNNING, attempts=1, worker="dead", lease_expires_at=long_ago))
    db.session.execute(update(Submission).where(Submission.id == never_enqueued.id).values(created_at=long_ago))
    db.session.commit()
    queue = grading_queue()
    queue.start()
    deadline = utcnow() + timedelta(seconds=30)
    while utcnow() < deadline:
        db.session.expire_all()
        statuses = {db.session.get(Submission, s.id).status for s in (interrupted, never_enqueued)}
        if statuses == {SubmissionStatus.DONE}:
            break
        queue.join()
    assert statuses == {SubmissionStatus.DONE}
    assert db.session.get(Submission, interrupted.id).attempts == 2


def test_celery_enqueue_raises_queue_unavailable_when_the_broker_is_down(jobs_app):
    jobs_app.config.update(QUEUE_BACKEND="celery", REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens on 9
    with pytest.raises(QueueUnavailable):
        enqueue_grading(12345)


def test_celery_settings_never_lose_a_message(jobs_app):
    settings = celery_settings(jobs_app.config)
    assert settings["task_acks_late"] and settings["task_reject_on_worker_lost"]
    assert settings["worker_prefetch_multiplier"] == 1
    # Redelivery of an unacked message must not race a grading that still holds its lease.
    assert settings["broker_transport_options"]["visibility_timeout"] >= 3 * jobs_app.config["GRADING_LEASE_SECONDS"]
    assert settings["task_default_queue"] == jobs_app.config["CELERY_QUEUE"]
    # Consumed in this order: the students' own work, then regrades, then similarity indexing.
    queue = jobs_app.config["CELERY_QUEUE"]
    assert [q.name for q in settings["task_queues"]] == [queue, f"{queue}-regrade", f"{queue}-similarity"]
    assert settings["broker_transport_options"]["queue_order_strategy"] == "priority"


def test_sweep_command_grades_a_submission_nobody_enqueued(jobs_app, make_submission):
    from click.testing import CliRunner

    from autograder.cli.jobs import sweep_command

    forgotten = make_submission()
    db.session.execute(update(Submission).where(Submission.id == forgotten.id).values(
        created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    result = CliRunner().invoke(sweep_command)
    assert result.exit_code == 0, result.output
    assert "requeued 1" in result.output
    db.session.expire_all()
    assert db.session.get(Submission, forgotten.id).status == SubmissionStatus.DONE


def test_worker_command_refuses_the_embedded_mode(jobs_app):
    from click.testing import CliRunner

    from autograder.cli.jobs import worker_command

    result = CliRunner().invoke(worker_command)
    assert result.exit_code != 0 and "embedded" in result.output


def test_autograder_worker_execs_celery_without_building_the_app(monkeypatch):
    # Celery builds the app itself; `autograder worker` only reads AUTOGRADER_QUEUE and execs it.
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    import autograder.cli.jobs as jobs_cli
    from autograder.cli import main
    from autograder.jobs import commands

    def no_app(self):  # noqa: ANN001, ANN202
        raise AssertionError("the worker command built the app")

    executed = []
    monkeypatch.setattr(ScriptInfo, "load_app", no_app)
    monkeypatch.setattr(jobs_cli.os, "execv", lambda program, argv: executed.append(argv))
    result = CliRunner().invoke(main, ["worker", "--name", "a@h", "--concurrency", "3"],
                                env={"AUTOGRADER_QUEUE": "celery"})
    assert result.exit_code == 0, result.output
    assert executed == [commands.worker_command(name="a@h", concurrency=3)]

    for value, message in (("embedded", "embedded"), ("rabbit", "AUTOGRADER_QUEUE must be one of")):
        result = CliRunner().invoke(main, ["worker"], env={"AUTOGRADER_QUEUE": value})
        assert result.exit_code == 1 and message in result.output, result.output
    assert len(executed) == 1


def test_stopping_the_pool_while_a_grading_thread_sends_the_next_submission_does_not_hang(jobs_app, make_submission,
                                                                                         monkeypatch):
    # A grading thread that finishes a student's submission sends their next one (enqueue); stop()
    # holds the pool's lock while it joins the grading threads, so that enqueue must not wait for it.
    import threading

    import autograder.jobs.embedded as embedded

    queue = grading_queue()
    grading, sent = threading.Event(), []

    def grade_then_send_the_next(submission_id, executor, worker):
        grading.set()
        while not queue._stopping.is_set():  # stop() has begun, and holds the lock
            threading.Event().wait(0.01)
        queue.enqueue(submission_id + 1000)
        sent.append(submission_id)

    monkeypatch.setattr(embedded, "grade_submission", grade_then_send_the_next)
    # Stored before the pool starts, so that its first sweep sends it, once. (Stored after, it was
    # sent twice whenever that sweep ran late: by the test and by the sweep; this fake never claims.)
    submission = make_submission()
    queue.start()
    assert grading.wait(10)
    stopping = threading.Thread(target=queue.stop, daemon=True)
    stopping.start()
    stopping.join(20)
    assert not stopping.is_alive(), "stop() waited for a grading thread that waited for stop()'s lock"
    assert sent == [submission.id] and not queue.started


def test_embedded_pool_grades_on_a_lent_executor_and_leaves_it_open(jobs_app, make_submission):
    # The test suite lends one zygote to every app it builds (EMBEDDED_LENT_EXECUTORS): the pool
    # grades on it and leaves it running for the next app, however its grading threads end.
    from autograder.sandbox import SandboxOptions, open_executor

    lent = open_executor(slot=TEST_SLOT_BASE + 45, options=SandboxOptions(allow_insecure=True))  # this thread's
    try:
        if not hasattr(lent, "zygote_pid"):
            pytest.skip("this executor has no zygote")
        jobs_app.config.update(EMBEDDED_WORKERS=1, EMBEDDED_LENT_EXECUTORS=(lent,))
        queue = grading_queue()
        queue.start()
        assert queue.executors == [lent]
        submission = make_submission()
        enqueue_grading(submission.id)
        queue.join()
        queue.stop()
        db.session.expire_all()
        assert db.session.get(Submission, submission.id).score == 35.0
        pid = lent.zygote_pid
        assert pid is not None and lent.restarts == 0
        os.kill(pid, 0)  # still running: neither closed by the pool nor killed with its grading thread
    finally:
        lent.close()


def test_embedded_pool_refuses_a_lent_executor_with_reduced_isolation(jobs_app):
    from autograder.sandbox import InsecureSandboxError, SubprocessExecutor

    jobs_app.config.update(EMBEDDED_WORKERS=1, ALLOW_INSECURE_SANDBOX=False,
                           EMBEDDED_LENT_EXECUTORS=(SubprocessExecutor(),))
    with pytest.raises(QueueUnavailable, match="not fully isolated") as raised:
        enqueue_grading(1)
    assert isinstance(raised.value.__cause__, InsecureSandboxError)

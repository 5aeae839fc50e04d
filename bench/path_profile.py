"""Where the milliseconds of one submission go: POST -> commit -> enqueue -> claim -> grade -> store -> GET.

    .venv/bin/python bench/path_profile.py              # 30 submissions, one at a time, through the real stack
    .venv/bin/python bench/path_profile.py --count 50

Two views, both against the machine's PostgreSQL and Redis (a throwaway database and queue):

1. End to end through gunicorn (1 process) and one Celery worker, one submission at a time (no
   queueing): the client's POST and GET round trips and the database's timestamps (created,
   claimed, graded, stored).
2. In process, the same service functions timed step by step (Flask test client, the real
   sandbox): what the web does inside a POST, and what a worker does between claim and store;
   and the SQL statements each step sends.

Prints medians and p95 per step. Figures depend on the machine's load: run it on a quiet machine
to compare changes, and always compare within one run.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import requests

from autograder.app import create_app
from autograder.extensions import db
from autograder.jobs.local_stack import LocalStack, free_port
from autograder.models import Submission
from throwaway import throwaway_services

REFERENCE = (Path(__file__).resolve().parents[1] / "assignments" / "losses" / "reference.py").read_bytes()
HIDDEN_SEED = "20261122"

timings: dict[str, list[float]] = defaultdict(list)


def timed(owner: object, name: str, label: str) -> None:
    """Replace ``owner.name`` by a wrapper that records its wall time (ms) under ``label``."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timings[label].append((time.perf_counter() - started) * 1000)

    setattr(owner, name, wrapper)


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"  {label:<52} median {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms"


def seed(app) -> str:
    from autograder.services import accounts, catalog, courses

    with app.app_context():
        course = courses.create_course("PROFILE", "Profile")
        catalog.sync_assignments()
        student = accounts.create_user("profile@example.edu", "correct horse battery staple")
        courses.enroll(student, course)
        return accounts.issue_api_token(student)


def end_to_end(stack: LocalStack, app, token: str, count: int) -> None:
    port = free_port()
    stack.start_web(port, workers=1)
    stack.start_worker("profile")
    url = f"http://127.0.0.1:{port}/api/v1"
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    steps: dict[str, list[float]] = defaultdict(list)
    for n in range(count + 3):
        started = time.time()
        response = session.post(
            f"{url}/assignments/losses/submissions",
            headers=headers,
            files={"file": ("losses.py", REFERENCE)},
            timeout=30,
        )
        posted = time.time()
        assert response.status_code == 202, response.text
        submission_id = response.json()["id"]
        while True:
            shown = session.get(f"{url}/submissions/{submission_id}", headers=headers, timeout=30)
            seen = time.time()
            if shown.json()["status"] == "done":
                break
            time.sleep(0.002)
        if n < 3:
            continue  # warm-up: the worker's first grading prepares the suite
        with app.app_context():
            row = db.session.get(Submission, submission_id)
            created, claimed, stored = (
                row.created_at.timestamp(),
                row.started_at.timestamp(),
                row.finished_at.timestamp(),
            )
            grading = row.grading_seconds
            db.session.rollback()
        steps["client POST round trip"].append((posted - started) * 1000)
        steps["request start -> claimed by the worker"].append((claimed - created) * 1000)
        steps["claimed -> result stored"].append((stored - claimed) * 1000)
        steps["  of which grading (load, public + hidden units)"].append(grading * 1000)
        steps["result stored -> GET shows it (2 ms polling)"].append((seen - stored) * 1000)
        steps["total: POST sent -> GET shows the score"].append((seen - started) * 1000)
    print(f"end to end, one submission at a time ({count} after 3 warm-ups; gunicorn 1 process, 1 Celery worker):")
    for label, values in steps.items():
        print(summary(label, values))
    stack.stop()


def in_process(app, token: str, count: int) -> None:
    from autograder import jobs
    from autograder.jobs.executors import open_worker_executor
    from autograder.services import accounts, courses, grading, submissions

    timed(accounts, "user_for_token", "POST: token -> user (1 query)")
    timed(courses, "studies", "POST: is a student of the course")
    timed(submissions, "engine_assignment", "POST: assignment from the engine (cached)")
    timed(grading, "engine_assignment", "worker: assignment from the engine (cached)")
    timed(submissions, "_cooldown", "POST: cooldown query")
    timed(submissions, "_waits_behind_earlier", "POST: fair-queue check")
    timed(jobs, "enqueue_grading", "POST: enqueue (publish to Redis)")
    timed(grading, "_take_claim", "worker: claim (conditional UPDATE; committed with the read)")
    timed(grading, "store_final_result", "worker: store result (UPDATE + results)")
    timed(grading, "_commit_with_next_of", "worker: release the student's next, commit, send it")
    timed(grading, "release_claim", "worker: release (sandbox failed)")
    import autograder.grading.engine as engine
    from sqlalchemy import event

    timed(engine, "grade_source", "worker: grade_source (public + hidden)")
    client = app.test_client()
    statements: dict[str, list[int]] = defaultdict(list)
    step = {"name": "", "count": 0, "rows": 0}

    def count_statement(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        step["count"] += 1
        step["rows"] += len(parameters) if executemany else 1

    def counted(name: str, work, *args, **kwargs):  # type: ignore[no-untyped-def]
        step.update(count=0, rows=0)
        result = work(*args, **kwargs)
        statements[name].append(step["count"])
        statements[name + " (rows of executemany counted one by one)"].append(step["rows"])
        return result

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count_statement)
    executor = open_worker_executor(app)
    ids = []
    try:
        with app.app_context():
            for n in range(count + 3):
                started = time.perf_counter()
                response = counted(
                    "POST",
                    client.post,
                    "/api/v1/assignments/losses/submissions",
                    headers={"Authorization": f"Bearer {token}"},
                    data={"file": (__import__("io").BytesIO(REFERENCE), "losses.py")},
                    content_type="multipart/form-data",
                )
                post_ms = (time.perf_counter() - started) * 1000
                assert response.status_code == 202, response.get_data(as_text=True)
                submission_id = response.get_json()["id"]
                started = time.perf_counter()
                counted("worker", grading.grade_submission, submission_id, executor=executor, worker="profile@local:0")
                grade_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                shown = counted(
                    "GET",
                    client.get,
                    f"/api/v1/submissions/{submission_id}",
                    headers={"Authorization": f"Bearer {token}"},
                )
                get_ms = (time.perf_counter() - started) * 1000
                assert shown.get_json()["status"] == "done"
                if n < 3:
                    timings.clear()
                    statements.clear()
                    continue
                timings["POST (whole request, test client)"].append(post_ms)
                timings["worker: grade_submission (whole)"].append(grade_ms)
                timings["GET (whole request, test client)"].append(get_ms)
                ids.append(submission_id)
    finally:
        executor.close()
    print(f"\nin process, step by step ({count} submissions after 3 warm-ups):")
    for label in sorted(
        timings, key=lambda label: (not label.startswith("POST"), not label.startswith("worker"), label)
    ):
        print(summary(label, timings[label]))
    print("\nSQL statements per submission (median; the connection pool's pre-ping is not counted):")
    for label, values in statements.items():
        print(f"  {label:<52} {statistics.median(values):5.0f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="autograder-profile-"))
    with throwaway_services("profile") as services:
        stack = services.stack(
            work,
            "profile",
            AUTOGRADER_HIDDEN_SEED=HIDDEN_SEED,
            AUTOGRADER_COOLDOWN_SECONDS="0",
            AUTOGRADER_API_SUBMISSIONS_PER_USER="10000 per minute",  # one student posts them all
            AUTOGRADER_ALLOW_INSECURE_SANDBOX="1",
            AUTOGRADER_RUNTIME_DIR=str(work / "run"),
        )
        config = services.config(work)
        config.HIDDEN_SEED, config.ALLOW_INSECURE_SANDBOX = int(HIDDEN_SEED), True
        config.SANDBOX_RUNTIME_DIR = str(work / "run")
        app = create_app(config)
        try:
            stack.migrate()
            token = seed(app)
            end_to_end(stack, app, token, args.count)
            in_process(app, token, args.count)
        finally:
            stack.stop()
            with app.app_context():
                db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

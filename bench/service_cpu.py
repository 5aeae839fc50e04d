"""CPU (not wall time) of the service around the engine, per submission, in process.

    .venv/bin/python bench/service_cpu.py                      # 8 batches of 15 submissions
    .venv/bin/python bench/service_cpu.py --profile worker     # and the hottest functions of that step

Against a throwaway PostgreSQL database and Redis queue of this machine, one student posts the
`losses` reference through Flask's test client (the rate limiter on, in Redis), a worker grades it with
``grade_submission`` and the student reads it back (GET). The sandbox is replaced by the replay
executor of ``bench/engine_cpu.py`` (the frames the child would write, fed through the real
FrameReader and ResultCollector), so the grading step is the engine's trusted side plus
everything around it in a worker (claim, read, lease keeper thread, final write, release of the
next, logging, metrics, the similarity request) and nothing of the sandbox's.

Prints, per step, ms of CPU of this process (all its threads, ``time.process_time``): the median
and lowest of the batches, the engine alone (``grade_source`` with the same executor) and the
statements each step sends. ``--profile STEP`` runs that step under ``cProfile`` with a CPU clock
and prints the functions with the most CPU (cumulative and own). On a shared machine compare two
checkouts by running both, one after the other, a few times each.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine_cpu import ReplayExecutor  # noqa: E402
from throwaway import throwaway_services  # noqa: E402

from autograder.app import create_app  # noqa: E402
from autograder.extensions import db  # noqa: E402

REFERENCE = (Path(__file__).resolve().parents[1] / "assignments" / "losses" / "reference.py").read_bytes()
HIDDEN_SEED = "20261122"
STEPS = ("POST", "worker", "GET")


def _seed(app) -> str:  # type: ignore[no-untyped-def]
    from autograder.services import accounts, catalog, courses

    with app.app_context():
        course = courses.create_course("CPU", "Service CPU")
        catalog.sync_assignments()
        student = accounts.create_user("cpu@example.edu", "correct horse battery staple")
        courses.enroll(student, course)
        return accounts.issue_api_token(student)


class Steps:
    """One submission's POST, grading and GET, each timed in CPU and counted in statements."""

    def __init__(self, app, token: str, executor) -> None:  # type: ignore[no-untyped-def]
        self.app, self.executor = app, executor
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}
        self.statements = 0
        self.submission_id = 0
        self.shown: list[str] | None = None

    def count(self, conn, cursor, statement: str, *args: object) -> None:  # type: ignore[no-untyped-def]
        self.statements += 1
        if self.shown is not None:
            self.shown.append(" ".join(statement.split())[:160])

    def post(self) -> None:
        response = self.client.post(
            "/api/v1/assignments/losses/submissions",
            headers=self.headers,
            data={"file": (io.BytesIO(REFERENCE), "losses.py")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 202, response.get_data(as_text=True)
        self.submission_id = response.get_json()["id"]

    def worker(self) -> None:
        from autograder.services.grading import grade_submission

        with self.app.app_context():
            outcome = grade_submission(self.submission_id, executor=self.executor, worker="cpu@local:0")
        assert outcome.value == "graded", outcome

    def get(self) -> None:
        shown = self.client.get(f"/api/v1/submissions/{self.submission_id}", headers=self.headers)
        assert shown.get_json()["status"] == "done", shown.get_json()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--size", type=int, default=15, help="submissions per batch")
    parser.add_argument(
        "--profile", choices=STEPS, help="also profile this step (CPU clock) and print its top functions"
    )
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--split", action="store_true", help="also the CPU of named parts of the steps (wrapped functions)"
    )
    parser.add_argument("--show-sql", action="store_true", help="print the statements each step sends (one submission)")
    parser.add_argument("--callees", metavar="REGEX", help="with --profile: what the matching functions call")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="autograder-service-cpu-"))
    with throwaway_services("cpu") as services:
        stack = services.stack(work, "cpu", AUTOGRADER_HIDDEN_SEED=HIDDEN_SEED)
        config = services.config(work)
        config.HIDDEN_SEED = int(HIDDEN_SEED)
        config.SUBMISSION_COOLDOWN_SECONDS = 0
        # As served: the limiter in Redis.
        config.RATELIMIT_ENABLED, config.RATELIMIT_STORAGE_URI = True, services.redis_url
        config.API_SUBMISSIONS_PER_USER = "100000 per minute"  # one student posts them all
        app = create_app(config)
        try:
            stack.migrate()
            token = _seed(app)
            run(app, token, options)
        finally:
            with app.app_context():
                db.engine.dispose()
    return 0


def run(app, token: str, options: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    from autograder.grading import engine
    from autograder.services.grading import engine_assignment

    executor = ReplayExecutor()
    steps = Steps(app, token, executor)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", steps.count)
    work = {"POST": steps.post, "worker": steps.worker, "GET": steps.get}
    for _ in range(5):  # warm-up: the suite is prepared, the replay streams recorded, pools filled
        for name in STEPS:
            work[name]()
    if options.show_sql:
        for name in STEPS:
            steps.shown = []
            work[name]()
            print(f"{name}:", *steps.shown, sep="\n  ")
        steps.shown = None
    cpu: dict[str, list[float]] = defaultdict(list)
    statements: dict[str, list[int]] = defaultdict(list)
    for _ in range(options.batches):
        spent = dict.fromkeys(STEPS, 0.0)
        for _ in range(options.size):
            for name in STEPS:
                steps.statements = 0
                started = time.process_time()
                work[name]()
                spent[name] += time.process_time() - started
                statements[name].append(steps.statements)
        for name in STEPS:
            cpu[name].append(1000 * spent[name] / options.size)
    with app.app_context():
        assignment = engine_assignment("losses")
    source = REFERENCE

    def engine_alone() -> None:
        engine.grade_source(
            assignment, source, executor, mode="hidden", hidden_seed=int(HIDDEN_SEED), filename="losses.py"
        )

    for _ in range(options.batches):
        started = time.process_time()
        for _ in range(options.size):
            engine_alone()
        cpu["engine alone (grade_source)"].append(1000 * (time.process_time() - started) / options.size)
    print(f"ms of CPU per submission, this process (median / lowest of {options.batches} batches of {options.size}):")
    for name, values in cpu.items():
        sent = f"   {statistics.median(statements[name]):3.0f} statements" if name in statements else ""
        print(f"  {name:<30} {statistics.median(values):7.2f} / {min(values):7.2f}{sent}")
    if options.split:
        split(work, options)
    if options.profile:
        profile(work[options.profile], work, options)


def split(work, options: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    """CPU per call of named parts, each wrapped to read process_time (a part inside another counts in both)."""
    import flask_limiter
    from sqlalchemy.orm import Session
    from werkzeug.wrappers import Request

    from autograder import jobs
    from autograder.services import accounts, grading, submissions
    from autograder.web import api

    parts: dict[str, list[float]] = defaultdict(list)
    originals = []

    def wrap(owner: object, name: str, label: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                parts[label].append(1000 * (time.process_time() - started))

        originals.append((owner, name, original))
        setattr(owner, name, wrapper)

    wrap(flask_limiter.Limiter, "_check_request_limit", "POST: rate limiter check")
    wrap(Request, "_load_form_data", "POST: multipart parsing")
    wrap(accounts, "user_for_token", "POST/GET: token -> user")
    wrap(submissions, "create_submission", "POST: submissions.create_submission")
    wrap(Session, "flush", "POST/worker: ORM flush")
    wrap(submissions, "_commit_keeping", "POST: commit")
    wrap(jobs, "enqueue_grading", "POST: enqueue (publish)")
    wrap(api, "hint_next_read", "POST/GET: poll hint")
    wrap(api, "load_submission", "GET: load the submission and results")
    wrap(api, "can_view_submission", "GET: may the user see it")
    wrap(api, "submission_json", "GET: the JSON body")
    wrap(grading, "_take_claim", "worker: claim")
    wrap(grading, "store_final_result", "worker: final write")
    wrap(grading, "_commit_with_next_of", "worker: release next + commit")
    wrap(grading, "request_similarity_indexing", "worker: similarity request")
    try:
        for _ in range(options.batches * options.size):
            for name in STEPS:
                work[name]()
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    print("ms of CPU per call (median):")
    for label, values in parts.items():
        print(f"  {label:<40} {statistics.median(values):6.3f}  ({len(values)} calls)")


def profile(target, work, options: argparse.Namespace) -> None:  # type: ignore[no-untyped-def]
    profiler = cProfile.Profile(time.process_time)
    for _ in range(options.batches * options.size):
        for name in STEPS:
            if work[name] is target:
                profiler.enable()
                work[name]()
                profiler.disable()
            else:
                work[name]()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    for order in ("cumulative", "tottime"):
        stats.sort_stats(order).print_stats(options.top)
    if options.callees:
        stats.sort_stats("cumulative").print_callees(options.callees)
    print(text.getvalue())


if __name__ == "__main__":
    sys.exit(main())

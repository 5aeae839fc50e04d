"""Deadline burst: post N `losses` submissions through the API as fast as possible, check none is lost.

    .venv/bin/python bench/load_test.py                       # 500 via gunicorn + 2 Celery workers
    .venv/bin/python bench/load_test.py --kill-worker-at 0.3  # SIGKILL a worker after 30% are posted
    .venv/bin/python bench/load_test.py --mode embedded       # gunicorn (1 process) with the thread pool
    .venv/bin/python bench/load_test.py --rate 25             # an offered load of 25/s (queue-to-done latency)
    .venv/bin/python bench/load_test.py --external-client     # bench/api_client.py posts instead (stdlib only)

Uses the machine's PostgreSQL and Redis (a throwaway database and queue). Prints throughput
(API post to stored score), its ratio to a baseline timed in the same run (the bare engine's
rate in one process, before and after the burst), queue-to-done latency percentiles and the CPU
each process used per submission; exits 1 if anything was lost, graded twice into conflicting
results, or scored wrong.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests
from sqlalchemy import func, select

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.jobs.local_stack import LocalStack, free_port
from autograder.models import CheckResult, Submission, SubmissionStatus

REFERENCE_PATH = Path(__file__).resolve().parents[1] / "assignments" / "losses" / "reference.py"
REFERENCE = REFERENCE_PATH.read_bytes()
API_CLIENT = Path(__file__).resolve().with_name("api_client.py")
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
HIDDEN_SEED = "20261122"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=500, help="submissions to post")
    parser.add_argument("--mode", choices=("celery", "embedded"), default="celery")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (or embedded threads)")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="grading processes per Celery worker (the deployment default)"
    )
    parser.add_argument("--students", type=int, default=50, help="distinct API tokens (the API rate-limits each)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP clients")
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="offered load: POST this many submissions/s (default: as fast as possible)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn processes (celery mode)")
    parser.add_argument(
        "--no-restart",
        dest="restart_killed",
        action="store_false",
        help="leave the killed worker dead (by default it is restarted, as its supervisor would)",
    )
    parser.add_argument(
        "--kill-worker-at",
        type=float,
        default=None,
        metavar="FRACTION",
        help="SIGKILL one Celery worker once this fraction of submissions is posted",
    )
    parser.add_argument("--lease", type=int, default=10, help="grading lease in seconds (the default)")
    parser.add_argument(
        "--baseline-count",
        type=int,
        default=40,
        help="gradings timed in process before and after the burst, as this run's baseline",
    )
    parser.add_argument("--timeout", type=float, default=300, help="give up waiting after this many seconds")
    parser.add_argument(
        "--external-client",
        action="store_true",
        help="post with bench/api_client.py (a separate process, standard library only) instead of this script's "
        "own client; its report is printed, and this script still audits the database",
    )
    parser.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="with --external-client: read each pending submission every second, whatever Retry-After says",
    )
    return parser.parse_args()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def seed_students(app, count: int) -> list[str]:
    from autograder.models import User
    from autograder.services import accounts, catalog, courses

    with app.app_context():
        course = courses.create_course("BURST", "Deadline burst")
        catalog.sync_assignments()
        tokens = []
        for n in range(count):
            student = User(email=f"student{n}@burst.example", name=f"Student {n}")
            db.session.add(student)
            db.session.flush()
            courses.enroll(student, course)
            tokens.append(accounts.issue_api_token(student))
        return tokens


def _process_table() -> dict[int, tuple[int, float, str, int]]:
    """pid -> (parent pid, CPU seconds of it and of its reaped children, command line, start time) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        table[int(entry)] = (
            int(fields[1]),
            sum(int(value) for value in fields[11:15]) / tick,
            command,
            int(fields[19]),
        )
    return table


def _roles(stack: LocalStack, database: str, table: dict[int, tuple[int, float, str, int]]) -> dict[int, str]:
    """pid -> role of the stack's processes, our database's PostgreSQL backends and Redis.

    A sandbox unit (a zygote's child) is left out: the zygote's reaped-children time counts it
    once it ends, and counting it while it runs as well would count it twice.
    """
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _, _, _) in table.items():
        children[parent].append(pid)
    roles: dict[int, str] = {}
    for name, process in stack.processes.items():
        role = "web" if name in ("web", "serve") else "worker"
        pending = [process.pid]
        while pending:
            pid = pending.pop()
            if pid not in table:
                continue
            command = table[pid][2]
            parent_command = table.get(table[pid][0], (0, 0.0, "", 0))[2]
            if "zygote_server" in command and "zygote_server" in parent_command:
                continue
            key = "sandbox (zygotes, units)" if "zygote_server" in command else role
            if key == "worker":
                key = "worker: Celery main process" if pid == process.pid else "worker: grading process"
            if name == "serve" and key == "web":
                key = "serve (web + grading threads)"
            roles[pid] = key
            pending.extend(children[pid])
    for pid, (_, _, command, _) in table.items():
        if command.startswith("postgres:") and f" {database} " in command:
            roles[pid] = "postgresql (this run's backends)"
        elif command.startswith("/usr/bin/redis-server") or command.startswith("redis-server"):
            roles[pid] = "redis (whole server)"
    return roles


class CpuMeter:
    """CPU seconds each role uses during the burst, sampled every ``interval`` seconds.

    Sampling, not two snapshots: a process that ends during the run (a SIGKILLed worker, its
    zygotes) keeps the time it was last seen with, and one that starts (its replacement) counts
    from zero. Processes are told apart by pid and start time.
    """

    def __init__(self, stack: LocalStack, database: str, interval: float = 0.25) -> None:
        self.stack, self.database, self.interval = stack, database, interval
        self.first: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._client_start = 0.0

    def _sample(self, initial: bool = False) -> None:
        table = _process_table()
        for pid, role in _roles(self.stack, self.database, table).items():
            key = (pid, table[pid][3])
            cpu = table[pid][1]
            self.first.setdefault(key, cpu if initial else 0.0)
            self.last[key] = (role, cpu)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._sample(initial=True)
        times = os.times()
        self._client_start = times.user + times.system
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """Stop sampling; return CPU seconds by role since :meth:`start`."""
        self._stop.set()
        self._thread.join()
        self._sample()
        usage: dict[str, float] = defaultdict(float)
        for key, (role, cpu) in self.last.items():
            usage[role] += cpu - self.first[key]
        times = os.times()
        usage["load client"] = times.user + times.system - self._client_start
        return dict(usage)


def post_all(
    port: int, tokens: list[str], count: int, clients: int, on_posted, rate: float | None = None
) -> tuple[list[int], list[int]]:
    """POST ``count`` submissions with ``clients`` threads: as fast as possible, or ``rate`` per second."""
    url = f"http://127.0.0.1:{port}/api/v1/assignments/losses/submissions"
    local = threading.local()
    accepted: list[int] = []
    refused: list[int] = []
    first = time.monotonic()

    def post(n: int) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        if rate:  # an offered load: submission n is sent n / rate seconds after the first
            time.sleep(max(0.0, first + n / rate - time.monotonic()))
        while True:
            response = session.post(
                url,
                headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
                files={"file": ("losses.py", REFERENCE)},
                timeout=60,
            )
            if response.status_code == 202:
                accepted.append(response.json()["id"])
                break
            if response.status_code in (429, 503):  # what a well-behaved client does: retry later
                refused.append(response.status_code)
                time.sleep(float(response.headers.get("Retry-After", "1")) if response.status_code == 429 else 1)
                continue
            raise RuntimeError(f"POST answered {response.status_code}: {response.text[:300]}")
        on_posted(len(accepted))

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, range(count)))
    return accepted, refused


def post_with_the_external_client(port: int, tokens: list[str], args: argparse.Namespace, work: Path, on_posted) -> int:
    """Run bench/api_client.py against the service; return its exit status (its report goes to stdout)."""
    tokens_file = work / "tokens.txt"
    tokens_file.write_text("\n".join(tokens) + "\n")
    command = [
        sys.executable,
        str(API_CLIENT),
        "--url",
        f"http://127.0.0.1:{port}",
        "--tokens-file",
        str(tokens_file),
        "--file",
        str(REFERENCE_PATH),
        "--count",
        str(args.count),
        "--clients",
        str(args.clients),
        "--expect-score",
        "35",
        "--timeout",
        str(args.timeout),
        *(["--rate", str(args.rate)] if args.rate else []),
        *(["--ignore-retry-after"] if args.ignore_retry_after else []),
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as client:
        assert client.stdout is not None
        for line in client.stdout:
            if line.startswith("posted ") and line.split()[1].isdigit():
                on_posted(int(line.split()[1]))
            else:
                print(f"  api_client: {line.rstrip()}", flush=True)
    return client.returncode


def bare_grading_rate(count: int, directory: Path) -> float:
    """Submissions/s of the bare engine in this process (one sandbox executor, no web, queue or
    database): the same file in the same hidden mode, timed now, as the baseline of this run."""
    from autograder.grading.assignment import find_assignment
    from autograder.grading.engine import grade_source
    from autograder.jobs.slots import acquire_slot, runtime_dir
    from autograder.sandbox import open_executor

    assignment = find_assignment("losses")
    lock = acquire_slot(runtime_dir(directory), None, 64)
    executor = open_executor(require_full_isolation=False, slot=lock.slot)
    try:
        for _ in range(3):  # warm-up: the suite is prepared once
            grade_source(assignment, REFERENCE, executor, mode="hidden", hidden_seed=int(HIDDEN_SEED))
        started = time.perf_counter()
        for _ in range(count):
            report = grade_source(assignment, REFERENCE, executor, mode="hidden", hidden_seed=int(HIDDEN_SEED))
            assert report.score == report.max_score, "the baseline grading is wrong"
        return count / (time.perf_counter() - started)
    finally:
        executor.close()
        lock.release()


def main() -> int:
    args = parse_args()
    work = Path(tempfile.mkdtemp(prefix="autograder-load-"))
    database = f"autograder_load_{uuid.uuid4().hex[:10]}"
    queue = f"grading-load-{uuid.uuid4().hex[:10]}"
    if args.mode == "celery":
        with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    else:
        database_url = f"sqlite:///{work / 'burst.sqlite3'}"
    stack = LocalStack.create(
        work / "logs",
        AUTOGRADER_QUEUE=args.mode,
        DATABASE_URL=database_url,
        REDIS_URL=f"redis://127.0.0.1:6379/{random.randint(1, 15)}",
        AUTOGRADER_CELERY_QUEUE=queue,
        AUTOGRADER_SECRET_KEY="load-test",
        AUTOGRADER_HIDDEN_SEED=HIDDEN_SEED,
        AUTOGRADER_COOLDOWN_SECONDS="0",
        AUTOGRADER_LEASE_SECONDS=str(args.lease),
        AUTOGRADER_SWEEP_SECONDS="2",
        AUTOGRADER_EMBEDDED_WORKERS=str(args.workers),
        AUTOGRADER_ALLOW_INSECURE_SANDBOX="1",
        AUTOGRADER_RUNTIME_DIR=str(work / "run"),  # sandbox slots: lock files of this run's own
    )
    config = TestConfig(work, database_url)
    app = create_app(config)
    try:
        stack.migrate()
        tokens = seed_students(app, args.students)
        baseline_before = bare_grading_rate(args.baseline_count, work / "run")
        print(
            f"baseline: the bare engine grades {baseline_before:.1f} submissions/s in one process "
            f"(no web, queue or database; {args.baseline_count} gradings just now; timed again after the burst)",
            flush=True,
        )
        port = free_port()
        if args.mode == "celery":
            stack.start_web(port, workers=args.web_workers)
        else:
            stack.start_embedded(port)  # `autograder serve`: gunicorn threads and the grading pool
        workers = []
        if args.mode == "celery":
            for index in range(args.workers):
                name = f"grader-{index}"
                stack.start_worker(name, concurrency=args.concurrency)  # free sandbox slots, by lock file
                workers.append(name)
        kill_at = int(args.count * args.kill_worker_at) if args.kill_worker_at is not None else None
        killed: list[str] = []

        killed_at: list[float] = []

        def kill_and_restart(name: str) -> None:
            killed_at.append(time.time())
            stack.kill(name)
            if args.restart_killed:
                # As compose's `restart: unless-stopped` (or systemd) would.
                stack.start_worker(name, concurrency=args.concurrency)

        def on_posted(posted: int) -> None:
            if kill_at is not None and posted >= kill_at and not killed and workers:
                killed.append(workers[0])
                threading.Thread(target=kill_and_restart, args=(workers[0],)).start()

        print(f"posting {args.count} submissions ({args.mode}, {args.workers} workers) ...", flush=True)
        meter = CpuMeter(stack, database)
        meter.start()
        started = time.time()
        client_status = 0
        if args.external_client:
            client_status = post_with_the_external_client(port, tokens, args, work, on_posted)
            with app.app_context():
                accepted, refused = list(db.session.scalars(select(Submission.id))), []
                db.session.rollback()
        else:
            accepted, refused = post_all(port, tokens, args.count, args.clients, on_posted, args.rate)
        posted_seconds = time.time() - started
        print(
            f"posted in {posted_seconds:.1f} s ({args.count / posted_seconds:.1f}/s); "
            f"retried after 429/503: {len(refused)}; killed: {killed or 'none'}",
            flush=True,
        )

        with app.app_context():
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                done = db.session.scalar(
                    select(func.count()).select_from(Submission).where(Submission.status == SubmissionStatus.DONE)
                )
                db.session.rollback()
                if done >= len(accepted):
                    break
                time.sleep(0.5)
            used = meter.stop()
            rows = list(db.session.scalars(select(Submission)))
            results = dict(
                db.session.execute(
                    select(CheckResult.submission_id, func.count()).group_by(CheckResult.submission_id)
                ).all()
            )
            distinct = dict(
                db.session.execute(
                    select(CheckResult.submission_id, func.count(func.distinct(CheckResult.position))).group_by(
                        CheckResult.submission_id
                    )
                ).all()
            )
        baseline_after = bare_grading_rate(args.baseline_count, work / "run")
        baseline = (baseline_before + baseline_after) / 2
        print(
            f"baseline: the bare engine grades {baseline_after:.1f} submissions/s after the burst; "
            f"mean {baseline:.1f}/s (x2 = {2 * baseline:.1f}/s: two such processes on two idle cores, "
            "an upper bound for two workers)"
        )
        finished = [row for row in rows if row.status == SubmissionStatus.DONE]
        stored = {row.id for row in rows}
        lost = len(set(accepted) - stored)  # accepted, yet no row: a real loss
        unfinished = len(accepted) - len(finished) - lost  # still queued or running when we stopped waiting
        wrong = [row.id for row in finished if row.score != row.max_score]
        duplicated = [row.id for row in finished if results.get(row.id) != distinct.get(row.id)]
        regraded = [row.id for row in finished if row.attempts > 1]
        latencies = [(row.finished_at - row.created_at).total_seconds() for row in finished]
        end = max(row.finished_at.timestamp() for row in finished) if finished else time.time()
        print(
            f"graded {len(finished)}/{len(accepted)} accepted ({len(rows)} rows); lost {lost}; "
            f"not finished within --timeout {unfinished}; "
            f"wrong score {len(wrong)}; duplicated results {len(duplicated)}; regraded after a kill {len(regraded)}"
        )
        if latencies:
            throughput = len(finished) / (end - started)
            print(
                f"throughput {throughput:.1f} submissions/s (first POST to last stored score, "
                f"{end - started:.1f} s); {throughput / baseline:.2f}x the bare engine's rate in one process"
            )
            # Grading that stalls while the posts arrive (e.g. starved of the database's write lock)
            # shows here, where the whole run's rate would average it away.
            posts_ended = started + posted_seconds
            while_posting = sum(1 for row in finished if row.finished_at.timestamp() <= posts_ended)
            after = len(finished) - while_posting
            print(
                f"graded while posting {while_posting} in {posted_seconds:.1f} s "
                f"({while_posting / posted_seconds:.1f}/s), after the last POST {after} in "
                f"{max(end - posts_ended, 0):.1f} s ({after / max(end - posts_ended, 1e-3):.1f}/s)"
            )
            print(
                f"queue-to-done latency p50 {statistics.median(latencies):.2f} s, "
                f"p95 {percentile(latencies, 0.95):.2f} s, max {max(latencies):.2f} s"
            )
            grading = [row.grading_seconds for row in finished if row.grading_seconds]
            print(f"grading time per submission p50 {statistics.median(grading) * 1000:.0f} ms")
        if finished:
            available = (os.cpu_count() or 1) * (end - started) * 1000 / len(finished)
            print(
                f"CPU per graded submission, ms (the machine had {available:.0f} ms of CPU per submission in this run):"
            )
            for role, seconds in sorted(used.items(), key=lambda item: -item[1]):
                print(f"  {role:<36} {seconds * 1000 / len(finished):6.1f}")
            print(f"  {'total':<36} {sum(used.values()) * 1000 / len(finished):6.1f}")
        if killed_at and regraded:
            recovered = [row.finished_at.timestamp() - killed_at[0] for row in finished if row.attempts > 1]
            print(
                f"the killed worker's interrupted submissions were stored {max(recovered):.1f} s after the kill "
                f"(at most)"
            )
        clean = lost == unfinished == 0 and not wrong and not duplicated and len(rows) == len(accepted)
        return 0 if clean and client_status == 0 else 1
    finally:
        stack.stop()
        with app.app_context():
            db.engine.dispose()
        if args.mode == "celery":
            with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures of the job-system tests: an app on a throwaway database and real submissions."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.grading.assignment import find_assignment
from autograder.jobs.local_stack import LocalStack, free_port
from autograder.models import CatalogAssignment, Course, CourseAssignment, Submission, SubmissionStatus, User
from autograder.sandbox import Executor, SandboxOptions, open_executor
from tests.slots import worker_slot
from tests.sqlite_sharing import share_compiled_statements

REPOSITORY = Path(__file__).resolve().parents[2]
LOSSES_REFERENCE = (REPOSITORY / "assignments" / "losses" / "reference.py").read_text()
HIDDEN_SEED = 424242
# Sandbox uids of these tests, away from the slots other suites and running workers use.
TEST_SLOT_BASE = worker_slot(700)

_counter = itertools.count()


@pytest.fixture(scope="session")
def pool_executors() -> Iterator[tuple[Executor, Executor]]:
    """Two sandbox executors per test process, lent to the two grading threads of every jobs_app's pool.

    Opened on the main thread, so they outlive each pool's threads (autograder.jobs.executors.lent_executor).
    """
    opened: list[Executor] = []
    try:
        for offset in (40, 41):
            opened.append(open_executor(slot=TEST_SLOT_BASE + offset, options=SandboxOptions(allow_insecure=True)))
        yield opened[0], opened[1]
    finally:
        for executor in opened:
            executor.close()


@pytest.fixture
def jobs_app(tmp_path: Path, pool_executors: tuple[Executor, Executor]) -> Iterator[Flask]:
    """An app on a fresh SQLite database, hidden seed set, lease and resend window of 30 s.

    Its embedded pool grades on the process's two lent executors (``pool_executors``): these tests
    are about the queue. A test about the pool's own executors sets EMBEDDED_LENT_EXECUTORS to ().
    """
    config = TestConfig(tmp_path, f"sqlite:///{tmp_path / 'jobs.sqlite3'}")
    config.HIDDEN_SEED = HIDDEN_SEED
    config.GRADING_LEASE_SECONDS = 30
    config.GRADING_RESEND_SECONDS = 30
    config.GRADING_SWEEP_SECONDS = 0.2
    config.WORKER_HEARTBEAT_SECONDS = 0.5
    config.EMBEDDED_WORKERS = 2
    config.SANDBOX_SLOT = TEST_SLOT_BASE
    # These tests are about the queue, not the sandbox: take the best executor available.
    config.ALLOW_INSECURE_SANDBOX = True
    config.EMBEDDED_LENT_EXECUTORS = pool_executors
    app = create_app(config)
    share_compiled_statements(app)
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
        row = db.session.query(CatalogAssignment).filter_by(name=assignment).one_or_none()
        if row is None:
            version = find_assignment(assignment).version if assignment == "losses" else "missing"
            row = CatalogAssignment(name=assignment, title=assignment, filename=f"{assignment}.py", version=version,
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


# --- the real PostgreSQL and Redis of this machine (marker `services`) ---------------------------

def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def real_services() -> None:
    """Require PostgreSQL (5432) and Redis (6379): fail in CI, skip elsewhere."""
    missing = [name for name, port in (("PostgreSQL", 5432), ("Redis", 6379)) if not _reachable(port)]
    if missing:
        message = f"{' and '.join(missing)} not reachable on 127.0.0.1"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must provide them")
        pytest.skip(f"{message}: these tests need the real services (they run in CI)")


@pytest.fixture
def postgres_url(real_services: None, postgres_url: str) -> str:
    """The throwaway PostgreSQL database (tests/conftest.py), once the real services are known to be up."""
    return postgres_url


@contextlib.contextmanager
def _redis_target() -> Iterator[tuple[str, str]]:
    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    queue = f"grading-test-{uuid.uuid4().hex[:12]}"
    yield url, queue
    try:
        redis.Redis.from_url(url).delete(queue)
    except redis.RedisError:
        pass


@pytest.fixture
def redis_target(real_services: None) -> Iterator[tuple[str, str]]:
    """A Redis database number and queue name of this test: (REDIS_URL, queue)."""
    with _redis_target() as target:
        yield target


@pytest.fixture(scope="module")
def module_redis_target(real_services: None) -> Iterator[tuple[str, str]]:
    """A Redis database number and queue name shared by one module's tests: (REDIS_URL, queue)."""
    with _redis_target() as target:
        yield target


class PrivateRedis:
    """A redis-server of this test alone, on a free port: stopping it disturbs nobody else's queues."""

    def __init__(self, directory: Path) -> None:
        from autograder.jobs.local_stack import free_port

        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while not _reachable(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Kill it: everything it held is gone, as after a crash without persistence."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(real_services: None, tmp_path: Path) -> Iterator[PrivateRedis]:
    """A running redis-server of this test (stopped afterwards)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


SERVICE_LEASE_SECONDS = 3


@pytest.fixture
def migrated_postgres_url(real_services: None, migrated_postgres_url: str) -> str:
    """The throwaway migrated PostgreSQL database (tests/conftest.py), once the real services are known to be up."""
    return migrated_postgres_url


@pytest.fixture
def stack(tmp_path: Path, migrated_postgres_url: str, redis_target: tuple[str, str]) -> Iterator[LocalStack]:
    """A migrated deployment (no processes yet): short leases, a sweep every second.

    Its database is a copy of one the migrate service's command brought up to date (tests/conftest.py).
    """
    deployment = make_stack(tmp_path / "logs", migrated_postgres_url, *redis_target)
    try:
        yield deployment
    finally:
        deployment.stop()


def make_stack(log_dir: Path, database_url: str, redis_url: str, queue: str) -> LocalStack:
    """The deployment of ``stack``: short leases, a sweep every second, no processes yet."""
    return LocalStack.create(
        log_dir,
        DATABASE_URL=database_url, REDIS_URL=redis_url, AUTOGRADER_CELERY_QUEUE=queue,
        AUTOGRADER_SECRET_KEY="integration-test-secret", AUTOGRADER_HIDDEN_SEED=str(HIDDEN_SEED),
        AUTOGRADER_LEASE_SECONDS=str(SERVICE_LEASE_SECONDS), AUTOGRADER_SWEEP_SECONDS="1",
        AUTOGRADER_RESEND_SECONDS=str(SERVICE_LEASE_SECONDS), AUTOGRADER_HEARTBEAT_SECONDS="1",
        AUTOGRADER_COOLDOWN_SECONDS="0", AUTOGRADER_ALLOW_INSECURE_SANDBOX="1",
        # Room for the deliberately slow (but honest) submissions these tests kill workers under.
        AUTOGRADER_TIME_LIMIT_SCALE="5",
    )


def make_stack_app(stack: LocalStack, instance: Path) -> Flask:
    """An app on the stack's database (the celery backend), to seed rows and read results."""
    config = TestConfig(instance, stack.environment["DATABASE_URL"])
    config.QUEUE_BACKEND = "celery"
    config.REDIS_URL = stack.environment["REDIS_URL"]
    config.CELERY_QUEUE = stack.environment["AUTOGRADER_CELERY_QUEUE"]
    return create_app(config)


@pytest.fixture
def stack_app(stack: LocalStack, tmp_path: Path) -> Iterator[Flask]:
    """An app context on the stack's database, to seed rows and read results."""
    app = make_stack_app(stack, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def enroll_a_student() -> str:
    """Create course DL101 (every assignment) and enroll Ada; return her API token (inside an app context)."""
    from autograder.services import accounts, catalog, courses

    course = courses.create_course("DL101", "Deep learning")
    catalog.sync_assignments()
    student = accounts.create_user("ada@example.edu", "correct horse battery staple", name="Ada")
    courses.enroll(student, course)
    return accounts.issue_api_token(student)


@pytest.fixture
def student_token(stack_app: Flask) -> str:
    """An enrolled student's API token for a course that sets every assignment."""
    return enroll_a_student()


@dataclass
class RunningStack:
    """A deployment with its processes up: gunicorn on ``port``, Celery workers grader-a and grader-b."""

    stack: LocalStack
    app: Flask  # on the stack's database, for seeding rows and reading results (push its context)
    port: int
    metrics_ports: dict[str, int]  # each worker's /metrics port
    student_token: str  # Ada's, enrolled in DL101

    def ensure_both_workers(self) -> None:
        """Start any worker not running (one an earlier test killed: same name and metrics port).

        Then wait until both serve their /metrics and the web sees exactly two live workers (a
        killed worker's heartbeat ages out first).
        """
        missing = [name for name in self.metrics_ports if name not in self.stack.processes]
        for name in missing:
            self.stack.start_worker(name, metrics_port=self.metrics_ports[name])
        if not missing:
            return
        import requests

        deadline = time.monotonic() + 60
        while True:
            live = requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=10).json()["checks"]["workers"]
            if live == "2 live" and all(_reachable(port) for port in self.metrics_ports.values()):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the web sees {live!r} after the workers' restart, not '2 live' and their metrics")
            time.sleep(0.2)


@pytest.fixture(scope="module")
def module_running_stack(module_migrated_postgres_url: str, module_redis_target: tuple[str, str],
                         tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One running deployment shared by a module's tests (put them in one xdist group): ``stack``'s settings.

    gunicorn and two Celery workers cost about 6.5 s of CPU to start; tests that only submit
    through it, or kill one of its workers, need not each pay for their own.
    """
    folder = tmp_path_factory.mktemp("running-stack")
    stack = make_stack(folder / "logs", module_migrated_postgres_url, *module_redis_target)
    app = make_stack_app(stack, folder)
    try:
        with app.app_context():
            token = enroll_a_student()
            db.session.remove()
        port = free_port()
        stack.start_web(port)
        running = RunningStack(stack, app, port, {"grader-a": free_port(), "grader-b": free_port()}, token)
        running.ensure_both_workers()  # free sandbox slots, taken by lock file
        yield running
    finally:
        stack.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def running_stack(module_running_stack: RunningStack) -> Iterator[RunningStack]:
    """The module's running deployment with both workers up, its app's context pushed for this test."""
    module_running_stack.ensure_both_workers()
    with module_running_stack.app.app_context():
        yield module_running_stack
        db.session.remove()


@pytest.fixture
def make_student_token(stack_app: Flask, student_token: str) -> Callable[[str], str]:
    """Return a function creating another enrolled student of DL101 and returning their API token."""
    from autograder.services import accounts, courses

    def make(email: str) -> str:
        student = accounts.create_user(email, "correct horse battery staple", name=email.split("@")[0])
        courses.enroll(student, courses.get_course("DL101"))
        return accounts.issue_api_token(student)

    return make

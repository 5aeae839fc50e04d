"""App, client, runner and a fresh migrated database per test (Flask tutorial style), plus factories."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import gc
import hashlib
import itertools
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.engine import Engine

from autograder.app import create_app, enable_migrations
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.models import (
    CatalogAssignment, CheckResult, Course, CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User,
)
from autograder.models._time import utcnow
from autograder.sandbox import Executor, SandboxOptions, open_executor
from tests.slots import worker_slot
from tests.sqlite_sharing import forget_unshared_statements, share_compiled_statements

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


@functools.cache
def _password_hash() -> str:
    # The stored hash names its method and cost, and checking it pays that cost: the service's
    # scrypt (~0.1 s a check) was a quarter of tests/web/test_access.py's time. Accounts the
    # services make hash with the same cheap method (TestConfig.PASSWORD_HASH_METHOD);
    # tests/services/test_accounts.py checks that a deployment's is scrypt.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


# Markers of the tests that take seconds each (pyproject.toml declares them).
LONG_TEST_MARKERS = ("slow", "browser", "services")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the long tests first (stable: files keep their order otherwise).

    scripts/test spreads the suite over workers (pytest-xdist, --dist loadgroup): handed out
    first, the long tests run side by side while the short ones fill the gaps, instead of one of
    them starting last and keeping the run waiting.
    """
    items.sort(key=lambda item: not any(item.get_closest_marker(name) for name in LONG_TEST_MARKERS))


def pytest_configure(config: pytest.Config) -> None:
    _share_url_builders()


def _share_url_builders() -> None:
    """Let the apps a test process builds share Werkzeug's URL builders (one compiled function per rule).

    Each app's URL map compiles two builder functions per rule (an AST, then ``compile``): about
    45 of create_app's 53 ms of CPU, paid again by every test that makes an app (~500 tests). A
    builder is a function of the rule's text, its parsed parts and its defaults' names; the rule
    object comes in as an argument, so one function serves every app's copy of the rule. A rule
    whose default is folded into the URL by its converter is compiled as before.
    (An optimisation only: a Werkzeug without this private method just skips it.)
    """
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "shared_by_tests", False):
        return
    builders: dict[tuple, Callable[..., tuple[str, str]]] = {}

    def shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        defaults = self.defaults or {}
        if any(dynamic and part in defaults for dynamic, part in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(map(str, defaults)), append_unknown)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = compile_builder(self, append_unknown)
        return builder

    shared_builder.shared_by_tests = True  # type: ignore[attr-defined]
    Rule._compile_builder = shared_builder  # type: ignore[method-assign]


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what the imports and the collection made (~140,000 objects): it lives as long as the process.

    Every full collection during the run then skips it. With the mappers' caches cleared after each
    test (make_app), tests/web/test_access.py, test_student.py, test_instructor.py and tests/services
    took 43.1 and 43.0 s of CPU instead of 48.7 and 44.8 s (serial, alternating runs).
    """
    gc.collect()
    gc.freeze()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Collect garbage once, then freeze what survives, before pytest's own last collections.

    A test process ends holding about a million tracked objects (SQLAlchemy's, Jinja's and the
    engine's caches), and pytest then runs five full collections to find unraisable exceptions:
    1.2-1.7 s each on this repository's 2-core machine, which outlasted the 5 s pytest-xdist
    gives a worker to end, so the worker was sent SIGINT (a KeyboardInterrupt warning after every
    test had passed) and the run waited for it. This collection still finds what is garbage now
    (pytest's hook reports its unraisable exceptions); the ones that follow skip the frozen
    survivors and still collect anything made after.
    """
    gc.collect()
    gc.freeze()


def make_config(instance: Path, database_url: str) -> TestConfig:
    """Return the test configuration: embedded queue with one worker, full sandbox where available."""
    config = TestConfig(instance, database_url)
    config.EMBEDDED_WORKERS = 1
    config.GRADING_SWEEP_SECONDS = 0.5
    # Tests are about the web layer; take the best sandbox this machine has.
    config.ALLOW_INSECURE_SANDBOX = True
    return config


@pytest.fixture(scope="session", autouse=True)
def _cache_home_of_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`grade` caches decoded suites under $XDG_CACHE_HOME: the tests' go to a folder of their own."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache-home"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


# The machine's PostgreSQL (CI has it; a laptop may not): a database per test is made from here.
POSTGRES_ADMIN_URL = os.environ.get("AUTOGRADER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_admin():
    """An AUTOCOMMIT engine on the machine's PostgreSQL; skip (fail in CI) where it is unreachable."""
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # noqa: BLE001  (any connection failure means "not here")
        admin.dispose()
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI and unreachable at {POSTGRES_ADMIN_URL}: {error}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}: {type(error).__name__}")
    return admin


def _database_url(name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def _create_database(admin: Engine, template: str | None = None) -> str:
    """Create a database of a new name (a copy of ``template`` if given) and return its name."""
    from sqlalchemy import text

    name = f"autograder_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'create database "{name}"' + (f' template "{template}"' if template else "")))
    return name


def _drop_database(admin: Engine, name: str) -> None:
    from sqlalchemy import text

    with admin.connect() as connection:
        connection.execute(text(f'drop database if exists "{name}" with (force)'))


@contextlib.contextmanager
def _throwaway_postgres(template: str | None = None) -> Iterator[str]:
    """Create a database (a copy of ``template`` if given), yield its URL, drop it afterwards."""
    admin = _postgres_admin()
    name = _create_database(admin, template)
    try:
        yield _database_url(name)
    finally:
        _drop_database(admin, name)
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A throwaway, empty PostgreSQL database of this test, dropped afterwards (skipped without PostgreSQL, except in CI)."""
    with _throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL database brought to the latest schema by the migrate service's command, once per run.

    Tests copy it (CREATE DATABASE ... TEMPLATE) instead of migrating their own: a copy takes
    milliseconds, a migration over a second of CPU (the command is a fresh interpreter). The test
    processes of one run (pytest-xdist workers) share it: the first to need it makes it, the last
    to finish with it drops it (a count of its users in a file, under a lock).
    """
    from autograder.jobs.local_stack import LocalStack

    admin = _postgres_admin()
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # this run's folder, above each worker's own
    state = shared / "postgres-template.json"
    with _locked(shared / "postgres-template.lock"):
        if state.exists():
            template = json.loads(state.read_text())
        else:
            name = _create_database(admin)
            try:
                LocalStack.create(tmp_path_factory.mktemp("template-migrate"), DATABASE_URL=_database_url(name),
                                  AUTOGRADER_SECRET_KEY="template-migrate").migrate()
            except BaseException:
                _drop_database(admin, name)
                raise
            template = {"name": name, "users": 0}
        template["users"] += 1
        state.write_text(json.dumps(template))
    try:
        yield template["name"]
    finally:
        with _locked(shared / "postgres-template.lock"):
            template = json.loads(state.read_text())
            template["users"] -= 1
            if template["users"] > 0:
                state.write_text(json.dumps(template))
            else:
                state.unlink()
                _drop_database(admin, template["name"])
        admin.dispose()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (made if missing) against the run's other test processes."""
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture
def migrated_postgres_url(postgres_template: str) -> Iterator[str]:
    """A throwaway PostgreSQL database at the latest schema (a copy of the migrated template), dropped afterwards."""
    with _throwaway_postgres(template=postgres_template) as url:
        yield url


@pytest.fixture(scope="module")
def module_migrated_postgres_url(postgres_template: str) -> Iterator[str]:
    """As ``migrated_postgres_url``, shared by one module's tests (those sharing a running service stack)."""
    with _throwaway_postgres(template=postgres_template) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the latest schema by the Alembic migrations, once per session."""
    from flask_migrate import upgrade

    folder = tmp_path_factory.mktemp("template-db")
    path = folder / "template.sqlite3"
    app = create_app(make_config(folder, f"sqlite:///{path}"))
    enable_migrations(app)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def grading_executor() -> Iterator[Executor]:
    """One sandbox executor per test process, lent to the embedded grading thread of every app make_app builds.

    Those tests are about the web and the services: grading only has to work, as it does on a
    worker whose zygote grades one submission after another. Starting a zygote per test cost
    about 0.25 s of CPU each, for a few hundred tests. Opened here, on the main thread, so that it
    outlives each app's grading thread (autograder.jobs.executors.lent_executor).
    """
    opened = open_executor(slot=worker_slot(730), options=SandboxOptions(allow_insecure=True))
    yield opened
    opened.close()


@pytest.fixture
def make_app(tmp_path: Path, migrated_database: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., Flask]]:
    """Build apps on their own copy of the migrated database, with config overrides; clean them up.

    Their first grading thread uses the process's shared executor (``grading_executor``), unless
    the overrides name a sandbox setting: then the app opens its own, as configured.
    """
    built: list[Flask] = []

    def build(**overrides: object) -> Flask:
        database = tmp_path / f"app{len(built)}.sqlite3"
        shutil.copy(migrated_database, database)
        config = make_config(tmp_path, f"sqlite:///{database}")
        if not any(key.startswith(("SANDBOX_", "ALLOW_INSECURE_SANDBOX", "EMBEDDED_")) for key in overrides):
            config.EMBEDDED_LENT_EXECUTORS = (request.getfixturevalue("grading_executor"),)
        for key, value in overrides.items():
            setattr(config, key, value)
        built.append(create_app(config))
        share_compiled_statements(built[-1])
        return built[-1]

    yield build
    for app in built:
        queue = app.extensions.get("autograder.grading_queue")
        if queue is not None:
            queue.stop()
        with app.app_context():
            db.engine.dispose()
    forget_unshared_statements()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    """An app on its own copy of the migrated database, inside an app context."""
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


class RequestIsolatingClient(FlaskClient):
    """A test client whose requests do not see what earlier requests cached in the shared app context.

    The `app` fixture keeps an app context pushed for the factories, and Flask reuses it for
    requests: without this, what a request caches in ``g`` (the signed-in user) would outlive it.
    """

    def open(self, *args, **kwargs):
        for name in list(g):  # Flask-Login's user, Flask-WTF's CSRF token, the API user
            g.pop(name)
        db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = RequestIsolatingClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@dataclass
class Factory:
    """Small builders of committed rows."""

    app: Flask

    def user(self, role: Role = Role.STUDENT, email: str | None = None, name: str = "",
             confirmed: bool = True) -> User:
        """A user with a password; ``confirmed``: their address is confirmed (as every account made before it existed)."""
        n = next(_sequence)
        user = User(email=email or f"{role.value}{n}@example.edu", name=name or f"{role.value.title()} {n}",
                    role=role, password_hash=_password_hash(), email_confirmed_at=utcnow() if confirmed else None)
        db.session.add(user)
        db.session.commit()
        return user

    def assignment(self, name: str = "losses") -> CatalogAssignment:
        from autograder.grading.assignment import find_assignment

        found = db.session.query(CatalogAssignment).filter_by(name=name).one_or_none()
        if found is not None:
            return found
        engine = find_assignment(name)
        row = CatalogAssignment(name=name, title=engine.title, filename=engine.file, version=engine.version,
                         max_score=float(engine.max_score))
        db.session.add(row)
        db.session.commit()
        return row

    def course(self, instructor: User | None = None, students: tuple[User, ...] = (),
               assignments: tuple[str, ...] = ("losses",)) -> Course:
        rows = [self.assignment(name) for name in assignments]
        n = next(_sequence)
        course = Course(code=f"DL{n}", title=f"Deep learning {n}", join_code=f"JOIN{n:04d}")
        db.session.add(course)
        for row in rows:
            course.course_assignments.append(CourseAssignment(assignment=row))
        if instructor is not None:
            db.session.add(Enrollment(user=instructor, course=course, role=Role.INSTRUCTOR))
        for student in students:
            db.session.add(Enrollment(user=student, course=course, role=Role.STUDENT))
        db.session.commit()
        return course

    def submission(self, student: User, course: Course, source: str = "def mse(a, b):\n    return 0.0\n",
                   status: SubmissionStatus = SubmissionStatus.DONE, score: float | None = 10.0,
                   results: list[tuple[str, str, float, float, str, str]] | None = None,
                   late_days: int = 0, assignment: str = "losses", created_at=None) -> Submission:
        """Add a submission; ``results`` are (function, check, score, max, status, output) rows."""
        ca = next(ca for ca in course.course_assignments if ca.assignment.name == assignment)
        submission = Submission(
            user=student, course_assignment=ca, filename=ca.assignment.filename, source=source,
            sha256=hashlib.sha256(source.encode()).hexdigest(), status=status, late_days=late_days,
            score=score if status == SubmissionStatus.DONE else None,
            final_score=score if status == SubmissionStatus.DONE else None,
            max_score=ca.assignment.max_score, assignment_version=ca.assignment.version,
            created_at=created_at or utcnow(),
            # Graded as soon as submitted (the cooldown counts from the end of grading).
            finished_at=(created_at or utcnow()) if status == SubmissionStatus.DONE else None,
        )
        submission.cooldown_from = submission.finished_at
        for position, (function, check, got, worth, state, output) in enumerate(results or []):
            submission.results.append(CheckResult(
                position=position, name=f"{function}: {check}", function=function, check=check, score=got,
                max_score=worth, status=state, output=output))
        db.session.add(submission)
        db.session.commit()
        return submission


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory(app)


@pytest.fixture
def login(client: FlaskClient):
    """Sign a user in through the real login form (CSRF disabled only by reading the token)."""

    def sign_in(user: User, password: str = PASSWORD) -> None:
        client.delete_cookie("session")
        page = client.get("/login")
        token = _csrf_token(page.get_data(as_text=True))
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)

    return sign_in


def _csrf_token(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.fixture
def csrf_token(client: FlaskClient):
    """Return a function fetching a page and reading the CSRF token of its forms."""

    def token_from(path: str) -> str:
        return _csrf_token(client.get(path).get_data(as_text=True))

    return token_from

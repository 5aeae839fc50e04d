"""App, client, runner and a fresh migrated database per test (Flask tutorial style), plus factories."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.models import (
    Assignment, CheckResult, Course, CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User,
)
from autograder.models._time import utcnow

PASSWORD = "correct-horse-battery"
_sequence = itertools.count(1)


def make_config(instance: Path, database_url: str) -> TestConfig:
    """Return the test configuration: embedded queue with one worker, full sandbox where available."""
    config = TestConfig(instance, database_url)
    config.EMBEDDED_WORKERS = 1
    config.GRADING_SWEEP_SECONDS = 0.5
    # Tests are about the web layer; take the best sandbox this machine has.
    config.ALLOW_INSECURE_SANDBOX = True
    return config


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file brought to the latest schema by the Alembic migrations, once per session."""
    from flask_migrate import upgrade

    folder = tmp_path_factory.mktemp("template-db")
    path = folder / "template.sqlite3"
    app = create_app(make_config(folder, f"sqlite:///{path}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


@pytest.fixture
def app(tmp_path: Path, migrated_database: Path) -> Iterator[Flask]:
    """An app on its own copy of the migrated database."""
    database = tmp_path / "app.sqlite3"
    shutil.copy(migrated_database, database)
    app = create_app(make_config(tmp_path, f"sqlite:///{database}"))
    with app.app_context():
        yield app
        queue = app.extensions.get("autograder.grading_queue")
        if queue is not None:
            queue.stop()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@dataclass
class Factory:
    """Small builders of committed rows."""

    app: Flask

    def user(self, role: Role = Role.STUDENT, email: str | None = None, name: str = "") -> User:
        from werkzeug.security import generate_password_hash

        n = next(_sequence)
        user = User(email=email or f"{role.value}{n}@example.edu", name=name or f"{role.value.title()} {n}",
                    role=role, password_hash=generate_password_hash(PASSWORD, method="scrypt"))
        db.session.add(user)
        db.session.commit()
        return user

    def assignment(self, name: str = "losses") -> Assignment:
        from autograder.grading.assignment import find_assignment

        found = db.session.query(Assignment).filter_by(name=name).one_or_none()
        if found is not None:
            return found
        engine = find_assignment(name)
        row = Assignment(name=name, title=engine.title, filename=engine.file, version=engine.version,
                         max_score=float(engine.max_score))
        db.session.add(row)
        db.session.commit()
        return row

    def course(self, instructor: User | None = None, students: tuple[User, ...] = (),
               assignments: tuple[str, ...] = ("losses",)) -> Course:
        n = next(_sequence)
        course = Course(code=f"DL{n}", title=f"Deep learning {n}", join_code=f"JOIN{n:04d}")
        db.session.add(course)
        for name in assignments:
            course.course_assignments.append(CourseAssignment(assignment=self.assignment(name)))
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
        )
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

"""Result rows stored by insert_results: a COPY on PostgreSQL, an executemany elsewhere, the same rows either way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from autograder.app import create_app
from autograder.extensions import db
from autograder.models import CheckResult, Submission, SubmissionStatus
from autograder.services.grading_statements import RESULT_COLUMNS, insert_results
from tests.conftest import Factory, make_config

# What COPY's text format must escape or keep: tabs, newlines, backslashes, "\N", quotes, non-ASCII, NULL.
TRICKY = [
    "plain",
    "tab\tand\nnewline\r\n",
    "back\\slash \\N \\t",
    "quotes ' \" and , ; |",
    "ünïcödé ∑ 🐍",
    "",
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def any_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    if request.param == "postgresql":
        app = create_app(make_config(tmp_path, request.getfixturevalue("migrated_postgres_url")))
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    else:
        yield make_app()


def _submission(app: Flask) -> int:
    factory = Factory(app)
    student = factory.user()
    course_assignment = factory.course(students=(student,)).course_assignments[0]
    row = Submission(user_id=student.id, course_assignment_id=course_assignment.id, filename="losses.py",
                     source="x = 1\n", sha256="0" * 64, status=SubmissionStatus.DONE)
    db.session.add(row)
    db.session.commit()
    return row.id


def test_result_rows_are_stored_as_given(any_app):
    with any_app.app_context():
        submission_id = _submission(any_app)
        rows = [
            {"submission_id": submission_id, "position": n, "name": f"{text} name"[:255], "function": "mse",
             "check": text, "score": n / 3, "max_score": 1.0, "status": "passed" if n % 2 else "failed",
             "output": text * 50, "visibility": "hidden" if n % 2 else "visible",
             "mistake": None if n % 2 else f"mistake {text}"}
            for n, text in enumerate(TRICKY)
        ]
        insert_results(db.session.connection(), rows)
        db.session.commit()
        stored = db.session.execute(
            select(*[getattr(CheckResult, column) for column in RESULT_COLUMNS])
            .where(CheckResult.submission_id == submission_id).order_by(CheckResult.position)
        ).all()
        assert [dict(zip(RESULT_COLUMNS, row)) for row in stored] == rows


def test_a_refused_row_is_a_database_error_that_rolls_back(any_app):
    with any_app.app_context():
        submission_id = _submission(any_app)
        row = {column: None for column in RESULT_COLUMNS}
        row.update(submission_id=submission_id, position=0, function="f", check="c", score=1.0, max_score=1.0,
                   status="passed", output="", visibility="visible")  # no name: NOT NULL refuses it
        good = {**row, "position": 1, "name": "stored only with the refused one"}
        with pytest.raises(DBAPIError):  # what the grading task retries, whichever way the rows went
            insert_results(db.session.connection(), [good, row])
        db.session.rollback()
        assert db.session.scalar(select(CheckResult.id).limit(1)) is None

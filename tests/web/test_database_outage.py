"""The database briefly unavailable: the site answers 503 with Retry-After, then recovers."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from autograder.extensions import db
from autograder.models import Submission
from autograder.services import accounts

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_bytes()


def _post(client, token: str):
    return client.post("/api/v1/assignments/losses/submissions", headers={"Authorization": f"Bearer {token}"},
                       data={"file": (io.BytesIO(REFERENCE), "losses.py")})


@pytest.fixture
def app(make_app):
    """The usual app, with a short SQLite busy timeout so a lock is felt at once (not after 5 s)."""
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=200)
    with app.app_context():
        yield app
        db.session.remove()


def test_locked_database_gives_503_then_recovers(app: Flask, client, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    path = db.engine.url.database
    db.session.remove()

    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # e.g. a backup or a long migration holding the file
    try:
        refused = _post(client, token)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "30"
    assert "try again" in refused.get_json()["error"]
    db.session.remove()
    assert db.session.query(Submission).count() == 0  # nothing half-accepted

    accepted = _post(client, token)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)

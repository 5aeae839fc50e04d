"""The similarity service on the real PostgreSQL: 64-bit fingerprints, and concurrent indexers miss no pair."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from autograder.app import create_app, enable_migrations
from autograder import config
from autograder.extensions import db
from autograder.models import (
    CatalogAssignment, Course, CourseAssignment, Enrollment, Role, SimilarityPair, Submission, SubmissionStatus, User,
)
from autograder.services import similarity
from autograder.similarity.disguise import disguise

pytestmark = pytest.mark.services

SOLUTIONS = Path(__file__).resolve().parents[1] / "conformance" / "solutions" / "losses"


@pytest.fixture
def postgres_app(tmp_path, postgres_url) -> Iterator:
    """An app on a throwaway PostgreSQL database built by the migrations."""
    from flask_migrate import upgrade

    app = create_app(config.TestConfig(tmp_path, postgres_url))
    enable_migrations(app)
    try:
        with app.app_context():
            upgrade()
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_concurrent_indexers_store_every_pair_once(postgres_app):
    original = (SOLUTIONS / "vectorised.py").read_text()
    with postgres_app.app_context():
        assignment = CatalogAssignment(name="losses", title="Losses", filename="losses.py", version="v", max_score=35.0)
        course = Course(code="PG1", title="PG", join_code="PGJOIN")
        ca = CourseAssignment(course=course, assignment=assignment)
        rows = []
        for n in range(4):
            user = User(email=f"pg{n}@example.edu", role=Role.STUDENT)
            db.session.add(Enrollment(user=user, course=course, role=Role.STUDENT))
            source = original if n == 0 else disguise(original, seed=n)
            rows.append(Submission(user=user, course_assignment=ca, filename="losses.py", source=source,
                                   sha256=str(n), status=SubmissionStatus.DONE, score=35.0, final_score=35.0))
        db.session.add_all(rows)
        db.session.commit()
        ids, ca_id = [row.id for row in rows], ca.id
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def index(submission_id: int) -> None:
        with postgres_app.app_context():
            try:
                barrier.wait(timeout=30)
                similarity.index_submission(submission_id)
            except BaseException as error:  # noqa: BLE001  (reported by the main thread)
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=index, args=(submission_id,)) for submission_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    with postgres_app.app_context():
        pairs = db.session.scalars(select(SimilarityPair)).all()
        assert sorted((p.submission_a_id, p.submission_b_id) for p in pairs) == \
            sorted((a, b) for i, a in enumerate(ids) for b in ids[i + 1:])
        assert all(pair.score >= 0.8 for pair in pairs)
        ranking = similarity.ranking(db.session.get(CourseAssignment, ca_id))
        assert len(ranking.pairs) == 6 and ranking.students_compared == 4

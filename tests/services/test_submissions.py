import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from autograder.extensions import db
from autograder.models import Submission, SubmissionStatus
from autograder.models._time import utcnow
from autograder.models.course import LatePolicy
from autograder.services import courses, submissions
from autograder.services.errors import Forbidden
from autograder.services.submissions import CooldownActive, GradingUnavailable, SubmissionRejected

SOURCE = b"import numpy as np\n\ndef mse(y_pred, y_true):\n    return float(np.mean((y_pred - y_true) ** 2))\n"


@pytest.fixture
def enrolled(factory):
    student = factory.user()
    course = factory.course(students=(student,))
    return student, course.course_assignments[0]


def _wait_for_grading(app):
    app.extensions["autograder.grading_queue"].join()
    db.session.expire_all()


def test_create_submission_stores_source_hash_and_is_graded(app, enrolled):
    student, ca = enrolled
    submission = submissions.create_submission(student, ca, "C:\\work\\losses.py", SOURCE)
    assert submission.sha256 == hashlib.sha256(SOURCE).hexdigest()
    assert submission.filename == "losses.py"
    assert submission.assignment_version == ca.assignment.version
    _wait_for_grading(app)
    graded = db.session.get(Submission, submission.id)
    assert graded.status == SubmissionStatus.DONE
    assert graded.score is not None and 0 < graded.score < graded.max_score  # mse right, the rest missing
    assert any(r.function == "mse" and r.status == "passed" for r in graded.results)


@pytest.mark.parametrize("data, message", [
    (b"   \n", "empty"),
    (b"x = 1\x00", "NUL"),
    (b"\xff\xfe bad", "UTF-8"),
    (b"#" * 300_001, "limit"),
])
def test_create_submission_rejects_unusable_files(app, enrolled, data, message):
    student, ca = enrolled
    with pytest.raises(SubmissionRejected, match=message):
        submissions.create_submission(student, ca, "losses.py", data)
    assert db.session.query(Submission).count() == 0


def test_only_students_of_the_course_may_submit(app, factory, enrolled):
    _, ca = enrolled
    with pytest.raises(Forbidden):
        submissions.create_submission(factory.user(), ca, "losses.py", SOURCE)


def test_a_caller_checked_student_is_still_held_to_the_enrolment(app, factory, enrolled):
    # student_checked spares the read before the file, not the check under lock before the INSERT.
    _, ca = enrolled
    with pytest.raises(Forbidden):
        submissions.create_submission(factory.user(), ca, "losses.py", SOURCE, student_checked=True)
    assert db.session.query(Submission).count() == 0


def test_the_returned_submission_is_what_was_stored_without_reading_it_back(app, enrolled):
    student, ca = enrolled
    reads = []
    here = threading.get_ident()  # the embedded queue's grading thread reads the row too

    def sent(connection, cursor, statement, *args):
        if threading.get_ident() == here and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", sent)
    try:
        submission = submissions.create_submission(student, ca, "losses.py", SOURCE)
        shown = {key: getattr(submission, key) for key in
                 ("id", "user_id", "course_assignment_id", "filename", "source", "sha256", "late_days",
                  "late_tokens", "assignment_version", "created_at", "regrading")}
    finally:
        event.remove(db.engine, "before_cursor_execute", sent)
    assert not [statement for statement in reads if "submission.source" in statement]  # no refresh after commit
    with db.engine.connect() as connection:
        row = connection.execute(select(Submission.__table__).where(Submission.id == shown["id"])).mappings().one()
    assert shown == {key: row[key] for key in shown}


def test_cooldown_refuses_a_quick_second_submission(app, enrolled):
    student, ca = enrolled
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 60
    first = submissions.create_submission(student, ca, "losses.py", SOURCE)
    _wait_for_grading(app)
    # The cooldown counts from the end of the first one's grading.
    now = db.session.get(Submission, first.id).finished_at
    with pytest.raises(CooldownActive) as refused:
        submissions.create_submission(student, ca, "losses.py", SOURCE, now=now + timedelta(seconds=15))
    assert refused.value.retry_after == 45 and "45 more seconds" in str(refused.value)
    submissions.create_submission(student, ca, "losses.py", SOURCE, now=now + timedelta(seconds=61))
    _wait_for_grading(app)


def test_the_wait_is_never_longer_than_the_cooldown(app, enrolled):
    # A request reads its clock, then a grading that ends meanwhile stores a later cooldown_from.
    student, ca = enrolled
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 60
    first = submissions.create_submission(student, ca, "losses.py", SOURCE)
    _wait_for_grading(app)
    finished = db.session.get(Submission, first.id).finished_at
    assert submissions.seconds_until_next_submission(student, ca, finished - timedelta(seconds=0.3)) == 60


def test_late_days_and_hard_cutoff(app, enrolled):
    student, ca = enrolled
    due = utcnow() - timedelta(days=3) + timedelta(hours=1)  # 2 days 23 hours ago: 3 started days
    courses.set_deadline(ca, due, LatePolicy.CUTOFF, cutoff_days=2)
    assert submissions.lateness(ca, due - timedelta(minutes=1)).days == 0
    assert submissions.lateness(ca, due + timedelta(hours=1)).days == 1
    assert submissions.lateness(ca, due + timedelta(days=2)).accepted
    with pytest.raises(SubmissionRejected, match="closed"):
        submissions.create_submission(student, ca, "losses.py", SOURCE)
    courses.set_deadline(ca, due, LatePolicy.PENALTY, penalty_per_day=0.1)
    late = submissions.create_submission(student, ca, "losses.py", SOURCE)
    assert late.late_days == 3
    _wait_for_grading(app)
    graded = db.session.get(Submission, late.id)
    assert graded.final_score == pytest.approx(graded.score * 0.7)


def test_queue_outage_keeps_the_row_and_raises_grading_unavailable(app, enrolled):
    student, ca = enrolled
    app.config.update(QUEUE_BACKEND="celery", REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens on port 9
    with pytest.raises(GradingUnavailable, match="saved"):
        submissions.create_submission(student, ca, "losses.py", SOURCE)
    kept = db.session.query(Submission).one()
    assert kept.status == SubmissionStatus.QUEUED and kept.source == SOURCE.decode()

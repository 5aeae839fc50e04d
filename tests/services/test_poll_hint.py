"""The Retry-After hint on a pending submission: it grows with the queue ahead, within 1..5 s."""

from __future__ import annotations

from datetime import timedelta

from autograder.extensions import db
from autograder.models import SubmissionStatus
from autograder.models._time import utcnow
from autograder.services import accounts
from autograder.services.poll_hint import MAX_POLL_SECONDS, poll_after_seconds

QUEUED, RUNNING, DONE = SubmissionStatus.QUEUED, SubmissionStatus.RUNNING, SubmissionStatus.DONE


def _finished_lately(factory, course, student, count: int, seconds: float = 30.0) -> None:
    """``count`` submissions graded over the last ``seconds`` (the factory finishes them as created)."""
    for n in range(count):
        factory.submission(student, course, status=DONE,
                           created_at=utcnow() - timedelta(seconds=0.5 + n * (seconds - 1) / count))


def test_the_hint_follows_the_queue_ahead_and_the_recent_rate(app, factory):
    students = [factory.user() for _ in range(3)]
    course = factory.course(students=tuple(students))
    _finished_lately(factory, course, students[0], 60)  # 2 per second lately
    first = factory.submission(students[1], course, status=QUEUED)
    assert poll_after_seconds(first) == 1  # nothing ahead: its turn is next
    for _ in range(5):
        factory.submission(students[1], course, status=QUEUED)
    sixth = factory.submission(students[2], course, status=QUEUED)
    assert poll_after_seconds(sixth) == 2  # 6 ahead at 2/s: about 3 s away, read again in half of it
    for _ in range(40):
        factory.submission(students[1], course, status=QUEUED)
    last = factory.submission(students[2], course, status=QUEUED)
    assert poll_after_seconds(last) == MAX_POLL_SECONDS  # 47 ahead: capped, so a score is never seen late by more


def test_running_and_finished_submissions(app, factory):
    student = factory.user()
    course = factory.course(students=(student,))
    for _ in range(30):
        factory.submission(student, course, status=QUEUED)
    running = factory.submission(student, course, status=RUNNING)
    assert poll_after_seconds(running) == 1
    for status in (DONE, SubmissionStatus.ERROR):
        assert poll_after_seconds(factory.submission(student, course, status=status)) is None


def test_no_recent_grading_gives_no_estimate(app, factory):
    # A burst's first second (or workers that are down): no rate to go by, so the shortest wait.
    student = factory.user()
    course = factory.course(students=(student,))
    queued = [factory.submission(student, course, status=QUEUED) for _ in range(30)]
    assert poll_after_seconds(queued[-1]) == 1


def test_the_api_and_the_result_page_send_the_hint_while_pending(app, client, factory, login):
    student = factory.user()
    course = factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    # 40 graded over the last 24 s: the rate stays near 1.7/s however slowly this test runs
    # (one finish alone made it 1/span, and a loaded machine stretched the span).
    _finished_lately(factory, course, factory.user(), 40, seconds=25.0)
    for _ in range(8):
        factory.submission(factory.user(), course, status=QUEUED)
    pending = factory.submission(student, course, status=QUEUED)
    done = factory.submission(student, course, status=DONE)
    headers = {"Authorization": f"Bearer {token}"}
    # 8 ahead at about 41 / 24 s: about 4.7 s away, read again in 3.
    assert client.get(f"/api/v1/submissions/{pending.id}", headers=headers).headers["Retry-After"] == "3"
    assert "Retry-After" not in client.get(f"/api/v1/submissions/{done.id}", headers=headers).headers
    login(student)
    assert client.get(f"/submissions/{pending.id}/status.json").headers["Retry-After"] == "3"
    assert "Retry-After" not in client.get(f"/submissions/{done.id}/status.json").headers
    db.session.rollback()


def test_a_bursts_first_seconds_are_not_averaged_with_the_quiet_before(app, factory):
    students = [factory.user() for _ in range(3)]
    course = factory.course(students=tuple(students))
    _finished_lately(factory, course, students[0], 40, seconds=2.0)  # 20 per second, for 2 s so far
    for _ in range(10):
        factory.submission(students[1], course, status=QUEUED)
    mine = factory.submission(students[2], course, status=QUEUED)
    assert poll_after_seconds(mine) == 1  # 10 ahead at 20/s: half a second away (not 10 / (40 / 30) / 2 = 4 s)

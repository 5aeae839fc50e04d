"""Fair queueing between students and the cooldown counted from the end of grading (issue 9, item 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from autograder.extensions import db
from autograder.jobs import enqueue_grading, grading_queue
from autograder.models import Course, CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User
from autograder.models._time import utcnow
from autograder.services.grading import sweep_stale_submissions
from autograder.services.submissions import CooldownActive, PreviousStillGrading, create_submission

from tests.jobs.conftest import LOSSES_REFERENCE


@pytest.fixture
def course(jobs_app, make_submission):
    """A course setting losses, with two students (the helper builds the assignment row)."""
    make_submission()  # creates the losses CatalogAssignment row
    from autograder.models import CatalogAssignment

    assignment = db.session.query(CatalogAssignment).filter_by(name="losses").one()
    course = Course(code="FAIR", title="Fairness", join_code="FAIR-1")
    course.course_assignments.append(CourseAssignment(assignment=assignment))
    db.session.add(course)
    for email in ("burst@example.edu", "honest@example.edu"):
        db.session.add(Enrollment(user=User(email=email, name=email), course=course, role=Role.STUDENT))
    db.session.commit()
    return course


def _student(email: str) -> User:
    return db.session.query(User).filter_by(email=email).one()


def _submit(email: str, course: Course, source: str = LOSSES_REFERENCE) -> Submission:
    return create_submission(_student(email), course.course_assignments[0], "losses.py", source.encode())


def test_one_students_burst_never_makes_another_wait_behind_it(jobs_app, course, monkeypatch):
    jobs_app.config["EMBEDDED_WORKERS"] = 1  # one grader: the order of grading is the order of the queue
    # All six arrive before the first is graded (sent to the queue once all exist, in the order the
    # service sent them): on a slow machine the burst's first could otherwise be graded before the
    # honest file arrives, and the burst's second would rightly go first.
    sent: list[int] = []
    monkeypatch.setattr("autograder.jobs.enqueue_grading", lambda submission_id, regrade=False: sent.append(submission_id))
    burst = [_submit("burst@example.edu", course) for _ in range(5)]
    honest = _submit("honest@example.edu", course)
    monkeypatch.undo()
    assert sent == [burst[0].id, honest.id]  # the burst's others wait outside the queue
    for submission_id in sent:
        enqueue_grading(submission_id)
    grading_queue().join()
    while True:  # each finished burst submission sends the next one; wait for the whole line
        db.session.expire_all()
        rows = [db.session.get(Submission, s.id) for s in burst + [honest]]
        if all(row.status == SubmissionStatus.DONE for row in rows):
            break
        grading_queue().join()
    finished = {row.id: row.finished_at for row in rows}
    # The honest file was graded right after the burst's first one, not after all five.
    assert finished[burst[0].id] < finished[honest.id] < finished[burst[1].id]
    assert [finished[s.id] for s in burst] == sorted(finished[s.id] for s in burst)
    assert all(row.score == 35.0 for row in rows)


def test_a_students_later_submissions_wait_outside_the_queue(jobs_app, course, monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr("autograder.jobs.enqueue_grading", lambda submission_id, regrade=False: sent.append(submission_id))
    first, second, third = (_submit("burst@example.edu", course) for _ in range(3))
    other = _submit("honest@example.edu", course)
    assert sent == [first.id, other.id]  # at most one queued-or-running submission per student in the queue
    # The sweeper resends only a student's head of line, never the ones waiting behind it.
    swept = sweep_stale_submissions(now=utcnow() + timedelta(hours=1)).requeued
    assert {first.id, other.id} <= set(swept) and not {second.id, third.id} & set(swept)
    # When the first is finished, the second (only) is sent.
    from autograder.services.submissions import dispatch_next_of

    db.session.get(Submission, first.id).status = SubmissionStatus.DONE
    db.session.commit()
    assert dispatch_next_of(first.user_id) == second.id and sent[-1] == second.id
    assert third.status == SubmissionStatus.QUEUED


def test_cooldown_counts_from_the_end_of_grading(jobs_app, course, monkeypatch):
    jobs_app.config["SUBMISSION_COOLDOWN_SECONDS"] = 30
    monkeypatch.setattr("autograder.jobs.enqueue_grading", lambda submission_id, regrade=False: None)
    first = _submit("burst@example.edu", course)
    # Still queued: no second file, whatever time has passed since the first was sent.
    with pytest.raises(PreviousStillGrading) as refused:
        create_submission(_student("burst@example.edu"), course.course_assignments[0], "losses.py",
                          LOSSES_REFERENCE.encode(), now=utcnow() + timedelta(minutes=5))
    assert refused.value.retry_after == 30
    # The assignment page asks the same question and gets the whole cooldown, not an error.
    from autograder.services.submissions import seconds_until_next_submission

    assert seconds_until_next_submission(_student("burst@example.edu"), course.course_assignments[0], utcnow()) == 30
    # Created long ago, graded just now: the cooldown runs from the end of its grading.
    finished = utcnow()
    row = db.session.get(Submission, first.id)
    row.created_at, row.status = finished - timedelta(minutes=10), SubmissionStatus.DONE
    row.finished_at = row.cooldown_from = finished  # as the final write stores them
    db.session.commit()
    with pytest.raises(CooldownActive) as waiting:
        create_submission(_student("burst@example.edu"), course.course_assignments[0], "losses.py",
                          LOSSES_REFERENCE.encode(), now=finished + timedelta(seconds=10))
    assert waiting.value.retry_after == 20 and not isinstance(waiting.value, PreviousStillGrading)
    later = create_submission(_student("burst@example.edu"), course.course_assignments[0], "losses.py",
                              LOSSES_REFERENCE.encode(), now=finished + timedelta(seconds=31))
    assert later.status == SubmissionStatus.QUEUED
    # Another student is not held by the first one's cooldown.
    assert _submit("honest@example.edu", course).status == SubmissionStatus.QUEUED


def test_a_held_submission_whose_predecessor_finished_unnoticed_is_sent_by_the_next_sweep(jobs_app, course,
                                                                                          monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr("autograder.jobs.enqueue_grading", lambda submission_id, regrade=False: sent.append(submission_id))
    first = _submit("burst@example.edu", course)
    second = _submit("burst@example.edu", course)
    assert sent == [first.id]
    # The first one finishes in the instant between the second's check and its commit: nobody sends it ...
    db.session.get(Submission, first.id).status = SubmissionStatus.DONE
    db.session.commit()
    # ... until the next sweep, seconds later (not a whole resend window).
    assert second.id in sweep_stale_submissions().requeued
    from autograder.services.submissions import dispatch_next_of

    assert dispatch_next_of(second.user_id) is None  # already sent: not twice

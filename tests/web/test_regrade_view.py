"""What a student sees of a submission being regraded: the score of its last grading, said to be being regraded."""

from __future__ import annotations

from autograder.extensions import db
from autograder.jobs import enqueue_grading, grading_queue
from autograder.models import Role, Submission
from autograder.services import regrades

from tests.services.test_regrades_and_exports import REFERENCE


def test_a_submission_being_regraded_keeps_its_last_score_and_says_so(app, client, factory, login, monkeypatch):
    teacher, student = factory.user(Role.INSTRUCTOR), factory.user()
    course = factory.course(teacher, (student,))
    # Stored low; the current grader gives the reference full marks.
    submission = factory.submission(student, course, source=REFERENCE, score=12.0)
    sent: list[tuple[int, bool]] = []
    monkeypatch.setattr("autograder.jobs.enqueue_grading",
                        lambda submission_id, regrade=False: sent.append((submission_id, regrade)))
    regrades.regrade_submission(submission, teacher)
    monkeypatch.undo()
    assert sent == [(submission.id, True)]  # in the queue's regrade lane, not graded yet

    login(student)
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "being regraded" in page and 'id="regrade-note" class="flash info" >' in page
    assert "12 / 35" in page and "data-last-score" in page  # its last score stands meanwhile
    status = client.get(f"/submissions/{submission.id}/status.json").get_json()
    assert status["status"] == "queued" and status["regrading"] is True
    assert status["score"] is None and status["last_score"] == 12.0
    history = client.get(f"/courses/{course.code}/losses").get_data(as_text=True)
    assert "being regraded" in history and "12 / 35" in history
    overview = client.get("/").get_data(as_text=True)
    assert "being regraded" in overview and "12 / 35" in overview  # the best score is still there

    enqueue_grading(submission.id, regrade=True)
    grading_queue().join()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).final_score == 35.0
    page = client.get(f"/submissions/{submission.id}").get_data(as_text=True)
    assert "data-regrading" not in page and "data-last-score" not in page and "35 <small>/ 35</small>" in page
    assert 'id="regrade-note" class="flash info" hidden' in page
    status = client.get(f"/submissions/{submission.id}/status.json").get_json()
    assert status["status"] == "done" and status["regrading"] is False and status["score"] == 35.0


def test_staff_lists_show_a_submission_being_regraded_with_its_last_score(app, client, factory, login, monkeypatch):
    teacher, student = factory.user(Role.INSTRUCTOR), factory.user()
    course = factory.course(teacher, (student,))
    submission = factory.submission(student, course, source=REFERENCE, score=12.0)
    monkeypatch.setattr("autograder.jobs.enqueue_grading", lambda submission_id, regrade=False: None)
    regrades.regrade_submission(submission, teacher)
    monkeypatch.undo()

    login(teacher)
    listing = client.get(f"/instructor/courses/{course.code}/losses/submissions").get_data(as_text=True)
    assert "being regraded" in listing and "12 / 35" in listing and "data-last-score" in listing
    student_page = client.get(f"/instructor/courses/{course.code}/students/{student.id}").get_data(as_text=True)
    assert "being regraded" in student_page and "12 / 35" in student_page

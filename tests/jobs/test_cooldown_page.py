"""The student's assignment page while their previous submission is still being graded (cooldown on)."""

from __future__ import annotations

from autograder.models import SubmissionStatus


def test_the_assignment_page_shows_the_wait_while_the_previous_submission_is_graded(app, client, login, factory):
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 30
    student = factory.user()
    course = factory.course(students=(student,))
    factory.submission(student, course, status=SubmissionStatus.QUEUED, score=None)
    login(student)
    page = client.get(f"/courses/{course.code}/losses")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "You can submit again in" in text and 'data-seconds="30"' in text

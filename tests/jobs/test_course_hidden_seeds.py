"""Each course draws its hidden cases from a seed of its own; courses made before keep the site's.

One site-wide seed was shown to every course's staff (TAs included) on every submission page:
anyone who had an assignment's cases.py and was staff anywhere could compute every course's
hidden inputs.
"""

from __future__ import annotations

from autograder.extensions import db
from autograder.models import Submission
from autograder.services.grading import grade_submission

COURSE_SEED = 1_234_567


def _graded_seed(submission_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Submission, submission_id).seed


def _requeue(submission_id: int) -> None:
    from autograder.models import SubmissionStatus

    row = db.session.get(Submission, submission_id)
    row.status = SubmissionStatus.QUEUED
    db.session.commit()


def test_a_course_with_its_own_seed_grades_and_regrades_with_it(make_submission, executor, jobs_app):
    submission = make_submission()
    submission.course_assignment.course.hidden_seed = COURSE_SEED
    db.session.commit()
    grade_submission(submission.id, executor=executor, worker="w1")
    assert _graded_seed(submission.id) == COURSE_SEED != jobs_app.config["HIDDEN_SEED"]
    # The operator changes the site's seed: this course's regrades still draw the same hidden cases.
    jobs_app.config["HIDDEN_SEED"] = 999
    _requeue(submission.id)
    grade_submission(submission.id, executor=executor, worker="w1")
    assert _graded_seed(submission.id) == COURSE_SEED


def test_a_course_made_before_course_seeds_keeps_the_sites(make_submission, executor, jobs_app):
    submission = make_submission()
    assert submission.course_assignment.course.hidden_seed is None  # as the migration leaves existing courses
    grade_submission(submission.id, executor=executor, worker="w1")
    assert _graded_seed(submission.id) == jobs_app.config["HIDDEN_SEED"]


def test_a_site_without_a_hidden_seed_grades_public_cases_whatever_the_course(make_submission, executor, jobs_app):
    from autograder.grading.assignment import find_assignment

    jobs_app.config["HIDDEN_SEED"] = None
    submission = make_submission()
    submission.course_assignment.course.hidden_seed = COURSE_SEED
    db.session.commit()
    grade_submission(submission.id, executor=executor, worker="w1")
    assert _graded_seed(submission.id) == find_assignment("losses").spec.public_seed

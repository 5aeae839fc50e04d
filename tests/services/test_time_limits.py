"""Timed assignments: Start, the student's own time (accommodations included), and submissions after it."""

from datetime import timedelta

import pytest

from autograder.extensions import db
from autograder.models import Role, Submission
from autograder.models._time import utcnow
from autograder.services import courses, submissions, time_limits
from autograder.services.errors import Forbidden
from autograder.services.time_limits import TimeLimitError

SOURCE = b"import numpy as np\n\ndef mse(y_pred, y_true):\n    return float(np.mean((y_pred - y_true) ** 2))\n"


@pytest.fixture
def timed(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    student, other = factory.user(), factory.user()
    course = factory.course(teacher, (student, other))
    ca = course.course_assignments[0]
    time_limits.set_time_limit(ca, 60)
    return teacher, student, other, ca


def test_an_untimed_assignment_has_no_window_and_cannot_be_started(factory):
    student = factory.user()
    ca = factory.course(students=(student,)).course_assignments[0]
    assert time_limits.window_for(student, ca) is None
    time_limits.check_can_submit(student, ca, utcnow())  # no limit: nothing to refuse
    with pytest.raises(TimeLimitError):
        time_limits.start(student, ca)


def test_submissions_need_a_start_and_stop_when_the_time_is_up(app, timed):
    _, student, _, ca = timed
    with pytest.raises(TimeLimitError, match="press Start"):
        submissions.create_submission(student, ca, "losses.py", SOURCE)
    began = utcnow() - timedelta(minutes=30)
    time_limits.start(student, ca, now=began)
    window = time_limits.window_for(student, ca)
    assert window.ends_at == began + timedelta(minutes=60) and window.minutes_left(began) == 60
    assert submissions.create_submission(student, ca, "losses.py", SOURCE, now=began + timedelta(minutes=59))
    app.extensions["autograder.grading_queue"].join()
    with pytest.raises(TimeLimitError, match="time .* is up"):
        submissions.create_submission(student, ca, "losses.py", SOURCE, now=began + timedelta(minutes=61))
    assert db.session.query(Submission).count() == 1


def test_starting_again_keeps_the_first_start(timed):
    _, student, _, ca = timed
    first = time_limits.start(student, ca, now=utcnow() - timedelta(minutes=10))
    again = time_limits.start(student, ca)
    assert again.id == first.id and again.started_at == first.started_at


def test_only_students_of_the_course_start_it(factory, timed):
    teacher, _, _, ca = timed
    with pytest.raises(Forbidden):
        time_limits.start(factory.user(), ca)
    with pytest.raises(Forbidden):
        time_limits.start(teacher, ca)


def test_an_accommodation_multiplies_and_extends_the_students_time_only(timed):
    teacher, student, other, ca = timed
    time_limits.set_accommodation(teacher, student, ca, 1.5, 10, "disability services letter")
    began = utcnow() - timedelta(minutes=95)
    time_limits.start(student, ca, now=began)
    time_limits.start(other, ca, now=began)
    mine, theirs = time_limits.window_for(student, ca), time_limits.window_for(other, ca)
    assert mine.allowed == timedelta(minutes=100) and theirs.allowed == timedelta(minutes=60)
    now = began + timedelta(minutes=95)
    time_limits.check_can_submit(student, ca, now)
    with pytest.raises(TimeLimitError):
        time_limits.check_can_submit(other, ca, now)


def test_accommodations_are_kept_as_an_audit_trail_and_can_be_lifted(timed):
    teacher, student, _, ca = timed
    time_limits.set_accommodation(teacher, student, ca, 2.0, 0, "first")
    time_limits.set_accommodation(teacher, student, ca, 1.0, 0, "")
    history = time_limits.accommodation_history(student, ca)
    assert [(row.factor, row.reason, row.set_by_id) for row in history] == [(1.0, "", teacher.id),
                                                                           (2.0, "first", teacher.id)]
    assert time_limits.accommodation_for(student, ca) is None
    assert time_limits.window_for(student, ca).allowed == timedelta(minutes=60)


@pytest.mark.parametrize("factor, extra", [(0.5, 0), (6.0, 0), (float("nan"), 0), (1.5, -1), (1.0, 5000)])
def test_accommodations_out_of_range_are_refused(timed, factor, extra):
    teacher, student, _, ca = timed
    with pytest.raises(TimeLimitError):
        time_limits.set_accommodation(teacher, student, ca, factor, extra)
    assert time_limits.accommodation_history(student, ca) == []


def test_only_the_course_instructors_set_accommodations(factory, timed):
    teacher, student, other, ca = timed
    ta = factory.user()
    courses.add_member(ca.course, ta.email, Role.TA)
    for staff, person in ((ta, student), (student, other), (factory.user(Role.INSTRUCTOR), student), (teacher, teacher)):
        with pytest.raises(Forbidden):
            time_limits.set_accommodation(staff, person, ca, 1.5, 0)


def test_changing_the_limit_moves_the_end_of_a_started_window(timed):
    _, student, _, ca = timed
    began = utcnow()
    time_limits.start(student, ca, now=began)
    time_limits.set_time_limit(ca, 90)
    assert time_limits.window_for(student, ca).ends_at == began + timedelta(minutes=90)
    time_limits.set_time_limit(ca, None)
    assert time_limits.window_for(student, ca) is None
    with pytest.raises(TimeLimitError):
        time_limits.set_time_limit(ca, -5)

"""Timed assignments on the web: the time limit setting, the student's Start and timer, and extra time set by staff."""

from datetime import timedelta

import pytest

from autograder.extensions import db
from autograder.models import Role, Submission, TimedStart
from autograder.models._time import utcnow
from autograder.services import courses, time_limits

SOURCE = "import numpy as np\n\ndef mse(y_pred, y_true):\n    return float(np.mean((y_pred - y_true) ** 2))\n"


@pytest.fixture
def world(factory):
    teacher, other_teacher = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    ada, bob = factory.user(name="Ada"), factory.user(name="Bob")
    course = factory.course(teacher, (ada, bob))
    course.time_zone = "Europe/Paris"
    db.session.commit()
    factory.course(other_teacher)
    ta = factory.user()
    courses.add_member(course, ta.email, Role.TA)
    return {"teacher": teacher, "other_teacher": other_teacher, "ta": ta, "ada": ada, "bob": bob,
            "course": course, "ca": course.course_assignments[0]}


def test_instructor_sets_the_time_limit_with_the_deadline(client, login, csrf_token, world):
    login(world["teacher"])
    url = f"/instructor/courses/{world['course'].code}/losses"
    response = client.post(url, data={"csrf_token": csrf_token(url), "late_policy": "none", "counts": "best",
                                      "hidden_results": "never", "time_limit_minutes": "45"})
    assert response.status_code == 302
    db.session.refresh(world["ca"])
    assert world["ca"].time_limit_minutes == 45
    assert "timed: 45 min from Start" in client.get(url).get_data(as_text=True)


def test_student_starts_sees_the_time_left_in_the_course_zone_and_is_closed_after(app, client, login, csrf_token,
                                                                                  world):
    time_limits.set_time_limit(world["ca"], 30)
    code = world["course"].code
    login(world["ada"])
    page = client.get(f"/courses/{code}/losses").get_data(as_text=True)
    assert 'id="start-button"' in page and "The statement appears when you press Start" in page
    assert 'id="submit-form"' not in page
    assert client.get(f"/courses/{code}/losses/starter-kit.zip").status_code == 403
    refused = client.post(f"/courses/{code}/losses", data={"csrf_token": csrf_token(f"/courses/{code}/losses"),
                                                           "code": SOURCE})
    assert refused.status_code == 400 and "press Start" in refused.get_data(as_text=True)
    started = client.post(f"/courses/{code}/losses/start", data={"csrf_token": csrf_token(f"/courses/{code}/losses")})
    assert started.status_code == 302
    page = client.get(f"/courses/{code}/losses").get_data(as_text=True)
    assert "your time ends at" in page and "(Europe/Paris)" in page and 'id="minutes-left">30<' in page
    assert 'id="submit-form"' in page and client.get(f"/courses/{code}/losses/starter-kit.zip").status_code == 200
    # The time runs out.
    row = db.session.query(TimedStart).one()
    row.started_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    page = client.get(f"/courses/{code}/losses")
    assert "Your time ended at" in page.get_data(as_text=True)
    late = client.post(f"/courses/{code}/losses", data={"csrf_token": csrf_token(f"/courses/{code}/losses"),
                                                        "code": SOURCE})
    assert late.status_code == 400 and "time for this assignment is up" in late.get_data(as_text=True)
    assert db.session.query(Submission).count() == 0


def test_before_start_no_answer_names_the_functions_the_timed_assignment_grades(client, login, csrf_token, world):
    # The statement stays hidden until Start; the wrong-file warning ("this file defines none of
    # mse, mse_grad, ...") would hand out the task list before the clock runs.
    time_limits.set_time_limit(world["ca"], 30)
    url = f"/courses/{world['course'].code}/losses"
    login(world["ada"])
    refused = client.post(url, data={"csrf_token": csrf_token(url), "code": "def unrelated():\n    return 1\n"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "press Start" in text
    assert 'id="unrelated-warning"' not in text and "cross_entropy" not in text
    assert db.session.query(Submission).count() == 0


def test_start_is_for_the_course_students_only(client, login, csrf_token, world, factory):
    time_limits.set_time_limit(world["ca"], 30)
    url = f"/courses/{world['course'].code}/losses/start"
    for viewer in ("teacher", "ta", "other_teacher"):
        login(world[viewer])
        assert client.post(url, data={"csrf_token": csrf_token("/account")}).status_code == 404
    login(factory.user())
    assert client.post(url, data={"csrf_token": csrf_token("/account")}).status_code == 404
    assert db.session.query(TimedStart).count() == 0


@pytest.mark.parametrize("viewer, expected", [("teacher", 302), ("ta", 403), ("ada", 403), ("other_teacher", 404)])
def test_who_may_set_extra_time(client, login, csrf_token, world, viewer, expected):
    ca, bob = world["ca"], world["bob"]
    time_limits.set_time_limit(ca, 60)
    page = f"/instructor/courses/{world['course'].code}/students/{bob.id}"
    login(world[viewer])
    response = client.post(f"{page}/losses/accommodation", data={
        f"acc{ca.id}-factor": "1.5", f"acc{ca.id}-extra_minutes": "15", f"acc{ca.id}-reason": "letter on file",
        f"acc{ca.id}-csrf_token": csrf_token("/account")})
    assert response.status_code == expected
    saved = time_limits.accommodation_for(bob, ca)
    assert (saved is not None) == (expected == 302)
    if expected == 302:
        assert (saved.factor, saved.extra_minutes, saved.set_by_id) == (1.5, 15, world["teacher"].id)
        shown = client.get(page).get_data(as_text=True)
        assert "Extra time changes (audit trail)" in shown and "letter on file" in shown
        assert "with the accommodation 105 min" in shown
        login(bob)
        student_page = client.get(f"/courses/{world['course'].code}/losses").get_data(as_text=True)
        assert "<strong>105 minutes</strong>" in student_page and "your extra time is included" in student_page


def test_extra_time_out_of_range_is_refused_with_a_message(client, login, csrf_token, world):
    ca, bob = world["ca"], world["bob"]
    page = f"/instructor/courses/{world['course'].code}/students/{bob.id}"
    login(world["teacher"])
    response = client.post(f"{page}/losses/accommodation", data={
        f"acc{ca.id}-factor": "9", f"acc{ca.id}-extra_minutes": "0", f"acc{ca.id}-csrf_token": csrf_token(page)},
        follow_redirects=True)
    assert "time factor between 1 and 5" in response.get_data(as_text=True)
    assert time_limits.accommodation_history(bob, ca) == []

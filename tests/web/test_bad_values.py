"""Values no honest form or link sends get a form error or the defaults, never a 500."""

import io
from pathlib import Path

import pytest

from autograder.extensions import db
from autograder.models import Regrade, RegradeEntry, Role, Submission
from autograder.services import accounts, overrides, time_limits

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_bytes()
NOT_FINITE = ("sNaN", "nan", "NaN", "-nan", "inf", "-Infinity", "1e999999")
HUGE = "99999999999999999999999"


@pytest.fixture
def world(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada = factory.user()
    course = factory.course(teacher, (ada,))
    submission = factory.submission(ada, course, score=20)
    return teacher, ada, course, course.course_assignments[0], submission


@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_manual_score_that_is_not_a_finite_number_is_a_form_error(client, login, csrf_token, world, value):
    teacher, ada, course, ca, _ = world
    login(teacher)
    page = f"/instructor/courses/{course.code}/students/{ada.id}"
    response = client.post(f"{page}/losses/override", data={
        f"ovr{ca.id}-score": value, f"ovr{ca.id}-comment": "why", f"ovr{ca.id}-csrf_token": csrf_token(page)},
        follow_redirects=True)
    # The form refuses what is not a number; the service what is out of range (1e999999 is inf as a float).
    page_text = response.get_data(as_text=True)
    assert response.status_code == 200 and ("Give a score" in page_text or "between 0 and 35" in page_text)
    assert overrides.history(ada, ca) == []


@pytest.mark.parametrize("value", NOT_FINITE)
def test_an_extra_time_factor_that_is_not_a_finite_number_is_a_form_error(client, login, csrf_token, world, value):
    teacher, ada, course, ca, _ = world
    login(teacher)
    page = f"/instructor/courses/{course.code}/students/{ada.id}"
    response = client.post(f"{page}/losses/accommodation", data={
        f"acc{ca.id}-factor": value, f"acc{ca.id}-extra_minutes": "0", f"acc{ca.id}-csrf_token": csrf_token(page)},
        follow_redirects=True)
    assert response.status_code == 200 and "time factor between 1 and 5" in response.get_data(as_text=True)
    assert time_limits.accommodation_history(ada, ca) == []


@pytest.mark.parametrize("value", NOT_FINITE)
def test_a_late_penalty_that_is_not_a_finite_number_is_a_form_error(client, login, csrf_token, world, value):
    teacher, _, course, ca, _ = world
    login(teacher)
    url = f"/instructor/courses/{course.code}/losses"
    before = (ca.late_policy, ca.penalty_per_day)
    response = client.post(url, data={"csrf_token": csrf_token(url), "late_policy": "penalty",
                                      "penalty_per_day": value, "cutoff_days": "0"})
    assert response.status_code == 200
    assert 'class="field-error">Penalty per day (fraction): ' in response.get_data(as_text=True)
    db.session.refresh(ca)
    assert (ca.late_policy, ca.penalty_per_day) == before


def _regrade_page(world) -> str:
    teacher, _, _, ca, submission = world
    run = Regrade(course_assignment_id=ca.id, requested_by_id=teacher.id, assignment_version="v")
    run.entries.append(RegradeEntry(submission_id=submission.id, old_final_score=10))
    db.session.add(run)
    db.session.commit()
    return f"/instructor/regrades/{run.id}"


@pytest.mark.parametrize("table", ["course", "submissions", "regrade", "students", "gradebook"])
@pytest.mark.parametrize("page", [HUGE, "1" * 5000, f"-{HUGE}"])
def test_a_page_number_out_of_every_range_shows_the_last_page(client, login, world, table, page):
    # Every table here has one page: the last page is the first.
    teacher, ada, course, _, _ = world
    login(teacher)
    url = {"course": f"/instructor/courses/{course.code}",
           "submissions": f"/instructor/courses/{course.code}/losses/submissions",
           "regrade": _regrade_page(world) if table == "regrade" else "",
           "students": f"/instructor/courses/{course.code}/losses",
           "gradebook": f"/instructor/courses/{course.code}/gradebook"}[table]
    response = client.get(url, query_string={"page": page, "per_page": HUGE})
    assert response.status_code == 200 and ada.email in response.get_data(as_text=True)
    assert "Showing 1–" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", [f"#{HUGE}", HUGE, "#" + "9" * 5000, "#²", "#١٢"])
def test_a_submission_number_no_submission_can_have_finds_none(client, login, world, query):
    teacher, _, course, _, _ = world
    login(teacher)
    response = client.get(f"/instructor/courses/{course.code}/losses/submissions", query_string={"q": query})
    assert response.status_code == 200 and "No submission matches." in response.get_data(as_text=True)


def test_a_submission_number_still_finds_its_submission(client, login, world):
    teacher, ada, course, _, submission = world
    login(teacher)
    response = client.get(f"/instructor/courses/{course.code}/losses/submissions", query_string={"q": f"#{submission.id}"})
    assert "Showing 1–1 of 1 submissions" in response.get_data(as_text=True)


@pytest.mark.parametrize("through", ["form", "api"])
@pytest.mark.parametrize(("filename", "stored"), [("loss\x00es.py", "losses.py"), ("\x00", "losses.py"),
                                                  ("\x00mine\x00.py", "mine.py"), ("loss\u202ees.py", "losses.py"),
                                                  ("\u2066losses\u2069\u200b.py", "losses.py")])
def test_a_nul_or_bidi_control_in_the_file_name_is_never_stored(app, client, factory, login, csrf_token, through, filename, stored):
    student = factory.user()
    course = factory.course(students=(student,))
    upload = {"file": (io.BytesIO(REFERENCE), filename)}
    if through == "form":
        login(student)
        url = f"/courses/{course.code}/losses"
        response = client.post(url, data={"csrf_token": csrf_token(url), **upload}, content_type="multipart/form-data")
        assert response.status_code == 302
    else:
        response = client.post("/api/v1/assignments/losses/submissions", data=upload,
                               headers={"Authorization": f"Bearer {accounts.issue_api_token(student)}"},
                               content_type="multipart/form-data")
        assert response.status_code == 202
    row = db.session.query(Submission).one()
    assert row.filename == stored
    app.extensions["autograder.grading_queue"].join()
    db.session.refresh(row)
    assert row.final_score == 35


@pytest.mark.parametrize("path", [
    f"/submissions/{HUGE}", f"/submissions/{HUGE}/status.json", f"/submissions/{HUGE}/source",
    f"/instructor/submissions/{HUGE}", f"/instructor/regrades/{HUGE}",
])
def test_an_id_larger_than_any_database_id_is_not_found(client, login, world, path):
    teacher, *_ = world
    login(teacher)
    assert client.get(path).status_code == 404
    assert client.get(path.replace(HUGE, str(2**63 - 1))).status_code == 404  # the driver's largest integer: no route either


def test_an_api_id_larger_than_any_database_id_is_not_found(client, world):
    _, ada, *_ = world
    token = accounts.issue_api_token(ada)
    response = client.get(f"/api/v1/submissions/{HUGE}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404

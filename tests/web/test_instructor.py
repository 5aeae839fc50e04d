import csv
import io
import json
from datetime import datetime, timezone

from autograder.extensions import db
from autograder.models import Regrade, Role, Submission
from autograder.models.course import LatePolicy
from autograder.services import courses


def _class(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, alan = factory.user(name="Ada"), factory.user(name="Alan")
    course = factory.course(teacher, (ada, alan))
    factory.submission(ada, course, score=35, results=[("mse", "random shapes", 2, 2, "passed", "")])
    factory.submission(alan, course, score=10, late_days=2, results=[
        ("mse", "random shapes", 0, 2, "failed", "mse(x)\nwrong values: expected 3.1")])
    return teacher, ada, alan, course


def test_dashboard_shows_charts_table_and_failures(client, factory, login):
    teacher, ada, alan, course = _class(factory)
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    for marker in ("chart-histogram", "chart-functions", "chart-checks", "chart-timeline", "chart.umd.min.js",
                   'id="students-table"', ada.email, alan.email, "wrong values: expected #"):
        assert marker in page, marker
    data = json.loads(page.split('id="dashboard-data">')[1].split("</script>")[0])
    assert data["functions"] == [{"label": "mse", "percent": 50.0, "passed": 1, "total": 2}]
    assert sum(data["histogram"]["counts"]) == 2
    overview = client.get(f"/instructor/courses/{course.code}").get_data(as_text=True)
    assert course.join_code in overview and "2 / 2" in overview


def test_deadline_form_saves_policy(client, factory, login, csrf_token):
    teacher, _, _, course = _class(factory)
    login(teacher)
    url = f"/instructor/courses/{course.code}/losses"
    response = client.post(url, data={"csrf_token": csrf_token(url), "due_at": "2026-12-01T17:00",
                                      "late_policy": "cutoff", "penalty_per_day": "0.25", "cutoff_days": "2"})
    assert response.status_code == 302
    ca = courses.course_assignment(course, "losses")
    db.session.refresh(ca)
    assert ca.late_policy == LatePolicy.CUTOFF and ca.cutoff_days == 2 and ca.penalty_per_day == 0.25
    assert ca.due_at.replace(tzinfo=timezone.utc) == datetime(2026, 12, 1, 17, 0, tzinfo=timezone.utc)
    assert "not accepted more than 2 days after" in client.get(url).get_data(as_text=True)


def test_regrade_all_then_report_shows_moves(app, client, factory, login, csrf_token):
    teacher, ada, alan, course = _class(factory)
    login(teacher)
    url = f"/instructor/courses/{course.code}/losses"
    response = client.post(url + "/regrade", data={"csrf_token": csrf_token(url), "scope": "all"})
    assert response.status_code == 302 and "/instructor/regrades/" in response.headers["Location"]
    app.extensions["autograder.grading_queue"].join()
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    # Both factory files are stubs: the real grader moves both scores down.
    assert '<div class="value" id="moved-down">2</div>' in report
    assert db.session.query(Regrade).one().requested_by_id == teacher.id


def test_regrade_one_submission(app, client, factory, login, csrf_token):
    teacher, ada, _, course = _class(factory)
    submission = db.session.query(Submission).filter_by(user_id=ada.id).one()
    login(teacher)
    page = f"/instructor/submissions/{submission.id}"
    assert "codehilite" in client.get(page).get_data(as_text=True)
    response = client.post(page + "/regrade", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    app.extensions["autograder.grading_queue"].join()
    db.session.expire_all()
    assert db.session.get(Submission, submission.id).status.value == "done"


def test_roster_upload_and_gradebook_export(client, factory, login, csrf_token):
    teacher, ada, alan, course = _class(factory)
    login(teacher)
    url = f"/instructor/courses/{course.code}"
    response = client.post(url + "/roster", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(url),
        "roster": (io.BytesIO(b"email,name\ngrace@example.edu,Grace\n"), "roster.csv")})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "grace@example.edu" in body and "accounts created" in body
    gradebook = client.get(url + "/gradebook.csv")
    assert gradebook.mimetype == "text/csv" and "attachment" in gradebook.headers["Content-Disposition"]
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(gradebook.get_data(as_text=True)))}
    assert set(rows) == {ada.email, alan.email, "grace@example.edu"}
    assert rows[ada.email]["losses"] == "35" and rows["grace@example.edu"]["losses"] == ""


def test_a_roster_longer_than_the_cap_is_refused_with_a_message(client, factory, login, csrf_token):
    teacher, _, _, course = _class(factory)
    login(teacher)
    url = f"/instructor/courses/{course.code}"
    rows = "".join(f"s{n}@example.edu,S{n},password-{n}\n" for n in range(5_001))
    response = client.post(url + "/roster", content_type="multipart/form-data", follow_redirects=True, data={
        "csrf_token": csrf_token(url), "roster": (io.BytesIO(rows.encode()), "roster.csv")})
    assert response.status_code == 200
    assert "A roster has at most 5,000 students" in response.get_data(as_text=True)
    assert courses.count_students(course) == 2  # nothing written


def test_submission_json_export(client, factory, login):
    teacher, ada, _, course = _class(factory)
    submission = db.session.query(Submission).filter_by(user_id=ada.id).one()
    login(teacher)
    data = client.get(f"/instructor/submissions/{submission.id}.json").get_json()
    assert data["student"]["email"] == ada.email and data["source"] == submission.source
    assert data["tests"][0]["name"] == "mse: random shapes"


def test_student_is_refused_instructor_pages(client, factory, login):
    _, ada, _, _ = _class(factory)
    login(ada)
    assert client.get("/instructor/").status_code == 403
    assert "instructors only" in client.get("/instructor/").get_data(as_text=True)


def test_dashboard_shows_diagnostics_apart(client, factory, login):
    from autograder.models import Role

    teacher = factory.user(Role.INSTRUCTOR)
    student = factory.user()
    course = factory.course(teacher, (student,))
    factory.submission(student, course, score=4, results=[
        ("mse_grad", "matches the reference", 4, 4, "passed", ""),
        ("mse_grad", "agrees with your mse", 0, 0, "failed", "mse_grad(y)\nbackward disagrees with forward")])
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    diagnostics = page.split('id="diagnostics"')[1].split('id="named-mistakes"')[0]
    assert "mse_grad: agrees with your mse" in diagnostics and "0 / 1" in diagnostics
    failures = page.split("Most frequent failures")[1].split('id="diagnostics"')[0]
    assert "agrees with your mse" not in failures and "No failures yet." in failures

"""Staff workflows: manual scores with an audit trail, best-or-last, extensions, regrading one student,
Canvas gradebook, bulk zip, courses created and configured on the web, the course's time zone."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest

from autograder.extensions import db
from autograder.models import Role, Submission
from autograder.models._time import utcnow
from autograder.services import courses, deadline_extensions, exports, overrides
from autograder.services.errors import Forbidden
from autograder.services.overrides import OverrideError


@pytest.fixture
def world(factory):
    teacher = factory.user(Role.INSTRUCTOR, email="teacher@example.edu")
    ada = factory.user(email="ada@example.edu", name="Ada Lovelace")
    bob = factory.user(email="bob@example.edu", name="Bob;=2*21;")
    course = factory.course(teacher, (ada, bob))
    ta = factory.user(email="ta@example.edu")
    courses.add_member(course, ta.email, Role.TA)
    return teacher, ta, ada, bob, course


def _gradebook(course) -> dict[str, dict[str, str]]:
    return {row["email"]: row for row in csv.DictReader(io.StringIO(exports.gradebook_csv(course)))}


def test_manual_score_override_has_a_comment_and_an_audit_trail(world, factory, client, login, csrf_token):
    teacher, ta, ada, bob, course = world
    ca = course.course_assignments[0]
    factory.submission(ada, course, score=20)
    login(ta)  # TAs grade: they may override
    page = f"/instructor/courses/{course.code}/students/{ada.id}"
    response = client.post(f"{page}/losses/override", data={
        f"ovr{ca.id}-score": "30", f"ovr{ca.id}-comment": "Regrade request: the test was ambiguous",
        f"ovr{ca.id}-csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert _gradebook(course)[ada.email]["losses"] == "30"
    overrides.set_override(teacher, ada, ca, None, "Back to the graded score", 20)
    assert _gradebook(course)[ada.email]["losses"] == "20"
    trail = overrides.history(ada, ca)
    assert [(row.score, row.previous_score, row.set_by_id) for row in trail] == [(None, 20, teacher.id), (30, 20, ta.id)]
    shown = client.get(page).get_data(as_text=True)
    assert "Regrade request: the test was ambiguous" in shown and "lifted" in shown
    with pytest.raises(OverrideError, match="comment"):
        overrides.set_override(teacher, ada, ca, 10, "   ", 20)
    with pytest.raises(OverrideError, match="between 0 and 35"):
        overrides.set_override(teacher, ada, ca, 36, "bonus", 20)
    with pytest.raises(Forbidden):
        overrides.set_override(bob, ada, ca, 35, "I am a student", 20)


def test_which_submission_counts_best_or_last(world, factory):
    teacher, ta, ada, bob, course = world
    ca = course.course_assignments[0]
    factory.submission(ada, course, score=30, created_at=utcnow() - timedelta(hours=2))
    factory.submission(ada, course, score=10)
    assert _gradebook(course)[ada.email]["losses"] == "30"
    courses.set_deadline(ca, None, ca.late_policy, ca.penalty_per_day, ca.cutoff_days,
                         counts=type(ca.counts)("last"))
    assert _gradebook(course)[ada.email]["losses"] == "10"


def test_an_extension_moves_the_students_own_due_date_and_rejudges_late_work(world, factory, client, login, csrf_token):
    teacher, ta, ada, bob, course = world
    ca = course.course_assignments[0]
    ca.due_at = utcnow() - timedelta(days=2) + timedelta(hours=1)
    db.session.commit()
    late = factory.submission(ada, course, score=30, late_days=1)
    late.created_at = utcnow() - timedelta(days=1)
    db.session.commit()
    page = f"/instructor/courses/{course.code}/students/{ada.id}"
    login(ta)
    refused = client.post(f"{page}/losses/extension", data={f"ext{ca.id}-due_at": "2030-01-01T12:00",
                                                            f"ext{ca.id}-csrf_token": csrf_token(page)})
    assert refused.status_code == 403  # accommodations are the instructors' call
    login(teacher)
    granted = client.post(f"{page}/losses/extension", data={
        f"ext{ca.id}-due_at": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        f"ext{ca.id}-reason": "medical", f"ext{ca.id}-csrf_token": csrf_token(page)})
    assert granted.status_code == 302
    db.session.expire_all()
    assert db.session.get(Submission, late.id).late_days == 0 and db.session.get(Submission, late.id).final_score == 30
    from autograder.services.submissions import lateness
    assert lateness(ca, utcnow(), ada).days == 0 and lateness(ca, utcnow(), bob).days == 2
    login(ada)
    assignment_page = client.get(f"/courses/{course.code}/losses").get_data(as_text=True)
    assert 'id="late-warning"' not in assignment_page and "your extension" in assignment_page
    deadline_extensions.grant(teacher, ada, ca, None)
    assert deadline_extensions.extension_for(ada, ca) is None


def test_regrade_one_student(app, world, factory, client, login, csrf_token):
    teacher, ta, ada, bob, course = world
    mine = factory.submission(ada, course, score=1)
    factory.submission(bob, course, score=1)
    login(ta)
    page = f"/instructor/courses/{course.code}/students/{ada.id}"
    response = client.post(f"{page}/losses/regrade", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302 and "/instructor/regrades/" in response.headers["Location"]
    report = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"#{mine.id}" in report and bob.email not in report
    app.extensions["autograder.grading_queue"].join()


def test_canvas_gradebook_layout(world, factory):
    teacher, ta, ada, bob, course = world
    factory.submission(ada, course, score=35)
    rows = list(csv.reader(io.StringIO(exports.canvas_gradebook_csv(course))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Loss functions (losses)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "35"]
    by_login = {row[3]: row for row in rows[2:]}
    assert by_login[ada.email][0] == "Lovelace, Ada" and by_login[ada.email][5] == "35"
    assert by_login[bob.email][5] == ""
    assert ";'=2*21;" in by_login[bob.email][0]  # formula neutralised here too
    assert ta.email not in by_login and teacher.email not in by_login


def test_bulk_zip_of_latest_or_every_submission(world, factory, client, login):
    teacher, ta, ada, bob, course = world
    older = factory.submission(ada, course, source="# first\n", created_at=utcnow() - timedelta(hours=1))
    newer = factory.submission(ada, course, source="# second\n")
    newer.filename = "../../etc/passwd"
    db.session.commit()
    login(teacher)
    latest = zipfile.ZipFile(io.BytesIO(client.get(f"/instructor/courses/{course.code}/losses/submissions.zip").data))
    names = latest.namelist()
    assert names == [f"ada@example.edu/{newer.id}-.._.._etc_passwd", "manifest.csv"]
    assert latest.read(names[0]) == b"# second\n"
    manifest = list(csv.DictReader(io.StringIO(latest.read("manifest.csv").decode())))
    assert manifest[0]["submission"] == str(newer.id) and manifest[0]["sha256"] == newer.sha256
    every = zipfile.ZipFile(io.BytesIO(
        client.get(f"/instructor/courses/{course.code}/losses/submissions.zip?every=1").data))
    assert len(every.namelist()) == 3 and f"ada@example.edu/{older.id}-losses.py" in every.namelist()


def test_instructor_creates_a_course_choosing_its_assignments(client, factory, login, csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    factory.assignment("losses")
    factory.assignment("optimizers")
    login(teacher)
    response = client.post("/instructor/courses/new", data={
        "code": "DL-2027", "title": "Deep learning 2027", "time_zone": "Europe/Paris", "assignments": ["optimizers"],
        "csrf_token": csrf_token("/instructor/courses/new")})
    assert response.status_code == 302
    created = courses.get_course("DL-2027")
    assert [ca.assignment.name for ca in created.course_assignments] == ["optimizers"]
    assert courses.manages(teacher, created) and created.time_zone == "Europe/Paris"
    bad = client.post("/instructor/courses/new", data={
        "code": "DL-2028", "title": "x", "time_zone": "Mars/Olympus", "csrf_token": csrf_token("/instructor/courses/new")})
    assert "Unknown time zone" in bad.get_data(as_text=True)


def test_course_settings_time_zone_and_assignments(world, factory, client, login, csrf_token):
    teacher, ta, ada, bob, course = world
    factory.assignment("optimizers")
    ca = course.course_assignments[0]
    ca.due_at = utcnow().replace(month=1, day=15, hour=12, minute=0, second=0, microsecond=0)
    db.session.commit()
    login(teacher)
    base = f"/instructor/courses/{course.code}"
    response = client.post(f"{base}/settings", data={
        "title": "Renamed", "time_zone": "America/New_York", "assignments": ["losses", "optimizers"],
        "csrf_token": csrf_token(base)})
    assert response.status_code == 302
    assert sorted(ca.assignment.name for ca in courses.get_course(course.code).course_assignments) == ["losses", "optimizers"]
    page = client.get(base).get_data(as_text=True)
    assert "07:00 EST (America/New_York)" in page  # 12:00 UTC in January, named zone
    # The deadline form takes local time in the course's zone.
    token = csrf_token(f"{base}/losses")
    client.post(f"{base}/losses", data={"due_at": "2030-07-01T09:00", "late_policy": "none", "counts": "best",
                                        "cutoff_days": "0", "penalty_per_day": "0", "csrf_token": token})
    db.session.expire_all()
    assert courses.course_assignment(courses.get_course(course.code), "losses").due_at.strftime("%H:%M") == "13:00"
    login(ta)
    assert client.post(f"{base}/settings", data={"title": "TA was here", "time_zone": "UTC",
                                                  "csrf_token": csrf_token(base)}).status_code == 403


def test_release_date_hides_the_assignment_until_then(world, factory, client, login):
    teacher, ta, ada, bob, course = world
    ca = course.course_assignments[0]
    courses.set_deadline(ca, utcnow() + timedelta(days=9), ca.late_policy, release_at=utcnow() + timedelta(days=2))
    login(ada)
    assert "Loss functions" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/courses/{course.code}/losses").status_code == 404
    from autograder.services import submissions
    from autograder.services.submissions import SubmissionRejected
    with pytest.raises(SubmissionRejected, match="not open"):
        submissions.create_submission(ada, ca, "losses.py", b"def mse(a, b):\n    return 0\n")
    login(teacher)
    assert "Students see it from" in client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    courses.set_deadline(ca, None, ca.late_policy, release_at=utcnow() - timedelta(minutes=1))
    login(ada)
    assert client.get(f"/courses/{course.code}/losses").status_code == 200


@pytest.mark.parametrize("policy, due_in_days, shown", [
    ("never", -1, False), ("after_due", 1, False), ("after_due", -1, True), ("always", 1, True)])
def test_hidden_case_results_are_shown_as_the_course_says(world, factory, client, login, policy, due_in_days, shown):
    from autograder.models.course import HiddenResults

    teacher, ta, ada, bob, course = world
    ca = course.course_assignments[0]
    courses.set_deadline(ca, utcnow() + timedelta(days=due_in_days), ca.late_policy,
                         hidden_results=HiddenResults(policy))
    submission = factory.submission(ada, course, results=[("mse", "random shapes", 2, 2, "passed", ""),
                                                          ("mse", "hidden cases", 0, 2, "failed", "wrong values")])
    submission.results[1].visibility = "hidden"
    db.session.commit()
    login(ada)
    status = client.get(f"/submissions/{submission.id}/status.json").get_json()
    (seen,) = [t for t in status["tests"] if t["name"] == "mse: hidden cases"]  # always listed with its score
    assert (seen["score"], seen["max_score"], seen["status"]) == (0, 2, "failed")
    assert ("wrong values" in seen["output"]) is shown
    assert ("failed on hidden cases only" in seen["output"]) is not shown
    assert ("once the due date has passed" in seen["output"]) is (policy == "after_due" and not shown)
    login(teacher)  # staff always see why
    staff = client.get(f"/submissions/{submission.id}/status.json").get_json()
    assert [t["output"] for t in staff["tests"] if t["name"] == "mse: hidden cases"] == ["wrong values"]


def test_student_index_shows_each_courses_due_dates_in_its_own_zone(world, factory, client, login):
    teacher, ta, ada, bob, course = world
    other = factory.course(teacher, (ada,))
    courses.update_course(course, course.title, "Asia/Tokyo")
    courses.update_course(other, other.title, "America/Los_Angeles")
    moment = utcnow().replace(year=utcnow().year + 1, month=1, day=10, hour=12, minute=0, second=0, microsecond=0)
    for each in (course, other):
        each.course_assignments[0].due_at = moment
    db.session.commit()
    login(ada)
    index = client.get("/").get_data(as_text=True)
    assert "21:00 JST (Asia/Tokyo)" in index and "04:00 PST (America/Los_Angeles)" in index


def test_late_day_tokens_are_spent_before_the_late_policy(app, world, factory, client, login, csrf_token):
    from autograder.models.course import LatePolicy
    from autograder.services import submissions

    teacher, ta, ada, bob, course = world
    factory.assignment("optimizers")
    courses.set_assignments(course, ["losses", "optimizers"])
    login(teacher)
    base = f"/instructor/courses/{course.code}"
    client.post(f"{base}/settings", data={"title": course.title, "time_zone": "UTC", "late_day_tokens": "3",
                                          "assignments": ["losses", "optimizers"], "csrf_token": csrf_token(base)})
    assert courses.get_course(course.code).late_day_tokens == 3
    losses, optimizers = sorted(course.course_assignments, key=lambda ca: ca.assignment.name)
    now = utcnow()
    courses.set_deadline(losses, now - timedelta(days=2, hours=-1), LatePolicy.PENALTY, 0.1)  # 2 started days ago
    courses.set_deadline(optimizers, now - timedelta(days=2, hours=-1), LatePolicy.CUTOFF, 0.1, cutoff_days=0)
    login(ada)
    page = client.get(f"/courses/{course.code}/losses").get_data(as_text=True)
    assert "It uses 2 of your 3 free late days in this course" in page and "no penalty" in page
    first = submissions.create_submission(ada, losses, "losses.py", b"def mse(a, b):\n    return 0\n", now=now)
    assert (first.late_days, first.late_tokens) == (0, 2)
    # Resubmitting the same assignment spends nothing more.
    again = submissions.create_submission(ada, losses, "losses.py", b"def mse(a, b):\n    return 1\n", now=now)
    assert (again.late_days, again.late_tokens) == (0, 2)
    # One token left: the cut-off assignment 2 days late is still closed to her (1 day over the cut-off)...
    from autograder.services.submissions import SubmissionRejected
    with pytest.raises(SubmissionRejected, match="closed"):
        submissions.create_submission(ada, optimizers, "optimizers.py", b"def sgd():\n    pass\n", now=now)
    # ...but open to Bob, who has all three: the tokens move his cut-off.
    spent = submissions.create_submission(bob, optimizers, "optimizers.py", b"def sgd():\n    pass\n", now=now)
    assert (spent.late_days, spent.late_tokens) == (0, 2)
    app.extensions["autograder.grading_queue"].join()

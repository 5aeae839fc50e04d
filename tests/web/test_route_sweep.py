"""Every route of the app, GET and POST, tried by viewers who must not get through.

The routes come from the app's own URL map, so a route added later is swept too; one whose
parameters this file cannot fill fails here until it is given a value below.
"""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from autograder.extensions import db
from autograder.models import Enrollment, Role
from autograder.services import accounts, regrades, similarity

# Routes anyone may reach: signing in, the operator's probes (/metrics takes METRICS_TOKEN when set).
PUBLIC_ENDPOINTS = {
    "auth.login",
    "auth.register",
    "auth.set_password",
    "auth.forgot_password",
    "auth.confirm_email",
    "operations.healthz",
    "operations.readyz",
    "operations.metrics",
    "static",
}
MARKERS = ("OWNER_SOURCE_MARKER", "OWNER_FEEDBACK_MARKER", "CLASSMATE_SOURCE_MARKER")


@pytest.fixture
def world(app, factory):
    owner, classmate, stranger = factory.user(), factory.user(), factory.user()
    teacher, other_teacher = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher, (owner, classmate))
    other_course = factory.course(other_teacher, (stranger,))
    submission = factory.submission(owner, course, source="OWNER_SOURCE_MARKER = 1\n", score=3.0)
    second = factory.submission(classmate, course, source="CLASSMATE_SOURCE_MARKER = 2\n")
    run = regrades.regrade_submission(submission, teacher)
    app.extensions["autograder.grading_queue"].join()
    # The regrade replaced the submission's results: the feedback marker goes into those it stored.
    db.session.refresh(submission)
    submission.results[0].output += "\nOWNER_FEEDBACK_MARKER"
    db.session.commit()
    # Indexed now, so that the background indexer writes nothing while a test counts rows.
    similarity.index_pending(course.course_assignments[0])
    values = {
        "code": course.code,
        "name": "losses",
        "submission_id": submission.id,
        "user_id": owner.id,
        "regrade_id": run.id,
        "submission_a": submission.id,
        "submission_b": second.id,
        "token": "not-a-token",
        "filename": "app.css",
    }
    return {
        "owner": owner,
        "classmate": classmate,
        "stranger": stranger,
        "teacher": teacher,
        "other_teacher": other_teacher,
        "course": course,
        "other_course": other_course,
        "submission": submission,
        "values": values,
    }


def _routes(app, values: dict) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every GET and POST route, its parameters filled from ``values``."""
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            missing = set(rule.arguments) - set(values)
            assert not missing, f"{rule.rule}: give {sorted(missing)} a value in this test's world"
            url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]
            routes.extend((rule.endpoint, method, url) for method in ("GET", "POST") if method in rule.methods)
    return sorted(routes)


def _request(client, method: str, url: str, token: str):
    if method == "GET":
        return client.get(url)
    return client.post(
        url,
        data={
            "csrf_token": token,
            "score": "99",
            "reason": "sweep",
            "days": "30",
            "email": "sweep@example.edu",
            "role": "instructor",
            "factor": "10",
        },
    )


def _leaks(response) -> bool:
    """Whether the response carries a swept student's source or feedback (bytes: a page or a download)."""
    body = response.get_data()
    return any(marker.encode() in body for marker in MARKERS)


def _token(client, page: str = "/account") -> str:
    """A valid CSRF token of this session (from ``page``), so that POSTs meet the access checks, not CSRF."""
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def _snapshot() -> dict[str, list]:
    """Every row of every table but the workers' heartbeats: what a refused POST must leave as it was."""
    db.session.expire_all()
    return {
        table.name: sorted(map(tuple, db.session.execute(select(table)).all()), key=repr)
        for table in db.metadata.sorted_tables
        if table.name != "worker_heartbeat"
    }


def test_an_anonymous_visitor_is_sent_to_sign_in_everywhere_but_the_public_routes(app, client, world):
    token = _token(client, "/login")
    for endpoint, method, url in _routes(app, world["values"]):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = _request(client, method, url, token)
        if url.startswith("/api/"):
            assert response.status_code in (401, 405), (method, url, response.status_code)
        else:
            assert response.status_code in (302, 405), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (method, url, response.headers["Location"])
        assert not _leaks(response), (method, url)


@pytest.mark.parametrize("ta_elsewhere", [False, True], ids=["student", "student-who-is-a-ta-elsewhere"])
def test_a_student_reaches_no_staff_route(app, client, login, world, ta_elsewhere):
    """Nor does one who is a TA of another course: staff pages are for the staff of the work's own course."""
    if ta_elsewhere:
        db.session.add(Enrollment(user=world["owner"], course=world["other_course"], role=Role.TA))
        db.session.commit()
    login(world["owner"])
    token = _token(client)
    before = _snapshot()
    staff_routes = [
        route
        for route in _routes(app, world["values"])
        if route[2].startswith("/instructor/") and route[0] != "instructor.index"
    ]
    assert len(staff_routes) > 25
    for _endpoint, method, url in staff_routes:
        response = _request(client, method, url, token)
        assert response.status_code in (403, 404, 405), (method, url, response.status_code)
        assert not _leaks(response), (method, url)
    assert _snapshot() == before


def test_another_courses_instructor_reaches_nothing_of_this_course(app, client, login, world):
    login(world["other_teacher"])
    token = _token(client)
    before = _snapshot()
    reached = []
    for endpoint, method, url in _routes(app, world["values"]):
        if endpoint in PUBLIC_ENDPOINTS or endpoint in (
            "student.index",
            "instructor.index",
            "instructor.new_course",
            "auth.account",
            "auth.change_password",
            "auth.send_confirmation",
            "auth.revoke_token",
            "auth.logout",
            "student.join",
            "api.list_assignments",
        ):
            continue  # routes about the viewer's own account and courses, not this course
        response = _request(client, method, url, token)
        # The API answers only bearer tokens (their per-viewer checks: test_access.py): 401 here.
        if response.status_code not in ((401,) if url.startswith("/api/") else (403, 404, 405)):
            reached.append((method, url, response.status_code))
        assert not _leaks(response), (method, url)
    assert reached == []
    assert _snapshot() == before


def test_a_student_of_another_course_reaches_nothing_of_this_course(app, client, login, world):
    login(world["stranger"])
    token = _token(client)
    for _endpoint, method, url in _routes(app, world["values"]):
        if not (url.startswith("/courses/") or url.startswith("/submissions/")):
            continue
        response = _request(client, method, url, token)
        assert response.status_code in (404, 405), (method, url, response.status_code)
        assert not _leaks(response), (method, url)


def test_a_classmate_reaches_no_other_students_submission(app, client, login, world):
    login(world["classmate"])
    token = _token(client)
    submission_routes = [
        route
        for route in _routes(app, world["values"])
        if re.match(rf"/(api/v1/)?submissions/{world['submission'].id}\b", route[2])
    ]
    assert len(submission_routes) >= 3
    for _endpoint, method, url in submission_routes:
        response = _request(client, method, url, token)
        assert response.status_code in (401, 404, 405), (method, url, response.status_code)
        assert not _leaks(response), (method, url)


# What a TA may change (docs/WEB.md, "Roles and accounts"): regrades and score overrides.
TA_ACTIONS = {
    "instructor.override_score",
    "instructor.regrade_student",
    "instructor.regrade_assignment",
    "instructor.regrade_submission",
}


def test_a_ta_changes_no_settings_people_or_extensions(app, client, login, world, factory):
    ta = factory.user()
    db.session.add(Enrollment(user=ta, course=world["course"], role=Role.TA))
    db.session.commit()
    login(ta)
    token = _token(client)
    before = _snapshot()
    refused = []
    for endpoint, method, url in _routes(app, world["values"]):
        if method != "POST" or not url.startswith(f"/instructor/courses/{world['course'].code}/"):
            continue
        response = _request(client, method, url, token)
        if endpoint in TA_ACTIONS:
            assert response.status_code in (200, 302), (method, url, response.status_code)
        else:
            assert response.status_code == 403, (method, url, response.status_code)
            refused.append(endpoint)
    assert {
        "instructor.course_settings",
        "instructor.add_member",
        "instructor.grant_extension",
        "instructor.set_accommodation",
        "instructor.import_roster",
        "instructor.reset_link",
        "instructor.assignment",
    } <= set(refused)
    after = _snapshot()
    # Its regrades and overrides went through; settings, people, extensions and time limits stay as they were.
    for table in ("course", "course_assignment", "enrollment", "user", "extension", "time_accommodation"):
        assert after[table] == before[table], table


@pytest.mark.parametrize("viewer", ["stranger", "other_teacher", "teacher"])
def test_only_its_students_submit_to_a_course_through_the_api(client, world, viewer):
    token = accounts.issue_api_token(world[viewer])
    before = _snapshot()["submission"]
    response = client.post(
        "/api/v1/assignments/losses/submissions",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(b"def mse(a, b):\n    return 0.0\n"), "losses.py"), "course": world["course"].code},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 404 and world["course"].code not in response.get_data(as_text=True)
    assert _snapshot()["submission"] == before


def test_the_markers_are_there_for_those_who_may_see_them(client, login, world):
    """The sweeps' checks for markers mean something: the owner and the course's instructor see them."""
    login(world["owner"])
    assert b"OWNER_SOURCE_MARKER" in client.get(f"/submissions/{world['submission'].id}/source").get_data()
    login(world["teacher"])
    page = client.get(f"/instructor/submissions/{world['submission'].id}").get_data()
    assert b"OWNER_SOURCE_MARKER" in page and b"OWNER_FEEDBACK_MARKER" in page
    side_by_side = f"/instructor/courses/{world['course'].code}/losses/similarity"
    pair = client.get(f"{side_by_side}/{world['submission'].id}/{world['values']['submission_b']}").get_data()
    assert b"OWNER_SOURCE_MARKER" in pair and b"CLASSMATE_SOURCE_MARKER" in pair

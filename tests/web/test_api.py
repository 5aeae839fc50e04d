from pathlib import Path

import pytest

from autograder.services import accounts

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_bytes()


@pytest.fixture
def student_token(factory):
    student = factory.user()
    course = factory.course(students=(student,))
    return student, course, accounts.issue_api_token(student)


def _post(client, token, name="losses", data=None, **form):
    payload = {"file": (__import__("io").BytesIO(data or REFERENCE), "losses.py"), **form}
    return client.post(f"/api/v1/assignments/{name}/submissions", data=payload,
                       headers={"Authorization": f"Bearer {token}"}, content_type="multipart/form-data")


def test_submit_then_poll_until_done(app, client, student_token):
    _, _, token = student_token
    response = _post(client, token)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and isinstance(body["id"], int)
    app.extensions["autograder.grading_queue"].join()
    result = client.get(f"/api/v1/submissions/{body['id']}", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert set(result) >= {"id", "assignment", "status", "score", "max_score", "tests"}
    assert (result["status"], result["assignment"], result["score"], result["max_score"]) == ("done", "losses", 35, 35)
    test = result["tests"][0]
    assert set(test) >= {"name", "function", "score", "max_score", "status", "output", "visibility"}


def test_polling_a_graded_submission_takes_three_statements(app, client, factory, student_token):
    # A student's client asks once a second until its file is graded: the token's user, the
    # submission with its course assignment, course and catalog row, then its results.
    from sqlalchemy import event

    from autograder.extensions import db

    student, course, token = student_token
    submission = factory.submission(student, course, results=[("mse", "random shapes", 2, 2, "passed", ""),
                                                               ("mse_grad", "random shapes", 0, 2, "failed", "")])
    url, code = f"/api/v1/submissions/{submission.id}", course.code
    db.session.expunge_all()  # as in a request of its own: nothing of the factory's left in the session
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    body = response.get_json()
    assert (body["course"], body["assignment"]) == (code, "losses")
    assert [test["check"] for test in body["tests"]] == ["random shapes", "random shapes"]
    assert len(statements) <= 3, "\n\n".join(statements)


def test_api_needs_a_valid_bearer_token_and_no_csrf(client, student_token):
    assert _post(client, "wrong-token").status_code == 401
    response = client.post("/api/v1/assignments/losses/submissions")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_errors_are_json(client, factory, student_token):
    student, course, token = student_token
    assert _post(client, token, name="no_such_assignment").status_code == 404
    missing_file = client.post("/api/v1/assignments/losses/submissions", headers={"Authorization": f"Bearer {token}"})
    assert missing_file.status_code == 400 and "file" in missing_file.get_json()["error"]
    assert _post(client, token, data=b"\x00\x01").status_code == 400


def test_course_field_picks_among_several_courses(app, client, factory, student_token):
    student, course, token = student_token
    second = factory.course(students=(student,))
    ambiguous = _post(client, token)
    assert ambiguous.status_code == 400 and sorted(ambiguous.get_json()["courses"]) == sorted([course.code, second.code])
    assert _post(client, token, course=second.code).status_code == 202
    app.extensions["autograder.grading_queue"].join()


def test_cooldown_answers_429_with_retry_after(app, client, student_token):
    _, _, token = student_token
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 60
    assert _post(client, token).status_code == 202
    refused = _post(client, token)
    assert refused.status_code == 429 and 55 <= int(refused.headers["Retry-After"]) <= 60
    app.extensions["autograder.grading_queue"].join()


def test_queue_outage_answers_503(app, client, student_token):
    _, _, token = student_token
    app.config.update(QUEUE_BACKEND="celery", REDIS_URL="redis://127.0.0.1:9/0")  # nothing listens on port 9
    response = _post(client, token)
    assert response.status_code == 503 and "saved" in response.get_json()["error"]


def test_an_assignment_not_released_yet_is_not_found_as_on_the_web(app, client, student_token):
    from datetime import timedelta

    from autograder.extensions import db
    from autograder.models._time import utcnow

    _, course, token = student_token
    (ca,) = [ca for ca in course.course_assignments if ca.assignment.name == "losses"]
    ca.release_at = utcnow() + timedelta(days=1)
    db.session.commit()
    refused = _post(client, token)
    assert refused.status_code == 404 and "not open" not in refused.get_json()["error"]

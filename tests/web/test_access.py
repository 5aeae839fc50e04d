"""Every URL that shows a submission or a course, tried by each kind of viewer."""

import pytest

from autograder.extensions import db
from autograder.models import Role
from autograder.services import accounts, courses, regrades

SUBMISSION_PAGES = [
    "/submissions/{id}",
    "/submissions/{id}/status.json",
    "/submissions/{id}/source",
]
INSTRUCTOR_SUBMISSION_PAGES = [
    "/instructor/submissions/{id}",
    "/instructor/submissions/{id}.json",
]
COURSE_PAGES = [
    "/instructor/courses/{code}",
    "/instructor/courses/{code}/losses",
    "/instructor/courses/{code}/losses/dashboard.json",
    "/instructor/courses/{code}/gradebook.csv",
    "/instructor/courses/{code}/gradebook-canvas.csv",
    "/instructor/courses/{code}/gradebook.json",
    "/instructor/courses/{code}/gradebook",
    "/instructor/courses/{code}/gradebook?q=x&sort=total&page=2",
    "/instructor/courses/{code}/losses/submissions",
    "/instructor/courses/{code}/losses/submissions?status=done&flag=late&q=%23{submission}",
    "/instructor/courses/{code}/losses?q=a&show=graded&sort=best",
    "/instructor/courses/{code}/students/{student}",
    "/instructor/courses/{code}/losses/similarity",
    "/instructor/courses/{code}/losses/similarity.json",
]


@pytest.fixture
def world(factory):
    owner, stranger = factory.user(), factory.user()
    teacher, other_teacher = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher, (owner,))
    factory.course(other_teacher, (stranger,))
    submission = factory.submission(owner, course, source="SECRET_SOURCE_MARKER = 1\n",
                                    results=[("mse", "random shapes", 0, 2, "failed", "OWNER_FEEDBACK")])
    return {"owner": owner, "stranger": stranger, "teacher": teacher, "other_teacher": other_teacher,
            "course": course, "submission": submission}


@pytest.mark.parametrize("url", SUBMISSION_PAGES)
@pytest.mark.parametrize("viewer, expected", [("owner", 200), ("teacher", 200), ("stranger", 404),
                                              ("other_teacher", 404)])
def test_submission_pages(client, login, world, url, viewer, expected):
    login(world[viewer])
    response = client.get(url.format(id=world["submission"].id))
    assert response.status_code == expected
    body = response.get_data(as_text=True)
    assert ("SECRET_SOURCE_MARKER" in body or "OWNER_FEEDBACK" in body) == (expected == 200)


@pytest.mark.parametrize("url", INSTRUCTOR_SUBMISSION_PAGES)
@pytest.mark.parametrize("viewer, expected", [("teacher", 200), ("owner", 403), ("stranger", 403),
                                              ("other_teacher", 404)])
def test_instructor_submission_pages(client, login, world, url, viewer, expected):
    login(world[viewer])
    assert client.get(url.format(id=world["submission"].id)).status_code == expected


@pytest.mark.parametrize("viewer, expected", [("owner", 200), ("teacher", 200), ("stranger", 404),
                                              ("other_teacher", 404)])
def test_api_submission_status(client, world, viewer, expected):
    token = accounts.issue_api_token(world[viewer])
    response = client.get(f"/api/v1/submissions/{world['submission'].id}",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == expected


def test_pages_need_sign_in(client, world):
    for url in SUBMISSION_PAGES + INSTRUCTOR_SUBMISSION_PAGES:
        response = client.get(url.format(id=world["submission"].id))
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get(f"/api/v1/submissions/{world['submission'].id}").status_code == 401


@pytest.mark.parametrize("url", COURSE_PAGES)
@pytest.mark.parametrize("viewer, expected", [("teacher", 200), ("other_teacher", 404), ("owner", 403)])
def test_course_pages_only_for_its_instructors(client, login, world, url, viewer, expected):
    login(world[viewer])
    response = client.get(url.format(code=world["course"].code, student=world["owner"].id,
                                     submission=world["submission"].id))
    assert response.status_code == expected


def test_student_cannot_open_an_assignment_of_a_course_they_are_not_in(client, login, world):
    login(world["stranger"])
    assert client.get(f"/courses/{world['course'].code}/losses").status_code == 404
    assert client.get(f"/courses/{world['course'].code}/losses/starter-kit.zip").status_code == 404
    login(world["owner"])
    assert client.get(f"/courses/{world['course'].code}/losses").status_code == 200


def test_a_student_who_is_a_ta_elsewhere_gets_no_staff_view_of_their_own_work(client, login, world, factory,
                                                                               csrf_token):
    """Being staff of one course gives no staff powers in another: not the hidden seed, not a regrade."""
    owner, submission = world["owner"], world["submission"]
    courses.add_member(factory.course(factory.user(Role.INSTRUCTOR)), owner.email, Role.TA)
    login(owner)
    for url in INSTRUCTOR_SUBMISSION_PAGES:
        response = client.get(url.format(id=submission.id))
        assert response.status_code == 404 and "seed" not in response.get_data(as_text=True), url
    token = csrf_token("/account")
    assert client.post(f"/instructor/submissions/{submission.id}/regrade", data={"csrf_token": token}).status_code == 404
    assert regrades.regrades_of(submission.course_assignment) == []
    # Their own work stays theirs to read, as a student sees it.
    assert client.get(f"/submissions/{submission.id}").status_code == 200


def test_regrade_actions_and_report_are_limited_to_the_course_instructors(app, client, login, world, csrf_token):
    run = regrades.regrade_submission(world["submission"], world["teacher"])
    app.extensions["autograder.grading_queue"].join()
    login(world["other_teacher"])
    assert client.get(f"/instructor/regrades/{run.id}").status_code == 404
    token = csrf_token("/instructor/")
    response = client.post(f"/instructor/submissions/{world['submission'].id}/regrade", data={"csrf_token": token})
    assert response.status_code == 404
    login(world["teacher"])
    assert client.get(f"/instructor/regrades/{run.id}").status_code == 200


def test_similarity_side_by_side_only_for_the_course_staff_and_its_own_submissions(client, login, world, factory):
    other = factory.user()
    course = world["course"]
    from autograder.models import Enrollment
    from autograder.extensions import db

    db.session.add(Enrollment(user=other, course=course, role=Role.STUDENT))
    db.session.commit()
    second = factory.submission(other, course, source="SECRET_SOURCE_MARKER = 2\n")
    url = f"/instructor/courses/{course.code}/losses/similarity/{world['submission'].id}/{second.id}"
    assert client.get(url).status_code == 302  # sign in first
    for viewer, expected in (("teacher", 200), ("other_teacher", 404), ("owner", 403), ("stranger", 403)):
        login(world[viewer])
        response = client.get(url)
        assert response.status_code == expected
        assert ("SECRET_SOURCE_MARKER" in response.get_data(as_text=True)) == (expected == 200)
    # A submission of another course cannot be pulled into this course's comparison.
    foreign_course = factory.course(world["other_teacher"], (world["stranger"],))
    foreign = factory.submission(world["stranger"], foreign_course, source="FOREIGN_MARKER = 1\n")
    login(world["teacher"])
    for pair in ((world["submission"].id, foreign.id), (foreign.id, second.id)):
        response = client.get(f"/instructor/courses/{course.code}/losses/similarity/{pair[0]}/{pair[1]}")
        assert response.status_code == 404 and "FOREIGN_MARKER" not in response.get_data(as_text=True)
    login(world["other_teacher"])
    response = client.get(f"/instructor/courses/{foreign_course.code}/losses/similarity/{foreign.id}/{second.id}")
    assert response.status_code == 404


def test_a_grader_errors_details_are_for_staff_only(client, login, factory):
    """The stored message is the grader's exception (a database's names its host and user): students get a plain one."""
    from autograder.models import SubmissionStatus

    teacher, student = factory.user(Role.INSTRUCTOR), factory.user()
    course = factory.course(teacher, (student,))
    submission = factory.submission(student, course, status=SubmissionStatus.ERROR)
    submission.error_message = ('the grader failed: OperationalError: connection to server at "db.internal" '
                                '(10.0.0.5), port 5432 failed: password authentication failed for user "autograder"')
    db.session.commit()
    token = accounts.issue_api_token(student)
    login(student)
    for answer in (client.get(f"/submissions/{submission.id}/status.json").get_json(),
                   client.get(f"/api/v1/submissions/{submission.id}", headers={"Authorization": f"Bearer {token}"})
                   .get_json()):
        assert answer["status"] == "error" and "db.internal" not in answer["error"] and "retried" in answer["error"]
    login(teacher)
    assert "db.internal" in client.get(f"/instructor/submissions/{submission.id}.json").get_json()["error"]
    assert "db.internal" in client.get(f"/submissions/{submission.id}/status.json").get_json()["error"]

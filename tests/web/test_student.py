import io
import zipfile
from pathlib import Path

from autograder.extensions import db
from autograder.models import Submission, SubmissionStatus

REFERENCE = (Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py").read_bytes()


def _submit(client, csrf_token, url, **fields):
    data = {"csrf_token": csrf_token(url), **fields}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_upload_through_the_form_is_graded_and_shown(app, client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    response = _submit(client, csrf_token, url, file=(io.BytesIO(REFERENCE), "losses.py"))
    assert response.status_code == 302
    submission_url = response.headers["Location"]
    page = client.get(submission_url).get_data(as_text=True)
    assert 'id="results-table"' in page and "live_result.js" in page
    app.extensions["autograder.grading_queue"].join()
    status = client.get(submission_url + "/status.json").get_json()
    assert status["status"] == "done" and status["score"] == status["max_score"] == 35
    assert {t["function"] for t in status["tests"]} >= {"mse", "softmax", "cross_entropy"}
    page = client.get(submission_url).get_data(as_text=True)
    assert "35 <small>/ 35</small>" in page and 'data-finished="true"' in page
    history = client.get(url).get_data(as_text=True)
    assert "Feedback →" in history


def test_pasted_code_is_accepted_and_named_after_the_assignment_file(app, client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    response = _submit(client, csrf_token, f"/courses/{course.code}/losses", code="def mse(a, b):\n    return 0\n")
    assert response.status_code == 302
    app.extensions["autograder.grading_queue"].join()
    assert db.session.query(Submission).one().filename == "losses.py"


def test_cooldown_is_explained_on_the_page(app, client, factory, login, csrf_token):
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 120
    student = factory.user()
    course = factory.course(students=(student,))
    factory.submission(student, course)
    login(student)
    url = f"/courses/{course.code}/losses"
    assert "You can submit again in" in client.get(url).get_data(as_text=True)
    response = _submit(client, csrf_token, url, code="x = 1\n")
    assert response.status_code == 429
    assert "Please wait" in response.get_data(as_text=True)
    assert db.session.query(Submission).count() == 1


def test_too_large_upload_returns_to_the_form_with_a_message(app, client, factory, login, csrf_token):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    response = _submit(client, csrf_token, url, file=(io.BytesIO(b"#" * 10_000), "losses.py"))
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    form = client.get(url).get_data(as_text=True)
    assert "The file is too large" in form and 'id="submit-form"' in form


def test_binary_file_is_refused_with_a_message(client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    response = _submit(client, csrf_token, f"/courses/{course.code}/losses",
                       file=(io.BytesIO(b"\x89PNG\x00\x00"), "losses.py"))
    assert response.status_code == 400 and "not a Python source file" in response.get_data(as_text=True)


def test_assignment_page_renders_statement_and_starter_kit_zip(client, factory, login):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    page = client.get(f"/courses/{course.code}/losses").get_data(as_text=True)
    assert "<h1>" in page and "<table>" in page  # the README's Markdown, rendered
    response = client.get(f"/courses/{course.code}/losses/starter-kit.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "losses-kit/losses.py" in names or any(name.endswith("losses.py") for name in names)
    assert not any("reference" in name for name in names)


def test_index_lists_assignments_with_best_score(client, factory, login):
    student = factory.user()
    course = factory.course(students=(student,))
    factory.submission(student, course, score=12.5)
    factory.submission(student, course, status=SubmissionStatus.QUEUED, score=None)
    login(student)
    page = client.get("/").get_data(as_text=True)
    assert course.title in page and "12.5 / 35" in page and "queued" in page


def test_join_course_form(client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course()
    login(student)
    response = client.post("/join", data={"join_code": course.join_code, "csrf_token": csrf_token("/")},
                           follow_redirects=True)
    assert f"You joined {course.title}" in response.get_data(as_text=True)


def test_cooldown_keeps_the_files_text_and_counts_down(app, client, factory, login, csrf_token):
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 120
    student = factory.user()
    course = factory.course(students=(student,))
    factory.submission(student, course)
    login(student)
    url = f"/courses/{course.code}/losses"
    response = _submit(client, csrf_token, url, file=(io.BytesIO(b"def mse(a, b):\n    return 42\n"), "mine.py"))
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "return 42" in page.split('id="code"')[1].split("</textarea>")[0]  # the file's text is kept
    assert "<code>mine.py</code> is kept" in page
    assert 'data-seconds="1' in page and "cooldown.js" in page


def test_a_file_defining_none_of_the_functions_is_flagged_before_grading(app, client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    url = f"/courses/{course.code}/losses"
    other_assignment = b"def sgd_step(params, grads, lr):\n    return params\n"
    response = _submit(client, csrf_token, url, file=(io.BytesIO(other_assignment), "optimizers.py"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="unrelated-warning"' in page and "<code>mse</code>" in page
    assert db.session.query(Submission).count() == 0
    # Confirmed, it is graded as it is.
    response = _submit(client, csrf_token, url, code=other_assignment.decode(), confirm_unrelated="y")
    assert response.status_code == 302 and db.session.query(Submission).count() == 1
    app.extensions["autograder.grading_queue"].join()


def test_file_and_pasted_code_says_which_was_graded(app, client, factory, login, csrf_token):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    response = _submit(client, csrf_token, f"/courses/{course.code}/losses",
                       file=(io.BytesIO(REFERENCE), "losses.py"), code="def mse(a, b):\n    return 0\n")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the file losses.py was graded, not the pasted code" in page
    app.extensions["autograder.grading_queue"].join()
    assert db.session.query(Submission).one().source == REFERENCE.decode()


def test_deadline_badges_and_late_wording(app, client, factory, login):
    from datetime import timedelta

    from autograder.models._time import utcnow
    from autograder.models.course import LatePolicy

    student = factory.user()
    course = factory.course(students=(student,), assignments=("losses", "optimizers"))
    losses, optimizers = sorted(course.course_assignments, key=lambda ca: ca.assignment.name)
    losses.due_at = utcnow() - timedelta(days=1, hours=2)
    optimizers.due_at = utcnow() - timedelta(days=3)
    optimizers.late_policy, optimizers.cutoff_days = LatePolicy.CUTOFF, 1
    db.session.commit()
    login(student)
    index = client.get("/").get_data(as_text=True)
    assert '<span class="badge overdue">overdue</span>' in index and '<span class="badge closed">closed</span>' in index
    page = client.get(f"/courses/{course.code}/losses").get_data(as_text=True)
    warning = page.split('id="late-warning"')[1].split("</p>")[0]
    assert "passed 1 day ago" in warning and "2 started days late" in warning
    assert "every started 24 hours after the due date is one day" in warning
    closed = client.get(f"/courses/{course.code}/optimizers").get_data(as_text=True)
    assert "Submissions are closed" in closed and 'id="submit-form"' not in closed


def test_starter_kit_readme_names_the_kits_own_file_and_commands(client, factory, login):
    student = factory.user()
    course = factory.course(students=(student,))
    login(student)
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/courses/{course.code}/losses/starter-kit.zip").data))
    readme = archive.read("losses-kit/README.md").decode()
    assert "starter.py" not in readme and "`losses.py` (in this folder)" in readme
    assert "grade . losses.py" in readme and "grade losses losses.py" not in readme
    assert "losses-kit/losses.py" in archive.namelist()

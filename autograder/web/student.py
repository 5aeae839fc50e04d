"""Student pages: assignments, the submission form, live results."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from autograder.grading.assignment import AssignmentError, find_assignment
from autograder.grading import notebook
from autograder.grading.bundle import starter_notebook_name, write_bundle
from autograder.models import Submission
from autograder.models._time import as_utc, utcnow
from autograder.services import courses, submissions
from autograder.services.errors import NotFound, ServiceError
from autograder.services.results import FINISHED, grouped_by_function, submission_json, visible_results
from autograder.services.submissions import CooldownActive, GradingUnavailable
from autograder.web.access import course_studied, submission_for
from autograder.web.forms import JoinCourseForm, SubmitForm
from autograder.web.rendering import highlight_python, render_statement

bp = Blueprint("student", __name__)


@bp.route("/")
@login_required
def index():
    if current_user.is_instructor:
        return redirect(url_for("instructor.index"))
    rows = []
    for course in courses.courses_studied_by(current_user):
        items = []
        for ca in sorted(course.course_assignments, key=lambda ca: (as_utc(ca.due_at) is None, as_utc(ca.due_at) or utcnow(), ca.assignment.name)):
            history = submissions.submissions_of(current_user, ca)
            items.append({"ca": ca, "latest": history[0] if history else None,
                          "best": submissions.best_submission(current_user, ca), "count": len(history)})
        rows.append((course, items))
    return render_template("student/index.html", rows=rows, join_form=JoinCourseForm(), now=utcnow())


@bp.route("/join", methods=["POST"])
@login_required
def join():
    form = JoinCourseForm()
    if form.validate_on_submit():
        try:
            course = courses.join_course(current_user, form.join_code.data)
            flash(f"You joined {course.title}.", "success")
        except ServiceError as error:
            flash(str(error), "error")
    return redirect(url_for("student.index"))


def _course_assignment(code: str, name: str):
    course = course_studied(code)
    try:
        return courses.course_assignment(course, name)
    except NotFound:
        abort(404)


@bp.route("/courses/<code>/<name>", methods=["GET", "POST"])
@login_required
def assignment(code: str, name: str):
    ca = _course_assignment(code, name)
    form = SubmitForm()
    if form.validate_on_submit():
        upload = form.file.data
        if upload and upload.filename:
            filename, data = upload.filename, upload.read()
        else:
            filename, data = ca.assignment.filename, (form.code.data or "").encode("utf-8")
        try:
            submission = submissions.create_submission(current_user, ca, filename, data)
        except CooldownActive as error:
            flash(str(error), "warning")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 429
        except GradingUnavailable as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 503
        except ServiceError as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 400
        return redirect(url_for("student.submission", submission_id=submission.id))
    return render_template("student/assignment.html", **_assignment_context(ca, form))


def _assignment_context(ca, form) -> dict:
    try:
        statement = render_statement(find_assignment(ca.assignment.name).readme)
    except AssignmentError:
        statement = None
    now = utcnow()
    return {
        "ca": ca, "form": form, "statement": statement, "now": now,
        "history": submissions.submissions_of(current_user, ca),
        "lateness": submissions.lateness(ca, now),
        "wait": submissions.seconds_until_next_submission(current_user, ca, now),
    }


@bp.route("/courses/<code>/<name>/starter-kit.zip")
@login_required
def starter_kit(code: str, name: str):
    ca = _course_assignment(code, name)
    try:
        engine_assignment = find_assignment(ca.assignment.name)
    except AssignmentError:
        abort(404)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch:
        kit = Path(scratch) / f"{ca.assignment.name}-kit"
        write_bundle(engine_assignment, kit)
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(kit.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(kit.parent).as_posix())
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{ca.assignment.name}-kit.zip")


@bp.route("/courses/<code>/<name>/starter.ipynb")
@login_required
def starter_notebook(code: str, name: str):
    ca = _course_assignment(code, name)
    try:
        engine_assignment = find_assignment(ca.assignment.name)
    except AssignmentError:
        abort(404)
    notebook_name = starter_notebook_name(engine_assignment)
    text = notebook.starter_notebook(engine_assignment.starter, engine_assignment.title, notebook_name,
                                     engine_assignment.name)
    return send_file(io.BytesIO(text.encode("utf-8")), mimetype="application/x-ipynb+json", as_attachment=True,
                     download_name=notebook_name)


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    found: Submission = submission_for(current_user, submission_id)
    staff = found.user_id != current_user.id
    code = highlight_python(notebook.readable_source(found.filename, found.source))
    results = visible_results(found, for_staff=staff)
    return render_template(
        "student/submission.html", submission=found, staff=staff,
        results=results, groups=grouped_by_function(results), code=code,
        finished=found.status in FINISHED, status_url=url_for("student.submission_status", submission_id=found.id),
    )


@bp.route("/submissions/<int:submission_id>/status.json")
@login_required
def submission_status(submission_id: int):
    found = submission_for(current_user, submission_id)
    response = jsonify(submission_json(found, for_staff=found.user_id != current_user.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/submissions/<int:submission_id>/source")
@login_required
def submission_source(submission_id: int):
    found = submission_for(current_user, submission_id)
    response = Response(found.source, mimetype="text/plain")
    # An attachment with a fixed type: a browser never renders the student's text as a page.
    suffix = ".ipynb" if notebook.is_notebook(found.filename) else ".py"
    response.headers["Content-Disposition"] = f"attachment; filename=submission-{found.id}{suffix}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


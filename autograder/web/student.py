"""Student pages: assignments, the submission form, live results."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from autograder.grading.assignment import AssignmentError, find_assignment
from autograder.grading import notebook
from autograder.grading.kit import starter_notebook_name, write_kit
from autograder.models import Submission
from autograder.models._time import utcnow
from autograder.services import (
    confirmation_rule, courses, deadline_extensions, late_days, source_check, submissions, time_limits,
)
from autograder.services.confirmation_rule import EmailNotConfirmed
from autograder.services.errors import NotFound, ServiceError
from autograder.services.results import FINISHED, grouped_by_function, submission_json, visible_results
from autograder.services.submissions import CooldownActive, GradingUnavailable
from autograder.web.access import course_studied, is_staff_somewhere, submission_for
from autograder.web.response_headers import hint_next_read
from autograder.web.forms import EmptyForm, JoinCourseForm, SubmitForm
from autograder.web.rendering import highlight_python, render_statement
from autograder.web.template_helpers import format_moment

bp = Blueprint("student", __name__)


@bp.route("/")
@login_required
def index():
    if not courses.courses_studied_by(current_user) and is_staff_somewhere(current_user):
        return redirect(url_for("instructor.index"))
    rows = []
    now = utcnow()
    for course in courses.courses_studied_by(current_user):
        items = []
        released = [ca for ca in course.course_assignments if submissions.is_released(ca, now)]
        for ca in sorted(released, key=lambda ca: (ca.due_at is None, ca.due_at or utcnow(), ca.assignment.name)):
            history = submissions.submissions_of(current_user, ca)
            items.append({"ca": ca, "latest": history[0] if history else None,
                          "best": submissions.best_submission(current_user, ca), "count": len(history),
                          "deadline": deadline_state(ca, bool(history), now)})
        rows.append((course, items))
    return render_template("student/index.html", rows=rows, join_form=JoinCourseForm(), now=now)


def _late_plan(ca, now):
    raw = submissions.lateness(ca, now, current_user)
    return late_days.plan(current_user, ca, raw.days, raw.accepted)


def deadline_state(ca, submitted: bool, now) -> str:
    """Return "closed" (no longer accepted), "overdue" (late, nothing submitted yet), "late" (late, still accepted) or ""."""
    late = _late_plan(ca, now)
    if not late.accepted:
        return "closed"
    if late.late_days or late.tokens:
        return "late" if submitted else "overdue"
    return ""


@bp.route("/join", methods=["POST"])
@login_required
def join():
    form = JoinCourseForm()
    if form.validate_on_submit():
        try:
            course = courses.join_course(current_user, form.join_code.data, request.remote_addr or "")
            flash(f"You joined {course.title}.", "success")
        except ServiceError as error:
            flash(str(error), "error")
    return redirect(url_for("student.index"))


def _course_assignment(code: str, name: str):
    course = course_studied(code)
    try:
        found = courses.course_assignment(course, name)
    except NotFound:
        abort(404)
    if not submissions.is_released(found, utcnow()):
        abort(404)  # not released yet: students cannot tell it apart from no assignment
    return found


@bp.route("/courses/<code>/<name>", methods=["GET", "POST"])
@login_required
def assignment(code: str, name: str):
    ca = _course_assignment(code, name)
    form = SubmitForm()
    if form.validate_on_submit():
        upload = form.file.data
        pasted = (form.code.data or "").strip()
        if upload and upload.filename:
            filename, data, source_kind = upload.filename, upload.read(), "file"
        else:
            filename, data, source_kind = ca.assignment.filename, (form.code.data or "").encode("utf-8"), "pasted"
        try:
            # Before anything parses it: the check below parses the code, and the upload may be 41 MiB.
            stored = submissions.read_upload(ca, filename, data)
        except ServiceError as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 400
        text = stored.source
        cooling_down = submissions.seconds_until_next_submission(current_user, ca, utcnow()) > 0
        # A notebook is checked by its code cells, not by its JSON.
        checked = notebook.python_source(stored.filename, text, ca.assignment.filename)
        # Not before a timed assignment's Start: the warning names the graded functions, the task list.
        missing = [] if cooling_down or _before_start(ca) else source_check.unrelated_to(ca.assignment.name, checked)
        if missing and not form.confirm_unrelated.data:
            # Likely the wrong file: say so before it costs a submission (and the cooldown).
            _keep_in_form(form, text)
            return render_template("student/assignment.html", **{**_assignment_context(ca, form),
                                                                  "unrelated": missing}), 200
        try:
            # _course_assignment read that they study the course (course_studied), in this request.
            submission = submissions.create_submission(current_user, ca, filename, data, upload=stored,
                                                       student_checked=True)
        except CooldownActive as error:
            flash(str(error), "warning")
            _keep_in_form(form, text)
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 429
        except GradingUnavailable as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 503
        except EmailNotConfirmed as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 403
        except ServiceError as error:
            flash(str(error), "error")
            return render_template("student/assignment.html", **_assignment_context(ca, form)), 400
        if source_kind == "file" and pasted:
            flash(f"You chose a file and pasted code: the file {submission.filename} was graded, "
                  "not the pasted code.", "info")
        return redirect(url_for("student.submission", submission_id=submission.id))
    return render_template("student/assignment.html", **_assignment_context(ca, form))


def _keep_in_form(form: SubmitForm, text: str) -> None:
    # A browser cannot refill a file input: the file's text goes into the paste box instead.
    if form.file.data and form.file.data.filename and text.strip():
        form.code.data = text
        form.kept_file.data = form.file.data.filename


def _assignment_context(ca, form) -> dict:
    window = time_limits.window_for(current_user, ca)
    try:
        statement = render_statement(find_assignment(ca.assignment.name).readme)
    except AssignmentError:
        statement = None
    if window is not None and window.started_at is None:
        statement = None  # a timed assignment shows its task once the student's time runs
    now = utcnow()
    return {
        "ca": ca, "form": form, "statement": statement, "now": now, "window": window,
        "start_form": EmptyForm(),
        "start_refusal": confirmation_rule.refusal(current_user, confirmation_rule.Action.START),
        "history": submissions.submissions_of(current_user, ca),
        "lateness": submissions.lateness(ca, now, current_user),
        "late_plan": _late_plan(ca, now),
        "extension": deadline_extensions.extension_for(current_user, ca),
        "deadline": deadline_state(ca, bool(submissions.submissions_of(current_user, ca)), now),
        "wait": submissions.seconds_until_next_submission(current_user, ca, now),
        "unrelated": [],
    }


@bp.route("/courses/<code>/<name>/start", methods=["POST"])
@login_required
def start_timer(code: str, name: str):
    ca = _course_assignment(code, name)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        started = time_limits.start(current_user, ca)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        window = time_limits.window_for(current_user, ca)
        ends = window.ends_at if window is not None else None
        flash(f"Started at {format_moment(started.started_at)}: your time ends at {format_moment(ends)}.", "success")
    return redirect(url_for("student.assignment", code=code, name=name))


def _before_start(ca) -> bool:
    """True for a timed assignment the current student has not started: its task stays hidden."""
    window = time_limits.window_for(current_user, ca)
    return window is not None and window.started_at is None


@bp.route("/courses/<code>/<name>/starter-kit.zip")
@login_required
def starter_kit(code: str, name: str):
    ca = _course_assignment(code, name)
    if _before_start(ca):
        abort(403)
    try:
        engine_assignment = find_assignment(ca.assignment.name)
    except AssignmentError:
        abort(404)
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as scratch:
        kit = Path(scratch) / f"{ca.assignment.name}-kit"
        write_kit(engine_assignment, kit)
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
    if _before_start(ca):
        abort(403)
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
    hint_next_read(response, found)  # the page's script waits this long before reading again
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


"""Instructor pages: course dashboards, drill-down, regrades, roster and exports."""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from autograder.extensions import db
from autograder.models import Regrade, User
from autograder.models._time import as_utc, utcnow
from autograder.models.course import LatePolicy
from autograder.services import analytics, courses, exports, mistakes_report, regrades, submissions
from autograder.services.errors import NotFound, ServiceError
from autograder.services.submissions import GradingUnavailable
from autograder.web.access import course_taught, instructor_required, submission_for
from autograder.web.forms import DeadlineForm, EmptyForm, RosterForm
from autograder.grading.notebook import readable_source
from autograder.web.rendering import highlight_python

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.route("/")
@instructor_required
def index():
    taught = courses.courses_taught_by(current_user)
    return render_template("instructor/index.html", courses=taught,
                           counts={c.id: len(courses.students_of(c)) for c in taught})


@bp.route("/courses/<code>")
@instructor_required
def course(code: str):
    found = course_taught(code)
    assignments = sorted(found.course_assignments, key=lambda ca: ca.assignment.name)
    return render_template("instructor/course.html", course=found, assignments=assignments,
                           dashboards=analytics.course_overview(assignments),
                           students=courses.students_of(found), roster_form=RosterForm())


def _course_assignment(code: str, name: str):
    found = course_taught(code)
    try:
        return courses.course_assignment(found, name)
    except NotFound:
        abort(404)


@bp.route("/courses/<code>/<name>", methods=["GET", "POST"])
@instructor_required
def assignment(code: str, name: str):
    ca = _course_assignment(code, name)
    form = DeadlineForm(obj=None)
    if form.validate_on_submit():
        due = form.due_at.data.replace(tzinfo=timezone.utc) if form.due_at.data else None
        try:
            courses.set_deadline(ca, due, LatePolicy(form.late_policy.data),
                                 float(form.penalty_per_day.data or Decimal("0")), form.cutoff_days.data or 0)
            flash("Deadline saved.", "success")
        except ServiceError as error:
            flash(str(error), "error")
        return redirect(url_for("instructor.assignment", code=code, name=name))
    if request.method == "GET":
        due = as_utc(ca.due_at)
        form.due_at.data = due.replace(tzinfo=None) if due else None
        form.late_policy.data = ca.late_policy.value
        form.penalty_per_day.data = Decimal(str(ca.penalty_per_day))
        form.cutoff_days.data = ca.cutoff_days
    dashboard = analytics.assignment_dashboard(ca)
    return render_template("instructor/assignment.html", ca=ca, dashboard=dashboard, deadline_form=form,
                           charts=analytics.chart_data(dashboard), mistakes=mistakes_report.common_mistakes(ca),
                           action_form=EmptyForm(), regrade_runs=regrades.regrades_of(ca)[:5])


@bp.route("/courses/<code>/students/<int:user_id>")
@instructor_required
def student(code: str, user_id: int):
    found = course_taught(code)
    person = db.session.get(User, user_id)
    if person is None or not courses.studies(person, found):
        abort(404)
    history = [(ca, submissions.submissions_of(person, ca))
               for ca in sorted(found.course_assignments, key=lambda ca: ca.assignment.name)]
    return render_template("instructor/student.html", course=found, person=person, history=history)


@bp.route("/submissions/<int:submission_id>")
@instructor_required
def submission(submission_id: int):
    found = submission_for(current_user, submission_id)
    if found.user_id == current_user.id:
        abort(404)
    code = highlight_python(readable_source(found.filename, found.source))
    return render_template("instructor/submission.html", submission=found, code=code,
                           action_form=EmptyForm(), results=found.results)


@bp.route("/submissions/<int:submission_id>.json")
@instructor_required
def submission_export(submission_id: int):
    found = submission_for(current_user, submission_id)
    response = jsonify(exports.submission_export(found))
    response.headers["Content-Disposition"] = f"attachment; filename=submission-{found.id}.json"
    return response


@bp.route("/submissions/<int:submission_id>/regrade", methods=["POST"])
@instructor_required
def regrade_submission(submission_id: int):
    found = submission_for(current_user, submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run_regrade(lambda: regrades.regrade_submission(found, current_user),
                        url_for("instructor.submission", submission_id=found.id))


@bp.route("/courses/<code>/<name>/regrade", methods=["POST"])
@instructor_required
def regrade_assignment(code: str, name: str):
    ca = _course_assignment(code, name)
    if not EmptyForm().validate_on_submit():
        abort(400)
    only_outdated = request.form.get("scope") == "outdated"
    return _run_regrade(lambda: regrades.regrade_assignment(ca, current_user, only_outdated=only_outdated),
                        url_for("instructor.assignment", code=code, name=name))


def _run_regrade(start, back: str):
    try:
        run = start()
    except GradingUnavailable as error:
        flash(str(error), "error")
        return redirect(back)
    except ServiceError as error:
        flash(str(error), "warning")
        return redirect(back)
    flash(f"Regrading {len(run.entries)} submission(s).", "success")
    return redirect(url_for("instructor.regrade", regrade_id=run.id))


@bp.route("/regrades/<int:regrade_id>")
@instructor_required
def regrade(regrade_id: int):
    run = db.session.get(Regrade, regrade_id)
    if run is None or not courses.teaches(current_user, run.course_assignment.course):
        abort(404)
    report = regrades.regrade_report(run)
    return render_template("instructor/regrade.html", run=run, report=report,
                           pending=report.count("pending") > 0)


@bp.route("/courses/<code>/roster", methods=["POST"])
@instructor_required
def import_roster(code: str):
    found = course_taught(code)
    form = RosterForm()
    if not form.validate_on_submit() or not form.roster.data:
        flash("Choose a CSV file with one student per line: email, name, password (optional).", "error")
        return redirect(url_for("instructor.course", code=code))
    try:
        text = form.roster.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("The roster must be a UTF-8 CSV file.", "error")
        return redirect(url_for("instructor.course", code=code))
    result = courses.import_roster(found, text)
    return render_template("instructor/roster_result.html", course=found, result=result)


@bp.route("/courses/<code>/gradebook.csv")
@instructor_required
def gradebook(code: str):
    found = course_taught(code)
    stamp = utcnow().strftime("%Y%m%d")
    return Response(exports.gradebook_csv(found), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={found.code}-gradebook-{stamp}.csv"})


@bp.route("/courses/<code>/<name>/dashboard.json")
@instructor_required
def dashboard_data(code: str, name: str):
    ca = _course_assignment(code, name)
    return jsonify(analytics.chart_data(analytics.assignment_dashboard(ca)))

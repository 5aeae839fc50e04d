"""Instructor pages: course dashboards, drill-down, regrades, roster and exports."""

from __future__ import annotations

from datetime import timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from autograder.extensions import db
from autograder.models import Regrade, Role, User
from autograder.models._time import utcnow
from autograder.models.course import CountedSubmission, HiddenResults, LatePolicy
from autograder.services import (
    analytics, catalog, courses, deadline_extensions, exports, mail_budget, mailer, mistakes_report, overrides, password_links, regrades,
    staff_lists, submissions, time_limits,
)
from autograder.services.errors import ServiceError
from autograder.services.submissions import GradingUnavailable
from autograder.web.access import (
    course_assignment_taught, course_managed, course_taught, instructor_required, submission_graded_by,
)
from autograder.web.forms import (
    AccommodationForm, AddMemberForm, CourseSettingsForm, DeadlineForm, EmptyForm, ExtensionForm, NewCourseForm, OverrideForm, RosterForm,
)
from autograder.grading.notebook import readable_source
from autograder.web.listing import listing_from_request
from autograder.web.public_links import public_url
from autograder.web.rendering import highlight_python

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.route("/")
@instructor_required
def index():
    taught = courses.courses_taught_by(current_user)
    return render_template("instructor/index.html", courses=taught,
                           counts={c.id: courses.count_students(c) for c in taught})


@bp.route("/courses/<code>")
@instructor_required
def course(code: str):
    found = course_taught(code)
    assignments = sorted(found.course_assignments, key=lambda ca: ca.assignment.name)
    people = listing_from_request(courses.MEMBER_SORTS, {"role": ("any", "student", "ta", "instructor")},
                                  anchor="people")
    role = None if people.filters["role"] == "any" else Role(people.filters["role"])
    members, total = courses.members_page(found, people.q, role, people.sort, people.offset, people.per_page)
    if not members and people.clamp(total).total:  # asked past the last page: show the last one
        members, _ = courses.members_page(found, people.q, role, people.sort, people.offset, people.per_page)
    people.clamp(total)
    return render_template("instructor/course.html", course=found, assignments=assignments,
                           dashboards=analytics.course_summaries(assignments),
                           student_count=courses.count_students(found), members=members, people=people,
                           manages=courses.manages(current_user, found), roster_form=RosterForm(),
                           member_form=AddMemberForm(), action_form=EmptyForm(),
                           settings_form=CourseSettingsForm(title=found.title, time_zone=found.time_zone,
                                                            late_day_tokens=found.late_day_tokens),
                           available=catalog.available_assignments(),
                           reset_targets=password_links.reset_targets(current_user, found, members))


@bp.route("/courses/<code>/people", methods=["POST"])
@instructor_required
def add_member(code: str):
    found = course_managed(code)
    form = AddMemberForm()
    if not form.validate_on_submit():
        flash("Give the person's e-mail address and a role.", "error")
        return redirect(url_for("instructor.course", code=code) + "#people")
    try:
        person, created = courses.add_member(found, form.email.data, Role(form.role.data), form.name.data or "")
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("instructor.course", code=code) + "#people")
    role_name = {"ta": "TA"}.get(form.role.data, form.role.data)
    if created:
        link = _deliver_link(person, password_links.LinkPurpose.INVITATION, found)
        return render_template("instructor/links.html", course=found, links=[link],
                               heading=f"{person.email} added as {role_name}")
    flash(f"{person.email} is now {role_name} in {found.code}.", "success")
    if person.password_hash and not person.email_confirmed:
        flash(f"The address of {person.email} is not confirmed: whoever registered the account has not proven they "
              "read it, so it may not be that person. "
              + ("They cannot join courses, submit or make an API token until they open the link mailed to it."
                 if mailer.mail_configured() else
                 "This site sends no e-mail: a password link that reaches them confirms it."), "warning")
    return redirect(url_for("instructor.course", code=code) + "#people")


@bp.route("/courses/<code>/people/<int:user_id>/reset-link", methods=["POST"])
@instructor_required
def reset_link(code: str, user_id: int):
    found = course_managed(code)
    person = db.session.get(User, user_id)
    if person is None or not EmptyForm().validate_on_submit():
        abort(404 if person is None else 400)
    refusal = password_links.reset_refusal(current_user, person, found)
    if refusal is not None:  # the reason, not the generic 403 page: the instructor needs to know what to do
        return render_template("errors/error.html", status=403, message=refusal), 403
    link = _deliver_link(person, password_links.LinkPurpose.RESET, found)
    return render_template("instructor/links.html", course=found, links=[link],
                           heading=f"Password reset link for {person.email}")


def _deliver_link(person: User, purpose, course) -> dict:
    """Make a one-time password link for ``person`` and e-mail it where SMTP is configured."""
    url = public_url("auth.set_password", token=password_links.make_token(person, purpose, made_by=current_user))
    if purpose == password_links.LinkPurpose.INVITATION:
        subject = f"Your account for {course.title} on the autograder"
        body = (f"Hello{(' ' + person.name) if person.name else ''},\n\nYou are invited to {course.title} ({course.code}) "
                f"on the autograder. Choose your password here (the link works once, for 14 days):\n\n{url}\n\n"
                f"Your sign-in is {person.email}.\n")
    else:
        subject = "Your autograder password reset link"
        body = (f"Hello{(' ' + person.name) if person.name else ''},\n\nAn instructor of {course.title} made this link "
                f"for you to choose a new password (it works once, for 24 hours):\n\n{url}\n\n"
                "If you did not ask for it, you can ignore this message.\n")
    mail = mailer.Mail(person.email, subject, body)
    # The person's inbox budget is shared with every flow that mails it: past it the link is only shown.
    held = mailer.mail_configured() and not mail_budget.allows(mail)
    emailed = not held and mailer.send_mail(mail.to, mail.subject, mail.body)
    return {"email": person.email, "url": url, "emailed": emailed, "purpose": purpose.value,
            "held": mail_budget.per_inbox_text() if held else ""}



@bp.route("/courses/<code>/<name>", methods=["GET", "POST"])
@instructor_required
def assignment(code: str, name: str):
    ca = course_assignment_taught(code, name)
    form = DeadlineForm(obj=None)
    if request.method == "POST" and not courses.manages(current_user, ca.course):
        abort(403)  # TAs see and grade; only instructors change the settings
    if form.validate_on_submit():
        due = _from_local(form.due_at.data, ca.course)
        try:
            courses.set_deadline(ca, due, LatePolicy(form.late_policy.data),
                                 float(form.penalty_per_day.data or Decimal("0")), form.cutoff_days.data or 0,
                                 CountedSubmission(form.counts.data or "best"),
                                 _from_local(form.release_at.data, ca.course),
                                 HiddenResults(form.hidden_results.data or "never"))
            time_limits.set_time_limit(ca, form.time_limit_minutes.data)
            flash("Deadline saved.", "success")
        except ServiceError as error:
            flash(str(error), "error")
        return redirect(url_for("instructor.assignment", code=code, name=name))
    if request.method == "GET":
        form.due_at.data = _local(ca.due_at, ca.course)
        form.counts.data = ca.counts.value
        form.release_at.data = _local(ca.release_at, ca.course)
        form.hidden_results.data = ca.hidden_results.value
        form.late_policy.data = ca.late_policy.value
        form.penalty_per_day.data = Decimal(str(ca.penalty_per_day))
        form.cutoff_days.data = ca.cutoff_days
        form.time_limit_minutes.data = ca.time_limit_minutes
    dashboard = analytics.assignment_dashboard(ca)
    table = listing_from_request(staff_lists.STUDENT_SORTS, {"show": staff_lists.STUDENT_FILTERS}, anchor="students")
    shown = staff_lists.students_table(dashboard.students, table.q, table.filters["show"], table.sort)
    table.clamp(len(shown))
    return render_template("instructor/assignment.html", ca=ca, dashboard=dashboard, deadline_form=form,
                           table=table, shown=shown[table.offset:table.offset + table.per_page],
                           manages=courses.manages(current_user, ca.course),
                           charts=analytics.chart_data(dashboard), mistakes=mistakes_report.common_mistakes(ca),
                           action_form=EmptyForm(), regrade_runs=regrades.regrades_of(ca, limit=5))


@bp.route("/courses/<code>/students/<int:user_id>")
@instructor_required
def student(code: str, user_id: int):
    found = course_taught(code)
    person = _student_of(found, user_id)
    rows = []
    for ca in sorted(found.course_assignments, key=lambda ca: ca.assignment.name):
        standing = next(iter(analytics.assignment_dashboard(ca, with_rates=False, only=person).students), None)
        extension = deadline_extensions.extension_for(person, ca)
        extension_form = ExtensionForm(prefix=f"ext{ca.id}")
        extension_form.due_at.data = _local(extension.due_at, found) if extension else None
        extension_form.reason.data = extension.reason if extension else ""
        accommodation = time_limits.accommodation_for(person, ca)
        accommodation_form = AccommodationForm(prefix=f"acc{ca.id}")
        if accommodation is not None:
            accommodation_form.factor.data = Decimal(str(accommodation.factor))
            accommodation_form.extra_minutes.data = accommodation.extra_minutes
            accommodation_form.reason.data = accommodation.reason
        rows.append({"ca": ca, "submissions": submissions.submissions_of(person, ca), "standing": standing,
                     "overrides": overrides.history(person, ca), "extension": extension,
                     "override_form": OverrideForm(prefix=f"ovr{ca.id}"), "extension_form": extension_form,
                     "window": time_limits.window_for(person, ca),
                     "accommodations": time_limits.accommodation_history(person, ca),
                     "accommodation_form": accommodation_form})
    return render_template("instructor/student.html", course=found, person=person, rows=rows,
                           manages=courses.manages(current_user, found), action_form=EmptyForm())


def _student_of(course, user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not courses.studies(person, course):
        abort(404)
    return person


def _local(moment, course):
    """Return a UTC moment as naive local time of the course (what a datetime-local field shows)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(course.time_zone)).replace(tzinfo=None)


def _from_local(naive, course):
    """Return a naive local time of the course (a datetime-local field's value) as aware UTC."""
    if naive is None:
        return None
    return naive.replace(tzinfo=ZoneInfo(course.time_zone)).astimezone(timezone.utc)


@bp.route("/courses/<code>/students/<int:user_id>/<name>/override", methods=["POST"])
@instructor_required
def override_score(code: str, user_id: int, name: str):
    ca = course_assignment_taught(code, name)
    person = _student_of(ca.course, user_id)
    form = OverrideForm(prefix=f"ovr{ca.id}")
    back = url_for("instructor.student", code=code, user_id=user_id) + f"#assignment-{ca.assignment.name}"
    if not form.validate_on_submit():
        flash("Give a score (or tick 'lift') and say why in the comment.", "error")
        return redirect(back)
    standing = next(iter(analytics.assignment_dashboard(ca, with_rates=False, only=person).students), None)
    graded = None
    if standing is not None:
        graded = standing.latest if ca.counts.value == "last" else standing.best
    score = None if form.lift.data else (float(form.score.data) if form.score.data is not None else None)
    if score is None and not form.lift.data:
        flash("Give a score, or tick 'lift the override'.", "error")
        return redirect(back)
    try:
        overrides.set_override(current_user, person, ca, score, form.comment.data, graded)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash("Override lifted." if score is None else f"Score set to {score:g} for {ca.assignment.name}.", "success")
    return redirect(back)


@bp.route("/courses/<code>/students/<int:user_id>/<name>/extension", methods=["POST"])
@instructor_required
def grant_extension(code: str, user_id: int, name: str):
    found = course_managed(code)
    ca = course_assignment_taught(code, name)
    person = _student_of(found, user_id)
    form = ExtensionForm(prefix=f"ext{ca.id}")
    back = url_for("instructor.student", code=code, user_id=user_id) + f"#assignment-{ca.assignment.name}"
    if not form.validate_on_submit():
        flash("Give the extended due date as date and time.", "error")
        return redirect(back)
    try:
        deadline_extensions.grant(current_user, person, ca, _from_local(form.due_at.data, found), form.reason.data or "")
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash("Extension saved." if form.due_at.data else "Extension removed.", "success")
    return redirect(back)


@bp.route("/courses/<code>/students/<int:user_id>/<name>/accommodation", methods=["POST"])
@instructor_required
def set_accommodation(code: str, user_id: int, name: str):
    found = course_managed(code)  # like extensions: instructors only (TAs get 403)
    ca = course_assignment_taught(code, name)
    person = _student_of(found, user_id)
    form = AccommodationForm(prefix=f"acc{ca.id}")
    back = url_for("instructor.student", code=code, user_id=user_id) + f"#assignment-{ca.assignment.name}"
    if not form.validate_on_submit():
        flash("Give a time factor between 1 and 5 and extra minutes between 0 and 1440.", "error")
        return redirect(back)
    try:
        row = time_limits.set_accommodation(current_user, person, ca, float(form.factor.data),
                                            form.extra_minutes.data or 0, form.reason.data or "")
    except ServiceError as error:
        flash(str(error), "error")
    else:
        lifted = row.factor == 1 and not row.extra_minutes
        flash("Accommodation lifted." if lifted else "Accommodation saved.", "success")
    return redirect(back)


@bp.route("/courses/<code>/students/<int:user_id>/<name>/regrade", methods=["POST"])
@instructor_required
def regrade_student(code: str, user_id: int, name: str):
    ca = course_assignment_taught(code, name)
    person = _student_of(ca.course, user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run_regrade(lambda: regrades.regrade_student(ca, person, current_user),
                        url_for("instructor.student", code=code, user_id=user_id))


@bp.route("/courses/<code>/settings", methods=["POST"])
@instructor_required
def course_settings(code: str):
    found = course_managed(code)
    form = CourseSettingsForm()
    if form.validate_on_submit():
        try:
            courses.update_course(found, form.title.data, form.time_zone.data, form.late_day_tokens.data)
            kept = courses.set_assignments(found, request.form.getlist("assignments"))
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash("Course settings saved.", "success")
            if kept:
                flash(f"Kept {', '.join(kept)}: students have submitted to it.", "warning")
    else:
        flash("Give the course a title and a time zone.", "error")
    return redirect(url_for("instructor.course", code=code) + "#settings")


@bp.route("/courses/new", methods=["GET", "POST"])
@instructor_required
def new_course():
    if not current_user.is_instructor:
        abort(403)  # TAs of a course do not create courses
    form = NewCourseForm()
    if request.method == "GET":
        form.time_zone.data = "UTC"
    available = catalog.available_assignments()
    if form.validate_on_submit():
        try:
            created = courses.create_course(form.code.data, form.title.data,
                                            assignment_names=request.form.getlist("assignments"),
                                            time_zone=form.time_zone.data, instructor=current_user)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(f"Course {created.code} created. Students join with the code {created.join_code}.", "success")
            return redirect(url_for("instructor.course", code=created.code))
    return render_template("instructor/new_course.html", form=form, available=available,
                           chosen=set(request.form.getlist("assignments")))


@bp.route("/courses/<code>/gradebook-canvas.csv")
@instructor_required
def gradebook_canvas(code: str):
    found = course_taught(code)
    stamp = utcnow().strftime("%Y%m%d")
    return Response(exports.canvas_gradebook_csv(found), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={found.code}-canvas-{stamp}.csv"})


@bp.route("/courses/<code>/<name>/submissions.zip")
@instructor_required
def submissions_zip(code: str, name: str):
    ca = course_assignment_taught(code, name)
    every = request.args.get("every") == "1"
    data = exports.submissions_zip(ca, every=every)
    which = "all" if every else "latest"
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f"attachment; filename={code}-{name}-{which}-submissions.zip"})


@bp.route("/submissions/<int:submission_id>")
@instructor_required
def submission(submission_id: int):
    found = submission_graded_by(current_user, submission_id)
    code = highlight_python(readable_source(found.filename, found.source))
    return render_template("instructor/submission.html", submission=found, code=code,
                           action_form=EmptyForm(), results=found.results)


@bp.route("/submissions/<int:submission_id>.json")
@instructor_required
def submission_export(submission_id: int):
    found = submission_graded_by(current_user, submission_id)
    response = jsonify(exports.submission_export(found))
    response.headers["Content-Disposition"] = f"attachment; filename=submission-{found.id}.json"
    return response


@bp.route("/submissions/<int:submission_id>/regrade", methods=["POST"])
@instructor_required
def regrade_submission(submission_id: int):
    found = submission_graded_by(current_user, submission_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    return _run_regrade(lambda: regrades.regrade_submission(found, current_user),
                        url_for("instructor.submission", submission_id=found.id))


@bp.route("/courses/<code>/<name>/regrade", methods=["POST"])
@instructor_required
def regrade_assignment(code: str, name: str):
    ca = course_assignment_taught(code, name)
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
    g.course_time_zone = run.course_assignment.course.time_zone
    table = listing_from_request(("submission",), {"show": regrades.MOVE_KINDS})
    counts, lines, total = regrades.regrade_report_page(run, table.filters["show"], table.offset, table.per_page)
    if not lines and table.clamp(total).total:  # asked past the last page: show the last one
        counts, lines, total = regrades.regrade_report_page(run, table.filters["show"], table.offset, table.per_page)
    table.clamp(total)
    return render_template("instructor/regrade.html", run=run, counts=counts, lines=lines, table=table,
                           pending=counts["pending"] > 0)


@bp.route("/courses/<code>/roster", methods=["POST"])
@instructor_required
def import_roster(code: str):
    found = course_managed(code)
    form = RosterForm()
    if not form.validate_on_submit() or not form.roster.data:
        flash("Choose a CSV file with one student per line: email, name, password (optional).", "error")
        return redirect(url_for("instructor.course", code=code))
    try:
        text = form.roster.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        flash("The roster must be a UTF-8 CSV file.", "error")
        return redirect(url_for("instructor.course", code=code))
    try:
        result = courses.import_roster(found, text)
    except courses.CourseError as error:
        flash(str(error), "error")
        return redirect(url_for("instructor.course", code=code))
    links = [_deliver_link(person, password_links.LinkPurpose.INVITATION, found) for person in result.invited]
    return render_template("instructor/roster_result.html", course=found, result=result, links=links,
                           mail=mailer.mail_configured())


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
    ca = course_assignment_taught(code, name)
    return jsonify(analytics.chart_data(analytics.assignment_dashboard(ca)))


@bp.route("/courses/<code>/gradebook")
@instructor_required
def gradebook_page(code: str):
    found = course_taught(code)
    course_assignments, rows = staff_lists.gradebook(found)
    table = listing_from_request(staff_lists.GRADEBOOK_SORTS)
    shown = staff_lists.gradebook_table(rows, table.q, table.sort)
    table.clamp(len(shown))
    return render_template("instructor/gradebook.html", course=found, course_assignments=course_assignments,
                           rows=shown[table.offset:table.offset + table.per_page], table=table,
                           max_total=sum(ca.assignment.max_score for ca in course_assignments))


@bp.route("/courses/<code>/gradebook.json")
@instructor_required
def gradebook_data(code: str):
    found = course_taught(code)
    response = jsonify(exports.gradebook_json(found))
    response.headers["Content-Disposition"] = f"attachment; filename={found.code}-gradebook-{utcnow():%Y%m%d}.json"
    return response


@bp.route("/courses/<code>/<name>/submissions")
@instructor_required
def submissions_list(code: str, name: str):
    ca = course_assignment_taught(code, name)
    table = listing_from_request(staff_lists.SUBMISSION_SORTS, {"status": staff_lists.SUBMISSION_STATUSES,
                                                                "flag": staff_lists.SUBMISSION_FLAGS})
    lines, total = staff_lists.submissions_page(ca, table.q, table.filters["status"], table.filters["flag"],
                                                table.sort, table.offset, table.per_page)
    if not lines and table.clamp(total).total:  # asked past the last page: show the last one
        lines, _ = staff_lists.submissions_page(ca, table.q, table.filters["status"], table.filters["flag"],
                                                table.sort, table.offset, table.per_page)
    table.clamp(total)
    return render_template("instructor/submissions.html", ca=ca, lines=lines, table=table)

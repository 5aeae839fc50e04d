"""Figures for the instructor dashboards, computed from submissions and check results."""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from autograder.extensions import db
from autograder.models import (
    CheckResult, CountedSubmission, CourseAssignment, Enrollment, Role, Submission, SubmissionStatus, User,
)
from autograder.models.user import unconfirmed_address
from autograder.services import deadline_extensions, overrides

HISTOGRAM_BINS = 10
TOP_FAILURES = 8


@dataclass
class StudentRow:
    """One student's standing on an assignment."""

    user: User
    best: float | None = None
    latest: float | None = None
    latest_id: int | None = None
    submissions: int = 0
    late: int = 0
    # What the gradebook counts: a manual override if one is in force, else best or last per the setting.
    counted: float | None = None
    overridden: bool = False
    extended_due: object = None  # the student's own due date, if they have an extension


@dataclass
class PassRate:
    """How many of the graded students pass a function or a check."""

    label: str
    passed: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.passed / self.total if self.total else 0.0


@dataclass
class Dashboard:
    """Everything the assignment dashboard shows."""

    course_assignment: CourseAssignment
    max_score: float
    students: list[StudentRow]
    histogram_labels: list[str] = field(default_factory=list)
    histogram_counts: list[int] = field(default_factory=list)
    function_pass_rates: list[PassRate] = field(default_factory=list)
    check_pass_rates: list[PassRate] = field(default_factory=list)
    frequent_failures: list[tuple[str, str, int]] = field(default_factory=list)
    # Gradient checks against the student's own forward are worth 0 points: reported apart.
    diagnostic_pass_rates: list[PassRate] = field(default_factory=list)
    frequent_diagnostic_failures: list[tuple[str, str, int]] = field(default_factory=list)
    submissions_per_day: list[tuple[str, int]] = field(default_factory=list)
    total_submissions: int = 0
    queued: int = 0
    outdated: int = 0

    @property
    def graded_students(self) -> int:
        return sum(1 for row in self.students if row.best is not None)

    @property
    def mean_best(self) -> float | None:
        scores = [row.best for row in self.students if row.best is not None]
        return sum(scores) / len(scores) if scores else None


_NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")


@functools.lru_cache(maxsize=8192)
def failure_key(output: str, function: str = "") -> str:
    """Return the line saying what went wrong, numbers blanked, so equal mistakes group together.

    The engine's messages open with the call that failed (``mse(y_pred: (2, 3), ...)``); the
    reason is the next line.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    if len(lines) > 1 and function and lines[0].startswith(function + "("):
        lines = lines[1:]
    first_line = lines[0] if lines else "(no message)"
    return _NUMBER.sub("#", first_line)[:160]


def histogram(scores: list[float], max_score: float, bins: int = HISTOGRAM_BINS) -> tuple[list[str], list[int]]:
    """Return labels and counts of ``scores`` over ``bins`` equal bins of [0, max_score]."""
    top = max_score if max_score > 0 else 1.0
    width = top / bins
    counts = [0] * bins
    for score in scores:
        counts[min(bins - 1, max(0, int(score / width)))] += 1
    labels = [f"{i * width:g}–{(i + 1) * width:g}" for i in range(bins)]
    return labels, counts


def assignment_dashboard(course_assignment: CourseAssignment, with_rates: bool = True,
                         only: User | None = None) -> Dashboard:
    """Compute the dashboard of one assignment in one course.

    Pass rates and failure messages use each student's latest graded submission (where the
    class stands now); the histogram uses each student's best final score. Without
    ``with_rates`` only the standings are computed (gradebooks: no check result, no totals or
    submissions per day); with ``only``, the
    figures are that one student's (their drill-down page).

    Everything is aggregated in SQL: a class of 1,000 with 20,000 submissions sends back a few
    thousand rows, not every submission and check result ever stored.
    """
    mine = [Submission.course_assignment_id == course_assignment.id,
            *([Submission.user_id == only.id] if only is not None else [])]
    if only is not None:
        students = [only]
    else:
        students = list(db.session.execute(
            select(User.id, User.email, User.name, unconfirmed_address())
            .join(Enrollment, Enrollment.user_id == User.id)
            .where(Enrollment.course_id == course_assignment.course_id, Enrollment.role == Role.STUDENT)
            .order_by(User.email)))
    rows = {user.id: StudentRow(user) for user in students}
    dashboard = Dashboard(course_assignment, course_assignment.assignment.max_score, [])
    version = course_assignment.assignment.version
    for user_id, count, late, best, latest_id, latest in db.session.execute(_standings(course_assignment.id, mine)):
        row = rows.get(user_id)
        if row is not None:  # None: a student who has since left the course
            row.submissions, row.late, row.best = count, int(late or 0), best
            if latest_id is not None:  # rows come by id: on equal times the last (highest id) wins
                row.latest, row.latest_id = latest, latest_id
    counts_last = course_assignment.counts == CountedSubmission.LAST
    in_force = overrides.in_force(course_assignment)
    extended = deadline_extensions.extensions_of(course_assignment)
    for row in rows.values():
        row.counted = row.latest if counts_last else row.best
        if row.user.id in in_force:
            row.counted, row.overridden = in_force[row.user.id].score, True
        if row.user.id in extended:
            row.extended_due = extended[row.user.id].due_at
    dashboard.students = list(rows.values())
    dashboard.histogram_labels, dashboard.histogram_counts = histogram(
        [row.best for row in rows.values() if row.best is not None], dashboard.max_score)
    if with_rates:
        # Current students only; their ids are bound rather than recomputed by each query below.
        _pass_rates(dashboard, [row.latest_id for row in rows.values() if row.latest_id is not None])
        # Submissions per day, and the totals as their sums (one pass over the submissions).
        day = _utc_day(Submission.created_at)
        busy = Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING])
        for when, count, queued, outdated in db.session.execute(
                select(day, func.count(), func.sum(case((busy, 1), else_=0)),
                       func.sum(case((Submission.assignment_version != version, 1), else_=0)))
                .where(*mine).group_by(day).order_by(day)):
            dashboard.submissions_per_day.append((str(when), count))
            dashboard.total_submissions += count
            dashboard.queued += int(queued or 0)
            dashboard.outdated += int(outdated or 0)
    return dashboard


def _standings(course_assignment_id: int, conditions: list):
    """Return the query of each student's submissions count, late ones, best final score, and latest graded one.

    One pass over the submissions grouped by student (from the covering index), then each
    student's latest graded submission found by its time (index seeks, no sort of every row).
    Rows: user_id, count, late, best, latest id, latest final score (None when nothing is graded).
    """
    graded = (Submission.status == SubmissionStatus.DONE) & Submission.final_score.is_not(None)
    per_student = (select(Submission.user_id.label("user_id"), func.count().label("count"),
                          func.sum(case((Submission.late_days > 0, 1), else_=0)).label("late"),
                          func.max(case((graded, Submission.final_score))).label("best"),
                          func.max(case((graded, Submission.created_at))).label("latest_at"))
                   .where(*conditions).group_by(Submission.user_id).subquery())
    latest = aliased(Submission)
    return (select(per_student.c.user_id, per_student.c.count, per_student.c.late, per_student.c.best,
                   latest.id, latest.final_score)
            .outerjoin(latest, and_(latest.course_assignment_id == course_assignment_id,
                                    latest.user_id == per_student.c.user_id,
                                    latest.created_at == per_student.c.latest_at,
                                    latest.status == SubmissionStatus.DONE, latest.final_score.is_not(None)))
            .order_by(per_student.c.user_id, latest.id))


def _utc_day(column):
    """Return the SQL calendar day (UTC) of a timestamp column, as a 'YYYY-MM-DD' string."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.date(column)  # SQLite stores UTC timestamps as text


def is_diagnostic(result) -> bool:
    """Tell whether a check result is a 0-point diagnostic (a gradient check against the student's forward)."""
    return not result.max_score


def _pass_rates(dashboard: Dashboard, submission_ids: list[int]) -> None:
    """Fill the pass rates and frequent failures from the check results of these submissions."""
    if not submission_ids:
        return
    passed = case((CheckResult.status == "passed", 1), else_=0)
    diagnostic = case((func.coalesce(CheckResult.max_score, 0) == 0, 1), else_=0)
    of_latest = CheckResult.submission_id.in_(submission_ids)
    # Per check (and whether it is a 0-point diagnostic), in the order the grader runs them.
    for name, is_diag, passing, total in db.session.execute(
            select(CheckResult.name, diagnostic, func.sum(passed), func.count()).where(of_latest)
            .group_by(CheckResult.name, diagnostic).order_by(func.min(CheckResult.position), CheckResult.name)):
        (dashboard.diagnostic_pass_rates if is_diag else dashboard.check_pass_rates).append(
            PassRate(name, int(passing), total))
    # Failed results only, equal outputs grouped in SQL (grouping the passed ones' long outputs
    # too costs more than a second query); failure_key then merges those that differ only in numbers.
    failures: Counter[tuple[str, str]] = Counter()
    diagnostic_failures: Counter[tuple[str, str]] = Counter()
    for name, function, is_diag, output, mistake, count in db.session.execute(
            select(CheckResult.name, CheckResult.function, diagnostic, CheckResult.output, CheckResult.mistake,
                   func.count())
            .where(of_latest, CheckResult.status != "passed")
            .group_by(CheckResult.name, CheckResult.function, diagnostic, CheckResult.output, CheckResult.mistake)):
        message = mistake or failure_key(output, function)
        (diagnostic_failures if is_diag else failures)[(name, message)] += count
    # A function passes for a student when every scored check of it passed; a failed diagnostic
    # costs nothing, so it must not make a full-marks function look failed.
    per_function = (select(CheckResult.function, func.min(passed).label("passed"),
                           func.min(CheckResult.position).label("position"))
                    .where(of_latest, diagnostic == 0)
                    .group_by(CheckResult.submission_id, CheckResult.function).subquery())
    dashboard.function_pass_rates = [
        PassRate(function, int(passing), total) for function, passing, total in db.session.execute(
            select(per_function.c.function, func.sum(per_function.c.passed), func.count())
            .group_by(per_function.c.function).order_by(func.min(per_function.c.position), per_function.c.function))]
    dashboard.frequent_failures = [(check, message, count)
                                   for (check, message), count in failures.most_common(TOP_FAILURES)]
    dashboard.frequent_diagnostic_failures = [(check, message, count)
                                              for (check, message), count in diagnostic_failures.most_common(TOP_FAILURES)]


def course_overview(course_assignments: list[CourseAssignment]) -> dict[int, Dashboard]:
    """Return the dashboard of each assignment of a course, keyed by CourseAssignment id."""
    return {ca.id: assignment_dashboard(ca) for ca in course_assignments}


def chart_data(dashboard: Dashboard) -> dict:
    """Return the dashboard's chart series as plain JSON-able data."""
    def rates(items: list[PassRate]) -> list[dict]:
        return [{"label": r.label, "percent": r.percent, "passed": r.passed, "total": r.total} for r in items]

    return {
        "histogram": {"labels": dashboard.histogram_labels, "counts": dashboard.histogram_counts},
        "functions": rates(dashboard.function_pass_rates),
        "checks": rates(dashboard.check_pass_rates),
        "diagnostics": rates(dashboard.diagnostic_pass_rates),
        "per_day": {"labels": [day for day, _ in dashboard.submissions_per_day],
                    "counts": [count for _, count in dashboard.submissions_per_day]},
    }


@dataclass
class AssignmentSummary:
    """The course page's line for one assignment (the same figures as its dashboard's header)."""

    graded_students: int = 0
    mean_best: float | None = None
    total_submissions: int = 0
    queued: int = 0
    outdated: int = 0


def course_summaries(course_assignments: list[CourseAssignment]) -> dict[int, AssignmentSummary]:
    """Return each assignment's summary keyed by CourseAssignment id, aggregated in SQL (a few queries in all)."""
    from sqlalchemy import case, func

    from autograder.models import CatalogAssignment, Enrollment, Role

    summaries = {ca.id: AssignmentSummary() for ca in course_assignments}
    if not course_assignments:
        return summaries
    ids = list(summaries)
    course_id = course_assignments[0].course_id
    busy = Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING])
    totals = (select(Submission.course_assignment_id, func.count(),
                     func.sum(case((busy, 1), else_=0)),
                     func.sum(case((Submission.assignment_version != CatalogAssignment.version, 1), else_=0)))
              .join(CourseAssignment, Submission.course_assignment_id == CourseAssignment.id)
              .join(CatalogAssignment, CourseAssignment.assignment_id == CatalogAssignment.id)
              .where(Submission.course_assignment_id.in_(ids)).group_by(Submission.course_assignment_id))
    for ca_id, count, queued, outdated in db.session.execute(totals):
        summary = summaries[ca_id]
        summary.total_submissions, summary.queued, summary.outdated = count, int(queued or 0), int(outdated or 0)
    students = select(Enrollment.user_id).where(Enrollment.course_id == course_id, Enrollment.role == Role.STUDENT)
    best = (select(Submission.course_assignment_id.label("ca_id"), func.max(Submission.final_score).label("best"))
            .where(Submission.course_assignment_id.in_(ids), Submission.status == SubmissionStatus.DONE,
                   Submission.final_score.is_not(None), Submission.user_id.in_(students))
            .group_by(Submission.course_assignment_id, Submission.user_id).subquery())
    for ca_id, graded, mean in db.session.execute(
            select(best.c.ca_id, func.count(), func.avg(best.c.best)).group_by(best.c.ca_id)):
        summaries[ca_id].graded_students, summaries[ca_id].mean_best = graded, float(mean)
    return summaries

"""Figures for the instructor dashboards, computed from submissions and check results."""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from autograder.extensions import db
from autograder.models import CheckResult, CountedSubmission, CourseAssignment, Submission, SubmissionStatus, User
from autograder.services import extensions, overrides
from autograder.models._time import as_utc
from autograder.services.courses import students_of

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
    ``with_rates`` no check result is read (the standings alone: gradebooks); with ``only``, the
    figures are that one student's (their drill-down page).
    """
    students = [only] if only is not None else students_of(course_assignment.course)
    rows = {user.id: StudentRow(user) for user in students}
    # Plain columns, not ORM rows, and check results only for the submissions the rates use:
    # a class of 1,000 with 20,000 submissions would otherwise load every result ever stored.
    submissions = db.session.execute(
        select(Submission.id, Submission.user_id, Submission.status, Submission.final_score, Submission.created_at,
               Submission.late_days, Submission.assignment_version)
        .where(Submission.course_assignment_id == course_assignment.id,
               *([Submission.user_id == only.id] if only is not None else []))
        .order_by(Submission.created_at, Submission.id)
    ).all()
    latest_graded: dict[int, int] = {}
    per_day: Counter[date] = Counter()
    dashboard = Dashboard(course_assignment, course_assignment.assignment.max_score, [])
    version = course_assignment.assignment.version
    for submission_id, user_id, status, final_score, created_at, late_days, assignment_version in submissions:
        per_day[as_utc(created_at).date()] += 1
        dashboard.total_submissions += 1
        if status in (SubmissionStatus.QUEUED, SubmissionStatus.RUNNING):
            dashboard.queued += 1
        if assignment_version != version:
            dashboard.outdated += 1
        row = rows.get(user_id)
        if row is None:  # a student who has since left the course
            continue
        row.submissions += 1
        row.late += 1 if late_days > 0 else 0
        if status == SubmissionStatus.DONE and final_score is not None:
            latest_graded[user_id] = submission_id
            row.latest, row.latest_id = final_score, submission_id
            row.best = final_score if row.best is None else max(row.best, final_score)
    counts_last = course_assignment.counts == CountedSubmission.LAST
    in_force = overrides.in_force(course_assignment)
    extended = extensions.extensions_of(course_assignment)
    for row in rows.values():
        row.counted = row.latest if counts_last else row.best
        if row.user.id in in_force:
            row.counted, row.overridden = in_force[row.user.id].score, True
        if row.user.id in extended:
            row.extended_due = as_utc(extended[row.user.id].due_at)
    dashboard.students = sorted(rows.values(), key=lambda r: r.user.email)
    dashboard.histogram_labels, dashboard.histogram_counts = histogram(
        [row.best for row in rows.values() if row.best is not None], dashboard.max_score)
    if with_rates:
        _pass_rates(dashboard, _results_of(list(latest_graded.values())))
    dashboard.submissions_per_day = [(day.isoformat(), per_day[day]) for day in sorted(per_day)]
    return dashboard


def is_diagnostic(result) -> bool:
    """Tell whether a check result is a 0-point diagnostic (a gradient check against the student's forward)."""
    return not result.max_score


def _results_of(submission_ids: list[int]) -> list[list]:
    """Return the check results of these submissions (plain rows), one list per submission, 500 ids per query."""
    grouped: dict[int, list] = defaultdict(list)
    columns = (CheckResult.submission_id, CheckResult.name, CheckResult.function, CheckResult.max_score,
               CheckResult.status, CheckResult.output, CheckResult.mistake)
    for start in range(0, len(submission_ids), 500):
        chunk = submission_ids[start:start + 500]
        for result in db.session.execute(select(*columns).where(CheckResult.submission_id.in_(chunk))
                                         .order_by(CheckResult.submission_id, CheckResult.position)):
            grouped[result.submission_id].append(result)
    return list(grouped.values())


def _pass_rates(dashboard: Dashboard, latest: list[list]) -> None:
    function_passed: dict[str, list[bool]] = defaultdict(list)
    check_passed: dict[str, list[bool]] = defaultdict(list)
    diagnostic_passed: dict[str, list[bool]] = defaultdict(list)
    failures: Counter[tuple[str, str]] = Counter()
    diagnostic_failures: Counter[tuple[str, str]] = Counter()
    for results in latest:
        per_function: dict[str, bool] = {}
        for result in results:
            passed = result.status == "passed"
            message = result.mistake or failure_key(result.output, result.function)
            if is_diagnostic(result):
                # A failed diagnostic costs nothing: it must not make a full-marks function look failed.
                diagnostic_passed[result.name].append(passed)
                if not passed:
                    diagnostic_failures[(result.name, message)] += 1
                continue
            check_passed[result.name].append(passed)
            per_function[result.function] = per_function.get(result.function, True) and passed
            if not passed:
                failures[(result.name, message)] += 1
        for function, passed in per_function.items():
            function_passed[function].append(passed)
    dashboard.function_pass_rates = [PassRate(name, sum(v), len(v)) for name, v in function_passed.items()]
    dashboard.check_pass_rates = [PassRate(name, sum(v), len(v)) for name, v in check_passed.items()]
    dashboard.diagnostic_pass_rates = [PassRate(name, sum(v), len(v)) for name, v in diagnostic_passed.items()]
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

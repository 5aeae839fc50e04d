"""The big staff tables, filtered, sorted and cut into pages: an assignment's students and submissions, the gradebook.

Submissions are searched and paged in SQL (a course has tens of thousands); the per-student tables
are built from standings already aggregated in SQL (one row per student) and paged in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from autograder.extensions import db
from autograder.models import Course, CourseAssignment, Submission, SubmissionStatus, User
from autograder.models._integer import INTEGER_RANGE
from autograder.services.analytics import StudentRow, assignment_dashboard
from autograder.services.courses import person_matches

STUDENT_SORTS = ("email", "name", "counted", "best", "latest", "submissions", "late")
STUDENT_FILTERS = ("all", "graded", "ungraded", "late", "manual")


def _text_matches(query: str, *texts: str | None) -> bool:
    needle = query.lower()
    return any(needle in (text or "").lower() for text in texts)


def students_table(rows: list[StudentRow], query: str = "", show: str = "all", sort: str = "email") -> list[StudentRow]:
    """Return an assignment's student rows matching ``query`` (name or e-mail) and ``show``, in ``sort`` order.

    Score orders put the highest first and students without a score last.
    """
    keep = {"all": lambda r: True, "graded": lambda r: r.best is not None, "ungraded": lambda r: r.best is None,
            "late": lambda r: r.late > 0, "manual": lambda r: r.overridden}[show if show in STUDENT_FILTERS else "all"]
    found = [row for row in rows if keep(row) and (not query or _text_matches(query, row.user.name, row.user.email))]
    if sort == "name":
        found.sort(key=lambda r: ((r.user.name or "").lower(), r.user.email))
    elif sort in ("counted", "best", "latest", "submissions", "late"):
        found.sort(key=lambda r: (getattr(r, sort) is None, -(getattr(r, sort) or 0), r.user.email))
    else:
        found.sort(key=lambda r: r.user.email)
    return found


@dataclass
class GradebookRow:
    """One student's line of the gradebook: the counted score per assignment (None: nothing counted yet)."""

    user: object  # id, email, name
    scores: list[float | None]
    late: int

    @property
    def total(self) -> float:
        return sum(score for score in self.scores if score is not None)


GRADEBOOK_SORTS = ("email", "name", "total")


def gradebook(course: Course) -> tuple[list[CourseAssignment], list[GradebookRow]]:
    """Return the course's assignments (by name) and one row per student, by e-mail.

    The counted score is a manual override where one is in force, else the best or the last graded
    final score, as the assignment's setting says.
    """
    course_assignments = sorted(course.course_assignments, key=lambda ca: ca.assignment.name)
    rows: dict[int, GradebookRow] = {}
    for index, ca in enumerate(course_assignments):
        for standing in assignment_dashboard(ca, with_rates=False).students:
            row = rows.setdefault(standing.user.id, GradebookRow(standing.user, [None] * len(course_assignments), 0))
            row.scores[index] = standing.counted
            row.late += standing.late
    if not course_assignments:  # no standings to list the students from
        from autograder.services.courses import students_of

        rows = {user.id: GradebookRow(user, [], 0) for user in students_of(course)}
    return course_assignments, sorted(rows.values(), key=lambda row: row.user.email)


def gradebook_table(rows: list[GradebookRow], query: str = "", sort: str = "email") -> list[GradebookRow]:
    """Return the gradebook rows matching ``query`` (name or e-mail), in ``sort`` order (total: highest first)."""
    found = [row for row in rows if not query or _text_matches(query, row.user.name, row.user.email)]
    if sort == "name":
        found.sort(key=lambda r: ((r.user.name or "").lower(), r.user.email))
    elif sort == "total":
        found.sort(key=lambda r: (-r.total, r.user.email))
    return found


SUBMISSION_SORTS = ("newest", "oldest", "score_high", "score_low")
SUBMISSION_STATUSES = ("any", *(status.value for status in SubmissionStatus))
SUBMISSION_FLAGS = ("any", "late", "outdated")


@dataclass
class SubmissionLine:
    """One row of the submissions table (no source text: only what the table shows)."""

    id: int
    user_id: int
    email: str
    name: str
    status: SubmissionStatus
    final_score: float | None
    max_score: float | None
    late_days: int
    created_at: object
    assignment_version: str
    regrading: bool = False  # being regraded: keeps showing its last score meanwhile


_SUBMISSION_IDS = range(1, INTEGER_RANGE.stop)


def submission_number(query: str) -> int | None:
    """Return the submission id a search names ("#123" or "123"), or None: not a number, or one no id can be.

    A larger number would overflow the database's integers (a 500) and can match no submission anyway.
    """
    number = query.lstrip("#")
    if not number.isdecimal() or len(number) > len(str(_SUBMISSION_IDS.stop)):  # int() refuses 4,300 digits
        return None
    return int(number) if int(number) in _SUBMISSION_IDS else None


def submissions_page(course_assignment: CourseAssignment, query: str = "", status: str = "any", flag: str = "any",
                     sort: str = "newest", offset: int = 0, limit: int = 50) -> tuple[list[SubmissionLine], int]:
    """Return one page of the assignment's submissions (every student's, students who left too) and the match count.

    ``query`` searches the student's name and e-mail, or is a submission number ("#123" or "123").
    """
    conditions = [Submission.course_assignment_id == course_assignment.id]
    if query:
        number = submission_number(query)
        conditions.append(person_matches(query) | (Submission.id == number) if number is not None
                          else person_matches(query))
    if status in SUBMISSION_STATUSES and status != "any":
        conditions.append(Submission.status == SubmissionStatus(status))
    if flag == "late":
        conditions.append(Submission.late_days > 0)
    elif flag == "outdated":
        conditions.append(Submission.assignment_version != course_assignment.assignment.version)
    order = {"newest": (Submission.created_at.desc(), Submission.id.desc()),
             "oldest": (Submission.created_at, Submission.id),
             "score_high": (Submission.final_score.is_(None), Submission.final_score.desc(), Submission.id.desc()),
             "score_low": (Submission.final_score.is_(None), Submission.final_score, Submission.id.desc())}[
        sort if sort in SUBMISSION_SORTS else "newest"]
    joined = select(func.count()).select_from(Submission).join(User, Submission.user_id == User.id)
    total = db.session.scalar(joined.where(*conditions)) or 0
    rows = db.session.execute(
        select(Submission.id, Submission.user_id, User.email, User.name, Submission.status, Submission.final_score,
               Submission.max_score, Submission.late_days, Submission.created_at, Submission.assignment_version,
               Submission.regrading)
        .join(User, Submission.user_id == User.id).where(*conditions).order_by(*order).offset(offset).limit(limit))
    return [SubmissionLine(*row) for row in rows], total

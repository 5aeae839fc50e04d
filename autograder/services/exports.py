"""Exports: the course gradebook as CSV and a submission as JSON."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from sqlalchemy import func, select

from autograder.extensions import db
from autograder.models import CourseAssignment, SubmissionStatus
from typing import Any

from autograder.models import Course, Submission, User
from autograder.services import results, staff_lists


def gradebook_csv(course: Course) -> str:
    """Return the gradebook: one row per student, the counted score per assignment, and the total.

    The counted score is a manual override where one is in force, else the best or the last
    graded final score, as the assignment's setting says.
    """
    course_assignments, rows = staff_lists.gradebook(course)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", *[ca.assignment.name for ca in course_assignments], "total",
                     "max_total", "late_submissions"])
    max_total = sum(ca.assignment.max_score for ca in course_assignments)
    for row in rows:
        writer.writerow([_cell(row.user.email), _cell(row.user.name),
                         *["" if s is None else f"{s:g}" for s in row.scores], f"{row.total:g}", f"{max_total:g}",
                         row.late])
    return out.getvalue()


def gradebook_json(course: Course) -> dict[str, Any]:
    """Return the gradebook as data: the assignments with their maximum, and per student the counted scores."""
    course_assignments, rows = staff_lists.gradebook(course)
    names = [ca.assignment.name for ca in course_assignments]
    return {
        "course": course.code,
        "assignments": [{"name": ca.assignment.name, "title": ca.assignment.title, "max_score": ca.assignment.max_score}
                        for ca in course_assignments],
        "students": [{"email": row.user.email, "name": row.user.name, "scores": dict(zip(names, row.scores)),
                      "total": row.total, "late_submissions": row.late} for row in rows],
    }


# A cell segment opening with one of these is evaluated as a formula by spreadsheets. Segments:
# the cell itself, and every piece after a ',', ';', tab or '|' (locales that split on ';' cut
# "Bob;=2*21;" into three cells), skipping the blanks and quotes a spreadsheet would strip.
_FORMULA_START = re.compile(r"""(^|[,;\t|\r\n])([\s"']*)([=+\-@\t\r＝＋－＠])""")


def canvas_gradebook_csv(course: Course) -> str:
    """Return the gradebook in the layout Canvas imports (Grades > Import).

    Columns Student, ID, SIS User ID, SIS Login ID, Section, then one per assignment; the first
    data row is "Points Possible". Students are matched by SIS Login ID (their e-mail address);
    the Canvas ID columns are left empty for Canvas to fill from that.
    """
    course_assignments, rows = staff_lists.gradebook(course)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                     *[_cell(f"{ca.assignment.title or ca.assignment.name} ({ca.assignment.name})")
                       for ca in course_assignments]])
    writer.writerow(["Points Possible", "", "", "", "", *[f"{ca.assignment.max_score:g}" for ca in course_assignments]])
    for row in rows:
        writer.writerow([_cell(_canvas_name(row.user)), "", "", _cell(row.user.email), _cell(course.code),
                         *["" if s is None else f"{s:g}" for s in row.scores]])
    return out.getvalue()


def _canvas_name(student) -> str:
    # Canvas shows "Last, First"; a single-word or empty name stays as it is.
    parts = (student.name or student.email).rsplit(" ", 1)
    return f"{parts[1]}, {parts[0]}" if len(parts) == 2 else parts[0]


def _cell(text: str) -> str:
    """Return text with every formula trigger defused by a leading apostrophe (CSV injection)."""
    return _FORMULA_START.sub(lambda m: f"{m.group(1)}{m.group(2)}'{m.group(3)}", text)


def submission_export(submission: Submission) -> dict[str, Any]:
    """Return a submission with its source, student and every check result, for the instructor."""
    data = results.submission_json(submission, for_staff=True)
    data.update({
        "student": {"email": submission.user.email, "name": submission.user.name},
        "filename": submission.filename,
        "source": submission.source,
        "seed": submission.seed,
        "attempts": submission.attempts,
    })
    return data


_UNSAFE_PATH = re.compile(r"[^A-Za-z0-9@._+-]")


def _folder_of(email: str, user_id: int) -> str:
    """Return a student's folder in the zip: the address, or, when it could not be kept whole, it with ``~<id>``.

    Safe characters only, so "a‿b@uni.edu" becomes "a_b@uni.edu", another student's address: the
    id keeps their files apart. "~" is never in a kept address, so no address can take that name.
    """
    folder = _UNSAFE_PATH.sub("_", email)[:120]
    return folder if folder == email else f"{folder}~{user_id}"


def submissions_zip(course_assignment: CourseAssignment, every: bool = False) -> bytes:
    """Return a zip of the assignment's submissions: each student's latest (or, with ``every``, all of them).

    Files are ``<e-mail>/<id>-<file name>`` (_folder_of), plus ``manifest.csv`` (student, id, time, status,
    scores, sha256). Names are reduced to safe characters: a student's file name never makes a path.
    """
    # Plain columns joined with the student (no row per submission loaded, no query per student);
    # for the latest only, the database picks each student's newest before any source is read.
    columns = (Submission.id, Submission.user_id, User.email, User.name, Submission.filename, Submission.source,
               Submission.created_at, Submission.status, Submission.score, Submission.final_score,
               Submission.late_days, Submission.sha256)
    mine = Submission.course_assignment_id == course_assignment.id
    if not every:
        rank = func.row_number().over(partition_by=Submission.user_id,
                                      order_by=(Submission.created_at.desc(), Submission.id.desc()))
        ranked = select(Submission.id, rank.label("rank")).where(mine).subquery()
        mine = Submission.id.in_(select(ranked.c.id).where(ranked.c.rank == 1))
    rows = db.session.execute(
        select(*columns).join(User, Submission.user_id == User.id).where(mine)
        .order_by(Submission.user_id, Submission.created_at.desc(), Submission.id.desc())).all()
    buffer = io.BytesIO()
    manifest = io.StringIO()
    writer = csv.writer(manifest, lineterminator="\n")
    writer.writerow(["email", "name", "submission", "path", "submitted_at", "status", "score", "final_score",
                     "late_days", "sha256"])
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for submission in rows:
            folder = _folder_of(submission.email, submission.user_id)
            name = _UNSAFE_PATH.sub("_", submission.filename)[:100] or "submission.py"
            path = f"{folder}/{submission.id}-{name}"
            archive.writestr(path, submission.source)
            done = submission.status == SubmissionStatus.DONE
            # The path starts with the address, which the student chose: a cell like any other.
            writer.writerow([_cell(submission.email), _cell(submission.name), submission.id, _cell(path),
                             submission.created_at.isoformat(), submission.status.value,
                             "" if not done or submission.score is None else f"{submission.score:g}",
                             "" if not done or submission.final_score is None else f"{submission.final_score:g}",
                             submission.late_days, submission.sha256])
        archive.writestr("manifest.csv", manifest.getvalue())
    return buffer.getvalue()

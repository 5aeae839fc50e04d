"""Exports: the course gradebook as CSV and a submission as JSON."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from autograder.models import Course, Submission
from autograder.services import courses, results
from autograder.services.analytics import assignment_dashboard


def gradebook_csv(course: Course) -> str:
    """Return the gradebook: one row per student, best final score per assignment, and the total."""
    course_assignments = sorted(course.course_assignments, key=lambda ca: ca.assignment.name)
    best: dict[tuple[int, int], float | None] = {}
    late: dict[int, int] = {}
    for ca in course_assignments:
        for row in assignment_dashboard(ca).students:
            best[(row.user.id, ca.id)] = row.best
            late[row.user.id] = late.get(row.user.id, 0) + row.late
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", *[ca.assignment.name for ca in course_assignments], "total",
                     "max_total", "late_submissions"])
    max_total = sum(ca.assignment.max_score for ca in course_assignments)
    for student in courses.students_of(course):
        scores = [best.get((student.id, ca.id)) for ca in course_assignments]
        total = sum(score for score in scores if score is not None)
        writer.writerow([_cell(student.email), _cell(student.name),
                         *["" if s is None else f"{s:g}" for s in scores], f"{total:g}", f"{max_total:g}",
                         late.get(student.id, 0)])
    return out.getvalue()


# A cell segment opening with one of these is evaluated as a formula by spreadsheets. Segments:
# the cell itself, and every piece after a ',', ';', tab or '|' (locales that split on ';' cut
# "Bob;=2*21;" into three cells), skipping the blanks and quotes a spreadsheet would strip.
_FORMULA_START = re.compile(r"""(^|[,;\t|\r\n])([\s"']*)([=+\-@\t\r＝＋－＠])""")


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

"""Gradebook cells never become formulas, whatever the spreadsheet splits cells on."""

from __future__ import annotations

import csv
import io
import re

import pytest

from autograder.models import Role
from autograder.services import exports

# After splitting on any separator a spreadsheet might use and stripping what it strips, no
# piece may open with a formula trigger.
_PIECES = re.compile(r"[,;\t|\r\n]")
_TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")


def _dangerous(cell: str) -> list[str]:
    return [piece for piece in _PIECES.split(cell) if piece.strip().strip("\"'")[:1] in _TRIGGERS
            and not piece.strip().lstrip("\"").startswith("'")]


@pytest.mark.parametrize("name", [
    "Bob;=2*21;",                      # ';'-splitting locales (much of Europe)
    "Bob,=2*21",
    "Bob\t=2*21",
    "Bob| =cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://x\")",
    "+1+1", "-1+1", "@SUM(A1)",
    "Bob; \"=1+1\"",                   # quotes a spreadsheet would strip
    "Bob;\n=1+1",
    "＝1+1",                            # fullwidth equals sign
    "Jean-Luc Picard",                  # a hyphen inside a name is left alone
])
def test_every_piece_of_every_cell_is_neutralised(app, factory, name):
    teacher = factory.user(Role.INSTRUCTOR)
    student = factory.user(name=name)
    course = factory.course(teacher, (student,))
    text = exports.gradebook_csv(course)
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert _dangerous(cell) == [], cell
    # Under ';' splitting too (the file read by a locale whose list separator is ';').
    for line in text.splitlines():
        for cell in line.split(";"):
            assert _dangerous(cell) == [], cell
    stored = next(r for r in csv.DictReader(io.StringIO(text)))["name"]
    assert stored.replace("'", "") == name.replace("'", "")  # nothing but apostrophes added
    if name == "Jean-Luc Picard":
        assert stored == name


@pytest.mark.parametrize("email", ["-2+3@example.edu", "+1+1@example.edu", "=1@example.edu"])
def test_no_cell_of_the_submissions_zip_manifest_is_a_formula(app, factory, email):
    # The address is the student's to choose, and the manifest's path column starts with it.
    import zipfile

    teacher = factory.user(Role.INSTRUCTOR)
    student = factory.user(email=email)
    course = factory.course(teacher, (student,))
    factory.submission(student, course)
    archive = zipfile.ZipFile(io.BytesIO(exports.submissions_zip(course.course_assignments[0])))
    text = archive.read("manifest.csv").decode()
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert _dangerous(cell) == [], cell

"""The assignment catalogue: rows synced from the engine's assignments/ folder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from autograder.extensions import db
from autograder.grading.assignment import list_assignments
from autograder.models import CatalogAssignment, Course, CourseAssignment
from autograder.models._time import utcnow


@dataclass(frozen=True)
class SyncChange:
    """One assignment as the sync left it: ``kind`` is "added", "updated" or "unchanged"."""

    name: str
    kind: str
    old_version: str
    new_version: str


def sync_assignments() -> list[SyncChange]:
    """Upsert an CatalogAssignment row per engine assignment, set it in every course, commit.

    Returns what changed; an "updated" version means earlier grades may deserve a regrade.
    """
    changes: list[SyncChange] = []
    courses = list(db.session.scalars(select(Course)))
    for engine_assignment in list_assignments():
        row = db.session.scalar(select(CatalogAssignment).where(CatalogAssignment.name == engine_assignment.name))
        if row is None:
            row = CatalogAssignment(name=engine_assignment.name)
            db.session.add(row)
            kind, old_version = "added", ""
        else:
            old_version = row.version
            kind = "unchanged" if row.version == engine_assignment.version else "updated"
        row.title = engine_assignment.title
        row.filename = engine_assignment.file
        row.version = engine_assignment.version
        row.max_score = float(engine_assignment.max_score)
        if kind != "unchanged":
            row.synced_at = utcnow()
        db.session.flush()
        for course in courses:
            already = db.session.scalar(select(CourseAssignment).where(
                CourseAssignment.course_id == course.id, CourseAssignment.assignment_id == row.id))
            if already is None:
                db.session.add(CourseAssignment(course=course, assignment=row))
        changes.append(SyncChange(engine_assignment.name, kind, old_version, engine_assignment.version))
    db.session.commit()
    return changes


def available_assignments() -> list[CatalogAssignment]:
    """Return every synced assignment, by name (what a course can set)."""
    return list(db.session.scalars(select(CatalogAssignment).order_by(CatalogAssignment.name)))

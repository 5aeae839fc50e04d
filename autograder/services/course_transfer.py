"""Moving a whole course between databases (e.g. the embedded SQLite to PostgreSQL) as one JSON document.

The document holds the course, its assignments' settings, its people (with their password and
API-token hashes, so they sign in as before), enrolments, every submission with its source and
results, the regrade runs, and the per-student records that change grades or deadlines (extensions,
score overrides with their audit trail, timed starts and extra time). It is plain JSON: nothing in it is executed or unpickled on import.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from autograder.extensions import db
from autograder.models import (
    CatalogAssignment, CheckResult, Course, CourseAssignment, Enrollment, Extension, Regrade, RegradeEntry, Role,
    ScoreOverride, Submission, SubmissionStatus, TimeAccommodation, TimedStart, User,
)
from autograder.models._time import as_utc, utcnow
from autograder.models.course import CountedSubmission, HiddenResults, LatePolicy
from autograder.services.errors import ServiceError

FORMAT = "autograder-course"
# 2: the course's settings (time zone, late-day tokens; per assignment which submission counts,
# release date, hidden results, time limit) and the per-student records: extensions, score
# overrides (their whole audit trail), timed starts and extra time. Version 1 documents still import.
VERSION = 2
READABLE_VERSIONS = (1, 2)

_RESULT_FIELDS = ("position", "name", "function", "check", "score", "max_score", "status", "output", "visibility",
                  "mistake")
_SUBMISSION_FIELDS = ("filename", "source", "sha256", "score", "max_score", "late_days", "final_score", "attempts",
                      "worker", "grader_version", "assignment_version", "seed", "grading_seconds", "error_message")
_SUBMISSION_TIMES = ("created_at", "started_at", "finished_at")


class CourseTransferError(ServiceError):
    """The document cannot be imported (wrong format, a clash with existing data, a missing field)."""


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse_time(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise CourseTransferError(f"{where}: {value!r} is not an ISO 8601 time") from None


def export_course(code: str) -> dict[str, Any]:
    """Return the course ``code`` as a JSON-ready document. Raises CourseTransferError if there is no such course."""
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise CourseTransferError(f"no course {code!r}")
    course_assignments = sorted(course.course_assignments, key=lambda ca: ca.assignment.name)
    submissions = list(db.session.scalars(
        select(Submission).where(Submission.course_assignment_id.in_([ca.id for ca in course_assignments]))
        .order_by(Submission.id)))
    regrades = list(db.session.scalars(
        select(Regrade).where(Regrade.course_assignment_id.in_([ca.id for ca in course_assignments]))
        .order_by(Regrade.id)))
    ca_ids = [ca.id for ca in course_assignments]
    extensions = _rows(Extension, ca_ids)
    overrides = _rows(ScoreOverride, ca_ids)
    starts = _rows(TimedStart, ca_ids)
    accommodations = _rows(TimeAccommodation, ca_ids)
    people: dict[int, User] = {enrollment.user.id: enrollment.user for enrollment in course.enrollments}
    people.update({submission.user.id: submission.user for submission in submissions})
    people.update({regrade.requested_by.id: regrade.requested_by for regrade in regrades if regrade.requested_by})
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(
        {row.user_id for row in (*extensions, *overrides, *starts, *accommodations)}
        | {row.granted_by_id for row in extensions if row.granted_by_id}
        | {row.set_by_id for row in (*overrides, *accommodations) if row.set_by_id})))}
    people.update(users)
    names = {ca.id: ca.assignment.name for ca in course_assignments}

    def email(user_id: int | None) -> str | None:
        return users[user_id].email if user_id is not None else None
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(utcnow()),
        "course": {"code": course.code, "title": course.title, "join_code": course.join_code,
                   "time_zone": course.time_zone, "late_day_tokens": course.late_day_tokens,
                   "created_at": _time(course.created_at)},
        "assignments": [
            {"name": ca.assignment.name, "title": ca.assignment.title, "filename": ca.assignment.filename,
             "version": ca.assignment.version, "max_score": ca.assignment.max_score, "due_at": _time(ca.due_at),
             "late_policy": ca.late_policy.value, "penalty_per_day": ca.penalty_per_day,
             "cutoff_days": ca.cutoff_days, "counts": ca.counts.value, "release_at": _time(ca.release_at),
             "hidden_results": ca.hidden_results.value, "time_limit_minutes": ca.time_limit_minutes}
            for ca in course_assignments
        ],
        "users": [
            {"email": user.email, "name": user.name, "role": user.role.value, "password_hash": user.password_hash,
             "api_token_hash": user.api_token_hash, "created_at": _time(user.created_at)}
            for user in sorted(people.values(), key=lambda user: user.email)
        ],
        "enrollments": [
            {"email": enrollment.user.email, "role": enrollment.role.value, "created_at": _time(enrollment.created_at)}
            for enrollment in sorted(course.enrollments, key=lambda enrollment: enrollment.user.email)
        ],
        "submissions": [
            {"ref": submission.id, "email": submission.user.email,
             "assignment": submission.course_assignment.assignment.name, "status": submission.status.value,
             **{name: getattr(submission, name) for name in _SUBMISSION_FIELDS},
             **{name: _time(getattr(submission, name)) for name in _SUBMISSION_TIMES},
             "results": [{name: getattr(result, name) for name in _RESULT_FIELDS} for result in submission.results]}
            for submission in submissions
        ],
        "regrades": [
            {"assignment": regrade.course_assignment.assignment.name,
             "requested_by": regrade.requested_by.email if regrade.requested_by else None,
             "assignment_version": regrade.assignment_version, "created_at": _time(regrade.created_at),
             "entries": [{"submission": entry.submission_id, "old_score": entry.old_score,
                          "old_final_score": entry.old_final_score,
                          "old_assignment_version": entry.old_assignment_version} for entry in regrade.entries]}
            for regrade in regrades
        ],
        "extensions": [
            {"email": email(row.user_id), "assignment": names[row.course_assignment_id], "due_at": _time(row.due_at),
             "reason": row.reason, "granted_by": email(row.granted_by_id), "created_at": _time(row.created_at)}
            for row in extensions
        ],
        "score_overrides": [
            {"email": email(row.user_id), "assignment": names[row.course_assignment_id], "score": row.score,
             "comment": row.comment, "previous_score": row.previous_score, "set_by": email(row.set_by_id),
             "created_at": _time(row.created_at)}
            for row in overrides
        ],
        "timed_starts": [
            {"email": email(row.user_id), "assignment": names[row.course_assignment_id],
             "started_at": _time(row.started_at)}
            for row in starts
        ],
        "time_accommodations": [
            {"email": email(row.user_id), "assignment": names[row.course_assignment_id], "factor": row.factor,
             "extra_minutes": row.extra_minutes, "reason": row.reason, "set_by": email(row.set_by_id),
             "created_at": _time(row.created_at)}
            for row in accommodations
        ],
    }


def _optional_int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise CourseTransferError(f"{where}: expected a whole number, got {type(value).__name__}")
    return value


def _optional_list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise CourseTransferError(f"document.{key}: expected list, got {type(value).__name__}")
    return value


def _rows(model: Any, course_assignment_ids: list[int]) -> list[Any]:
    # In creation order: the audit trails (overrides, extra time) keep their sequence.
    return list(db.session.scalars(select(model).where(model.course_assignment_id.in_(course_assignment_ids))
                                   .order_by(model.id)))


@dataclass
class ImportResult:
    """What import_course created, and what it had to change."""

    course: Course
    users_created: int = 0
    users_existing: int = 0
    submissions: int = 0
    regrades: int = 0
    notes: list[str] = field(default_factory=list)


def _need(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise CourseTransferError(f"{where}: missing {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        expected = getattr(kind, "__name__", kind)
        raise CourseTransferError(f"{where}.{key}: expected {expected}, got {type(value).__name__}")
    return value


def import_course(document: Any) -> ImportResult:
    """Create the course of an export document in this database, in one transaction.

    People are matched by email (existing accounts are kept as they are); assignments by name
    (a missing one is created from the document, to be refreshed by sync-assignments).
    Submissions that were queued or running are imported as queued: the sweeper grades them.
    Returns what was created. Raises CourseTransferError (nothing is written) when the document is
    not an export of this format, or the course code already exists.
    """
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CourseTransferError("this is not an autograder course export")
    if document.get("version") not in READABLE_VERSIONS:
        raise CourseTransferError(f"export version {document.get('version')!r} is not supported "
                                  f"(expected one of {', '.join(map(str, READABLE_VERSIONS))})")
    try:
        # Rows are built first and written together at the commit; the look-ups only need existing rows.
        with db.session.no_autoflush:
            return _import(document)
    except CourseTransferError:
        db.session.rollback()
        raise
    except (KeyError, TypeError, ValueError) as error:
        db.session.rollback()
        raise CourseTransferError(f"the export is malformed: {type(error).__name__}: {error}") from None


def _import(document: dict[str, Any]) -> ImportResult:
    info = _need(document, "course", dict, "document")
    code = _need(info, "code", str, "course")
    if db.session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise CourseTransferError(f"a course {code!r} already exists in this database")
    join_code = _need(info, "join_code", str, "course")
    course = Course(code=code, title=str(info.get("title", "")), time_zone=str(info.get("time_zone") or "UTC"),
                    late_day_tokens=int(info.get("late_day_tokens") or 0),
                    created_at=_parse_time(info.get("created_at"), "course.created_at") or utcnow())
    result = ImportResult(course)
    if db.session.scalar(select(Course.id).where(Course.join_code == join_code)) is not None:
        join_code = secrets.token_urlsafe(6)
        result.notes.append(f"the join code was taken here: students now join with {join_code}")
    course.join_code = join_code
    db.session.add(course)

    by_assignment: dict[str, CourseAssignment] = {}
    for n, item in enumerate(_need(document, "assignments", list, "document")):
        where = f"assignments[{n}]"
        name = _need(item, "name", str, where)
        assignment = db.session.scalar(select(CatalogAssignment).where(CatalogAssignment.name == name))
        if assignment is None:
            assignment = CatalogAssignment(name=name, title=str(item.get("title", name)),
                                    filename=str(item.get("filename", f"{name}.py")),
                                    version=str(item.get("version", "")), max_score=float(item.get("max_score", 0)))
            db.session.add(assignment)
            result.notes.append(f"assignment {name} was not in this database: created from the export "
                                "(run sync-assignments)")
        by_assignment[name] = CourseAssignment(
            course=course, assignment=assignment, due_at=_parse_time(item.get("due_at"), f"{where}.due_at"),
            late_policy=LatePolicy(item.get("late_policy", LatePolicy.PENALTY.value)),
            penalty_per_day=float(item.get("penalty_per_day", 0.1)), cutoff_days=int(item.get("cutoff_days", 0)),
            counts=CountedSubmission(item.get("counts", CountedSubmission.BEST.value)),
            release_at=_parse_time(item.get("release_at"), f"{where}.release_at"),
            hidden_results=HiddenResults(item.get("hidden_results", HiddenResults.NEVER.value)),
            time_limit_minutes=_optional_int(item.get("time_limit_minutes"), f"{where}.time_limit_minutes"))

    by_email: dict[str, User] = {}
    for n, item in enumerate(_need(document, "users", list, "document")):
        where = f"users[{n}]"
        email = _need(item, "email", str, where)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            result.users_existing += 1
        else:
            token_hash = item.get("api_token_hash")
            if token_hash and db.session.scalar(select(User.id).where(User.api_token_hash == token_hash)):
                token_hash = None
            user = User(email=email, name=str(item.get("name", "")), role=Role(item.get("role", "student")),
                        password_hash=str(item.get("password_hash", "")), api_token_hash=token_hash,
                        created_at=_parse_time(item.get("created_at"), f"{where}.created_at") or utcnow())
            db.session.add(user)
            result.users_created += 1
        by_email[email] = user

    def person(email: Any, where: str) -> User:
        if email not in by_email:
            raise CourseTransferError(f"{where}: {email!r} is not among the export's users")
        return by_email[email]

    def course_assignment(name: Any, where: str) -> CourseAssignment:
        if name not in by_assignment:
            raise CourseTransferError(f"{where}: {name!r} is not among the export's assignments")
        return by_assignment[name]

    for n, item in enumerate(_need(document, "enrollments", list, "document")):
        where = f"enrollments[{n}]"
        db.session.add(Enrollment(user=person(item.get("email"), where), course=course,
                                  role=Role(item.get("role", "student")),
                                  created_at=_parse_time(item.get("created_at"), f"{where}.created_at") or utcnow()))

    by_ref: dict[int, Submission] = {}
    for n, item in enumerate(_need(document, "submissions", list, "document")):
        where = f"submissions[{n}]"
        status = SubmissionStatus(_need(item, "status", str, where))
        submission = Submission(
            user=person(item.get("email"), where), course_assignment=course_assignment(item.get("assignment"), where),
            status=SubmissionStatus.QUEUED if status == SubmissionStatus.RUNNING else status,
            **{name: item.get(name) for name in _SUBMISSION_FIELDS if item.get(name) is not None},
            **{name: _parse_time(item.get(name), f"{where}.{name}") for name in _SUBMISSION_TIMES},
        )
        _need(item, "source", str, where)
        if status == SubmissionStatus.RUNNING:
            submission.worker, submission.started_at = "", None
        for m, row in enumerate(_need(item, "results", list, where)):
            submission.results.append(CheckResult(**{name: row.get(name) for name in _RESULT_FIELDS
                                                     if row.get(name) is not None or name == "mistake"}))
            if not isinstance(row.get("position"), int):
                raise CourseTransferError(f"{where}.results[{m}]: missing position")
        db.session.add(submission)
        by_ref[int(_need(item, "ref", int, where))] = submission
        result.submissions += 1

    for n, item in enumerate(_need(document, "regrades", list, "document")):
        where = f"regrades[{n}]"
        requested = item.get("requested_by")
        regrade = Regrade(course_assignment=course_assignment(item.get("assignment"), where),
                          requested_by=person(requested, where) if requested is not None else None,
                          assignment_version=str(item.get("assignment_version", "")),
                          created_at=_parse_time(item.get("created_at"), f"{where}.created_at") or utcnow())
        for m, entry in enumerate(_need(item, "entries", list, where)):
            ref = entry.get("submission")
            if ref not in by_ref:
                raise CourseTransferError(f"{where}.entries[{m}]: submission {ref!r} is not in the export")
            regrade.entries.append(RegradeEntry(submission=by_ref[ref], old_score=entry.get("old_score"),
                                                old_final_score=entry.get("old_final_score"),
                                                old_assignment_version=str(entry.get("old_assignment_version", ""))))
        db.session.add(regrade)
        result.regrades += 1

    # Version 1 documents have none of these lists. Their rows refer to people and assignments by id:
    # the new rows get theirs now, inside the same transaction.
    db.session.flush()

    def person_id(value: Any, where: str, optional: bool = False) -> int | None:
        return None if optional and value is None else person(value, where).id

    def assignment_id(value: Any, where: str) -> int:
        return course_assignment(value, where).id

    def when(item: dict[str, Any], key: str, where: str) -> datetime:
        return _parse_time(item.get(key), f"{where}.{key}") or utcnow()

    def number(value: Any, where: str, default: float | None) -> float | None:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise CourseTransferError(f"{where}: expected a number, got {type(value).__name__}")
        return float(value)

    for n, item in enumerate(_optional_list(document, "extensions")):
        where = f"extensions[{n}]"
        db.session.add(Extension(
            user_id=person_id(item.get("email"), where), course_assignment_id=assignment_id(item.get("assignment"), where),
            due_at=when(item, "due_at", where), reason=str(item.get("reason", ""))[:200],
            granted_by_id=person_id(item.get("granted_by"), where, optional=True), created_at=when(item, "created_at", where)))
    for n, item in enumerate(_optional_list(document, "score_overrides")):
        where = f"score_overrides[{n}]"
        db.session.add(ScoreOverride(
            user_id=person_id(item.get("email"), where), course_assignment_id=assignment_id(item.get("assignment"), where),
            score=number(item.get("score"), f"{where}.score", None),
            previous_score=number(item.get("previous_score"), f"{where}.previous_score", None),
            comment=str(item.get("comment", ""))[:1000], set_by_id=person_id(item.get("set_by"), where, optional=True),
            created_at=when(item, "created_at", where)))
    for n, item in enumerate(_optional_list(document, "timed_starts")):
        where = f"timed_starts[{n}]"
        db.session.add(TimedStart(
            user_id=person_id(item.get("email"), where), course_assignment_id=assignment_id(item.get("assignment"), where),
            started_at=when(item, "started_at", where)))
    for n, item in enumerate(_optional_list(document, "time_accommodations")):
        where = f"time_accommodations[{n}]"
        db.session.add(TimeAccommodation(
            user_id=person_id(item.get("email"), where), course_assignment_id=assignment_id(item.get("assignment"), where),
            factor=number(item.get("factor"), f"{where}.factor", 1.0),
            extra_minutes=int(number(item.get("extra_minutes"), f"{where}.extra_minutes", 0.0) or 0),
            reason=str(item.get("reason", ""))[:200], set_by_id=person_id(item.get("set_by"), where, optional=True),
            created_at=when(item, "created_at", where)))
    db.session.commit()
    return result

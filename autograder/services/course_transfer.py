"""Moving a whole course between databases (e.g. the embedded SQLite to PostgreSQL) as one JSON document.

The document holds the course, its assignments' settings, its people (with their password and
API-token hashes, so they sign in as before), enrolments, every submission with its source and
results, the regrade runs, and the per-student records that change grades or deadlines (extensions,
score overrides with their audit trail, timed starts and extra time). It is plain JSON: nothing in it is executed or unpickled on import.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError

from autograder.extensions import db
from autograder.models import (
    CatalogAssignment, CheckResult, Course, CourseAssignment, Enrollment, Extension, Regrade, RegradeEntry, Role,
    ScoreOverride, Submission, SubmissionStatus, TimeAccommodation, TimedStart, User,
)
from autograder.models._time import as_utc, utcnow
from autograder.models.course import CountedSubmission, HiddenResults, LatePolicy
from autograder.services import accounts, email_address
from autograder.services.courses import (
    CourseError,
    check_time_zone,
    kept_join_code,
    mark_role_given,
    new_join_code,
)
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
_SUBMISSION_TEXTS = ("filename", "sha256", "worker", "grader_version", "assignment_version", "error_message")
_SUBMISSION_NUMBERS = ("score", "max_score", "final_score", "grading_seconds")
_SUBMISSION_WHOLE_NUMBERS = ("late_days", "attempts", "seed")

# The hashes werkzeug makes and checks, with costs a sign-in can afford: a crafted hash with an
# unknown method would make that account's sign-in fail with a 500, and one with an absurd cost
# (scrypt's memory, pbkdf2's iterations) would hang it.
_PASSWORD_HASH = re.compile(
    r"(?:scrypt:(?P<n>\d{1,8}):(?P<r>\d{1,3}):(?P<p>\d{1,3})|pbkdf2:(?:sha1|sha256|sha512):(?P<iterations>\d{1,7}))"
    r"\$[A-Za-z0-9]{1,64}\$[0-9a-f]{40,128}")
_SCRYPT_MAX_BYTES = 256 * 1024 * 1024  # 128 * n * r * p: the service's own hashes need 32 MiB
_PBKDF2_MAX_ITERATIONS = 2_000_000
_API_TOKEN_HASH = re.compile(r"[0-9a-f]{64}")  # a sha256 hex digest (accounts._token_digest)

_Choice = TypeVar("_Choice", bound=enum.Enum)


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
                   "hidden_seed": course.hidden_seed,
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
             "api_token_hash": user.api_token_hash, "created_at": _time(user.created_at),
             "email_confirmed_at": _time(user.email_confirmed_at)}
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


def _optional_text(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise CourseTransferError(f"{where}.{key}: expected text, got {type(value).__name__}")
    return value


def _text(item: dict[str, Any], key: str, where: str, default: str = "") -> str:
    value = _optional_text(item, key, where)
    return default if value is None else value


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """The values the document gives (the model's defaults stand for the others)."""
    return {name: value for name, value in values.items() if value is not None}


def _number(value: Any, where: str, default: float | None = None) -> float | None:
    """A finite number: NaN or infinity (which Python's JSON reader accepts) would poison every total and chart."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CourseTransferError(f"{where}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise CourseTransferError(f"{where}: {value!r} is not a finite number")
    return float(value)


def _required_number(value: Any, where: str) -> float:
    number = _number(value, where)
    if number is None:
        raise CourseTransferError(f"{where}: missing")
    return number


def _whole(value: Any, where: str, default: int | None = None) -> int | None:
    found = _optional_int(value, where)
    return default if found is None else found


def _hidden_seed(value: Any) -> int | None:
    """The course's own seed (None: the site's): kept, so regrades draw what its submissions were graded with."""
    seed = _optional_int(value, "course.hidden_seed")
    if seed is not None and not 0 < seed < 2**31:
        raise CourseTransferError(f"course.hidden_seed: {seed} is not a seed (1 to {2**31 - 1})")
    return seed


def _choice(kind: type[_Choice], value: Any, where: str, default: _Choice) -> _Choice:
    if value is None:
        return default
    for member in kind:
        if member.value == value:
            return member
    known = ", ".join(str(member.value) for member in kind)
    raise CourseTransferError(f"{where}: unknown value {value!r} (expected one of {known})")


def _password_hash(value: Any, where: str) -> str:
    """The hash as it is, if werkzeug can check it at an affordable cost; "" (no password yet) stays ""."""
    if value is None or value == "":
        return ""
    match = _PASSWORD_HASH.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise CourseTransferError(f"{where}: not a password hash this service makes (scrypt or pbkdf2)")
    if match["n"] is not None:
        n, r, p = int(match["n"]), int(match["r"]), int(match["p"])
        if n < 2 or n & (n - 1) or not r or not p or 128 * n * r * p > _SCRYPT_MAX_BYTES:
            raise CourseTransferError(f"{where}: scrypt parameters n={n}, r={r}, p={p} are not usable here")
    elif not 1 <= int(match["iterations"]) <= _PBKDF2_MAX_ITERATIONS:
        raise CourseTransferError(f"{where}: pbkdf2 with {match['iterations']} iterations is not usable here")
    return value


def _api_token_hash(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _API_TOKEN_HASH.fullmatch(value):
        raise CourseTransferError(f"{where}: not an API token hash (64 hexadecimal digits)")
    return value


def _address(value: Any, where: str) -> str:
    """The stored spelling of an e-mail address (NFKC, lower case); refuse one account creation would refuse."""
    if not isinstance(value, str):
        raise CourseTransferError(f"{where}: expected an e-mail address, got {type(value).__name__}")
    try:
        return email_address.validate(value)
    except email_address.InvalidEmail as error:
        raise CourseTransferError(f"{where}: {value!r}: {error}") from None


def import_course(document: Any) -> ImportResult:
    """Create the course of an export document in this database, in one transaction.

    People are matched by email (existing accounts are kept as they are). New accounts pass the
    checks of account creation (a valid address, no look-alike of another account) and are
    instructors only if the document makes them instructors of this course: the global role lets
    its holder create courses, which a file should not hand out. Assignments are matched by name
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
    except (AttributeError, KeyError, TypeError, ValueError) as error:  # e.g. a list where an entry should be
        db.session.rollback()
        raise CourseTransferError(f"the export is malformed: {type(error).__name__}: {error}") from None
    except (IntegrityError, DataError) as error:  # e.g. a text longer than its column in PostgreSQL
        db.session.rollback()
        raise CourseTransferError(f"the database refused the export: {error.orig}") from None


def _instructors(enrollments: list[Any]) -> set[str]:
    """The addresses the document makes instructors of its course."""
    return {email_address.normalise(item["email"]) for item in enrollments
            if isinstance(item, dict) and item.get("role") == Role.INSTRUCTOR.value and isinstance(item.get("email"), str)}


def _import_users(items: list[Any], instructors: set[str], result: ImportResult) -> dict[str, User]:
    """Match each person of the document to an existing account, or build a new one; return them by address.

    Every entry is checked, existing or not. A new account passes account creation's checks, and
    its global role is instructor only if it claims it and teaches this course (``instructors``):
    that role lets its holder create courses. Every other new account is a student (TA is a
    per-course role).
    """
    by_email: dict[str, User] = {}
    coming: set[str] = set()  # the new accounts' skeletons: look-alikes within the document
    tokens: set[str] = set()
    demoted: list[str] = []
    for n, item in enumerate(items):
        where = f"users[{n}]"
        given = _need(item, "email", str, where)
        address = _address(given, f"{where}.email")
        if address in by_email:
            raise CourseTransferError(f"{where}: {given!r} is a second entry for {address}")
        claimed = _choice(Role, item.get("role"), f"{where}.role", Role.STUDENT)
        password_hash = _password_hash(item.get("password_hash"), f"{where}.password_hash")
        token_hash = _api_token_hash(item.get("api_token_hash"), f"{where}.api_token_hash")
        name = _text(item, "name", where)
        created_at = _parse_time(item.get("created_at"), f"{where}.created_at")
        if "email_confirmed_at" in item:
            confirmed_at = _parse_time(item.get("email_confirmed_at"), f"{where}.email_confirmed_at")
        else:  # an export from before addresses were confirmed: grandfathered, as the migration did
            confirmed_at = utcnow() if password_hash else None
        user = db.session.scalar(select(User).where(User.email == address))
        if user is not None:
            result.users_existing += 1
            by_email[address] = user
            continue
        try:
            accounts.check_new_email(address, coming=coming)
        except accounts.AccountError as error:
            raise CourseTransferError(f"{where}: {given!r}: {error}") from None
        if token_hash is not None and (token_hash in tokens or _token_taken(token_hash)):
            token_hash = None  # a token belongs to one account: this one makes a new token after signing in
        role = Role.INSTRUCTOR if claimed == Role.INSTRUCTOR and address in instructors else Role.STUDENT
        if role != claimed:
            demoted.append(address)
        user = accounts.unsaved_user(address, role, name, password_hash)
        user.api_token_hash, user.created_at = token_hash, created_at or utcnow()
        user.email_confirmed_at = confirmed_at
        db.session.add(user)
        coming.add(user.email_skeleton)
        if token_hash is not None:
            tokens.add(token_hash)
        result.users_created += 1
        by_email[address] = user
    if demoted:
        result.notes.append(f"{len(demoted)} new account(s) claimed a global role this course's enrolments do not "
                            f"give them and were created as students: {', '.join(demoted[:10])}"
                            + (", ..." if len(demoted) > 10 else ""))
    return by_email


def _token_taken(token_hash: str) -> bool:
    return db.session.scalar(select(User.id).where(User.api_token_hash == token_hash)) is not None


def _check_result(row: Any, where: str) -> CheckResult:
    if not isinstance(row, dict):
        raise CourseTransferError(f"{where}: expected an object, got {type(row).__name__}")
    position = _optional_int(row.get("position"), f"{where}.position")
    if position is None:
        raise CourseTransferError(f"{where}: missing position")
    return CheckResult(
        position=position, score=_required_number(row.get("score"), f"{where}.score"),
        max_score=_required_number(row.get("max_score"), f"{where}.max_score"),
        **{name: _text(row, name, where) for name in ("name", "function", "check", "status", "output")},
        visibility=_text(row, "visibility", where, "visible"), mistake=_optional_text(row, "mistake", where))


def _import(document: dict[str, Any]) -> ImportResult:
    info = _need(document, "course", dict, "document")
    code = _need(info, "code", str, "course")
    if db.session.scalar(select(Course.id).where(Course.code == code)) is not None:
        raise CourseTransferError(f"a course {code!r} already exists in this database")
    join_code = _need(info, "join_code", str, "course")
    try:
        time_zone = check_time_zone(_text(info, "time_zone", "course", "UTC") or "UTC")
    except CourseError as error:
        raise CourseTransferError(f"course.time_zone: {error}") from None
    course = Course(code=code, title=_text(info, "title", "course"), time_zone=time_zone,
                    late_day_tokens=_whole(info.get("late_day_tokens"), "course.late_day_tokens", 0),
                    hidden_seed=_hidden_seed(info.get("hidden_seed")),
                    created_at=_parse_time(info.get("created_at"), "course.created_at") or utcnow())
    result = ImportResult(course)
    # The file may come from a deployment (or a release) without the rule for chosen codes.
    kept = kept_join_code(join_code, code)
    if kept is None:
        kept = new_join_code()
        result.notes.append(f"the join code was easy to guess: students now join with {kept}")
    elif db.session.scalar(select(Course.id).where(Course.join_code == kept)) is not None:
        kept = new_join_code()
        result.notes.append(f"the join code was taken here: students now join with {kept}")
    course.join_code = kept
    db.session.add(course)

    by_assignment: dict[str, CourseAssignment] = {}
    for n, item in enumerate(_need(document, "assignments", list, "document")):
        where = f"assignments[{n}]"
        name = _need(item, "name", str, where)
        assignment = db.session.scalar(select(CatalogAssignment).where(CatalogAssignment.name == name))
        if assignment is None:
            assignment = CatalogAssignment(name=name, title=_text(item, "title", where, name),
                                    filename=_text(item, "filename", where, f"{name}.py"),
                                    version=_text(item, "version", where),
                                    max_score=_number(item.get("max_score"), f"{where}.max_score", 0.0))
            db.session.add(assignment)
            result.notes.append(f"assignment {name} was not in this database: created from the export "
                                "(run sync-assignments)")
        by_assignment[name] = CourseAssignment(
            course=course, assignment=assignment, due_at=_parse_time(item.get("due_at"), f"{where}.due_at"),
            late_policy=_choice(LatePolicy, item.get("late_policy"), f"{where}.late_policy", LatePolicy.PENALTY),
            penalty_per_day=_number(item.get("penalty_per_day"), f"{where}.penalty_per_day", 0.1),
            cutoff_days=_whole(item.get("cutoff_days"), f"{where}.cutoff_days", 0),
            counts=_choice(CountedSubmission, item.get("counts"), f"{where}.counts", CountedSubmission.BEST),
            release_at=_parse_time(item.get("release_at"), f"{where}.release_at"),
            hidden_results=_choice(HiddenResults, item.get("hidden_results"), f"{where}.hidden_results",
                                   HiddenResults.NEVER),
            time_limit_minutes=_optional_int(item.get("time_limit_minutes"), f"{where}.time_limit_minutes"))
        # Added itself: SQLAlchemy 2 does not cascade along the backref from `course`, and only
        # assignments that a submission points at were saved (the others vanished with their settings).
        db.session.add(by_assignment[name])

    enrollments = _need(document, "enrollments", list, "document")
    by_email = _import_users(_need(document, "users", list, "document"), _instructors(enrollments), result)

    def person(email: Any, where: str) -> User:
        address = email_address.normalise(email) if isinstance(email, str) else email
        if address not in by_email:
            raise CourseTransferError(f"{where}: {email!r} is not among the export's users")
        return by_email[address]

    def course_assignment(name: Any, where: str) -> CourseAssignment:
        if name not in by_assignment:
            raise CourseTransferError(f"{where}: {name!r} is not among the export's assignments")
        return by_assignment[name]

    enrolled: set[str] = set()
    for n, item in enumerate(enrollments):
        where = f"enrollments[{n}]"
        user = person(item.get("email") if isinstance(item, dict) else None, where)
        if user.email in enrolled:
            raise CourseTransferError(f"{where}: {user.email} is enrolled twice")
        enrolled.add(user.email)
        role = _choice(Role, item.get("role"), f"{where}.role", Role.STUDENT)
        mark_role_given(user, role)
        db.session.add(Enrollment(user=user, course=course, role=role,
                                  created_at=_parse_time(item.get("created_at"), f"{where}.created_at") or utcnow()))

    by_ref: dict[int, Submission] = {}
    for n, item in enumerate(_need(document, "submissions", list, "document")):
        where = f"submissions[{n}]"
        status = _choice(SubmissionStatus, _need(item, "status", str, where), f"{where}.status", SubmissionStatus.QUEUED)
        submission = Submission(
            user=person(item.get("email"), where), course_assignment=course_assignment(item.get("assignment"), where),
            status=SubmissionStatus.QUEUED if status == SubmissionStatus.RUNNING else status,
            source=_need(item, "source", str, where),
            **_present({name: _optional_text(item, name, where) for name in _SUBMISSION_TEXTS}),
            **_present({name: _number(item.get(name), f"{where}.{name}") for name in _SUBMISSION_NUMBERS}),
            **_present({name: _whole(item.get(name), f"{where}.{name}") for name in _SUBMISSION_WHOLE_NUMBERS}),
            **{name: _parse_time(item.get(name), f"{where}.{name}") for name in _SUBMISSION_TIMES},
        )
        if status == SubmissionStatus.RUNNING:
            submission.worker, submission.started_at = "", None
        # The document does not tell a regrade's finish from the student's own: the cooldown counts
        # from the last one, as it did where the course came from before the regrade lane.
        submission.cooldown_from = submission.finished_at
        for m, row in enumerate(_need(item, "results", list, where)):
            submission.results.append(_check_result(row, f"{where}.results[{m}]"))
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
            regrade.entries.append(RegradeEntry(
                submission=by_ref[ref], old_score=_number(entry.get("old_score"), f"{where}.entries[{m}].old_score"),
                old_final_score=_number(entry.get("old_final_score"), f"{where}.entries[{m}].old_final_score"),
                old_assignment_version=_text(entry, "old_assignment_version", f"{where}.entries[{m}]")))
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
            score=_number(item.get("score"), f"{where}.score", None),
            previous_score=_number(item.get("previous_score"), f"{where}.previous_score", None),
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
            factor=_number(item.get("factor"), f"{where}.factor", 1.0),
            extra_minutes=int(_number(item.get("extra_minutes"), f"{where}.extra_minutes", 0.0) or 0),
            reason=str(item.get("reason", ""))[:200], set_by_id=person_id(item.get("set_by"), where, optional=True),
            created_at=when(item, "created_at", where)))
    db.session.commit()
    return result

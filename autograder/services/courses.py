"""Courses: creating them, enrolment by join code or roster, deadlines and late policies."""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autograder.extensions import db
from autograder.models import CatalogAssignment, Course, CourseAssignment, Enrollment, Role, User
from autograder.models._time import utcnow
from autograder.models.course import CountedSubmission, HiddenResults, LatePolicy
from autograder.services import accounts, confirmation_rule, join_throttle
from autograder.services.errors import NotFound, ServiceError

_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# Unambiguous characters only: join codes are read aloud and typed from slides.
JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# A generated join code: 12 of 32 characters, 60 bits. With join_throttle, guessing any course's
# code is out of reach; a chosen one must pass check_join_code, well below this.
GENERATED_JOIN_CODE_LENGTH = 12
MIN_CHOSEN_JOIN_CODE_LENGTH = 10
MIN_CHOSEN_JOIN_CODE_DISTINCT = 6
# A roster is read whole and imported in one request: the largest classes have a few thousand.
MAX_ROSTER_ROWS = 5000
# Each first password costs ~0.1 s of scrypt in that request: larger classes get invitations instead.
MAX_ROSTER_PASSWORDS = 300


class CourseError(ServiceError):
    """The course operation cannot be done as asked."""


@dataclass
class RosterImport:
    """What a roster import did: accounts created (with their first password), enrolments, problems."""

    created: list[tuple[str, str]] = field(default_factory=list)
    # Accounts this import created without a password: each gets an invitation link to choose one.
    invited: list[User] = field(default_factory=list)
    # Existing accounts still without a password (an invitation not yet taken up, maybe from another
    # course): named, never given a link here. A link would hand the account to whoever imports
    # its address; the course page's button makes one where the instructor may (password_links).
    awaiting_invitation: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    already_enrolled: list[str] = field(default_factory=list)
    # Existing accounts in use whose owner never proved they read the address (self-registered, maybe by
    # someone else: services/email_confirmation.py): enrolled all the same, named so staff can check.
    unconfirmed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def new_hidden_seed() -> int:
    """Return a fresh random seed for a course's hidden cases (1 to 2**31 - 1: what Submission.seed holds).

    Random, not derived from the site's seed: staff of the courses made before per-course seeds
    have seen that one on their submission pages, and could derive any course's seed from it.
    """
    return secrets.randbelow(2**31 - 1) + 1


def new_join_code() -> str:
    """Return a fresh random join code (GENERATED_JOIN_CODE_LENGTH characters of JOIN_ALPHABET)."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(GENERATED_JOIN_CODE_LENGTH))


def check_join_code(join_code: str, course_code: str) -> str:
    """Return a join code staff chose, in capitals, if it is hard enough to guess; raise CourseError otherwise.

    Staff pick codes such as "ML2026" or the course's own code, and any account can try codes
    (join_throttle slows that down; it cannot make a guessable code safe). The rule refuses the
    plainly guessable: at least MIN_CHOSEN_JOIN_CODE_LENGTH letters and digits, both kinds, at
    least MIN_CHOSEN_JOIN_CODE_DISTINCT different characters, and not the course's code inside.
    """
    code = join_code.strip().upper()
    course = "".join(char for char in course_code.upper() if char.isalnum())
    if (len(code) < MIN_CHOSEN_JOIN_CODE_LENGTH or not code.isascii() or not code.isalnum()
            or code.isalpha() or code.isdigit() or len(set(code)) < MIN_CHOSEN_JOIN_CODE_DISTINCT
            or (course and course in code)):
        raise CourseError(
            f"A chosen join code has at least {MIN_CHOSEN_JOIN_CODE_LENGTH} letters and digits (both kinds, at "
            f"least {MIN_CHOSEN_JOIN_CODE_DISTINCT} different ones) and not the course's code: anyone with an "
            "account can try join codes. Leave it out to get a random one.")
    return code


def kept_join_code(join_code: str, course_code: str) -> str | None:
    """Return an imported course's join code in capitals if it may stay, or None if it is easy to guess.

    A code of this service's own making (new_join_code: 60 random bits) stays even when it happens
    to hold no digit, which the rule for chosen codes would refuse; any other code must pass that rule.
    """
    code = join_code.strip().upper()
    if (len(code) == GENERATED_JOIN_CODE_LENGTH and set(code) <= set(JOIN_ALPHABET)
            and len(set(code)) >= MIN_CHOSEN_JOIN_CODE_DISTINCT):
        return code
    try:
        return check_join_code(code, course_code)
    except CourseError:
        return None


def get_course(code: str) -> Course:
    """Return the course with this code; raise NotFound."""
    course = db.session.scalar(select(Course).where(Course.code == code))
    if course is None:
        raise NotFound(f"No course {code!r}.")
    return course


def check_time_zone(name: str) -> str:
    """Return the IANA time zone name if it exists; raise CourseError otherwise."""
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(f"Unknown time zone {name!r}: use a name such as Europe/Paris or America/New_York.") from None
    return name


def create_course(code: str, title: str = "", join_code: str | None = None,
                  assignment_names: list[str] | None = None, time_zone: str = "UTC",
                  instructor: User | None = None, published_join_code: bool = False) -> Course:
    """Create a course setting the named synced assignments (None: every one), commit, and return it.

    ``join_code``: one staff chose (check_join_code; None: a random one). ``published_join_code``:
    the code is public on purpose (the demo's, printed in the README), not held to the rule.
    ``instructor``, if given, becomes the course's first instructor.
    """
    code = code.strip()
    if not _CODE_PATTERN.match(code):
        raise CourseError("A course code is 1-40 letters, digits, '.', '_' or '-'.")
    if db.session.scalar(select(Course).where(Course.code == code)) is not None:
        raise CourseError(f"Course {code} already exists.")
    if join_code is None:
        join_code = new_join_code()
    elif not published_join_code:
        join_code = check_join_code(join_code, code)
    course = Course(code=code, title=title.strip() or code, join_code=join_code.strip().upper(),
                    hidden_seed=new_hidden_seed(),
                    time_zone=check_time_zone(time_zone))
    db.session.add(course)
    for assignment in db.session.scalars(select(CatalogAssignment).order_by(CatalogAssignment.id)):
        if assignment_names is None or assignment.name in assignment_names:
            course.course_assignments.append(CourseAssignment(assignment=assignment))
    if instructor is not None:
        mark_role_given(instructor, Role.INSTRUCTOR)
        db.session.add(Enrollment(user=instructor, course=course, role=Role.INSTRUCTOR))
    db.session.commit()
    return course


def update_course(course: Course, title: str, time_zone: str, late_day_tokens: int | None = None) -> Course:
    """Change a course's title, time zone and free late days per student; commit."""
    if late_day_tokens is not None:
        if not 0 <= late_day_tokens <= 60:
            raise CourseError("Free late days are between 0 and 60.")
        course.late_day_tokens = late_day_tokens
    course.time_zone = check_time_zone(time_zone)
    course.title = title.strip()[:200] or course.code
    db.session.commit()
    return course


def set_assignments(course: Course, assignment_names: list[str]) -> list[str]:
    """Make the course set exactly these synced assignments; commit; return the ones kept because they have submissions."""
    wanted = set(assignment_names)
    kept: list[str] = []
    present = {ca.assignment.name: ca for ca in course.course_assignments}
    for name, ca in present.items():
        if name not in wanted:
            if ca.submissions:
                kept.append(name)  # never drop students' work
            else:
                db.session.delete(ca)
    for assignment in db.session.scalars(select(CatalogAssignment).where(CatalogAssignment.name.in_(wanted))):
        if assignment.name not in present:
            db.session.add(CourseAssignment(course=course, assignment=assignment))
    db.session.commit()
    return kept


def enrolment(user: User, course: Course) -> Enrollment | None:
    """Return the user's enrolment in the course, or None."""
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def _enroll(user: User, course: Course, role: Role) -> tuple[Enrollment, bool]:
    existing = enrolment(user, course)
    if existing is not None:
        return existing, False
    mark_role_given(user, role)
    enrollment = Enrollment(user=user, course=course, role=role)
    db.session.add(enrollment)
    return enrollment, True


def mark_role_given(user: User, role: Role) -> None:
    """Note that ``user`` is given ``role`` in a course now: a staff role marks the account for good.

    User.staff_since: an instructor's password link may not reach anyone who is or was staff
    (password_links), so a demotion does not make a colleague's account theirs to take.
    """
    if role in STAFF_ROLES and user.staff_since is None:
        user.staff_since = utcnow()


def enroll(user: User, course: Course, role: Role | None = None) -> Enrollment:
    """Enrol the user in the course with their own role (or ``role``), commit; idempotent."""
    enrollment, _ = _enroll(user, course, role or user.role)
    db.session.commit()
    return enrollment


class JoinThrottled(CourseError):
    """Too many join attempts from this account, or wrong join codes from this client address."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def join_course(user: User, join_code: str, client: str | None = None) -> Course:
    """Enrol a student in the course with this join code and commit.

    ``client``: the address the request came from (None: not a request), for join_throttle.
    Raises EmailNotConfirmed (confirmation_rule: before the code is even looked up), JoinThrottled
    (before it is looked up too: a guesser learns nothing while throttled), CourseError if the code
    is unknown or the user is already in the course.
    """
    confirmation_rule.check(user, confirmation_rule.Action.JOIN)
    throttle = join_throttle.join_throttle()
    verdict = throttle.check(user.id, client or "")
    if not verdict.allowed:
        who = "join codes tried from this account" if verdict.reason == "account" else "wrong join codes from your network"
        minutes = -(-verdict.retry_after // 60)
        raise JoinThrottled(f"Too many {who}: please try again in {minutes} minute{'s' if minutes != 1 else ''}, "
                            "and check the code with your instructor.", verdict.retry_after)
    code = join_code.strip().upper()
    course = db.session.scalar(select(Course).where(Course.join_code == code)) if code else None
    if course is None:
        if client is not None:
            throttle.record_wrong_code(client)
        raise CourseError("No course has this join code. Check it with your instructor.")
    if enrolment(user, course) is not None:
        raise CourseError(f"You are already in {course.code}.")
    _enroll(user, course, Role.STUDENT)
    db.session.commit()
    return course


@dataclass
class _RosterRow:
    line_number: int
    given_email: str  # as the file spells it, for the error messages
    email: str
    name: str
    password: str  # "" when the row has none


def _roster_rows(csv_text: str) -> list[_RosterRow]:
    """Read a roster's rows (not the header, not blank lines); raise CourseError past MAX_ROSTER_ROWS or unreadable CSV."""
    rows: list[_RosterRow] = []
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    try:
        for line_number, row in enumerate(reader, start=1):
            cells = [cell.strip() for cell in row]
            if not cells or not any(cells):
                continue
            if line_number == 1 and cells[0].lower() in {"email", "e-mail", "mail"}:
                continue
            if len(rows) == MAX_ROSTER_ROWS:
                raise CourseError(f"A roster has at most {MAX_ROSTER_ROWS:,} students: split this one into several files.")
            rows.append(_RosterRow(line_number, cells[0], accounts.normalise_email(cells[0]),
                                   cells[1] if len(cells) > 1 else "", cells[2] if len(cells) > 2 else ""))
    except csv.Error as error:
        raise CourseError(f"Line {reader.line_num} of the roster is not CSV: {error}.") from None
    if sum(1 for row in rows if row.password) > MAX_ROSTER_PASSWORDS:
        raise CourseError(f"A roster gives first passwords to at most {MAX_ROSTER_PASSWORDS:,} students: leave the "
                          "password column out, and each new student is invited to choose one.")
    return rows


def _accounts_by_email(emails: set[str]) -> dict[str, User]:
    """Return the existing accounts among these (normalised) addresses, by address."""
    found: dict[str, User] = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), 500):  # SQLite bounds a statement's parameters
        chunk = ordered[start:start + 500]
        found.update((user.email, user) for user in db.session.scalars(select(User).where(User.email.in_(chunk))))
    return found


def import_roster(course: Course, csv_text: str) -> RosterImport:
    """Enrol every student of a CSV roster (columns email[, name][, password]), creating accounts.

    Accounts created without a password column get none: they are listed in ``invited``, for an
    invitation link to choose one. Existing accounts are enrolled but never invited (``awaiting_invitation``
    names those still without a password). Rows with problems are reported in ``errors`` and skipped.

    Every row is checked and its password hashed before anything is written, then all of them are
    written in one short transaction: scrypt costs ~0.1 s a password, and a 400-row roster hashed
    inside the transaction held SQLite's only write lock for 47 s (every submission got 503).
    Raises CourseError, writing nothing, for a roster of more than MAX_ROSTER_ROWS rows, one that
    is not CSV, or one whose accounts someone else created meanwhile.
    """
    rows = _roster_rows(csv_text)
    result = RosterImport()
    existing = _accounts_by_email({row.email for row in rows})
    roles = {enrollment.user_id: enrollment.role for enrollment in course.enrollments}
    new_accounts: dict[str, User] = {}
    skeletons: set[str] = set()  # of new_accounts, for look-alikes within the roster
    to_enrol: dict[str, User] = {}
    # Invited or awaiting an invitation, by e-mail: unsaved users have no id, and compare equal.
    listed: set[str] = set()
    for row in rows:
        email = row.email
        user = existing.get(email) or new_accounts.get(email)
        if user is None:
            try:
                address = accounts.check_new_email(email, coming=skeletons)
                password_hash = accounts.hash_password(row.password) if row.password else ""
            except accounts.AccountError as error:
                result.errors.append(f"line {row.line_number}: {row.given_email!r}: {error}")
                continue
            user = new_accounts[email] = accounts.unsaved_user(address, Role.STUDENT, row.name, password_hash)
            skeletons.add(user.email_skeleton)
            result.created.append((user.email, ""))  # never a password to hand out: see ``invited``
        role = roles.get(user.id) if user.id is not None else None
        if role in STAFF_ROLES:
            result.errors.append(f"line {row.line_number}: {email} is {role.value} of this course; "
                                 "not enrolled as a student")
            continue
        if role is None and email not in to_enrol:
            to_enrol[email] = user
            result.enrolled.append(email)
        else:
            result.already_enrolled.append(email)
        if user.password_hash and user.email_confirmed_at is None and email not in new_accounts \
                and email not in result.unconfirmed:
            result.unconfirmed.append(email)
        if user.password_hash or email in listed:
            continue  # has a password, or already listed (a repeated line)
        listed.add(email)
        if email in new_accounts:
            result.invited.append(user)
        else:
            result.awaiting_invitation.append(email)
    _write_roster(course, list(new_accounts.values()), list(to_enrol.values()))
    return result


def _write_roster(course: Course, new_accounts: list[User], to_enrol: list[User]) -> None:
    """Add the accounts, then the enrolments, in one transaction (a few statements: no per-row queries)."""
    try:
        db.session.add_all(new_accounts)
        db.session.flush()  # their ids
        db.session.add_all(Enrollment(user_id=user.id, course_id=course.id, role=Role.STUDENT) for user in to_enrol)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CourseError("Someone added one of these people while the roster was being read: nothing was "
                          "imported. Please import the roster again.") from None


def add_member(course: Course, email: str, role: Role, name: str = "",
               by_operator: bool = False) -> tuple[User, bool]:
    """Put a person in the course with ``role`` (an existing account, or a new one awaiting its invitation); commit.

    Returns the user and whether the account was created. Someone already in the course gets the
    new role, except the course's last instructor, and except an instructor unless ``by_operator``
    (the operator's ``set-role``): a co-instructor demoted by a colleague was theirs to reset and
    sign in as. Raises AccountError, CourseError.
    """
    user = accounts.find_user(email)
    created = user is None
    if user is None:
        user = accounts.new_user(email, Role.STUDENT, name, None)
    found = enrolment(user, course)
    if found is None:
        mark_role_given(user, role)
        db.session.add(Enrollment(user=user, course=course, role=role))
    elif found.role != role:
        if found.role == Role.INSTRUCTOR and not by_operator:
            db.session.rollback()
            raise CourseError(f"{user.email} is an instructor of {course.code}: only the site's operator changes an "
                              "instructor's role (autograder set-role).")
        if found.role == Role.INSTRUCTOR and len(instructors_of(course)) == 1:
            db.session.rollback()
            raise CourseError("A course keeps at least one instructor: add another one first.")
        mark_role_given(user, role)
        found.role = role
    db.session.commit()
    return user, created


def instructors_of(course: Course) -> list[User]:
    """Return the course's instructors."""
    return list(db.session.scalars(
        select(User).join(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == Role.INSTRUCTOR)))


def members_of(course: Course) -> list[tuple[User, Role]]:
    """Return everyone in the course with their role: staff first, then students, each by e-mail."""
    order = {Role.INSTRUCTOR: 0, Role.TA: 1, Role.STUDENT: 2}
    rows = db.session.execute(
        select(User, Enrollment.role).join(Enrollment).where(Enrollment.course_id == course.id)).all()
    return sorted(((user, role) for user, role in rows), key=lambda pair: (order[pair[1]], pair[0].email))


STAFF_ROLES = (Role.INSTRUCTOR, Role.TA)


def role_in(user: User, course: Course) -> Role | None:
    """Return the user's role in this course (instructor, TA, student), or None."""
    found = enrolment(user, course)
    return found.role if found is not None else None


def courses_taught_by(user: User) -> list[Course]:
    """Return the courses the user is staff of (instructor or TA), by code."""
    return list(db.session.scalars(
        select(Course).join(Enrollment).where(Enrollment.user_id == user.id, Enrollment.role.in_(STAFF_ROLES))
        .order_by(Course.code)
    ))


def courses_studied_by(user: User) -> list[Course]:
    """Return the courses the user is a student of, by code."""
    return list(db.session.scalars(
        select(Course).join(Enrollment).where(Enrollment.user_id == user.id, Enrollment.role == Role.STUDENT)
        .order_by(Course.code)
    ))


def teaches(user: User, course: Course) -> bool:
    """Tell whether the user is staff of this course (instructor or TA): sees and grades its work."""
    return role_in(user, course) in STAFF_ROLES


def manages(user: User, course: Course) -> bool:
    """Tell whether the user is an instructor of this course: may change its settings and people."""
    return role_in(user, course) == Role.INSTRUCTOR


def studies(user: User, course: Course) -> bool:
    """Tell whether the user is a student of this course."""
    return role_in(user, course) == Role.STUDENT


def students_of(course: Course) -> list[User]:
    """Return the course's students ordered by e-mail."""
    return list(db.session.scalars(
        select(User).join(Enrollment).where(Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT)
        .order_by(User.email)
    ))


def course_assignment(course: Course, assignment_name: str) -> CourseAssignment:
    """Return the course's setting of the named assignment; raise NotFound."""
    found = db.session.scalar(
        select(CourseAssignment).join(CatalogAssignment)
        .where(CourseAssignment.course_id == course.id, CatalogAssignment.name == assignment_name)
    )
    if found is None:
        raise NotFound(f"{course.code} sets no assignment {assignment_name!r}.")
    return found


def set_deadline(course_assignment: CourseAssignment, due_at: datetime | None, late_policy: LatePolicy,
                 penalty_per_day: float = 0.1, cutoff_days: int = 0,
                 counts: CountedSubmission | None = None, release_at: datetime | None = None,
                 hidden_results: HiddenResults | None = None) -> CourseAssignment:
    """Set the due date and late policy of an assignment in a course and commit."""
    if not 0.0 <= penalty_per_day <= 1.0:
        raise CourseError("The penalty per day is a fraction between 0 and 1.")
    if cutoff_days < 0:
        raise CourseError("The cut-off cannot be before the due date.")
    if due_at is not None and due_at.tzinfo is None:
        due_at = due_at.replace(tzinfo=timezone.utc)
    course_assignment.due_at = due_at
    course_assignment.late_policy = late_policy
    course_assignment.penalty_per_day = penalty_per_day
    course_assignment.cutoff_days = cutoff_days
    if counts is not None:
        course_assignment.counts = counts
    if release_at is not None and release_at.tzinfo is None:
        release_at = release_at.replace(tzinfo=timezone.utc)
    if release_at is not None and due_at is not None and release_at > due_at:
        raise CourseError("The release date is after the due date.")
    course_assignment.release_at = release_at
    if hidden_results is not None:
        course_assignment.hidden_results = hidden_results
    db.session.commit()
    return course_assignment


def _like(text: str) -> str:
    """Return a LIKE pattern matching ``text`` anywhere, its own % and _ taken literally (escape '\\')."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def person_matches(query: str):
    """Return the SQL condition "the user's name or e-mail contains ``query``" (case-insensitive)."""
    from sqlalchemy import func, or_

    pattern = _like(query)
    return or_(func.lower(User.email).like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))


MEMBER_SORTS = ("role", "email", "name")


def members_page(course: Course, query: str = "", role: Role | None = None, sort: str = "role",
                 offset: int = 0, limit: int = 50) -> tuple[list[tuple[User, Role]], int]:
    """Return one page of the course's people (with their role) and how many match in all.

    ``query`` searches names and e-mail addresses; ``role`` keeps one role; ``sort`` is one of
    MEMBER_SORTS ("role": staff first, then students, each by e-mail).
    """
    from sqlalchemy import case, func

    conditions = [Enrollment.course_id == course.id]
    if query:
        conditions.append(person_matches(query))
    if role is not None:
        conditions.append(Enrollment.role == role)
    staff_first = case((Enrollment.role == Role.INSTRUCTOR, 0), (Enrollment.role == Role.TA, 1), else_=2)
    order = {"role": (staff_first, User.email), "email": (User.email,),
             "name": (func.lower(User.name), User.email)}[sort if sort in MEMBER_SORTS else "role"]
    total = db.session.scalar(select(func.count()).select_from(Enrollment).join(User).where(*conditions)) or 0
    rows = db.session.execute(select(User, Enrollment.role).join(Enrollment).where(*conditions)
                              .order_by(*order, User.id).offset(offset).limit(limit)).all()
    return [(user, member_role) for user, member_role in rows], total


def count_students(course: Course) -> int:
    """Return how many students the course has."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.course_id == course.id, Enrollment.role == Role.STUDENT)) or 0

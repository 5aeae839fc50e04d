"""Timed assignments: a time limit counted from each student's Start, and per-student extra time.

A course assignment may have a time limit in minutes. A student presses Start (the moment is
recorded once and never moves); from then on they have the limit, times their accommodation's
factor, plus its extra minutes. Submissions before Start or after that time are refused. The
due date and late policy still apply on their own: a student who starts late is judged late as
usual, and the timer never extends the due date.

Accommodations are set by the course's instructors (like extensions). Their rows are never
changed: the newest per (student, assignment) is in force, so the history is the audit trail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from autograder.extensions import db
from autograder.models import CourseAssignment, TimeAccommodation, TimedStart, User
from autograder.models._time import utcnow
from autograder.services import confirmation_rule, courses
from autograder.services.errors import Forbidden, ServiceError

MAX_LIMIT_MINUTES = 7 * 24 * 60
MAX_FACTOR = 5.0
MAX_EXTRA_MINUTES = 24 * 60


class TimeLimitError(ServiceError):
    """A timed assignment refuses this (not started yet, time is up) or the setting is out of range."""


@dataclass(frozen=True)
class TimedWindow:
    """A student's time on a timed assignment."""

    limit_minutes: int  # the assignment's own limit
    allowed: timedelta  # this student's, accommodation included
    accommodation: TimeAccommodation | None
    started_at: datetime | None
    ends_at: datetime | None

    @property
    def allowed_minutes(self) -> float:
        return self.allowed.total_seconds() / 60

    def minutes_left(self, now: datetime) -> int | None:
        """Return the whole minutes left (rounded up), 0 once over, None before Start."""
        if self.ends_at is None:
            return None
        return max(0, math.ceil((self.ends_at - now).total_seconds() / 60))

    def is_over(self, now: datetime) -> bool:
        return self.ends_at is not None and now > self.ends_at


def allowed_time(limit_minutes: int, accommodation: TimeAccommodation | None) -> timedelta:
    """Return the time a student has: the limit, times the accommodation's factor, plus its extra minutes."""
    if accommodation is None:
        return timedelta(minutes=limit_minutes)
    return timedelta(minutes=limit_minutes * accommodation.factor + accommodation.extra_minutes)


def accommodation_history(user: User, course_assignment: CourseAssignment) -> list[TimeAccommodation]:
    """Return every accommodation set for the student on this assignment, newest first (the audit trail)."""
    return list(db.session.scalars(
        select(TimeAccommodation).where(TimeAccommodation.user_id == user.id,
                                        TimeAccommodation.course_assignment_id == course_assignment.id)
        .order_by(TimeAccommodation.created_at.desc(), TimeAccommodation.id.desc())))


def accommodation_for(user: User, course_assignment: CourseAssignment) -> TimeAccommodation | None:
    """Return the accommodation in force (None if there is none or it was lifted)."""
    history = accommodation_history(user, course_assignment)
    newest = history[0] if history else None
    if newest is None or (newest.factor == 1.0 and newest.extra_minutes == 0):
        return None
    return newest


def start_of(user: User, course_assignment: CourseAssignment) -> TimedStart | None:
    """Return when the student started the assignment, or None."""
    return db.session.scalar(select(TimedStart).where(
        TimedStart.user_id == user.id, TimedStart.course_assignment_id == course_assignment.id))


def window_for(user: User, course_assignment: CourseAssignment) -> TimedWindow | None:
    """Return the student's time on the assignment, or None if it is not timed."""
    limit = course_assignment.time_limit_minutes
    if not limit:
        return None
    accommodation = accommodation_for(user, course_assignment)
    allowed = allowed_time(limit, accommodation)
    started = start_of(user, course_assignment)
    started_at = started.started_at if started is not None else None
    return TimedWindow(limit, allowed, accommodation, started_at,
                       started_at + allowed if started_at is not None else None)


def start(user: User, course_assignment: CourseAssignment, now: datetime | None = None) -> TimedStart:
    """Record that the student starts the timed assignment now, and commit; starting again changes nothing.

    Raises EmailNotConfirmed (confirmation_rule: the clock would run in the name of the address's
    owner), Forbidden (not a student of the course) and TimeLimitError (the assignment is not timed).
    """
    confirmation_rule.check(user, confirmation_rule.Action.START)
    if not courses.studies(user, course_assignment.course):
        raise Forbidden("Only students of this course can start its assignments.")
    if not course_assignment.time_limit_minutes:
        raise TimeLimitError("This assignment has no time limit: there is nothing to start.")
    found = start_of(user, course_assignment)
    if found is not None:
        return found
    found = TimedStart(user_id=user.id, course_assignment_id=course_assignment.id, started_at=now or utcnow())
    db.session.add(found)
    try:
        db.session.commit()
    except IntegrityError:  # started twice at once (two tabs): the first Start stands
        db.session.rollback()
        found = start_of(user, course_assignment)
        assert found is not None
    return found


def check_can_submit(user: User, course_assignment: CourseAssignment, now: datetime) -> None:
    """Raise TimeLimitError if the assignment is timed and the student has not started or their time is up."""
    window = window_for(user, course_assignment)
    if window is None:
        return
    if window.started_at is None:
        raise TimeLimitError("This assignment is timed: press Start on its page first; your time counts from then.")
    if window.is_over(now):
        raise TimeLimitError("Your time for this assignment is up: submissions are closed.")


def set_time_limit(course_assignment: CourseAssignment, minutes: int | None) -> CourseAssignment:
    """Give the assignment a time limit in minutes (None or 0: untimed) and commit."""
    if minutes is not None and not 0 <= minutes <= MAX_LIMIT_MINUTES:
        raise TimeLimitError(f"A time limit is between 1 and {MAX_LIMIT_MINUTES} minutes (empty: untimed).")
    course_assignment.time_limit_minutes = minutes or None
    db.session.commit()
    return course_assignment


def set_accommodation(staff: User, student: User, course_assignment: CourseAssignment, factor: float,
                      extra_minutes: int, reason: str = "") -> TimeAccommodation:
    """Record the student's extra time on the assignment (factor 1 and 0 minutes lifts it) and commit.

    Only the course's instructors set accommodations, for its students. Raises Forbidden, TimeLimitError.
    """
    course = course_assignment.course
    if not courses.manages(staff, course) or not courses.studies(student, course):
        raise Forbidden("Only the course's instructors set accommodations, for its students.")
    if not (math.isfinite(factor) and 1.0 <= factor <= MAX_FACTOR):
        raise TimeLimitError(f"The time factor is between 1 and {MAX_FACTOR:g} (1.5 gives half as much again).")
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise TimeLimitError(f"Extra minutes are between 0 and {MAX_EXTRA_MINUTES}.")
    row = TimeAccommodation(user_id=student.id, course_assignment_id=course_assignment.id, factor=float(factor),
                            extra_minutes=extra_minutes, reason=reason.strip()[:200], set_by_id=staff.id)
    db.session.add(row)
    db.session.commit()
    return row

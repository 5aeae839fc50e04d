"""Late-day tokens: each student may spend a few free late days over a whole course.

A late submission spends the student's remaining tokens before any late policy applies: its
stored ``late_days`` are what is left after them (and ``late_tokens`` what it spent). Tokens spent
on an assignment are the most any of its submissions used, so resubmitting does not spend twice.
A submission plans its tokens with the student's enrolment held (services.submissions), so two
sent at once, to two assignments, cannot both spend the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from autograder.extensions import db
from autograder.models import CourseAssignment, Submission, User
from autograder.models.course import LatePolicy


@dataclass(frozen=True)
class LatePlan:
    """What a submission made now would count as."""

    late_days: int  # after tokens: what the late policy sees
    tokens: int  # free late days it spends
    accepted: bool
    tokens_left: int  # before this submission


def tokens_spent(user: User, course_assignment: CourseAssignment, elsewhere_only: bool = False) -> int:
    """Return the free late days the student has spent in this course (optionally only on other assignments)."""
    query = (select(Submission.course_assignment_id, func.max(Submission.late_tokens))
             .join(CourseAssignment, Submission.course_assignment_id == CourseAssignment.id)
             .where(Submission.user_id == user.id, CourseAssignment.course_id == course_assignment.course_id)
             .group_by(Submission.course_assignment_id))
    return sum(spent or 0 for ca_id, spent in db.session.execute(query)
               if not (elsewhere_only and ca_id == course_assignment.id))


def plan(user: User, course_assignment: CourseAssignment, raw_days: int, raw_accepted: bool) -> LatePlan:
    """Return how a submission ``raw_days`` late (started days) counts once the student's tokens are spent."""
    allowance = course_assignment.course.late_day_tokens or 0
    # A course without tokens leaves none, whatever was spent: nothing to read (a query per submission).
    left = max(0, allowance - tokens_spent(user, course_assignment, elsewhere_only=True)) if allowance > 0 else 0
    tokens = min(raw_days, left)
    late_days = raw_days - tokens
    accepted = raw_accepted
    if not accepted and course_assignment.late_policy == LatePolicy.CUTOFF:
        # Tokens push the cut-off too: a free late day is a day the deadline moved for this student.
        accepted = late_days <= course_assignment.cutoff_days
    return LatePlan(late_days, tokens, accepted, left)

"""The named mistakes of a class: which known mistakes the grader recognised, how often, and where."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from autograder.extensions import db
from autograder.models import CheckResult, CourseAssignment, Submission

TOP_MISTAKES = 10
EXAMPLES = 3


@dataclass
class MistakeCount:
    """One named mistake on one assignment: how many students and submissions made it, and examples."""

    function: str
    mistake: str
    students: int = 0
    submissions: int = 0
    examples: list[int] = field(default_factory=list)  # submission ids, most recent first


def common_mistakes(course_assignment: CourseAssignment, limit: int = TOP_MISTAKES,
                    examples: int = EXAMPLES) -> list[MistakeCount]:
    """Return the most common named mistakes of an assignment in a course, most students first.

    Counts every graded submission (a student who made a mistake and fixed it still counts:
    the dashboard shows what the class stumbles on). A mistake named by several checks of one
    submission counts once for it.
    """
    rows = db.session.execute(
        select(CheckResult.function, CheckResult.mistake, Submission.id, Submission.user_id)
        # "+ 0" keeps SQLite from reading every result of the assignment through the submission_id
        # index: it starts from the mistake index instead ("> ''": named, as a range), so results
        # without a named mistake (nearly all of them) are never read.
        .join(Submission, CheckResult.submission_id + 0 == Submission.id)
        .where(Submission.course_assignment_id == course_assignment.id, CheckResult.mistake > "")
        .order_by(Submission.created_at.desc(), Submission.id.desc())
    ).all()
    found: dict[tuple[str, str], tuple[set[int], list[int]]] = {}
    for function, mistake, submission_id, user_id in rows:
        students, submissions = found.setdefault((function, mistake), (set(), []))
        students.add(user_id)
        if submission_id not in submissions:
            submissions.append(submission_id)
    counts = [MistakeCount(function=function, mistake=mistake, students=len(students), submissions=len(submissions),
                           examples=submissions[:examples])
              for (function, mistake), (students, submissions) in found.items()]
    counts.sort(key=lambda item: (-item.students, -item.submissions, item.function, item.mistake))
    return counts[:limit]

"""Submission results as plain data: the API's JSON and the result page's live updates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autograder.grading.report import HIDDEN
from autograder.models import CheckResult, Submission, SubmissionStatus

FINISHED = (SubmissionStatus.DONE, SubmissionStatus.ERROR)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def test_json(result: CheckResult | WithheldResult) -> dict[str, Any]:
    """Return one check result shaped as a test of ``grade --json``."""
    return {
        "name": result.name,
        "function": result.function,
        "check": result.check,
        "score": result.score,
        "max_score": result.max_score,
        "status": result.status,
        "output": result.output,
        "visibility": result.visibility,
        **({"mistake": result.mistake} if result.mistake else {}),
    }


def hidden_results_shown(submission: Submission) -> bool:
    """Tell whether the course shows students their hidden-case results now (never, after the due date, always)."""
    from autograder.models.course import HiddenResults
    from autograder.models._time import utcnow

    ca = submission.course_assignment
    if ca.hidden_results == HiddenResults.ALWAYS:
        return True
    if ca.hidden_results == HiddenResults.AFTER_DUE:
        from autograder.services.deadline_extensions import due_for

        due = due_for(submission.user, ca)  # a student with an extension waits for their own date
        return due is not None and utcnow() > due
    return False


@dataclass(frozen=True)
class WithheldResult:
    """A check that failed on hidden cases only, as a student sees it before the course shows why."""

    id: int
    name: str
    function: str
    check: str
    score: float
    max_score: float
    status: str
    output: str
    visibility: str = HIDDEN
    mistake: str | None = None


def _withheld(result: CheckResult, submission: Submission) -> WithheldResult:
    from autograder.models.course import HiddenResults

    if submission.course_assignment.hidden_results == HiddenResults.AFTER_DUE:
        why = "Why is shown here once the due date has passed."
    else:
        why = "The course does not show the details of hidden cases."
    output = (f"This check failed on hidden cases only (the public cases pass). {why} Check the function "
              "against the contract on other shapes and values than the public cases use.")
    return WithheldResult(result.id, result.name, result.function, result.check, result.score, result.max_score,
                          result.status, output)


def visible_results(submission: Submission, for_staff: bool) -> list[CheckResult | WithheldResult]:
    """Return the check results as the viewer may see them.

    Staff see everything. A student sees every check with its score; for a check that failed on
    hidden cases only, why it failed (the kind of failure, never the inputs) is shown when the
    course's hidden-results setting says so (always, after the due date, or never).
    """
    if for_staff or hidden_results_shown(submission):
        return list(submission.results)
    return [_withheld(r, submission) if r.visibility == HIDDEN else r for r in submission.results]


def submission_json(submission: Submission, for_staff: bool = False) -> dict[str, Any]:
    """Return the submission's status and results: the API's and the result page's shape."""
    assignment = submission.course_assignment.assignment
    done = submission.status == SubmissionStatus.DONE
    regrading = submission.regrading and submission.status not in FINISHED
    return {
        "id": submission.id,
        "assignment": assignment.name,
        "course": submission.course_assignment.course.code,
        "status": submission.status.value,
        "score": submission.final_score if done else None,
        # Being regraded: its last grading's score stands until the new one is stored.
        "regrading": regrading,
        "last_score": submission.final_score if regrading else None,
        "raw_score": submission.score if done else None,
        "max_score": submission.max_score if submission.max_score is not None else assignment.max_score,
        "late_days": submission.late_days,
        "created_at": _iso(submission.created_at),
        "finished_at": _iso(submission.finished_at),
        "grading_seconds": submission.grading_seconds,
        "grader_version": submission.grader_version,
        "assignment_version": submission.assignment_version,
        "sha256": submission.sha256,
        "error": _error_text(submission, for_staff),
        "tests": [test_json(r) for r in visible_results(submission, for_staff)],
    }


# What a student reads of a grader error: the stored message is the exception the grader (or the
# database under it) raised, naming hosts, users and paths; staff see it, and the log has it all.
STUDENT_ERROR = "The grader failed on our side, not because of your code: it is retried automatically."


def _error_text(submission: Submission, for_staff: bool) -> str:
    if submission.status != SubmissionStatus.ERROR:
        return ""
    return submission.error_message if for_staff else STUDENT_ERROR


def grouped_by_function(results: list[Any]) -> list[tuple[str, list[Any]]]:
    """Return the results grouped by function, in the order the grader reported them."""
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(result.function, []).append(result)
    return list(groups.items())

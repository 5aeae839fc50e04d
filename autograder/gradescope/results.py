"""Gradescope's results.json from the engine's reports (only keys Gradescope's specification lists).

Each check that has hidden cases becomes two tests: its verdict on the public cases, worth 0
points and always visible (the feedback `grade` gives offline), and the graded verdict on public
and hidden cases with the check's points, shown as the course chooses (``after_published`` by
default). The points, and so the total, are exactly the service's. Checks without hidden cases
and the gradient-check diagnostics (0 points) are visible.
"""

from __future__ import annotations

from typing import Any

from autograder.grading.report import Report, TestResult
from autograder.grading.suite import PreparedCheck, PreparedSuite

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_CASE_VISIBILITIES = ("after_published", "hidden", "after_due_date", "visible")


def checks_with_hidden_cases(suite: PreparedSuite) -> set[str]:
    """Names (``"function: check"``) of the checks that hold at least one hidden case."""
    return {
        f"{function.name}: {check.name}"
        for function in suite.functions
        for check in function.checks
        if _has_hidden_case(check)
    }


def _has_hidden_case(check: PreparedCheck) -> bool:
    return any(case.hidden for case in [*check.value_cases, *check.watches, *check.grad_cases])


def results_json(
    graded: Report,
    public: Report,
    hidden_checks: set[str],
    *,
    hidden_visibility: str,
    stdout_visibility: str = "hidden",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build results.json from the graded (hidden-mode) report and the public-cases report of one file."""
    if hidden_visibility not in VISIBILITIES or stdout_visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}")
    public_by_name = {test.name: test for test in public.tests}
    tests: list[dict[str, Any]] = []
    for test in graded.tests:
        if test.name in hidden_checks and test.max_score > 0:
            twin = public_by_name.get(test.name)
            if twin is not None:
                tests.append(
                    _entry(
                        twin,
                        name=f"{test.name} (public cases)",
                        score=0.0,
                        max_score=0.0,
                        visibility="visible",
                        role="public cases",
                    )
                )
            tests.append(
                _entry(
                    test,
                    name=test.name,
                    score=test.score,
                    max_score=test.max_score,
                    visibility=hidden_visibility,
                    role="graded: public and hidden cases",
                )
            )
        else:
            role = "diagnostic" if test.max_score == 0 else "graded"
            tests.append(
                _entry(
                    test, name=test.name, score=test.score, max_score=test.max_score, visibility="visible", role=role
                )
            )
    return {
        "score": graded.score,
        "execution_time": round(graded.seconds + public.seconds, 3),
        "output": "\n".join(graded.messages),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": stdout_visibility,
        "extra_data": {
            "assignment": graded.assignment,
            "grader_version": graded.grader_version,
            "max_score": round(graded.max_score, 6),
            "mode": graded.mode,
            **(extra or {}),
        },
        "tests": tests,
    }


def failure_json(
    message: str, *, stdout_visibility: str = "hidden", extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """results.json for a submission that could not be graded at all (score 0, the reason visible)."""
    return {
        "score": 0.0,
        "output": message,
        "output_format": "text",
        "stdout_visibility": stdout_visibility,
        "extra_data": dict(extra or {}),
        "tests": [],
    }


def _entry(
    test: TestResult, *, name: str, score: float, max_score: float, visibility: str, role: str
) -> dict[str, Any]:
    extra = {"function": test.function, "check": test.check, "kind": test.kind, "role": role}
    if test.mistake:
        extra["mistake"] = test.mistake
    return {
        "name": name,
        "score": round(score, 6),
        "max_score": round(max_score, 6),
        "status": test.status,
        "output": test.output,
        "visibility": visibility,
        "tags": [test.function],
        "extra_data": extra,
    }

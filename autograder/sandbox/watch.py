"""Telling the sandbox's own failures from the student's: an executor that notes them."""

from __future__ import annotations

from autograder.sandbox.executor import (
    CRASHED, SANDBOX_FAILURE_PREFIX, Executor, FollowUp, UnitJob, UnitOutcome, executor_raised, run_then,
)


def is_sandbox_failure(outcome: UnitOutcome) -> bool:
    """True when ``outcome`` is the sandbox's own failure, which must never count against a student."""
    return outcome.status == CRASHED and str(outcome.message).startswith(SANDBOX_FAILURE_PREFIX)


class SandboxWatch:
    """The executor as the engine sees it, noting every unit the sandbox itself failed.

    Student code runs in a child with its own pid namespace and uid and cannot reach the zygote,
    so a grade with any such unit is not the student's: callers grade again or store no score.
    """

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.isolation = executor.isolation
        self.failures: list[str] = []

    def run(self, job: UnitJob) -> UnitOutcome:
        try:
            outcome = self.executor.run(job)
        except Exception as error:  # noqa: BLE001 - e.g. no process could be started: not the student's doing
            outcome = executor_raised(error)
        self._note(outcome)
        return outcome

    def run_then(self, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
        try:
            first, second = run_then(self.executor, job, follow)
        except Exception as error:  # noqa: BLE001 - as in run
            first, second = executor_raised(error), None
        for outcome in (first, second):
            if outcome is not None:
                self._note(outcome)
        return first, second

    def _note(self, outcome: UnitOutcome) -> None:
        if is_sandbox_failure(outcome):
            self.failures.append(str(outcome.message))

    def close(self) -> None:
        self.executor.close()

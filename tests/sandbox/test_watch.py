"""SandboxWatch: every failure of the sandbox itself is noted, whether the executor reports it or raises."""

from __future__ import annotations

from autograder.sandbox.executor import CRASHED, OK, SANDBOX_FAILURE_PREFIX, FollowUp, UnitJob, UnitOutcome
from autograder.sandbox.program import Call
from autograder.sandbox.watch import SandboxWatch, is_sandbox_failure

JOB = UnitJob(source="def one():\n    return 1\n", filename="one.py", calls=[Call("one")])


class ScriptedExecutor:
    """Answers each run with the next scripted outcome, or raises it if it is an exception."""

    isolation = "full"

    def __init__(self, *answers: UnitOutcome | Exception) -> None:
        self.answers = list(answers)

    def run(self, job: UnitJob) -> UnitOutcome:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        pass


def test_an_executor_that_raises_is_a_sandbox_failure_not_an_exception():
    watch = SandboxWatch(ScriptedExecutor(BlockingIOError(11, "Resource temporarily unavailable")))
    outcome = watch.run(JOB)
    assert outcome.status == CRASHED and is_sandbox_failure(outcome)
    assert watch.failures == [f"{SANDBOX_FAILURE_PREFIX} failed: BlockingIOError"]


def test_reported_sandbox_failures_are_noted_and_student_crashes_are_not():
    sandbox_down = UnitOutcome(status=CRASHED, message=f"{SANDBOX_FAILURE_PREFIX} is unavailable: no zygote")
    student_crash = UnitOutcome(status=CRASHED, message="the process was killed by signal 11")
    watch = SandboxWatch(ScriptedExecutor(UnitOutcome(status=OK), student_crash, sandbox_down))
    assert [watch.run(JOB).status for _ in range(3)] == [OK, CRASHED, CRASHED]
    assert watch.failures == [sandbox_down.message]


def test_a_sandbox_failure_in_the_job_that_followed_is_noted():
    sandbox_down = UnitOutcome(status=CRASHED, message=f"{SANDBOX_FAILURE_PREFIX} failed: the zygote died")
    follow = FollowUp(most_seconds=60, most_cpu_seconds=60, job_after=lambda first: JOB)
    watch = SandboxWatch(ScriptedExecutor(UnitOutcome(status=OK), sandbox_down))  # no run_then: two runs
    first, second = watch.run_then(JOB, follow)
    assert first.status == OK and second is sandbox_down
    assert watch.failures == [sandbox_down.message]


def test_an_executor_that_raises_while_chaining_is_a_sandbox_failure():
    class Failing(ScriptedExecutor):
        def run_then(self, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
            raise OSError("no pipe")

    watch = SandboxWatch(Failing())
    first, second = watch.run_then(JOB, FollowUp(most_seconds=60, most_cpu_seconds=60, job_after=lambda first: JOB))
    assert is_sandbox_failure(first) and second is None
    assert watch.failures == [f"{SANDBOX_FAILURE_PREFIX} failed: OSError"]

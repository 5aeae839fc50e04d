"""How a submission is split into sandbox units: one for an honest file, more on failure."""

from __future__ import annotations

from autograder.grading.engine import grade_source
from autograder.grading.prepare import prepare_suite
from autograder.sandbox.executor import Executor, UnitJob, UnitOutcome


class CountingExecutor:
    """Pass every unit to the real sandbox, remembering how many calls each one carried."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.isolation = inner.isolation
        self.units: list[int] = []

    def run(self, job: UnitJob) -> UnitOutcome:
        self.units.append(len(job.calls))
        return self.inner.run(job)

    def close(self) -> None:
        pass


def _function_scores(report):
    return {function: report.function_score(function) for function in {test.function for test in report.tests}}


def test_honest_file_is_graded_in_one_unit(toy, executor):
    counting = CountingExecutor(executor)
    report = grade_source(toy, toy.reference_source.encode(), counting)
    assert report.full_marks
    assert len(counting.units) == 1


def test_each_function_gets_its_own_time_limit(toy, executor):
    # Every function sleeps 70% of the 1 s limit: together far more than one limit, each within it.
    slow = "import time\n" + toy.reference_source.replace("def ", "def _fast_")
    for function in toy.functions:
        slow += (f"\ndef {function.name}(*args, **kwargs):\n"
                 f"    if not globals().get('_slept_{function.name}'):\n"
                 f"        globals()['_slept_{function.name}'] = True\n"
                 f"        time.sleep(0.7)\n"
                 f"    return _fast_{function.name}(*args, **kwargs)\n")
    counting = CountingExecutor(executor)
    report = grade_source(toy, slow.encode(), counting)
    assert report.full_marks, [test.output for test in report.tests if test.status != "passed"]
    assert len(counting.units) == 1


def test_crash_reruns_the_culprit_alone_and_the_rest_together(toy, executor):
    names = [function.name for function in toy.functions]
    culprit = names[1]
    source = toy.reference_source + f"\nimport os\ndef {culprit}(*args, **kwargs):\n    os._exit(3)\n"
    counting = CountingExecutor(executor)
    report = grade_source(toy, source.encode(), counting)
    scores = _function_scores(report)
    assert scores[culprit] == 0
    assert all(scores[name] == function.points for name, function in zip(names, toy.functions) if name != culprit)
    assert any("exit status 3" in test.output for test in report.tests if test.function == culprit)
    # First the whole program, then the culprit alone, then the functions after it together.
    suite = prepare_suite(toy, "public", None)
    calls = {function.name: len(function.calls) for function in suite.functions}
    assert counting.units[0] == sum(calls.values())
    assert counting.units[1] == calls[culprit]
    assert counting.units[2] == sum(calls[name] for name in names[2:])


def test_a_function_that_times_out_is_not_rerun(toy, executor):
    names = [function.name for function in toy.functions]
    culprit = names[2]  # square_loss_grad: no other function's cases call it
    source = toy.reference_source + f"\ndef {culprit}(*args, **kwargs):\n    while True:\n        pass\n"
    counting = CountingExecutor(executor)
    report = grade_source(toy, source.encode(), counting)
    scores = _function_scores(report)
    assert scores[culprit] == 0
    assert any("time limit" in test.output for test in report.tests if test.function == culprit)
    # The whole program, then the functions after the culprit: its own timeout is its verdict.
    suite = prepare_suite(toy, "public", None)
    calls = {function.name: len(function.calls) for function in suite.functions}
    assert counting.units == [sum(calls.values()), sum(calls[name] for name in names[3:])]

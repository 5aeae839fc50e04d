"""One child for a submission's two jobs (``ZygoteExecutor.run_then``): its public cases, then its hidden ones."""

from __future__ import annotations

import pytest

from autograder.sandbox.executor import CRASHED, IMPORT_ERROR, OK, FollowUp, Limits, UnitJob, UnitOutcome, run_then
from autograder.sandbox.program import Call
from autograder.sandbox.watch import is_sandbox_failure

LIMITS = Limits(wall_seconds=5, load_seconds=5)

# Counts, on a module that outlives the student's, how often a file was loaded in this process.
COUNTING = """
import json, sys
json.__dict__.setdefault("_loads", []).append(1)
calls = [0]

def state(tag):
    calls[0] += 1
    print("printed by", tag)
    # The module registered under the file's name (as `import` would; dataclasses look it up) is this one.
    return [len(json._loads), calls[0], sys.modules[__name__].calls[0]]
"""

# Reads, then changes, what a careless file may change for the whole interpreter.
CARELESS = """
import random, sys, warnings
import numpy as np

def read_then_change():
    seen = [float(np.random.random()), random.random(), np.geterr()["divide"], sys.getrecursionlimit(),
            len(warnings.filters)]
    np.random.random(100)
    random.random()
    np.seterr(all="raise")
    sys.setrecursionlimit(321)
    warnings.simplefilter("error")
    return seen
"""


def job(source: str, *calls: Call, filename: str = "student.py") -> UnitJob:
    return UnitJob(source=source, filename=filename, calls=list(calls), limits=LIMITS)


def follow_with(following: UnitJob | None, asked: list[UnitOutcome] | None = None, most: float = 60.0) -> FollowUp:
    def job_after(first: UnitOutcome) -> UnitJob | None:
        if asked is not None:
            asked.append(first)
        return following

    return FollowUp(most_seconds=most, most_cpu_seconds=most, job_after=job_after)


def test_the_second_job_runs_in_the_same_child_with_the_file_loaded_again(sandbox) -> None:
    first, second = sandbox.run_then(
        job(COUNTING, Call("state", ("public",)), Call("state", ("public",))),
        follow_with(job(COUNTING, Call("state", ("hidden",)))),
    )
    assert first.status == OK and [call.value for call in first.calls] == [[1, 1, 1], [1, 2, 2]]
    assert second is not None and second.status == OK
    # Loaded a second time in the same process (the json module kept the first load's mark), afresh.
    assert [call.value for call in second.calls] == [[2, 1, 1]]
    # Each job's console is its own: the boundary is the first job's last frame.
    assert first.console == "printed by public\nprinted by public\n"
    assert second.console == "printed by hidden\n"
    # A fresh child for comparison: one load only.
    assert [call.value for call in sandbox.run(job(COUNTING, Call("state", ("alone",)))).calls] == [[1, 1, 1]]


def test_the_second_job_finds_the_interpreter_as_a_fresh_child_would(sandbox) -> None:
    first, second = sandbox.run_then(
        job(CARELESS, Call("read_then_change")), follow_with(job(CARELESS, Call("read_then_change")))
    )
    fresh = sandbox.run(job(CARELESS, Call("read_then_change")))
    assert first.status == OK and second is not None and second.status == OK and fresh.status == OK
    # NumPy's global generator as the zygote left it; Python's random seeded afresh, as at a fork.
    values = [
        [value for index, value in enumerate(outcome.calls[0].value) if index != 1]
        for outcome in (first, second, fresh)
    ]
    assert values[0] == values[1] == values[2]
    assert values[0][1:3] != ["raise", 321]  # what the first job changed did not stay
    assert len({outcome.calls[0].value[1] for outcome in (first, second, fresh)}) == 3


def test_nothing_of_the_second_job_reaches_the_first_outcome(sandbox) -> None:
    source = "def show(text):\n    print(text)\n    return text\n"
    first, second = sandbox.run_then(
        job(source, Call("show", ("before",))), follow_with(job(source, Call("show", ("SECRET-after",))))
    )
    assert second is not None and second.calls[0].value == "SECRET-after" and "SECRET" in second.console
    assert "SECRET" not in first.console and "SECRET" not in first.console_raw.decode()
    assert [call.value for call in first.calls] == ["before"]


@pytest.mark.parametrize(
    ("source", "status"),
    [
        ("raise RuntimeError('at import')\n", IMPORT_ERROR),
        ("import os\ndef f():\n    os._exit(3)\n", CRASHED),
    ],
)
def test_no_second_job_after_a_first_that_did_not_end_complete(sandbox, source: str, status: str) -> None:
    asked: list[UnitOutcome] = []
    first, second = sandbox.run_then(job(source, Call("f")), follow_with(job(COUNTING, Call("state", ("x",))), asked))
    assert first.status == status and second is None and asked == []
    assert sandbox.run(job(COUNTING, Call("state", ("next",)))).status == OK


def test_a_declined_second_job_ends_the_child(sandbox) -> None:
    asked: list[UnitOutcome] = []
    first, second = sandbox.run_then(job(COUNTING, Call("state", ("only",))), follow_with(None, asked))
    assert first.status == OK and second is None and len(asked) == 1 and asked[0] is first
    assert [call.value for call in sandbox.run(job(COUNTING, Call("state", ("next",)))).calls] == [[1, 1, 1]]


def test_a_second_job_beyond_the_reserved_limits_is_not_run_in_the_child(sandbox) -> None:
    first, second = sandbox.run_then(
        job(COUNTING, Call("state", ("only",))), follow_with(job(COUNTING, Call("state", ("x",))), most=1.0)
    )
    assert first.status == OK and second is None


def test_an_executor_without_run_then_runs_the_second_job_in_a_fresh_child(sandbox) -> None:
    class OneChildPerUnit:
        isolation = "full"

        def run(self, unit: UnitJob) -> UnitOutcome:
            return sandbox.run(unit)

    first, second = run_then(
        OneChildPerUnit(),
        job(COUNTING, Call("state", ("public",))),
        follow_with(job(COUNTING, Call("state", ("hidden",)))),
    )
    assert first.status == OK and second is not None
    assert [call.value for call in second.calls] == [[1, 1, 1]]


def test_a_file_that_closes_the_job_pipe_loses_its_second_job_not_the_sandbox(sandbox) -> None:
    source = "import os\ndef f():\n    os.close(5)\n    return 1\n"
    first, second = sandbox.run_then(job(source, Call("f")), follow_with(job(source, Call("f"))))
    assert first.status == OK and first.calls[0].value == 1
    assert second is not None and second.status == CRASHED and not is_sandbox_failure(second)
    assert sandbox.run(job(COUNTING, Call("state", ("next",)))).status == OK


def test_what_the_first_load_of_the_file_holds_is_freed_before_the_second(sandbox) -> None:
    # A table of 300 MiB (address space only) at import: twice that would pass the memory limit.
    source = "import numpy as np\nTABLE = np.empty(300 << 17)\ndef size():\n    return TABLE.nbytes\n"
    limits = Limits(wall_seconds=5, load_seconds=5, memory_bytes=400 << 20)
    only = UnitJob(source=source, filename="student.py", calls=[Call("size")], limits=limits)
    first, second = sandbox.run_then(only, follow_with(only))
    assert first.status == OK and first.calls[0].value == 300 << 20
    assert second is not None and second.status == OK and second.calls[0].value == 300 << 20

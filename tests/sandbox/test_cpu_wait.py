"""A busy machine does not fail honest code: time waiting for a CPU is not charged to a limit."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from autograder.sandbox import run_queue
from autograder.sandbox.executor import OK, TIMEOUT, Limits, ResultCollector, SegmentClock, UnitJob
from autograder.sandbox.program import Call

# Each segment (function) gets 0.4 s of wall clock; loading gets 1 s.
LIMITS = Limits(wall_seconds=0.4, cpu_seconds=2.0, load_seconds=1.0, memory_bytes=256 << 20)
SOURCE = """
import time

def work(seconds):
    # CPU-bound: on a quiet core this ends in `seconds`, on a crowded one later.
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return 1.0

def nap(seconds):
    time.sleep(seconds)
    return 1.0
"""


class FakeWait:
    """A run-queue counter the test advances by hand."""

    def __init__(self) -> None:
        self.total: float | None = 10.0

    def __call__(self) -> float | None:
        return self.total


def two_segment_job(budget: float | None = None) -> UnitJob:
    return UnitJob(source=SOURCE, filename="w.py", calls=[Call("work", (0.1,)), Call("work", (0.1,))],
                   limits=LIMITS, segments=(1, 1), budget_seconds=budget)


def loaded(job: UnitJob) -> ResultCollector:
    collector = ResultCollector(job)
    collector.accept({"kind": "loaded", "names": ["work"]})
    return collector


def test_a_deadline_moves_on_by_the_wait_for_a_cpu() -> None:
    job, wait = two_segment_job(), FakeWait()
    clock = SegmentClock(job, started=100.0)
    clock.watch(wait)
    clock.advance(loaded(job), now=100.2)  # first function's clock: 100.2 + 0.4
    assert clock.deadline == pytest.approx(100.6)
    assert not clock.expired(100.5)
    wait.total += 0.3  # the child waited 0.3 s on the run queue
    assert not clock.expired(100.7)
    assert clock.deadline == pytest.approx(100.9)
    assert clock.waited == pytest.approx(0.3)
    assert clock.expired(100.95)  # nothing more waited: its own time is up
    assert "time limit of 0.4 s" in clock.message()


def test_no_credit_without_a_wait_or_a_pid() -> None:
    job, wait = two_segment_job(), FakeWait()
    unwatched = SegmentClock(job, started=0.0)
    unwatched.advance(loaded(job), now=0.0)
    assert unwatched.expired(0.5) and unwatched.waited == 0
    watched = SegmentClock(job, started=0.0)
    watched.watch(wait)
    watched.advance(loaded(job), now=0.0)
    assert watched.expired(0.5) and watched.waited == 0  # a sleeper's time is its own
    unknown = SegmentClock(job, started=0.0)
    unknown.watch(lambda: None)  # a kernel without the counter: plain wall clock
    unknown.advance(loaded(job), now=0.0)
    assert unknown.expired(0.5)


def test_the_credit_is_bounded() -> None:
    job, wait = two_segment_job(), FakeWait()
    clock = SegmentClock(job, started=0.0)
    clock.watch(wait)
    clock.advance(loaded(job), now=0.0)
    bound = 0.4 + 0.4 + 1.0  # both segments and loading
    wait.total += 1000.0
    assert not clock.expired(0.5)
    assert clock.waited == pytest.approx((SegmentClock.MAX_STRETCH - 1) * bound)
    assert clock.expired(0.4 + clock.waited)


def test_a_finished_segments_wait_goes_to_the_budget_not_to_the_next_function() -> None:
    job, wait = two_segment_job(budget=1.0), FakeWait()
    clock = SegmentClock(job, started=0.0)
    clock.watch(wait)
    collector = loaded(job)
    clock.advance(collector, now=0.1)
    wait.total += 0.5  # the first function waited, but still ended in time
    collector.accept({"kind": "call", "index": 0, "outcome": {"ok": True, "seconds": 0.1, "value": 1.0}})
    clock.advance(collector, now=0.45)
    assert clock.deadline == pytest.approx(0.85)  # the second function's own 0.4 s, no more
    assert clock.budget_end == pytest.approx(1.5)  # the budget is 0.5 s later
    assert clock.waited == pytest.approx(0.5)


def test_the_waits_of_the_child_and_the_graders_side_add_up() -> None:
    job, child, grader = two_segment_job(), FakeWait(), FakeWait()
    clock = SegmentClock(job, started=0.0)
    clock.watch(child)
    clock.watch(grader)
    clock.advance(loaded(job), now=0.0)
    child.total += 0.2
    grader.total += 0.1
    assert not clock.expired(0.5)
    assert clock.waited == pytest.approx(0.3)
    child.total = None  # the child has ended: its last reading stays
    grader.total += 0.1
    assert not clock.expired(0.75)
    assert clock.waited == pytest.approx(0.4)


def test_the_kernel_counts_a_processs_wait() -> None:
    if sys.platform != "linux":
        pytest.skip("/proc/PID/schedstat is Linux's")
    assert run_queue.waited_seconds(os.getpid()) is not None
    assert run_queue.waited_seconds() is not None  # this thread
    assert run_queue.waited_seconds(2**22 + 12345) is None  # beyond pid_max: no such process


def test_a_wait_reader_reads_its_own_task_until_it_ends() -> None:
    if sys.platform != "linux":
        pytest.skip("/proc/PID/schedstat is Linux's")
    sleeper = subprocess.Popen([sys.executable, "-c", "print('asleep', flush=True); import time; time.sleep(60)"],
                               stdout=subprocess.PIPE)
    try:
        reader = run_queue.WaitReader(sleeper.pid)
        assert sleeper.stdout is not None and sleeper.stdout.readline() == b"asleep\n"
        readings = [reader()]
        while len(readings) < 100 and (len(readings) < 2 or readings[-1] != readings[-2]):
            time.sleep(0.05)  # until it sleeps: then its wait stands still
            readings.append(reader())
        assert readings[-1] is not None
        assert reader() == run_queue.waited_seconds(sleeper.pid) == readings[-1]  # read afresh, the same value
    finally:
        sleeper.kill()
        sleeper.wait()
    assert reader() is None  # bound to the task that ended, never to a process that takes its pid
    reader.close()
    mine = run_queue.WaitReader()
    assert mine() is not None  # this thread
    mine.close()
    assert mine() is None
    assert run_queue.WaitReader(2**22 + 12345)() is None  # beyond pid_max: no such process


@pytest.fixture
def crowded_machine() -> Iterator[None]:
    """Two busy processes per core, each its own session (the scheduler's autogroups share per session).

    Two are enough to stretch the test's 0.25 s of CPU past its 0.4 s limit (to 0.75 s, a third of a
    core); each hog burns CPU as long as the unit runs, and more hogs only make it run longer.
    """
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
            for _ in range(2 * (os.cpu_count() or 1))]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


def test_cpu_bound_code_that_fits_its_limit_passes_on_a_crowded_machine(sandbox, crowded_machine) -> None:
    # 0.25 s of CPU in a 0.4 s limit: with a third of a core at most, it takes 0.75 s or more.
    job = UnitJob(source=SOURCE, filename="w.py", calls=[Call("work", (0.25,))], limits=LIMITS)
    outcome = sandbox.run(job)
    assert outcome.status == OK, outcome.message
    assert outcome.calls[0].value == 1.0
    assert outcome.waited_seconds > 0


def test_a_sleeper_still_times_out_on_a_crowded_machine(sandbox, crowded_machine) -> None:
    # 3 s would fit in the stretched bound (4 x 1.4 s): it times out because sleeping is no wait for a CPU.
    job = UnitJob(source=SOURCE, filename="w.py", calls=[Call("nap", (3.0,))], limits=LIMITS)
    outcome = sandbox.run(job)
    assert outcome.status == TIMEOUT
    assert "time limit of 0.4 s" in outcome.message

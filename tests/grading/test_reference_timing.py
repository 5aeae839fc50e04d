"""Time limits derive from the reference's CPU time, measured so that a busy moment does not count."""

from __future__ import annotations

import time

import pytest

from autograder.grading import prepare
from autograder.grading.assignment import Assignment


def _spin(seconds: float) -> None:
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass


def _record_timed_runs(monkeypatch: pytest.MonkeyPatch, first_run_spins: float = 0.0) -> list[int]:
    """Count the preparation's timed runs of the reference; the first spins ``first_run_spins`` s of CPU first.

    A timed run is one without a callback (the run that records expected values passes one).
    """
    real_run_program = prepare.run_program
    timed_runs: list[int] = []

    def run_program(*args, on_outcome=None, **kwargs):
        if on_outcome is None:
            timed_runs.append(1)
            if len(timed_runs) == 1:
                _spin(first_run_spins)
        return real_run_program(*args, on_outcome=on_outcome, **kwargs)

    monkeypatch.setattr(prepare, "run_program", run_program)
    return timed_runs


def test_one_slow_timed_run_does_not_raise_the_limits(toy: Assignment, monkeypatch: pytest.MonkeyPatch):
    # The first timed run of the reference takes 0.3 s of CPU, as one preempted on a loaded
    # machine or one that meets a full garbage collection of a big process can.
    timed_runs = _record_timed_runs(monkeypatch, first_run_spins=0.3)
    suite = prepare._Preparer(toy, "public", None).prepare()
    assert len(timed_runs) >= prepare.REFERENCE_TIMING_RUNS >= 3
    first = suite.functions[0]
    assert first.reference_seconds < 0.1, first.reference_seconds  # not the 0.3 s of the slow run
    limits = toy.spec.limits
    assert limits.function_limit(first.reference_seconds) == limits.function_seconds
    assert limits.submission_budget(suite.reference_seconds) == limits.submission_seconds


def test_hidden_cases_are_not_timed(toy: Assignment, monkeypatch: pytest.MonkeyPatch):
    timed_runs = _record_timed_runs(monkeypatch)
    prepare._Preparer(toy, "public", None).prepare()
    public_runs = len(timed_runs)
    timed_runs.clear()
    prepare._Preparer(toy, "hidden", 7).prepare()
    assert len(timed_runs) == public_runs  # the hidden draw adds calls, not timed runs

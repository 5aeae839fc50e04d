"""The zygote executor's life: restarts, concurrency, closing, degradation, limits."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from autograder.config import sandbox_options
from autograder.sandbox import InsecureSandboxError, open_executor, refuse_reduced_isolation
from autograder.sandbox.executor import OK, TIMEOUT, Limits, UnitJob
from autograder.sandbox.program import Call
from autograder.sandbox.zygote import ZygoteExecutor
from tests.slots import worker_slot


def square_job(value: float, limits: Limits = Limits(wall_seconds=5)) -> UnitJob:
    return UnitJob(source="def square(x):\n    print('squaring', x)\n    return x * x\n", filename="s.py",
                   calls=[Call("square", (value,))], limits=limits)


def test_runs_a_unit_and_keeps_its_console(sandbox) -> None:
    outcome = sandbox.run(square_job(3.0))
    assert outcome.status == OK
    assert outcome.calls[0].value == 9.0
    assert outcome.console == "squaring 3.0\n"


def test_restarts_a_dead_zygote(sandbox) -> None:
    restarts = sandbox.restarts
    os.kill(sandbox.zygote_pid, signal.SIGKILL)
    time.sleep(0.05)
    outcome = sandbox.run(square_job(2.0))
    assert outcome.status == OK and outcome.calls[0].value == 4.0
    assert sandbox.restarts == restarts + 1
    assert sandbox.isolation == "full"


def test_serialises_units_from_several_threads(sandbox) -> None:
    results: list[float] = []

    def work(value: float) -> None:
        for _ in range(5):
            outcome = sandbox.run(square_job(value))
            results.append(outcome.calls[0].value if outcome.status == OK else float("nan"))

    threads = [threading.Thread(target=work, args=(float(i),)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted([float(i * i) for i in range(4) for _ in range(5)])


def test_limits_are_per_job(sandbox) -> None:
    job = UnitJob(source="import time\ndef nap(s):\n    time.sleep(s)\n    return s\n", filename="n.py",
                  calls=[Call("nap", (0.5,))], limits=Limits(wall_seconds=0.2))
    assert sandbox.run(job).status == TIMEOUT
    job.limits = Limits(wall_seconds=3)
    assert sandbox.run(job).calls[0].value == 0.5


def test_close_leaves_no_process(fake_secret) -> None:
    executor = ZygoteExecutor(slot=worker_slot(918))
    pid = executor.zygote_pid
    assert executor.run(square_job(1.5)).calls[0].value == 2.25
    executor.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_reduced_isolation_still_grades_and_is_refused_when_full_is_required(monkeypatch) -> None:
    executor = ZygoteExecutor(slot=worker_slot(919), disabled_layers=("namespaces", "seccomp"))
    try:
        assert executor.isolation == "reduced"
        outcome = executor.run(UnitJob(source="def loop():\n    while True:\n        pass\n", filename="l.py",
                                       calls=[Call("loop")], limits=Limits(wall_seconds=0.5)))
        assert outcome.status == TIMEOUT
        outcome = executor.run(square_job(np.float64(3.0)))
        assert outcome.status == OK and outcome.calls[0].value == 9.0, outcome
        with pytest.raises(InsecureSandboxError, match="AUTOGRADER_ALLOW_INSECURE_SANDBOX"):
            refuse_reduced_isolation(executor, executor.problems)
        # The operator's setting reaches it through autograder.config, not by the sandbox reading the environment.
        monkeypatch.setenv("AUTOGRADER_ALLOW_INSECURE_SANDBOX", "0")
        with pytest.raises(InsecureSandboxError):
            refuse_reduced_isolation(executor, executor.problems, allow_insecure=sandbox_options().allow_insecure)
    finally:
        executor.close()


def test_operator_may_accept_reduced_isolation(monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADER_ALLOW_INSECURE_SANDBOX", "1")
    monkeypatch.setenv("AUTOGRADER_SANDBOX_DISABLE_LAYERS", "seccomp")
    options = sandbox_options()
    assert options.disabled_layers == ("seccomp",) and options.allow_insecure
    executor = open_executor(require_full_isolation=True, slot=worker_slot(920), options=options)  # allowed: no exception
    assert executor.isolation == "reduced" and "seccomp" not in executor.layers
    assert executor.run(square_job(4.0)).calls[0].value == 16.0
    executor.close()


def test_open_executor_gives_full_isolation_here(sandbox) -> None:
    executor = open_executor(require_full_isolation=True, slot=worker_slot(921))
    try:
        assert executor.isolation == "full"
    finally:
        executor.close()

"""CPU of the engine per graded submission: the grading process and the sandbox, each on its own.

    .venv/bin/python bench/engine_cpu.py                  # losses reference, hidden mode, 10 batches of 20
    .venv/bin/python bench/engine_cpu.py --batches 15 --size 10 --mode public

Prints, per submission, the median and the lowest batch of:

* with the real sandbox: the CPU of this (grading) process, and of the zygote with its reaped
  children (every unit: fork, set-up, the student's calls, the result frames, exit);
* without it: the grading process's own work, the sandbox replaced by an executor that feeds the
  frames the child would write (computed once, in process) through FrameReader and
  ResultCollector — everything but the system calls — and the child's own work in process
  (decoding both jobs, loading the file, running the calls, encoding the frames) without the fork.

The second pair does not depend on what else the machine runs as much as the first. On a shared
machine compare two checkouts by starting both at the same time (each with its own interpreter)
and reading the lowest batches.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable

from autograder.grading.assignment import find_assignment
from autograder.grading.engine import grade_source
from autograder.sandbox import child, open_executor
from autograder.sandbox.executor import FrameReader, ResultCollector, UnitJob, UnitOutcome

HIDDEN_SEED = 20261122


class _Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def, override]
        return len(data)


def _serve(job_bytes: bytes, out) -> None:  # type: ignore[no-untyped-def]
    job = child.decode_job(job_bytes)
    child.serve(job, out)
    sys.modules.pop(str(job["filename"]).rsplit(".", 1)[0], None)


class ReplayExecutor:
    """Answer each unit with the frames its child would write, run once in this process and kept."""

    isolation = "full"

    def __init__(self) -> None:
        self.streams: dict[int, bytes] = {}
        self.jobs: list[bytes] = []

    def run(self, job: UnitJob) -> UnitOutcome:
        encoded = job.encode()  # the grading process's own cost of each unit
        if id(job.calls) not in self.streams:
            frames = io.BytesIO()
            _serve(encoded, frames)
            self.streams[id(job.calls)] = frames.getvalue()
            self.jobs.append(encoded)
        stream = self.streams[id(job.calls)]
        collector, reader = ResultCollector(job), FrameReader(job.limits.output_bytes)
        for start in range(0, len(stream), 1 << 16):
            for frame in reader.feed(stream[start : start + (1 << 16)]):
                collector.accept(frame)
        collector.outcome.output_bytes = reader.total
        return collector.outcome

    def close(self) -> None:
        pass


def _sandbox_seconds(executor) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of the zygote and its reaped children so far (Linux /proc)."""
    with open(f"/proc/{executor._process.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def _batches(count: int, size: int, work: Callable[[], None], sandbox: Callable[[], float] | None = None):  # type: ignore[no-untyped-def]
    own, other = [], []
    for _ in range(count):
        started, sandbox_started = time.process_time(), sandbox() if sandbox else 0.0
        for _ in range(size):
            work()
        own.append(1000 * (time.process_time() - started) / size)
        other.append(1000 * ((sandbox() if sandbox else 0.0) - sandbox_started) / size)
    return own, other


def _shown(label: str, values: list[float]) -> str:
    return f"{label} {statistics.median(values):6.2f} (lowest batch {min(values):6.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="losses")
    parser.add_argument("--mode", choices=("hidden", "public"), default="hidden")
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=20, help="submissions per batch")
    options = parser.parse_args()
    assignment = find_assignment(options.assignment)
    source = assignment.reference_source.encode()
    settings = {"mode": options.mode, "hidden_seed": HIDDEN_SEED if options.mode == "hidden" else None}

    executor = open_executor()
    try:
        if not grade_source(assignment, source, executor, **settings).full_marks:
            print("warning: the reference did not get full marks")
        for _ in range(5):
            grade_source(assignment, source, executor, **settings)
        grading, sandbox = _batches(
            options.batches,
            options.size,
            lambda: grade_source(assignment, source, executor, **settings),
            lambda: _sandbox_seconds(executor),
        )
    finally:
        executor.close()
    replay = ReplayExecutor()
    grade_source(assignment, source, replay, **settings)

    def child_work() -> None:
        child._compiled.clear()  # as in a fresh child: the first job compiles the file, the next one reuses it
        for job in replay.jobs:
            _serve(job, io.BufferedWriter(_Discard()))

    alone, _ = _batches(options.batches, options.size, lambda: grade_source(assignment, source, replay, **settings))
    child_alone, _ = _batches(options.batches, options.size, child_work)
    print(
        f"{options.assignment} reference, {options.mode} mode, ms of CPU per submission "
        f"(median of {options.batches} batches of {options.size}):"
    )
    print(f"  with the sandbox:    {_shown('grading process', grading)}   {_shown('sandbox', sandbox)}")
    print(f"  without the fork:    {_shown('grading process', alone)}   {_shown('child work', child_alone)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

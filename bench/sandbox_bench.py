"""Measure the sandbox: per-unit overhead and whole-submission latency, against the naive baseline.

Usage: .venv/bin/python bench/sandbox_bench.py [--units 200] [--submissions 20]

It also grades the `losses` reference in hidden mode (public cases, then hidden ones) both ways,
in alternating batches: the hidden unit in the public unit's child (``run_then``, the default)
and in a fresh child of its own, and prints the sandbox's CPU per submission of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from autograder.sandbox.executor import SubprocessExecutor, UnitJob
from autograder.sandbox.program import Call
from autograder.sandbox.zygote import ZygoteExecutor

TRIVIAL = UnitJob(source="def one():\n    return 1\n", filename="trivial.py", calls=[Call("one")])


def percentiles(samples: list[float]) -> tuple[float, float]:
    """Return the median and the 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def children_usage(executor) -> tuple[float, float, int] | None:
    """User and system CPU seconds and minor page faults of the units the zygote has reaped so far.

    From /proc (Linux): every unit is a child of the zygote, which reaps it. None elsewhere.
    """
    process = getattr(executor, "_process", None)
    try:
        with open(f"/proc/{process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (AttributeError, OSError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[13]) / tick, int(fields[14]) / tick, int(fields[8])


def print_usage(label: str, before, after, count: int) -> None:
    """Print what the units between two :func:`children_usage` readings cost, per unit."""
    if before is None or after is None:
        return
    user, system, faults = ((after[i] - before[i]) / count for i in range(3))
    print(f"{label}: CPU per unit {1000 * user:.2f} ms user + {1000 * system:.2f} ms system; "
          f"{faults:.0f} minor page faults ({faults * os.sysconf('SC_PAGE_SIZE') / 2**20:.1f} MiB: pages copied from the zygote or newly touched)")


def time_units(executor, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        outcome = executor.run(TRIVIAL)
        samples.append(time.perf_counter() - started)
        assert outcome.status == "ok", outcome
    return samples


def time_submissions(executor, count: int) -> list[float] | None:
    try:
        from autograder.grading.assignment import find_assignment
        from autograder.grading.engine import grade_source
        from autograder.grading.prepare import prepare_suite
    except ImportError:
        return None
    assignment = find_assignment("losses")
    prepare_suite(assignment, "public", None)  # once per assignment version, cached: not per submission
    source = assignment.reference_source
    source = source.encode() if isinstance(source, str) else source
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        report = grade_source(assignment, source, executor)
        samples.append(time.perf_counter() - started)
        assert report.score == report.max_score, report.to_json()
    return samples


class OneChildPerUnit:
    """The executor without ``run_then``: every unit in a fresh child (the baseline of the hidden-mode comparison)."""

    def __init__(self, inner) -> None:
        self.inner, self.isolation = inner, inner.isolation

    def run(self, job):
        return self.inner.run(job)


def compare_hidden_mode(zygote, submissions: int, batches: int = 6) -> None:
    """Grade the losses reference in hidden mode, chained and one child per unit, alternating batches."""
    from autograder.grading.assignment import find_assignment
    from autograder.grading.engine import grade_source
    from autograder.grading.prepare import prepare_suite

    assignment = find_assignment("losses")
    prepare_suite(assignment, "hidden", 2026)
    source = assignment.reference_source
    source = source.encode() if isinstance(source, str) else source
    per_batch = max(1, submissions // batches)
    spent: dict[str, list[float]] = {"one child for both units": [], "a fresh child per unit": []}
    faults: dict[str, list[float]] = {label: [] for label in spent}
    walls: dict[str, list[float]] = {label: [] for label in spent}
    for _ in range(batches):
        for label, executor in (("one child for both units", zygote), ("a fresh child per unit", OneChildPerUnit(zygote))):
            before = children_usage(zygote)
            for _ in range(per_batch):
                started = time.perf_counter()
                report = grade_source(assignment, source, executor, mode="hidden", hidden_seed=2026)
                walls[label].append(time.perf_counter() - started)
                assert report.score == report.max_score, report.to_json()
            after = children_usage(zygote)
            if before is None or after is None:
                print("hidden mode: no /proc here, nothing to compare")
                return
            spent[label].append(1000 * (after[0] + after[1] - before[0] - before[1]) / per_batch)
            faults[label].append((after[2] - before[2]) / per_batch)
    print(f"losses reference, hidden mode, sandbox CPU per submission ({batches} alternating batches of {per_batch}):")
    for label in spent:
        print(f"  {label:26s}: median {statistics.median(spent[label]):5.2f} ms of CPU "
              f"(batches {min(spent[label]):.2f}-{max(spent[label]):.2f}), "
              f"{statistics.median(faults[label]):.0f} page faults, wall median {1000 * statistics.median(walls[label]):.1f} ms")
    chained, fresh = (statistics.median(values) for values in spent.values())
    print(f"  ratio one child / fresh children: {chained / fresh:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--submissions", type=int, default=20)
    options = parser.parse_args()

    zygote = ZygoteExecutor(slot=0)
    naive = SubprocessExecutor()
    try:
        print(f"zygote isolation: {zygote.isolation} ({', '.join(zygote.layers)})")
        time_units(zygote, 5)  # warm-up
        before = children_usage(zygote)
        unit_zygote = percentiles(time_units(zygote, options.units))
        print_usage("per-unit, trivial unit   zygote", before, children_usage(zygote), options.units)
        unit_naive = percentiles(time_units(naive, max(20, options.units // 10)))
        print(f"per-unit, trivial unit   zygote: median {unit_zygote[0]:6.1f} ms  p95 {unit_zygote[1]:6.1f} ms"
              f"  (n={options.units})")
        print(f"per-unit, trivial unit   naive : median {unit_naive[0]:6.1f} ms  p95 {unit_naive[1]:6.1f} ms"
              f"  ratio {unit_naive[0] / unit_zygote[0]:.1f}x")
        before = children_usage(zygote)
        whole_zygote = time_submissions(zygote, options.submissions)
        if whole_zygote is not None:
            print_usage("losses reference, whole  zygote (one unit per submission)", before, children_usage(zygote),
                        options.submissions)
        if whole_zygote is None:
            print("whole submission: the grading engine is not available")
            return
        compare_hidden_mode(zygote, options.submissions)
        whole_naive = time_submissions(naive, max(3, options.submissions // 4))
        zygote_ms, naive_ms = percentiles(whole_zygote), percentiles(whole_naive)
        print(f"losses reference, whole  zygote: median {zygote_ms[0]:6.1f} ms  p95 {zygote_ms[1]:6.1f} ms")
        print(f"losses reference, whole  naive : median {naive_ms[0]:6.1f} ms  p95 {naive_ms[1]:6.1f} ms"
              f"  ratio {naive_ms[0] / zygote_ms[0]:.1f}x")
    finally:
        zygote.close()
        naive.close()


if __name__ == "__main__":
    main()

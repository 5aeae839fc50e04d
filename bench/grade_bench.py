"""Time grading one submission (the reference) of each assignment: cold first run, then median and p95.

Usage: .venv/bin/python bench/grade_bench.py [--runs 20] [NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

from autograder.grading.assignment import assignment_names, find_assignment
from autograder.grading.engine import grade_source
from autograder.grading.prepare import prepare_suite
from autograder.sandbox import open_executor


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def bench(name: str, runs: int, executor) -> None:
    """Print cold (with preparation) and warm timings of grading the reference of ``name``."""
    started = time.perf_counter()
    assignment = find_assignment(name)
    source = assignment.reference_source.encode()
    loaded = time.perf_counter()
    report = grade_source(assignment, source, executor)
    cold = time.perf_counter() - started
    preparation_started = time.perf_counter()
    prepare_suite(assignment, "public")
    cached_lookup = time.perf_counter() - preparation_started
    if not report.full_marks:
        print(f"{name}: WARNING the reference scored {report.score}/{report.max_score}")
    timings = []
    for _ in range(runs):
        begin = time.perf_counter()
        grade_source(assignment, source, executor)
        timings.append(time.perf_counter() - begin)
    functions = len(assignment.functions)
    print(f"{name:15s} functions {functions:2d}  cold {cold * 1000:7.1f} ms (load {1000 * (loaded - started):.1f} ms)  "
          f"median {statistics.median(timings) * 1000:6.1f} ms  p95 {percentile(timings, 0.95) * 1000:6.1f} ms  "
          f"({runs} runs, cached suite lookup {cached_lookup * 1e6:.0f} us)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    executor = open_executor()
    try:
        print(f"executor: {type(executor).__name__} (isolation {executor.isolation})")
        for name in options.names or assignment_names():
            bench(name, max(options.runs, 20), executor)
    finally:
        executor.close()


if __name__ == "__main__":
    main()

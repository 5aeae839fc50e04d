"""Time grading one submission (the reference) of each assignment: cold first run, then median and p95.

Usage: .venv/bin/python bench/grade_bench.py [--runs 20] [--mistakes] [NAME ...]
(--mistakes also times failing submissions: each named mistake's variant file, diagnosis included.)
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy

from autograder.grading.assignment import assignment_names, find_assignment
from autograder.grading.diagnosis import diagnose_function, variant_namespace
from autograder.grading.engine import grade_source
from autograder.grading.mistakes import variant_source
from autograder.grading.prepare import prepare_suite
from autograder.grading.scoring import judge_function
from autograder.sandbox.executor import OK, UnitOutcome
from autograder.sandbox.program import run_program
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


def bench_mistakes(name: str, executor) -> None:
    """Print timings of grading each named mistake's variant of ``name`` (failing submissions)."""
    assignment = find_assignment(name)
    timings, named = [], 0
    for mistake in assignment.mistakes:
        source = variant_source(assignment, mistake).encode()
        begin = time.perf_counter()
        report = grade_source(assignment, source, executor)
        timings.append(time.perf_counter() - begin)
        named += any(test.mistake == mistake.name for test in report.tests)
    if timings:
        print(f"{name:15s} mistakes  {len(timings):3d}  median {statistics.median(timings) * 1000:6.1f} ms  "
              f"p95 {percentile(timings, 0.95) * 1000:6.1f} ms  (named {named} of {len(timings)})")


def diagnosis_cost(name: str) -> None:
    """Print the time diagnosis adds per submission: the reference (passing) and each variant (failing).

    Outcomes come from running the (trusted) reference and variants in this process, so only the
    diagnosis itself is timed, not the sandbox.
    """
    assignment = find_assignment(name)
    suite = prepare_suite(assignment, "public")
    namespaces = [vars(assignment.reference)] + [variant_namespace(assignment, mistake) for mistake in assignment.mistakes]
    costs = []
    for namespace in namespaces:
        judged = []
        for function in suite.functions:
            with numpy.errstate(all="ignore"):
                outcome = UnitOutcome(status=OK, calls=run_program(namespace, function.calls, probes=assignment.probes))
            judged.append((function, outcome))
        repeats = 20
        total = 0.0
        for _ in range(repeats):
            results = [(function, outcome, judge_function(function, outcome)) for function, outcome in judged]
            begin = time.perf_counter()
            for function, outcome, tests in results:
                diagnose_function(function, outcome, tests)
            total += time.perf_counter() - begin
        costs.append(total / repeats)
    failing = costs[1:] or [0.0]
    print(f"{name:15s} diagnosis passing {costs[0] * 1e6:7.1f} us  failing median {statistics.median(failing) * 1e3:6.2f} ms "
          f"max {max(failing) * 1e3:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--mistakes", action="store_true", help="also time each named mistake's variant file")
    options = parser.parse_args()
    executor = open_executor()
    try:
        print(f"executor: {type(executor).__name__} (isolation {executor.isolation})")
        for name in options.names or assignment_names():
            bench(name, max(options.runs, 20), executor)
            if options.mistakes:
                bench_mistakes(name, executor)
                diagnosis_cost(name)
    finally:
        executor.close()


if __name__ == "__main__":
    main()

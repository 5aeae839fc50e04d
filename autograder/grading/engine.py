"""Grade one submission: check the file, run one sandbox unit per function, judge, report."""

from __future__ import annotations

import time
from collections.abc import Callable

from autograder.grading.assignment import Assignment
from autograder.grading.diagnosis import diagnose_function
from autograder.grading.prepare import PreparedFunction, prepare_suite
from autograder.grading.report import Report, TestResult
from autograder.grading.scoring import failed_everywhere, judge_function, unit_failure_message
from autograder.grading.source_checks import SourceRejected, decode_source, missing_function_message
from autograder.sandbox.executor import OK, Executor, UnitJob


def grade_source(assignment: Assignment, source_bytes: bytes, executor: Executor, mode: str = "public",
                 hidden_seed: int | None = None,
                 on_result: Callable[[TestResult], None] | None = None) -> Report:
    """Grade ``source_bytes`` as the student's file for ``assignment``.

    Returns a Report; never raises for anything the student's file does. Raises ValueError for a
    bad ``mode``/``hidden_seed`` and PreparationError when the assignment's own cases are broken.
    """
    started = time.monotonic()
    suite = prepare_suite(assignment, mode, hidden_seed)
    report = Report(assignment=assignment.name, version=assignment.version, mode=mode,
                    max_score=assignment.max_score, isolation=getattr(executor, "isolation", ""))

    def publish(results: list[TestResult]) -> None:
        report.tests.extend(results)
        if on_result is not None:
            for test in results:
                on_result(test)

    def fail_all(message: str) -> Report:
        report.messages.append(message)
        for function in suite.functions:
            publish(failed_everywhere(function, message))
        report.seconds = time.monotonic() - started
        return report

    if isinstance(source_bytes, str):
        source_bytes = source_bytes.encode("utf-8")
    try:
        source = decode_source(bytes(source_bytes), assignment.file, assignment.spec.max_file_bytes)
    except SourceRejected as rejection:
        return fail_all(str(rejection))

    limits = assignment.limits
    load = executor.run(UnitJob(source=source, filename=assignment.file, calls=[], limits=limits,
                                probes_source=assignment.probes_source))
    if load.status != OK:
        return fail_all(unit_failure_message(load, assignment.file).replace(f"{assignment.file}: ", "", 1))
    defined = set(load.names)
    for function in suite.functions:
        if function.name not in defined:
            report.messages.append(missing_function_message(function.name, defined - _contract_names(suite)))

    for function in suite.functions:
        if function.name not in defined:
            publish(failed_everywhere(function, missing_function_message(function.name, defined - _contract_names(suite))))
            continue
        publish(_grade_function(function, source, assignment, executor, defined))
    report.seconds = time.monotonic() - started
    return report


def _contract_names(suite: object) -> set[str]:
    return {function.name for function in suite.functions}  # type: ignore[attr-defined]


def _grade_function(function: PreparedFunction, source: str, assignment: Assignment, executor: Executor,
                    defined: set[str]) -> list[TestResult]:
    outcome = executor.run(UnitJob(source=source, filename=assignment.file, calls=function.calls,
                                   limits=assignment.limits, probes_source=assignment.probes_source))
    results = judge_function(function, outcome)
    diagnose_function(function, outcome, results)
    missing_needs = [name for name in function.needs if name != function.name and name not in defined]
    if missing_needs and outcome.status == OK:
        note = f"(this function's tests also call {', '.join(missing_needs)}, which your file does not define)"
        for test in results:
            if test.status != "passed":
                test.output += f"\n{note}"
    return results

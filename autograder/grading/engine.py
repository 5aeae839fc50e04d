"""Grade one submission: check the file, run it in the sandbox, judge each function, report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from autograder.grading.assignment import Assignment
from autograder.grading.diagnosis import diagnose_function
from autograder.grading.prepare import PreparedFunction, PreparedSuite, prepare_suite, reindex_call
from autograder.grading.report import Report, TestResult
from autograder.grading.scoring import NOT_IMPLEMENTED, failed_everywhere, judge_function, unit_failure_message
from autograder.grading.source_checks import (
    SourceRejected, decode_source, missing_function_message, missing_functions_message,
)
from autograder.sandbox.executor import IMPORT_ERROR, OK, TIMEOUT, Executor, UnitJob, UnitOutcome
from autograder.sandbox.program import Call


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

    graded = _run_units(suite, source, assignment, executor)
    if graded.import_failure:
        return fail_all(graded.import_failure)
    defined = graded.names
    missing = [function.name for function in suite.functions if function.name not in defined]
    if missing:
        # One note for the whole file: a misnamed file often misses several functions.
        report.messages.append(missing_functions_message(missing, defined - _contract_names(suite),
                                                         len(suite.functions)))

    for function in suite.functions:
        if function.name not in defined:
            publish(failed_everywhere(function, missing_function_message(function.name, defined - _contract_names(suite))))
            continue
        publish(_judge_safely(function, graded.outcomes[function.name], defined))
    if report.tests and all(test.output == NOT_IMPLEMENTED for test in report.tests):
        report.messages.append(UNTOUCHED_STARTER)
    report.seconds = time.monotonic() - started
    return report


UNTOUCHED_STARTER = ("Every function of your file raises NotImplementedError: this is the starter as given. "
                     "Implement the functions one at a time; each is graded on its own.")


def _judge_safely(function: PreparedFunction, outcome: UnitOutcome, defined: set[str]) -> list[TestResult]:
    """Judge and diagnose one function; a failure of the grader here costs that function only."""
    try:
        results = judge_function(function, outcome)
    except Exception:
        return failed_everywhere(function, "the grader could not judge this function's results")
    try:
        diagnose_function(function, outcome, results)
        _note_missing_needs(function, outcome, defined, results)
    except Exception:
        pass  # diagnosis only adds hints: the verdicts stand without them
    return results


@dataclass
class _Graded:
    names: set[str] = field(default_factory=set)
    outcomes: dict[str, UnitOutcome] = field(default_factory=dict)
    import_failure: str = ""


def _run_units(suite: PreparedSuite, source: str, assignment: Assignment, executor: Executor) -> _Graded:
    """Run every function's calls, in as few sandbox units as the submission allows.

    An honest file is graded in ONE unit: the functions' programs run one after another in
    a single child, each with its own time limit. When that unit ends abnormally, the
    functions that finished keep their results, the function that was running is rerun
    alone (so it is judged on its own, not on a neighbour's side effects) unless it ran out
    of its own time, and the rest go on together in a fresh unit.
    """
    graded = _Graded()
    pending = list(suite.functions)
    while pending:
        outcome = executor.run(_combined_job(suite, pending, source, assignment))
        if outcome.status == IMPORT_ERROR:
            graded.import_failure = unit_failure_message(outcome, assignment.file).replace(
                f"{assignment.file}: ", "", 1)
            return graded
        graded.names.update(outcome.names)
        offset = 0
        for position, function in enumerate(pending):
            count = len(function.calls)
            calls = outcome.calls[offset:offset + count]
            offset += count
            if outcome.status == OK or len(calls) == count:
                graded.outcomes[function.name] = replace(outcome, status=OK, calls=calls, message="")
                continue
            if position == 0 or outcome.status == TIMEOUT:
                # First in its child, or it used up its own time limit: the verdict is its own
                # (rerunning a timeout alone would only make the student wait twice as long).
                graded.outcomes[function.name] = replace(outcome, calls=calls)
                pending = pending[position + 1:]
            else:
                pending = pending[position:]
                # The failing function alone decides its own fate.
                solo = executor.run(_combined_job(suite, pending[:1], source, assignment))
                graded.names.update(solo.names)
                graded.outcomes[function.name] = solo
                pending = pending[1:]
            break
        else:
            pending = []
    return graded


def _combined_job(suite: PreparedSuite, functions: list[PreparedFunction], source: str,
                  assignment: Assignment) -> UnitJob:
    key = tuple(function.name for function in functions)
    calls = suite.combined_calls.get(key)
    if calls is None:
        calls = []
        for function in functions:
            offset = len(calls)
            calls.extend(function.calls if offset == 0 else [reindex_call(call, offset) for call in function.calls])
        suite.combined_calls[key] = calls
    return UnitJob(source=source, filename=assignment.file, calls=calls, limits=assignment.limits,
                   probes_source=assignment.probes_source,
                   segments=tuple(len(function.calls) for function in functions))


def _note_missing_needs(function: PreparedFunction, outcome: UnitOutcome, defined: set[str],
                        results: list[TestResult]) -> None:
    missing_needs = [name for name in function.needs if name != function.name and name not in defined]
    if missing_needs and outcome.status == OK:
        note = f"(this function's tests also call {', '.join(missing_needs)}, which your file does not define)"
        for test in results:
            if test.status != "passed":
                test.output += f"\n{note}"


def _contract_names(suite: object) -> set[str]:
    return {function.name for function in suite.functions}  # type: ignore[attr-defined]

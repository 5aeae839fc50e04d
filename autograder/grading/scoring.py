"""Judge one function's unit outcome check by check, with feedback a student can act on."""

from __future__ import annotations

from typing import Any

from autograder.grading.compare import Mismatch, compare_values, unchanged_difference
from autograder.grading.gradcheck import judge_grad_case
from autograder.grading.report import FAILED, HIDDEN, PASSED, VISIBLE, TestResult
from autograder.grading.suite import ArgWatch, PreparedCheck, PreparedFunction, ValueCase
from autograder.sandbox.executor import OK, UnitOutcome
from autograder.sandbox.program import Call, CallOutcome, follow_path

CONSOLE_LINES = 12
CONSOLE_CHARS = 1500


def console_excerpt(console: str) -> str:
    """Return what the student's code printed, truncated for the report ('' if nothing)."""
    text = console.strip("\n")
    if not text:
        return ""
    lines = text.splitlines()
    shown = "\n".join(lines[:CONSOLE_LINES])[:CONSOLE_CHARS]
    cut = len(lines) > CONSOLE_LINES or len(shown) < len("\n".join(lines[:CONSOLE_LINES]))
    return "your code printed:\n" + shown + ("\n[... output truncated]" if cut else "")


def result(function: PreparedFunction, check: PreparedCheck, passed: bool, output: str = "") -> TestResult:
    """Build the TestResult of ``check``: full share of points if passed, else 0."""
    return TestResult(name=f"{function.name}: {check.name}", function=function.name, check=check.name,
                      score=check.max_score if passed else 0.0, max_score=check.max_score,
                      status=PASSED if passed else FAILED, output=output, visibility=VISIBLE, kind=check.kind)


def failed_everywhere(function: PreparedFunction, message: str) -> list[TestResult]:
    """Fail every check of ``function`` with the same message."""
    return [result(function, check, False, message) for check in function.checks]


def unit_failure_message(outcome: UnitOutcome, function: str) -> str:
    """Explain why the unit of ``function`` did not finish (time, memory, crash, bad output)."""
    if outcome.status == "timeout":
        text = f"{function}: {outcome.message or 'time limit exceeded'} (does it loop forever or do far too much work?)"
    elif outcome.status == "memory":
        text = f"{function}: {outcome.message or 'memory limit exceeded'} (is an array much larger than needed?)"
    elif outcome.status == "import_error":
        text = f"{function}: your file failed to load: {outcome.error_type}: {outcome.message}"
        if outcome.traceback:
            text += "\n" + "\n".join(outcome.traceback)
        if outcome.error_type in ("ModuleNotFoundError", "ImportError"):
            text += "\nThe grader provides NumPy and the Python standard library only: write this with NumPy."
    else:
        text = f"{function}: {outcome.message or 'your code stopped before the grader finished'}"
    return text


def describe_exception(outcome: CallOutcome, hidden: bool = False) -> str:
    """Say which exception a call raised, with the student's traceback lines (only that it raised, if hidden)."""
    if hidden:
        # The type and message are the student's code's to choose: they could carry hidden inputs.
        return "raised an exception"
    text = f"raised {outcome.error_type}" + (f": {outcome.error_message}" if outcome.error_message else "")
    if outcome.traceback:
        text += "\n" + "\n".join(outcome.traceback[-8:])
    return text


# How a hidden call the unit never reached is marked (engine._merge): followed by the kind of stop.
HIDDEN_NOT_FINISHED = "a hidden case did not finish: "


def call_failure(outcome: CallOutcome, program: list[Call], calls: list[CallOutcome], start: int, index: int,
                 hidden: bool = False) -> str:
    """Explain a failed call; for a failed set-up call earlier in the case, explain that one instead."""
    if outcome.error_type != "GraderError":
        return describe_exception(outcome, hidden)
    message = outcome.error_message
    if "is not defined" in message:
        return f"could not run: {message} in your file"
    for earlier in range(start, index):
        if not calls[earlier].ok and calls[earlier].error_type != "GraderError":
            return (f"could not run: your {program[earlier].function} (called first) "
                    f"{describe_exception(calls[earlier], hidden)}")
    if hidden and message.startswith(HIDDEN_NOT_FINISHED):
        # The grader's own words from a fixed set (engine._HIDDEN_KINDS): the kind of failure, no data.
        return f"could not run: {message}"
    return "could not run: a call it depends on failed" if hidden else f"could not run: {message}"


def _heading(description: str, label: str, hidden: bool) -> str:
    if hidden:
        return "a hidden case failed (its inputs are not shown)"
    return f"{description}" + (f"  [case: {label}]" if label else "")


def compared_path(compare: tuple[int | str, ...], names: tuple[str, ...]) -> str:
    """Name the compared part of a result: ``next_w`` for ``(0,)`` of ``(next_w, config)``, else ``[0]['w']``."""
    steps = list(compare)
    text = ""
    if steps and type(steps[0]) is int and 0 <= steps[0] < len(names):
        text = names[int(steps.pop(0))]
    return text + "".join(f"[{step!r}]" for step in steps)


def _judge_value_case(case: ValueCase, program: list[Call], calls: list[CallOutcome],
                      names: tuple[str, ...] = ()) -> str | None:
    for position, index in enumerate(case.calls):
        outcome = calls[index]
        heading = _heading(case.descriptions[position], case.label, case.hidden)
        if not outcome.ok:
            return f"{heading}\n{call_failure(outcome, program, calls, case.start, index, case.hidden)}"
        path = compared_path(case.compare, names)
        try:
            got = follow_path(outcome.value, case.compare)
        except Exception:  # a missing element, or a value that cannot be indexed at all
            return f"{heading}\nyour result has no element {path}: got {type(outcome.value).__name__}"
        mismatch: Mismatch | None = compare_values(case.expected[position], got, case.rtol, case.atol, path=path,
                                                   show_values=not case.hidden,
                                                   names=() if case.compare else names)
        if mismatch:
            if case.hidden:
                return f"{heading}\n{mismatch.hidden_text()}"
            return "\n".join([heading, mismatch.reason, *mismatch.details])
    return None


def _sent_argument(call: Call, key: str) -> Any:
    return call.args[int(key)] if key.isdigit() else call.kwargs[key]


def _judge_watch(watch: ArgWatch, program: list[Call], calls: list[CallOutcome]) -> str | None:
    """Say how the watched argument changed; None when unchanged or when the call raised.

    A call that raised is scored by the value checks: its arguments are not judged twice.
    """
    outcome = calls[watch.call]
    heading = _heading(watch.description, watch.label, watch.hidden)
    if not outcome.ok:
        return None
    after = (outcome.args_after or {}).get(watch.key)
    if outcome.args_after is None or watch.key not in outcome.args_after:
        return f"{heading}\nthe grader did not get the argument back"
    difference = unchanged_difference(_sent_argument(program[watch.call], watch.key), after, watch.restored,
                                      watch.argument)
    if difference is None:
        return None
    verb = "was not restored" if watch.restored else "was modified"
    detail = "" if watch.hidden else f"\n{difference}"
    return f"{heading}\nargument {watch.argument} {verb}: do not change the arrays or dicts you are given" \
           f"{' (put back every value you perturb)' if watch.restored else ' (work on a copy)'}{detail}"


def _summarise(first: str, failed: int, total: int, noun: str = "case") -> str:
    if total <= 1:
        return first
    return f"{first}\n({failed} of {total} {noun}s failed; above is the first of them)"


def judge_check(function: PreparedFunction, check: PreparedCheck, calls: list[CallOutcome]) -> TestResult:
    """Judge one check against the call outcomes of its function's unit; never raises.

    A failure of the grader while judging (a value no comparison foresaw) fails this check only.
    """
    try:
        return _judge_check(function, check, calls)
    except Exception:
        return result(function, check, False, "the grader could not judge your results for this check "
                                              "(they are not values it can read)")


def _judge_check(function: PreparedFunction, check: PreparedCheck, calls: list[CallOutcome]) -> TestResult:
    failures: list[str] = []
    hidden_failures = 0
    if check.kind == "values":
        total = len(check.value_cases)
        for case in check.value_cases:
            failure = _judge_value_case(case, function.calls, calls, function.returns)
            if failure:
                failures.append(failure)
                hidden_failures += case.hidden
    elif check.kind == "unchanged":
        total = len(check.watches)
        for watch in check.watches:
            failure = _judge_watch(watch, function.calls, calls)
            if failure:
                failures.append(failure)
                hidden_failures += watch.hidden
    else:
        total = len(check.grad_cases)
        for grad_case in check.grad_cases:
            verdict = judge_grad_case(grad_case, calls, function.calls)
            if not verdict.passed:
                heading = _heading(grad_case.description, grad_case.label, grad_case.hidden)
                failures.append("\n".join([heading, verdict.reason, *verdict.details]))
                hidden_failures += grad_case.hidden
    if not failures:
        return result(function, check, True)
    noun = "argument check" if check.kind == "unchanged" else "case"
    judged = result(function, check, False, _summarise(failures[0], len(failures), total, noun))
    if hidden_failures == len(failures):
        # Failed on hidden cases only: the course decides when students read why (services/results.py).
        judged.visibility = HIDDEN
    return judged


def last_call(check: PreparedCheck) -> int:
    """Index of the last call of the unit whose outcome ``check`` needs."""
    indices = [index for case in check.value_cases for index in case.calls]
    indices += [watch.call for watch in check.watches]
    for grad_case in check.grad_cases:
        indices.append(grad_case.analytic)
        indices += [max(entry.plus, entry.minus) for entry in grad_case.entries]
    return max(indices, default=-1)


NOT_IMPLEMENTED = "not implemented yet: it raises NotImplementedError"
UNCHANGED_NEEDS_VALUES = ("no points for leaving the arguments unchanged until {function} returns right values "
                          "on at least one of its checks")


def not_implemented(function: PreparedFunction, calls: list[CallOutcome]) -> bool:
    """True when every call of ``function`` itself raised NotImplementedError (an untouched starter)."""
    own = [outcome for call, outcome in zip(function.calls, calls) if call.function == function.name]
    return bool(own) and all(not outcome.ok and outcome.error_type == "NotImplementedError" for outcome in own)


def _gate_unchanged(function: PreparedFunction, results: list[TestResult]) -> None:
    """An "arguments unchanged" check earns only when the function earns on a value check.

    Otherwise a function that does nothing (returns 0.0 or its input) would earn it for free.
    """
    valued = [test for test in results if test.kind == "values" and test.max_score > 0]
    if not valued or any(test.status == PASSED for test in valued):
        return
    for test in results:
        if test.kind == "unchanged" and test.status == PASSED:
            test.status, test.score = FAILED, 0.0
            test.output = UNCHANGED_NEEDS_VALUES.format(function=function.name)


def judge_function(function: PreparedFunction, outcome: UnitOutcome) -> list[TestResult]:
    """Judge every check of ``function`` from its unit's outcome; never raises.

    When the unit did not finish, the checks whose calls all completed are still judged;
    the others fail with the reason the unit stopped. A function that only raises
    NotImplementedError gets one short line per check instead of a traceback each.
    """
    if outcome.status == OK and not_implemented(function, outcome.calls):
        return failed_everywhere(function, NOT_IMPLEMENTED)
    # Only the public unit's console reaches here: hidden calls run in units whose output is dropped.
    printed = console_excerpt(outcome.console)
    message = "" if outcome.status == OK else unit_failure_message(outcome, function.name)
    results = []
    for check in function.checks:
        if outcome.status == OK or last_call(check) < len(outcome.calls):
            results.append(judge_check(function, check, outcome.calls))
        else:
            results.append(result(function, check, False, message))
    _gate_unchanged(function, results)
    if printed:
        for test in results:
            if test.status == FAILED:
                test.output += f"\n{printed}"
                break
    return results

"""Grade one submission: check the file, run it in the sandbox, judge each function, report."""

from __future__ import annotations

import ast
import builtins
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from autograder.grading.assignment import Assignment
from autograder.grading.diagnosis import diagnose_function
from autograder.grading.notebook import NotebookSource, is_notebook, notebook_source, script_without_ipython
from autograder.grading.prepare import prepare_suite, reindex_call
from autograder.grading.report import Report, TestResult
from autograder.grading.scoring import (
    HIDDEN_NOT_FINISHED,
    NOT_IMPLEMENTED,
    failed_everywhere,
    judge_function,
    unit_failure_message,
)
from autograder.grading.source_checks import (
    SourceRejected,
    read_source,
    missing_function_message,
    missing_functions_message,
    wrong_file_hint,
)
from autograder.grading.suite import PreparedFunction, PreparedSuite, Program
from autograder.grading.self_test_imports import without_self_test_imports
from autograder.sandbox.executor import (
    CRASHED, IMPORT_ERROR, OK, TIMEOUT, Executor, FollowUp, UnitJob, UnitOutcome, executor_raised, run_then,
)
from autograder.sandbox.program import CallOutcome


def grade_source(assignment: Assignment, source_bytes: bytes, executor: Executor, mode: str = "public",
                 hidden_seed: int | None = None,
                 on_result: Callable[[TestResult], None] | None = None, filename: str | None = None,
                 time_scale: float = 1.0) -> Report:
    """Grade ``source_bytes`` as the student's file for ``assignment``.

    ``time_scale`` multiplies every time limit and the submission's budget (an operator's setting
    for slow machines). ``filename`` is the name the student's file had: a Jupyter notebook (``.ipynb``, or a file
    that plainly is one) is graded by its code cells, with feedback naming cells and lines.

    Returns a Report; never raises for anything the student's file does. Raises ValueError for a
    bad ``mode``/``hidden_seed`` and PreparationError when the assignment's own cases are broken.
    """
    started = time.monotonic()
    suite = prepare_suite(assignment, mode, hidden_seed)
    report = Report(assignment=assignment.name, version=assignment.version, mode=mode,
                    max_score=assignment.max_score, isolation=getattr(executor, "isolation", ""))

    notebook: NotebookSource | None = None

    def publish(results: list[TestResult]) -> None:
        if notebook is not None:
            for test in results:
                test.output = notebook.relabel(test.output, assignment.file)
        report.tests.extend(results)
        if on_result is not None:
            for test in results:
                on_result(test)

    def fail_all(message: str) -> Report:
        report.messages.append(notebook.relabel(message, assignment.file) if notebook is not None else message)
        for function in suite.functions:
            publish(failed_everywhere(function, message))
        report.seconds = time.monotonic() - started
        return report

    if isinstance(source_bytes, str):
        source_bytes = source_bytes.encode("utf-8")
    try:
        if is_notebook(filename, bytes(source_bytes)):
            notebook = notebook_source(bytes(source_bytes), filename or assignment.file,
                                       assignment.spec.max_file_bytes,
                                       graded_names=[function.name for function in suite.functions],
                                       module_file=assignment.file)
            report.messages.extend(notebook.notes)
            source = notebook.module_text(assignment.file)
        else:
            source = _python_source(bytes(source_bytes), assignment.file, assignment.spec.max_file_bytes,
                                    report.messages)
    except SourceRejected as rejection:
        return fail_all(str(rejection))

    budget = _Budget(seconds=assignment.spec.limits.submission_budget(suite.reference_seconds) * time_scale,
                     output_bytes=assignment.limits.output_bytes, time_scale=time_scale)
    graded = _run_units(suite, source, assignment, executor, budget)
    report.waited_seconds = budget.waited
    if graded.import_failure:
        return fail_all(graded.import_failure)
    defined = graded.names
    missing = [function.name for function in suite.functions if function.name not in defined]
    if missing:
        # One note for the whole file: a misnamed file often misses several functions.
        hint = wrong_file_hint(filename, assignment.name, assignment.file) if filename else None
        if hint is not None and len(missing) == len(suite.functions):
            report.messages.append(hint)
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


def _python_source(data: bytes, file: str, max_bytes: int, notes: list[str]) -> str:
    """Decode and check a .py; one saved from a notebook (`!pip` lines, `get_ipython()` calls) is graded without them."""
    try:
        return _without_ipython(*read_source(data, file, max_bytes), file, notes)
    except SourceRejected as rejection:
        if len(data) > max_bytes:
            raise
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise rejection from None
        cleaned, removed = script_without_ipython(text)
        if not removed:
            raise
        # Within the limit already: the blanked lines may be a few bytes longer. A syntax error left
        # after them is the one to fix (its line is the file's own).
        return _without_ipython(*read_source(cleaned.encode("utf-8"), file, 2 * max_bytes), file, notes, removed)


def _without_ipython(source: str, tree: ast.Module, file: str, notes: list[str],
                     removed: Sequence[tuple[int, str]] = ()) -> str:
    # ``source`` parses (into ``tree``): only `get_ipython()` statements could be left. Each later step
    # reuses the tree while the text is unchanged (a parse of 200 kB costs up to a second of CPU).
    cleaned, more = script_without_ipython(source, tree) if "get_ipython" in source else (source, [])
    removed = sorted([*removed, *more])
    if removed:
        shown = "; ".join(f"line {row}: {what}" for row, what in removed[:6]) + ("; ..." if len(removed) > 6 else "")
        notes.append(f"{file} holds IPython lines, as a notebook saved as .py does; they are not Python, so the grader "
                     f"skips them ({shown}). Import what you need with Python `import` lines.")
    cleaned, skipped = without_self_test_imports(cleaned, None if more else tree)
    if skipped:
        shown = "; ".join(f"line {row}: {module}" for row, module in skipped[:6]) + ("; ..." if len(skipped) > 6 else "")
        notes.append(f"{file} imports libraries the grader does not have ({shown}); only your own tests under "
                     "`if __name__ == \"__main__\":` use them, so the grader skips those imports.")
    return cleaned


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
    followed: UnitOutcome | None = None  # the next phase's first unit, run in this phase's last child


@dataclass
class _Budget:
    """What is left of a submission's wall-clock time and result bytes, across all its units."""

    seconds: float
    output_bytes: int
    time_scale: float = 1.0  # applied to each function's own limit too

    waited: float = 0.0  # time the units spent waiting for a CPU: not charged

    def after(self, outcome: UnitOutcome) -> "_Budget":
        """What would be left once ``outcome`` is spent (this budget is left as it is)."""
        left = replace(self)
        left.spend(outcome)
        return left

    def spend(self, outcome: UnitOutcome) -> None:
        self.seconds -= outcome.seconds - outcome.waited_seconds
        self.waited += outcome.waited_seconds
        self.output_bytes -= outcome.output_bytes

    @property
    def exhausted(self) -> bool:
        return self.seconds <= 0 or self.output_bytes <= 0


def _run_units(suite: PreparedSuite, source: str, assignment: Assignment, executor: Executor,
               budget: _Budget) -> _Graded:
    """Run every function's public calls, then (hidden mode) every function's hidden calls.

    The hidden calls run in units of their own, after the public ones, so that code running
    during a public call never sees a hidden input; nothing those units print, raise or say
    reaches the student beyond pass/fail (their outcomes are scrubbed before judging). When the
    public calls end in one complete unit, the hidden unit runs in that unit's child, which the
    executor keeps for it where it can (``run_then``): the child has then read no hidden input
    before the grader has taken everything judged as public.
    """
    programs = {function.name: suite.programs(function) for function in suite.functions}
    hidden_functions = [function for function in suite.functions if programs[function.name][1].calls]
    hidden_programs = {name: split[1] for name, split in programs.items()}
    follow = None
    if hidden_functions:
        def hidden_job(remaining: _Budget) -> UnitJob:
            return _combined_job(suite, hidden_functions, hidden_programs, "hidden", source, assignment, remaining)

        def hidden_job_after(public_unit: UnitOutcome) -> UnitJob | None:
            left = budget.after(public_unit)
            return None if left.exhausted else hidden_job(left)

        # Bounds for the child's kernel limits: the job's own, whatever is left of the budget.
        most = hidden_job(replace(budget, seconds=float("inf")))
        follow = FollowUp(most_seconds=most.wall_seconds + most.limits.load_seconds,
                          most_cpu_seconds=most.cpu_seconds, job_after=hidden_job_after)
    public = _run_phase(suite, suite.functions, {name: split[0] for name, split in programs.items()}, "public",
                        source, assignment, executor, budget, follow=follow)
    if public.import_failure or not hidden_functions:
        return public
    hidden = _run_phase(suite, hidden_functions, hidden_programs, "hidden",
                        source, assignment, executor, budget, first=public.followed)
    for function in hidden_functions:
        if function.name in public.outcomes:
            public_program, hidden_program = programs[function.name]
            public.outcomes[function.name] = _merge(function, public_program, public.outcomes[function.name],
                                                    hidden_program, hidden.outcomes.get(function.name),
                                                    hidden.import_failure)
    return public


def _run_phase(suite: PreparedSuite, functions: list[PreparedFunction], programs: dict[str, Program], phase: str,
               source: str, assignment: Assignment, executor: Executor, budget: _Budget,
               follow: FollowUp | None = None, first: UnitOutcome | None = None) -> _Graded:
    """Run ``programs`` of ``functions`` in as few sandbox units as the submission allows.

    An honest file is graded in ONE unit: the functions' programs run one after another in
    a single child, each with its own time limit. When that unit ends abnormally, the
    functions that finished keep their results, the function that was running is rerun
    alone (so it is judged on its own, not on a neighbour's side effects) unless it ran out
    of its own time, and the rest go on together in a fresh unit. The culprit is found
    from the order of complete result frames, never from timing.

    ``follow``: the next phase's job, run after a complete unit of all that is left (the phase's
    last) in the same child; its outcome is kept in ``followed``. ``first``: the outcome of this
    phase's first unit, run so by the phase before.
    """
    graded = _Graded()
    pending = [function for function in functions if programs[function.name].calls]

    def run(group: list[PreparedFunction], then: FollowUp | None = None) -> UnitOutcome:
        nonlocal first
        if first is not None:
            outcome, first = first, None
            budget.spend(outcome)
            return outcome
        if budget.exhausted:
            return UnitOutcome(status=TIMEOUT, message=_budget_message(budget, assignment))
        job = _combined_job(suite, group, programs, phase, source, assignment, budget)
        if then is not None:
            outcome, graded.followed = _safe_run_then(executor, job, then)
        else:
            outcome = _safe_run(executor, job)
        budget.spend(outcome)
        return outcome

    while pending:
        outcome = run(pending, then=follow)  # all that is left: when it ends complete, it is the phase's last
        if outcome.status == IMPORT_ERROR:
            graded.import_failure = unit_failure_message(outcome, assignment.file).replace(
                f"{assignment.file}: ", "", 1)
            return graded
        graded.names.update(outcome.names)
        offset = 0
        for position, function in enumerate(pending):
            count = len(programs[function.name].calls)
            calls = outcome.calls[offset:offset + count]
            offset += count
            console = _console_of(outcome, offset - count, calls, complete=len(calls) == count)
            if outcome.status == OK or len(calls) == count:
                graded.outcomes[function.name] = replace(outcome, status=OK, calls=calls, message="", console=console)
                continue
            if position == 0 or outcome.status == TIMEOUT:
                # First in its child, or it used up its own time limit: the verdict is its own
                # (rerunning a timeout alone would only make the student wait twice as long).
                graded.outcomes[function.name] = replace(outcome, calls=calls, console=console)
                pending = pending[position + 1:]
            else:
                pending = pending[position:]
                # The failing function alone decides its own fate.
                solo = run(pending[:1])
                graded.names.update(solo.names)
                graded.outcomes[function.name] = replace(
                    solo, console=_console_of(solo, 0, solo.calls, complete=len(solo.calls) == count))
                pending = pending[1:]
            break
        else:
            pending = []
    return graded


def _console_of(outcome: UnitOutcome, first: int, calls: list[CallOutcome], complete: bool) -> str:
    """What one function of a combined unit printed: the console between its first and its last call.

    The child marks where loading ended and where each call ended: what the file printed while
    loading (a notebook's self-test cell, say) or what other functions printed is not this
    function's. A function that did not complete gets everything from its start to the end of
    the unit (its traceback, its flood).
    """
    raw = outcome.console_raw
    if not raw:
        return outcome.console if not outcome.calls else ""
    start = outcome.calls[first - 1].console_end if first > 0 else outcome.loaded_console_end
    end = calls[-1].console_end if complete and calls else len(raw)
    start = min(start, len(raw))
    return raw[start:max(start, min(end, len(raw)))].decode("utf-8", "replace")


def _budget_message(budget: _Budget, assignment: Assignment) -> str:
    if budget.output_bytes <= 0:
        return "not run: your code's earlier results used up the submission's output limit"
    return "not run: earlier functions used up the submission's time budget (do they loop or sleep?)"


def _safe_run(executor: Executor, job: UnitJob) -> UnitOutcome:
    """Run a unit; an executor that raises fails this unit only (never the grader)."""
    try:
        return executor.run(job)
    except Exception as error:  # noqa: BLE001 - the trusted side must not fall over for any unit
        return executor_raised(error)


def _safe_run_then(executor: Executor, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
    """Run a unit and the one that may follow it in its child; an executor that raises fails the first only."""
    try:
        return run_then(executor, job, follow)
    except Exception as error:  # noqa: BLE001 - as in _safe_run
        return executor_raised(error), None


# Exception names a hidden case may report: anything else could carry data out of a hidden input.
_SAFE_ERROR_TYPES = frozenset(name for name, value in vars(builtins).items()
                              if isinstance(value, type) and issubclass(value, BaseException))
_HIDDEN_KINDS = {TIMEOUT: "it ran out of time", "memory": "it ran out of memory", CRASHED: "your code crashed",
                 "bad_output": "it sent results the grader could not accept"}


def _scrub(outcome: CallOutcome) -> CallOutcome:
    """A hidden call's outcome without anything the student's code could have put in it but its value."""
    error_type = outcome.error_type if outcome.error_type in _SAFE_ERROR_TYPES else ("exception" if not outcome.ok else "")
    if outcome.error_type == "GraderError":
        error_type = "GraderError"
    return CallOutcome(ok=outcome.ok, value=outcome.value, args_after=outcome.args_after, error_type=error_type,
                       error_message="" if error_type != "GraderError" else "a call it depends on failed",
                       traceback=[], seconds=0.0)


def _merge(function: PreparedFunction, public_program: Program, public: UnitOutcome, hidden_program: Program,
           hidden: UnitOutcome | None, hidden_import_failure: str) -> UnitOutcome:
    """One outcome aligned with ``function.calls`` from its public and its hidden units."""
    calls: list[CallOutcome | None] = [None] * len(function.calls)
    for position, outcome in zip(public_program.positions, public.calls):
        calls[position] = outcome
    if hidden is None or hidden_import_failure:
        reason = "your file failed to load" if hidden_import_failure else "it was not run"
        received: list[CallOutcome] = []
    else:
        reason = _HIDDEN_KINDS.get(hidden.status, "it stopped early")
        received = [_scrub(outcome) for outcome in hidden.calls]
    stopped = CallOutcome(ok=False, error_type="GraderError", error_message=f"{HIDDEN_NOT_FINISHED}{reason}")
    for index, position in enumerate(hidden_program.positions):
        calls[position] = received[index] if index < len(received) else stopped
    # The public unit decides what is missing: everything up to its first missing call is judged.
    prefix = next((index for index, outcome in enumerate(calls) if outcome is None), len(calls))
    return replace(public, calls=calls[:prefix])  # type: ignore[arg-type]


def _combined_job(suite: PreparedSuite, functions: list[PreparedFunction], programs: dict[str, Program], phase: str,
                  source: str, assignment: Assignment, budget: _Budget) -> UnitJob:
    key = (phase, *(function.name for function in functions))
    calls = suite.combined_calls.get(key)
    if calls is None:
        calls = []
        for function in functions:
            offset = len(calls)
            program = programs[function.name].calls
            calls.extend(program if offset == 0 else [reindex_call(call, offset) for call in program])
        suite.combined_calls[key] = calls
    limits = assignment.spec.limits
    return UnitJob(source=source, filename=assignment.file, calls=calls,
                   limits=replace(assignment.limits, output_bytes=max(0, budget.output_bytes)),
                   probes_source=assignment.probes_source,
                   segments=tuple(len(programs[function.name].calls) for function in functions),
                   segment_seconds=tuple(limits.function_limit(function.reference_seconds) * budget.time_scale
                                         for function in functions),
                   budget_seconds=max(0.0, budget.seconds))


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

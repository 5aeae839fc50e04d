"""Turn an assignment's case generators into a prepared suite (trusted side, cached).

A prepared suite is plain data plus arrays: per graded function, one concatenated call
program for the sandbox and, per check, what to compare each returned value with. Gradient
checks become concrete forward calls at ``x ± h·e_i``; the finite-difference bookkeeping
stays here, on the trusted side.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np

from autograder.grading.cases import Case, GradCheck
from autograder.grading.describe import describe_call
from autograder.grading.diagnosis import precompute_diagnosis
from autograder.grading.plain_copy import deep_copy
from autograder.grading.suite import (
    ArgWatch,
    Assignment,
    GradCase,
    GradEntry,
    PreparedCheck,
    PreparedFunction,
    PreparedSuite,
    ValueCase,
    map_refs,
)
from autograder.sandbox.program import Call, CallOutcome, follow_path, run_program, sent_by_value

MODES = ("public", "hidden")
_SEED_MASK = (1 << 63) - 1


class PreparationError(Exception):
    """Raised when an assignment's cases cannot be prepared (a bug in the assignment, not the student)."""


def check_seed(public_seed: int, index: int, mode: str, hidden_seed: int | None, assignment: str) -> int:
    """Return the generator seed of the check with global ``index`` in ``mode``."""
    if mode == "public":
        return public_seed + index
    digest = hashlib.sha256(f"{hidden_seed}:{assignment}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & _SEED_MASK


def reindex(value: Any, offset: int) -> Any:
    """Shift every Ref in ``value`` by ``offset`` (for concatenating programs)."""
    return map_refs(value, lambda call: call + offset)


def reindex_call(call: Call, offset: int) -> Call:
    """Return ``call`` with its Refs shifted by ``offset`` (it now follows ``offset`` calls)."""
    return _shift_call(call, offset)


def _shift_call(call: Call, offset: int, **changes: Any) -> Call:
    return dataclasses.replace(call, args=reindex(tuple(call.args), offset),
                               kwargs=reindex(dict(call.kwargs), offset), **changes)


# Timed runs of the reference per group of calls (public cases only); the fastest counts.
REFERENCE_TIMING_RUNS = 5


class _Preparer:
    def __init__(self, assignment: Assignment, mode: str, hidden_seed: int | None) -> None:
        self.assignment = assignment
        self.mode = mode
        self.hidden_seed = hidden_seed
        self.namespace = vars(assignment.reference)
        self.parameters: dict[str, list[str]] = {}
        self.reference_seconds = 0.0  # of the function being prepared, public cases only
        self.timing = True
        self.result_names = {function.name: function.returns for function in assignment.functions}

    def parameter_names(self, function: str) -> list[str]:
        if function not in self.parameters:
            target = self.assignment.probes.get(function[6:]) if function.startswith("probe:") else self.namespace.get(function)
            try:
                names = [p.name for p in inspect.signature(target).parameters.values()  # type: ignore[arg-type]
                         if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            except (TypeError, ValueError):
                names = []
            self.parameters[function] = names
        return self.parameters[function]

    def run_reference(self, calls: list[Call], where: str) -> list[CallOutcome]:
        """Run ``calls`` against the reference, snapshotting each result as it is produced."""
        outcomes: list[CallOutcome] = []

        def snapshot(index: int, outcome: CallOutcome) -> None:
            # Later calls may mutate a returned object (an optimizer's config): keep it as sent.
            outcome.value = deep_copy(outcome.value)
            outcomes.append(outcome)

        run_program(self.namespace, deep_copy(calls), probes=self.assignment.probes,
                    filename="reference.py", on_outcome=snapshot)
        for index, outcome in enumerate(outcomes):
            if not outcome.ok:
                raise PreparationError(f"{where}: the reference failed on call {index} ({calls[index].function}): "
                                       f"{outcome.error_type}: {outcome.error_message}")
        if self.timing:
            self.reference_seconds += self._reference_cpu_seconds(calls)
        return outcomes

    def _reference_cpu_seconds(self, calls: list[Call]) -> float:
        """The least CPU time this thread spent running ``calls`` against the reference, of a few runs.

        Limits derive from it, so it must not depend on how busy the machine is: not wall time, not
        the process's time (other threads count in it), and not one run either. A suite is often
        first prepared under load, and a single run that is preempted, meets cold caches or a full
        garbage collection costs several times its CPU time (losses: 34-38 ms in busy test processes,
        5 ms alone, 1.5 ms as the fastest of 5), giving budgets above the spec's floor that differ
        from one worker to the next.
        """
        fastest = float("inf")
        for _ in range(REFERENCE_TIMING_RUNS):
            program = deep_copy(calls)
            started = time.thread_time()
            run_program(self.namespace, program, probes=self.assignment.probes, filename="reference.py")
            fastest = min(fastest, time.thread_time() - started)
        return fastest

    def prepare(self) -> PreparedSuite:
        functions = []
        check_index = 0
        for function_spec in self.assignment.functions:
            unit_calls: list[Call] = []
            hidden_calls: list[int] = []
            self.reference_seconds = 0.0
            checks: list[PreparedCheck] = []
            value_cases_of_function: list[tuple[Case, int, bool]] = []
            total_weight = function_spec.total_weight
            indexed = []
            for check_spec in function_spec.checks:
                share = function_spec.points * check_spec.weight / total_weight if total_weight else 0.0
                checks.append(PreparedCheck(name=check_spec.name, kind=check_spec.kind, weight=check_spec.weight,
                                            max_score=share))
                indexed.append((check_index, check_spec, checks[-1]))
                check_index += 1
            # Value cases run before gradient checks: a forward that kills the unit during a
            # gradient check must not cost the function's value checks.
            indexed.sort(key=lambda item: item[1].kind == "gradcheck")
            for index, check_spec, check in indexed:
                if check_spec.kind == "unchanged":
                    continue
                generator = getattr(self.assignment.cases, check_spec.cases)
                where = f"{self.assignment.name}: {function_spec.name}: {check_spec.name}"
                # Gradient checks are diagnostics worth no points: the public draw is enough, and
                # it is most of the calls a submission makes (two forward calls per probed entry).
                scored = check_spec.kind != "gradcheck"
                for hidden in ([False, True] if self.mode == "hidden" and scored else [False]):
                    seed = check_seed(self.assignment.spec.public_seed, index, "hidden" if hidden else "public",
                                      self.hidden_seed, self.assignment.name)
                    try:
                        produced = generator(np.random.default_rng(seed))
                    except Exception as error:
                        raise PreparationError(f"{where}: generator {check_spec.cases} raised "
                                               f"{type(error).__name__}: {error}") from error
                    if not isinstance(produced, list) or not produced:
                        raise PreparationError(f"{where}: generator {check_spec.cases} must return a non-empty list")
                    entry_rng = np.random.default_rng([seed, 1])
                    self.timing = not hidden
                    for item in produced:
                        first_call = len(unit_calls)
                        if check_spec.kind == "values":
                            if not isinstance(item, Case):
                                raise PreparationError(f"{where}: a values check's generator must return Case objects")
                            value_case = self.value_case(item, function_spec.name, unit_calls, hidden, check_spec, where)
                            check.value_cases.append(value_case)
                            value_cases_of_function.append((item, len(unit_calls) - len(item.calls), hidden))
                        else:
                            if not isinstance(item, GradCheck):
                                raise PreparationError(f"{where}: a gradcheck generator must return GradCheck objects")
                            check.grad_cases.append(self.grad_case(item, unit_calls, hidden, entry_rng, where))
                        if hidden:
                            hidden_calls.extend(range(first_call, len(unit_calls)))
            for check in checks:
                if check.kind == "unchanged":
                    check.watches = self.watches(value_cases_of_function, function_spec.name, unit_calls)
                    if not check.watches:
                        raise PreparationError(f"{self.assignment.name}: {function_spec.name}: check {check.name!r} "
                                               "has no by-value argument to watch")
            # Arguments come back only where an "unchanged" check looks at them: less to copy and send.
            watched = {watch.call for check in checks for watch in check.watches}
            unit_calls = [call if index in watched or not call.send_args else dataclasses.replace(call, send_args=False)
                          for index, call in enumerate(unit_calls)]
            needs = sorted({call.function for call in unit_calls if not call.function.startswith("probe:")})
            functions.append(PreparedFunction(name=function_spec.name, points=function_spec.points,
                                              calls=unit_calls, needs=needs, checks=checks,
                                              hidden_calls=tuple(hidden_calls),
                                              reference_seconds=self.reference_seconds,
                                              returns=function_spec.returns))
            precompute_diagnosis(self.assignment, functions[-1], self.parameter_names)
        return PreparedSuite(assignment=self.assignment.name, version=self.assignment.version, mode=self.mode,
                             functions=functions)

    def graded_indices(self, case: Case, function: str) -> list[int]:
        if case.graded is not None:
            return list(case.graded)
        return [index for index, call in enumerate(case.calls) if call.function == function]

    def value_case(self, case: Case, function: str, unit_calls: list[Call], hidden: bool, check_spec: Any,
                   where: str) -> ValueCase:
        outcomes = self.run_reference(list(case.calls), where)
        graded = self.graded_indices(case, function)
        if not graded:
            raise PreparationError(f"{where}: a case has no call of {function} to grade")
        offset = len(unit_calls)
        expected = []
        descriptions = []
        for index in graded:
            call = case.calls[index]
            if not call.send_result:
                raise PreparationError(f"{where}: graded call {index} has send_result=False")
            try:
                expected.append(follow_path(outcomes[index].value, tuple(case.compare)))
            except (LookupError, TypeError) as error:
                raise PreparationError(f"{where}: compare path {case.compare} does not fit the reference result") from error
            descriptions.append("" if hidden else describe_call(call, case.calls, self.parameter_names(call.function),
                                                                self.result_names))
        unit_calls.extend(_shift_call(call, offset) for call in case.calls)
        return ValueCase(label="" if hidden else case.label, hidden=hidden, start=offset,
                         calls=[offset + index for index in graded],
                         expected=expected, descriptions=descriptions, compare=tuple(case.compare),
                         rtol=check_spec.rtol if case.rtol is None else case.rtol,
                         atol=check_spec.atol if case.atol is None else case.atol)

    def watches(self, cases: list[tuple[Case, int, bool]], function: str, unit_calls: list[Call]) -> list[ArgWatch]:
        result = []
        for case, offset, hidden in cases:
            graded = set(self.graded_indices(case, function))
            for index, call in enumerate(case.calls):
                if index not in graded and call.function != function:
                    continue
                names = self.parameter_names(call.function)
                sent = [(str(position), names[position] if position < len(names) else "", argument)
                        for position, argument in enumerate(call.args)]
                sent += [(key, key, argument) for key, argument in call.kwargs.items()]
                for key, name, argument in sent:
                    if not sent_by_value(argument) or key in case.mutable or name in case.mutable:
                        continue
                    restored = key in case.restored or name in case.restored
                    global_index = offset + index
                    description = "" if hidden else describe_call(call, case.calls, names, self.result_names)
                    argument = name or f"#{int(key) + 1}"
                    result.append(ArgWatch(call=global_index, key=key, argument=argument, restored=restored, start=offset,
                                           label="" if hidden else case.label, hidden=hidden,
                                           description=description))
        return result

    def grad_case(self, check: GradCheck, unit_calls: list[Call], hidden: bool, entry_rng: np.random.Generator,
                  where: str) -> GradCase:
        if not check.analytic:
            raise PreparationError(f"{where}: GradCheck.analytic is empty")
        inputs = {name: np.array(value, dtype=np.float64) for name, value in check.inputs.items()}
        missing = set(inputs) - set(check.gradient_paths)
        if missing:
            raise PreparationError(f"{where}: no gradient path for {', '.join(sorted(missing))}")
        local: list[Call] = []
        last = len(check.analytic) - 1
        for index, call in enumerate(check.analytic):
            local.append(dataclasses.replace(call, send_args=False, send_result=index == last))
        weights = None if check.weights is None else np.array(check.weights, dtype=np.float64)
        planned: list[tuple[str, tuple[int, ...], int, int]] = []
        for name, value in inputs.items():
            count = min(check.entries, value.size)
            flat: Any = np.sort(entry_rng.choice(value.size, size=count, replace=False)) if count else []
            for position in flat:
                entry_index = tuple(int(i) for i in np.unravel_index(int(position), value.shape))
                calls = []
                for sign in (1.0, -1.0):
                    values = {key: array.copy() for key, array in inputs.items()}
                    values[name][entry_index] += sign * check.h
                    forward = check.forward(values)
                    calls.append(dataclasses.replace(forward, send_args=False, send_result=True))
                planned.append((name, entry_index, len(local), len(local) + 1))
                local.extend(calls)
        outcomes = self.run_reference(local, where)
        entries = []
        for name, entry_index, plus, minus in planned:
            try:
                reference_plus = objective(outcomes[plus].value, weights)
                reference_minus = objective(outcomes[minus].value, weights)
            except ValueError as error:
                raise PreparationError(f"{where}: the forward call does not give a scalar objective: {error}") from None
            entries.append(GradEntry(variable=name, index=entry_index, plus=plus, minus=minus,
                                     reference_plus=reference_plus, reference_minus=reference_minus))
        offset = len(unit_calls)
        unit_calls.extend(_shift_call(call, offset) for call in local)
        for entry in entries:
            entry.plus += offset
            entry.minus += offset
        analytic_call = check.analytic[-1]
        description = "" if hidden else describe_call(analytic_call, check.analytic,
                                                      self.parameter_names(analytic_call.function), self.result_names)
        return GradCase(label="" if hidden else check.label, hidden=hidden, analytic=offset + last,
                        paths={name: tuple(path) for name, path in check.gradient_paths.items() if name in inputs},
                        shapes={name: tuple(value.shape) for name, value in inputs.items()}, weights=weights,
                        h=check.h, tolerance=check.tolerance, entries=entries, description=description,
                        start=offset)


def objective(value: Any, weights: np.ndarray | None) -> float:
    """Reduce a forward result to the scalar a gradient check differentiates; raise ValueError if it cannot."""
    if isinstance(value, (list, tuple, dict, str)) or value is None:
        raise ValueError(f"expected a number or an array, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"expected real numbers, got dtype {array.dtype}")
    if weights is None:
        if array.size != 1:
            raise ValueError(f"expected a scalar, got shape {array.shape}")
        return float(array.reshape(()))
    if array.shape != weights.shape:
        raise ValueError(f"expected shape {weights.shape}, got {array.shape}")
    return float(np.sum(array.astype(np.float64) * weights))


_cache: OrderedDict[tuple[str, str, str, int | None], PreparedSuite] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 32


def prepare_suite(assignment: Assignment, mode: str = "public", hidden_seed: int | None = None) -> PreparedSuite:
    """Return the prepared suite of ``assignment`` for ``mode``, cached per (version, mode, seed).

    Raises ValueError for a bad mode or seed, PreparationError when the assignment's cases are broken.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode == "hidden" and type(hidden_seed) is not int:
        raise ValueError("hidden mode needs an integer hidden_seed")
    if assignment.kit_suite is not None:
        # A starter kit grades in the mode it was prepared in: a starter kit holds public cases only; a
        # Gradescope archive also holds hidden ones, drawn from its seed when it was written.
        if mode != assignment.kit_suite.mode:
            raise ValueError(f"this starter kit holds {assignment.kit_suite.mode} cases only, not {mode} ones")
        return assignment.kit_suite
    key = (str(assignment.path), assignment.version, mode, hidden_seed if mode == "hidden" else None)
    with _cache_lock:
        suite = _cache.get(key)
        if suite is not None:
            _cache.move_to_end(key)
            return suite
        suite = _Preparer(assignment, mode, hidden_seed).prepare()
        _cache[key] = suite
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
        return suite

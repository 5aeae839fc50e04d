"""Call programs: the unit of work handed to code under test.

A program is a list of :class:`Call`. Each call names a function of the module under
test (or a grader probe), gets plain-data arguments, and may refer to earlier results
with :class:`~autograder.sandbox.codec.Ref` (so an opaque ``cache`` never leaves the
process that made it), to probes with :class:`Probe` and to generators with :class:`Rng`.

:func:`run_program` executes a program against a namespace. The sandbox child runs it
against the student's module; the trusted grader runs the very same function against
the reference module to obtain expected values, so both sides agree on semantics.
"""

from __future__ import annotations

import copy
import time
import traceback
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.codec import Probe, Ref, Rng

# An iterator returned by code under test is materialised up to this many items.
MAX_ITER_ITEMS = 100_000

# Bound at import, before any student code loads in the child: a student who patches
# copy, time or traceback at module level must not take every one of their functions down.
_deepcopy = copy.deepcopy
_perf_counter = time.perf_counter
_extract_tb = traceback.extract_tb
_default_rng = np.random.default_rng
_ndarray_copy = np.ndarray.copy


def _copy_argument(value: Any) -> Any:
    """A deep copy of plain data, independent of the copy module (which student code may patch)."""
    kind = type(value)
    if kind is np.ndarray:
        return _ndarray_copy(value)
    if kind is list:
        return [_copy_argument(item) for item in value]
    if kind is dict:
        return {key: _copy_argument(item) for key, item in value.items()}
    if kind is tuple:
        return tuple(_copy_argument(item) for item in value)
    if kind in (int, float, str, bool, complex, bytes) or value is None or isinstance(value, np.generic):
        return value
    return _deepcopy(value)


@dataclass(frozen=True)
class Call:
    """One call of a function under test.

    ``select`` picks the part of the result that is sent back (e.g. ``(0,)`` for ``out``
    of ``(out, cache)``); ``send_result=False`` sends nothing back (the result is still
    available to later calls through ``Ref``). ``send_args`` sends back the arguments
    given by value as they are after the call, so the grader can see any modification.
    """

    function: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    select: tuple[int | str, ...] = ()
    send_result: bool = True
    send_args: bool = True

    def to_plain(self) -> dict[str, Any]:
        """Return this call as plain data for the wire, leaving out fields at their defaults (fewer nodes per call)."""
        plain: dict[str, Any] = {"function": self.function, "args": list(self.args)}
        if self.kwargs:
            plain["kwargs"] = dict(self.kwargs)
        if self.select:
            plain["select"] = list(self.select)
        if not self.send_result:
            plain["send_result"] = False
        if not self.send_args:
            plain["send_args"] = False
        return plain

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> "Call":
        """Rebuild a call from :meth:`to_plain` data, checking its shape."""
        if not isinstance(data, dict) or type(data.get("function")) is not str:
            raise ValueError("malformed call")
        return cls(
            function=data["function"],
            args=tuple(data.get("args", [])),
            kwargs=dict(data.get("kwargs", {})),
            select=tuple(data.get("select", [])),
            send_result=bool(data.get("send_result", True)),
            send_args=bool(data.get("send_args", True)),
        )


@dataclass
class CallOutcome:
    """What one call produced: a value, or an error, and the arguments after the call."""

    ok: bool
    value: Any = None
    args_after: dict[str, Any] | None = None
    error_type: str = ""
    error_message: str = ""
    traceback: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Bytes the unit had printed when this call ended (the sandbox child fills it in), so that
    # what a function printed is shown under that function only.
    console_end: int = 0

    def to_plain(self) -> dict[str, Any]:
        """Return the outcome as plain data, leaving out fields at their defaults (fewer bytes per call)."""
        plain: dict[str, Any] = {"ok": self.ok, "seconds": self.seconds}
        if self.console_end:
            plain["console_end"] = self.console_end
        if self.value is not None:
            plain["value"] = self.value
        if self.args_after is not None:
            plain["args_after"] = self.args_after
        if not self.ok:
            plain.update(error_type=self.error_type, error_message=self.error_message, traceback=self.traceback)
        return plain

    @classmethod
    def from_plain(cls, data: Any) -> "CallOutcome":
        """Rebuild an outcome received from untrusted code, validating field types."""
        if not isinstance(data, dict) or type(data.get("ok")) is not bool:
            raise ValueError("malformed call outcome")
        args_after = data.get("args_after")
        if args_after is not None and not isinstance(args_after, dict):
            raise ValueError("malformed call outcome")
        trace = data.get("traceback") or []
        if not isinstance(trace, list) or not all(type(line) is str for line in trace):
            raise ValueError("malformed traceback")
        seconds = data.get("seconds", 0.0)
        console_end = data.get("console_end", 0)
        return cls(
            console_end=console_end if type(console_end) is int and console_end >= 0 else 0,
            ok=data["ok"],
            value=data.get("value"),
            args_after=args_after,
            error_type=str(data.get("error_type", ""))[:200],
            error_message=str(data.get("error_message", ""))[:2000],
            traceback=[line[:500] for line in trace[:40]],
            seconds=float(seconds) if type(seconds) in (int, float) else 0.0,
        )


class ProgramError(Exception):
    """A call could not be set up (bad reference, missing function or probe)."""


def follow_path(value: Any, path: tuple[int | str, ...]) -> Any:
    """The element of ``value`` at ``path``, indexing step by step; raises what indexing raises.

    The one rule for "the compared part of a result", shared by the child (Call.select, Refs)
    and the grader (expected values, judging, diagnosis).
    """
    for step in path:
        value = value[step]
    return value


def _follow(value: Any, path: tuple[int | str, ...]) -> Any:
    for step in path:
        try:
            value = value[step]
        except Exception as error:
            raise ProgramError(f"cannot index result with {step!r}: {type(error).__name__}") from None
    return value


def _materialise(value: Any) -> Any:
    """Turn iterators and generators into lists so they can be compared and sent."""
    if isinstance(value, (types.GeneratorType, Iterator)) and not isinstance(value, (np.ndarray, str, bytes)):
        items = []
        for item in value:
            items.append(item)
            if len(items) > MAX_ITER_ITEMS:
                raise ProgramError(f"iterator yielded more than {MAX_ITER_ITEMS} items")
        return items
    return value


def resolve(value: Any, results: list[Any], probes: Mapping[str, Any]) -> Any:
    """Replace Ref, Probe and Rng markers (also nested in lists, tuples, dicts)."""
    kind = type(value)
    if kind is Ref:
        if not 0 <= value.call < len(results):
            raise ProgramError(f"reference to call {value.call} which has not run")
        return _follow(results[value.call], value.path)
    if kind is Probe:
        if value.name not in probes:
            raise ProgramError(f"unknown probe {value.name!r}")
        return probes[value.name]
    if kind is Rng:
        return _default_rng(value.seed)
    if kind is list:
        return [resolve(item, results, probes) for item in value]
    if kind is tuple:
        return tuple(resolve(item, results, probes) for item in value)
    if kind is dict:
        return {key: resolve(item, results, probes) for key, item in value.items()}
    return value


def sent_by_value(value: Any) -> bool:
    """True for arguments the grader sends as data, copied per call (so their modification is visible).

    The one rule shared by the child (which copies them) and the grader (which watches them).
    """
    if isinstance(value, np.ndarray):
        return True
    if type(value) is dict:
        return all(type(v) not in (Ref, Probe, Rng) for v in value.values())
    if type(value) is list:
        return all(type(v) not in (Ref, Probe, Rng) for v in value)
    return False


def _student_traceback(error: BaseException, filename: str) -> list[str]:
    """Keep only the frames of ``filename`` (the student's file), innermost last."""
    frames = _extract_tb(error.__traceback__)
    lines = []
    for frame in frames:
        if frame.filename == filename:
            lines.append(f'File "{filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    return lines


def run_program(
    namespace: Mapping[str, Any],
    calls: list[Call],
    probes: Mapping[str, Any] | None = None,
    filename: str = "<submission>",
    on_outcome: Any = None,
) -> list[CallOutcome]:
    """Run ``calls`` against the functions in ``namespace``.

    Each call gets fresh copies of its by-value arguments. A call that raises is
    recorded (type, message, traceback lines from ``filename`` only) and the program
    goes on; later calls that refer to a failed call fail too. ``on_outcome(i, outcome)``
    is called after each call (the sandbox streams results with it).
    Returns one :class:`CallOutcome` per call.
    """
    probes = probes or {}
    results: list[Any] = []
    outcomes: list[CallOutcome] = []
    failed = object()
    for index, call in enumerate(calls):
        started = _perf_counter()
        try:
            if any(_refers_to_failure(arg, results, failed) for arg in (*call.args, *call.kwargs.values())):
                raise ProgramError("an earlier call this one depends on failed")
            function = _lookup(namespace, probes, call.function)
            args = [_copy_argument(resolve(arg, results, probes)) if sent_by_value(arg) else resolve(arg, results, probes) for arg in call.args]
            kwargs = {
                key: _copy_argument(resolve(arg, results, probes)) if sent_by_value(arg) else resolve(arg, results, probes)
                for key, arg in call.kwargs.items()
            }
            value = _materialise(function(*args, **kwargs))
            results.append(value)
            outcome = CallOutcome(ok=True, seconds=_perf_counter() - started)
            if call.send_result:
                outcome.value = _follow(value, call.select)
            if call.send_args:
                after: dict[str, Any] = {}
                for position, (sent, got) in enumerate(zip(call.args, args)):
                    if sent_by_value(sent):
                        after[str(position)] = got
                for key, sent in call.kwargs.items():
                    if sent_by_value(sent):
                        after[key] = kwargs[key]
                outcome.args_after = after
        except ProgramError as error:
            results.append(failed)
            outcome = CallOutcome(ok=False, error_type="GraderError", error_message=str(error),
                                  seconds=_perf_counter() - started)
        except RecursionError as error:
            results.append(failed)
            outcome = CallOutcome(ok=False, error_type="RecursionError", error_message=str(error)[:500],
                                  traceback=_student_traceback(error, filename)[-6:],
                                  seconds=_perf_counter() - started)
        except Exception as error:  # the student's exception is data for the report
            results.append(failed)
            outcome = CallOutcome(
                ok=False,
                error_type=type(error).__name__,
                error_message=_safe_str(error),
                traceback=_student_traceback(error, filename),
                seconds=_perf_counter() - started,
            )
        outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(index, outcome)
    return outcomes


def _refers_to_failure(value: Any, results: list[Any], failed: object) -> bool:
    kind = type(value)
    if kind is Ref:
        return 0 <= value.call < len(results) and results[value.call] is failed
    if kind in (list, tuple):
        return any(_refers_to_failure(item, results, failed) for item in value)
    if kind is dict:
        return any(_refers_to_failure(item, results, failed) for item in value.values())
    return False


def _lookup(namespace: Mapping[str, Any], probes: Mapping[str, Any], name: str) -> Any:
    if name.startswith("probe:"):
        function = probes.get(name[len("probe:"):])
    else:
        function = namespace.get(name)
    if function is None:
        raise ProgramError(f"function {name!r} is not defined")
    if not callable(function):
        raise ProgramError(f"{name!r} is not a function")
    return function


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:
        return "<exception whose message cannot be shown>"


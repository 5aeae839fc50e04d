"""The untrusted side: load a student's module and run one call program.

This module runs inside the sandboxed child. It receives a job (plain data) and writes a
stream of frames back; a zygote's child may then receive the same submission's next job
(its hidden cases) on the job pipe, and serves it the same way (:func:`serve_in_turn`). It
imports nothing from the grading engine: it never sees references or expected values.

Frames written, in order::

    {"kind": "loaded", "names": [...callable module-level names...]}
    {"kind": "call", "index": i, "outcome": {...}}        # one per call
    {"kind": "done"}
or  {"kind": "import_error", "error_type", "message", "traceback"} instead of the above.
A child that ends without ``done`` (or ``import_error``) has failed its unit.
"""

from __future__ import annotations

import io
import linecache
import os
import random
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any, BinaryIO, cast

import numpy as np

from autograder.sandbox import codec
from autograder.sandbox.program import Call, CallOutcome, _student_traceback, run_program


_write = os.write  # bound before student code loads: patching os cannot silence the console
TOO_LARGE = "its result (or an argument it changed) is too large to send to the grader within the memory limit"


class CappedConsole(io.TextIOBase):
    """A text stream writing straight to ``fd`` until a byte budget shared with its sibling is spent.

    Past the budget, what the student prints is dropped (with one note), so an honest
    chatty loop never blocks on a console pipe the grader has stopped reading.
    """

    NOTE = b"\n[... further output dropped by the grader]\n"

    def __init__(self, fd: int, budget: list[int]) -> None:
        super().__init__()
        self._fd = fd
        self._budget = budget  # [bytes left, bytes written], shared by stdout and stderr

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        if type(text) is not str:
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        data = text.encode("utf-8", "replace")
        left = self._budget[0]
        if left <= 0:
            return len(text)
        if len(data) > left:
            data = data[:left] + self.NOTE
        self._budget[0] = left - len(data)
        self._budget[1] += len(data)
        view = memoryview(data)
        while view:
            view = view[_write(self._fd, view):]
        return len(text)


_console_budget = [0, 0]


def cap_console(limit: int) -> None:
    """Route print() and tracebacks through one capped console on fds 1 and 2."""
    _console_budget[:] = [max(0, limit - len(CappedConsole.NOTE)), 0]
    sys.stdout = CappedConsole(1, _console_budget)
    sys.stderr = CappedConsole(2, _console_budget)


def console_written() -> int:
    """Bytes printed through the capped console so far (0 where it is not in use)."""
    return _console_budget[1]


# The code last compiled in this child: its next job (the same submission's hidden cases) loads the same file.
_compiled: dict[tuple[str, str], types.CodeType] = {}


def load_module(name: str, source: str, filename: str) -> types.ModuleType:
    """Compile and execute ``source`` as a fresh module called ``name``."""
    module = types.ModuleType(name)
    module.__file__ = filename
    # Tracebacks show the student's own lines without a file on disk.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = _compiled.get((source, filename))
    if code is None:
        code = compile(source, filename, "exec", dont_inherit=True)
        if len(_compiled) >= 2:  # the file and probes.py
            _compiled.clear()
        _compiled[source, filename] = code
    # As `import` would: dataclasses, typing.get_type_hints and pickle look the module up by name
    # (a dataclass under `from __future__ import annotations` fails to load otherwise). A name
    # the interpreter already uses (a file called json.py) is not taken over.
    if name not in sys.modules:
        sys.modules[name] = module
    exec(code, module.__dict__)
    return module


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def sealed_functions(module: types.ModuleType) -> dict[str, Any]:
    """The module's public callables, each function with globals of its own: only the names its code uses.

    A grader function handed to the student (``f`` of ``numerical_gradient``) must not lead to its
    siblings: through the module's globals, ``f.__globals__["sum_of_squares_gradient"]`` is the
    analytic gradient a numerical one is graded against. A function another one names is given
    sealed too.
    """
    namespace = vars(module)
    copies: dict[str, Any] = {}
    for name, value in namespace.items():
        if isinstance(value, types.FunctionType):
            names = _global_names(value.__code__) | {"__builtins__"}
            own = {key: item for key, item in namespace.items() if key in names}
            copy = types.FunctionType(value.__code__, own, value.__name__, value.__defaults__, value.__closure__)
            copy.__kwdefaults__, copy.__doc__ = value.__kwdefaults__, value.__doc__
            copies[name] = copy
    for copy in copies.values():
        for key in copy.__globals__.keys() & copies.keys():
            copy.__globals__[key] = copies[key]
    return {name: copies.get(name, getattr(module, name)) for name in callable_names(module)}


def callable_names(module: types.ModuleType) -> list[str]:
    """Names of the public callables a module defines, for 'did you mean' messages."""
    names = []
    for name, value in list(vars(module).items()):
        if not name.startswith("_") and callable(value) and not isinstance(value, types.ModuleType):
            names.append(name)
    return sorted(names)[:500]


def serve_in_turn(job: dict[str, Any], out: BinaryIO, next_job: Callable[[], dict[str, Any] | None],
                  console_bytes: int) -> None:
    """Serve ``job``, then each job ``next_job`` gives, until it gives None or a job's file fails to load.

    The jobs are one submission's (its public cases, then its hidden ones). Each starts as in a
    fresh child: its console has a budget of its own, the file is loaded again (the first load
    emptied), what a careless file may have changed for the whole interpreter (NumPy's global
    generator and error handling, the warnings filters, the recursion limit) is as it was before
    the first job, and Python's ``random`` is seeded afresh, as at a fork.
    """
    fresh = _InterpreterState.take()
    while True:
        cap_console(console_bytes)
        module = serve(job, out)
        if module is None:
            return
        following = next_job()
        if following is None:
            return
        for name, value in list(sys.modules.items()):
            if value is module:
                del sys.modules[name]
        # Its functions and its globals refer to each other: only the collector would free what the
        # old module holds (a large table), and the next job loads the file again beside it.
        vars(module).clear()
        fresh.restore()
        job = following


class _InterpreterState:
    """Interpreter-wide settings a graded file may change, to put back between jobs."""

    def __init__(self, numpy_random: Any, numpy_errors: Any, warning_filters: list[Any],
                 recursion_limit: int) -> None:
        self.numpy_random, self.numpy_errors = numpy_random, numpy_errors
        self.warning_filters, self.recursion_limit = warning_filters, recursion_limit

    @classmethod
    def take(cls) -> "_InterpreterState":
        return cls(np.random.get_state(), np.geterr(), list(warnings.filters), sys.getrecursionlimit())

    def restore(self) -> None:
        np.random.set_state(self.numpy_random)
        np.seterr(**self.numpy_errors)
        random.seed()  # as every fork does (random's own at-fork hook): a fresh child's draws are new ones
        cast("list[Any]", warnings.filters)[:] = self.warning_filters  # the list the C side shares
        mutated = getattr(warnings, "_filters_mutated", None)  # CPython's cache of filter lookups
        if mutated is not None:
            mutated()
        sys.setrecursionlimit(self.recursion_limit)


def serve(job: dict[str, Any], out: BinaryIO) -> types.ModuleType | None:
    """Run ``job`` and write the result frames to ``out``; return the loaded module (None: it failed to load)."""

    def send(message: dict[str, Any]) -> None:
        if message.get("kind") in ("done", "import_error"):
            # The console must be complete before the grader sees the last frame.
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
        out.write(codec.encode(message))
        out.flush()

    def send_call(index: int, outcome: CallOutcome) -> None:
        out.write(codec.encode_call(index, outcome.to_plain()))
        out.flush()

    filename = str(job.get("filename", "submission.py"))
    probes: dict[str, Any] = {}
    if job.get("probes_source"):
        probes_module = load_module("probes", job["probes_source"], "probes.py")
        probes = sealed_functions(probes_module)
        sys.modules.pop("probes", None)
    try:
        module = load_module(filename.rsplit(".", 1)[0] or "submission", job["source"], filename)
    except BaseException as error:  # SystemExit, KeyboardInterrupt too: the import failed
        lines = _student_traceback(error, filename)
        if isinstance(error, SyntaxError) and error.lineno:
            lines.append(f'File "{filename}", line {error.lineno}')
        send({
            "kind": "import_error",
            "error_type": type(error).__name__,
            "message": _message(error),
            "traceback": lines,
        })
        return None
    send({"kind": "loaded", "names": callable_names(module), "console": console_written()})
    calls = [Call.from_plain(call) for call in job.get("calls", [])]

    def stream(index: int, outcome: CallOutcome) -> None:
        outcome.console_end = console_written()
        try:
            send_call(index, outcome)
        except MemoryError:  # encoding copies a result: one near the memory limit fails its call only
            too_large = CallOutcome(ok=False, error_type="MemoryError", seconds=outcome.seconds,
                                    error_message=TOO_LARGE, console_end=outcome.console_end)
            send_call(index, too_large)

    run_program(vars(module), calls, probes=probes, filename=filename, on_outcome=stream)
    send({"kind": "done"})
    return module


def _message(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:
        return "<exception whose message cannot be shown>"


def decode_job(data: bytes) -> dict[str, Any]:
    """Decode a job as written by ``UnitJob.encode`` (outer length prefix included)."""
    view = memoryview(data)[8:]
    first = 8 + int.from_bytes(view[:8], "little")
    job = codec.decode(bytes(view[:first]))
    if first < len(view):
        job["calls"] = codec.decode(bytes(view[first:]))
    return job


def read_job(stream: BinaryIO, max_bytes: int = 1 << 30) -> dict[str, Any]:
    """Read one job written by ``UnitJob.encode`` from a binary stream."""
    prefix = stream.read(8)
    length = int.from_bytes(prefix, "little")
    if len(prefix) != 8 or length > max_bytes:
        raise codec.CodecError("malformed job")
    return decode_job(prefix + stream.read(length))


def main() -> None:
    """Read one job frame from stdin, serve it on stdout (the naive per-process mode)."""
    stdin = sys.stdin.buffer
    out = sys.stdout.buffer
    # Student prints must not corrupt the frame stream.
    sys.stdout = sys.stderr
    serve(read_job(stdin), out)
    out.flush()


if __name__ == "__main__":
    main()

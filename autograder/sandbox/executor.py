"""How the trusted side runs a unit of student code, and what it gets back.

An :class:`Executor` takes a :class:`UnitJob` (the student's source, a call program,
limits) and returns a :class:`UnitOutcome` built only from validated plain data.
Implementations differ in isolation and cost; the grading engine does not care which
one it is given.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from autograder.sandbox import codec, run_queue
from autograder.sandbox.launch import clean_environment  # noqa: F401 - re-exported: where it always was
from autograder.sandbox.program import Call, CallOutcome


@dataclass(frozen=True)
class Limits:
    """Resource limits of the units of one submission."""

    wall_seconds: float = 10.0  # per segment (one graded function), unless the job gives its own
    cpu_seconds: float = 10.0
    memory_bytes: int = 1 << 30
    output_bytes: int = 16 << 20  # result frames, in total (the engine spreads it over a submission's units)
    load_seconds: float = 5.0  # starting the child and loading the file, before the first function's clock
    console_bytes: int = 64 << 10  # what the student printed, kept for the report


@dataclass
class UnitJob:
    """One unit of work: load ``source`` as ``filename`` and run ``calls``."""

    source: str
    filename: str
    calls: list[Call]
    limits: Limits = field(default_factory=Limits)
    probes_source: str = ""
    # Numbers of calls of consecutive segments (one per graded function) that each get their
    # own wall-clock limit; empty: the unit is one segment.
    segments: tuple[int, ...] = ()
    # Each segment's own wall-clock limit (default: ``limits.wall_seconds`` for every one).
    segment_seconds: tuple[float, ...] = ()
    # What is left of the submission's time budget: the unit never runs longer than this.
    budget_seconds: float | None = None

    def segment_limit(self, position: int) -> float:
        """The wall-clock limit of segment ``position``."""
        if position < len(self.segment_seconds):
            return self.segment_seconds[position]
        return self.limits.wall_seconds

    @property
    def wall_seconds(self) -> float:
        """The unit's outer wall-clock bound: its segments' limits, within the remaining budget."""
        total = sum(self.segment_limit(position) for position in range(max(1, len(self.segments))))
        return total if self.budget_seconds is None else max(0.0, min(total, self.budget_seconds))

    @property
    def cpu_seconds(self) -> float:
        """The unit's CPU-time bound (one process runs every segment)."""
        return min(self.wall_seconds, self.limits.cpu_seconds * max(1, len(self.segments))) + self.limits.load_seconds

    def to_plain(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "filename": self.filename,
            "calls": [call.to_plain() for call in self.calls],
            "probes_source": self.probes_source,
        }

    def encode(self) -> bytes:
        """Encode the job for a child: a frame holding a frame of its details and one of its calls.

        Every submission of an assignment carries the same call program, so its frame is
        encoded once and reused (keyed by the identity of the ``calls`` list, kept alive).
        """
        details = codec.encode({"source": self.source, "filename": self.filename,
                                "probes_source": self.probes_source})
        body = details + _encoded_calls(self.calls)
        return len(body).to_bytes(8, "little") + body


_CALL_FRAMES: dict[int, tuple[list[Call], bytes]] = {}
_CALL_FRAMES_LOCK = threading.Lock()
_CALL_FRAMES_KEPT = 64


def _encoded_calls(calls: list[Call]) -> bytes:
    key = id(calls)
    with _CALL_FRAMES_LOCK:
        cached = _CALL_FRAMES.get(key)
        if cached is not None and cached[0] is calls:
            return cached[1]
    frame = codec.encode([call.to_plain() for call in calls])
    with _CALL_FRAMES_LOCK:
        if len(_CALL_FRAMES) >= _CALL_FRAMES_KEPT:
            _CALL_FRAMES.pop(next(iter(_CALL_FRAMES)))
        _CALL_FRAMES[key] = (calls, frame)
    return frame


# UnitOutcome.status values
OK = "ok"
IMPORT_ERROR = "import_error"  # the module raised or exited while loading
TIMEOUT = "timeout"  # wall-clock or CPU limit
MEMORY = "memory"  # memory limit
CRASHED = "crashed"  # ended without a complete result (exit, signal, segfault)
BAD_OUTPUT = "bad_output"  # malformed, out of order or oversized result frames
# How a CRASHED outcome's message begins when the sandbox itself failed, not the student's code
# (the zygote died, could not start or stopped answering; the executor raised): sandbox/watch.py.
SANDBOX_FAILURE_PREFIX = "the grader's sandbox"


@dataclass
class UnitOutcome:
    """The validated result of a unit."""

    status: str
    calls: list[CallOutcome] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    message: str = ""
    error_type: str = ""
    traceback: list[str] = field(default_factory=list)
    console: str = ""
    seconds: float = 0.0
    waited_seconds: float = 0.0  # of ``seconds``, spent waiting for a CPU (not charged to the budget)
    output_bytes: int = 0  # result bytes the unit sent (counted against the submission's budget)
    console_raw: bytes = b""  # what ``console`` was decoded from (call outcomes mark offsets in it)
    loaded_console_end: int = 0  # bytes printed while the file loaded


def executor_raised(error: Exception) -> UnitOutcome:
    """The outcome of a unit whose executor raised instead of answering: the sandbox's failure."""
    return UnitOutcome(status=CRASHED, message=f"{SANDBOX_FAILURE_PREFIX} failed: {type(error).__name__}")


class Executor(Protocol):
    """Runs units of untrusted code."""

    #: "full" when every isolation layer is on, "reduced" otherwise.
    isolation: str

    def run(self, job: UnitJob) -> UnitOutcome:
        """Run one unit and return its validated outcome (never raises for student faults)."""
        ...

    def close(self) -> None:
        """Release worker processes."""
        ...


@dataclass(frozen=True)
class FollowUp:
    """The job that may follow a unit in the same child: the same submission's hidden cases.

    ``most_seconds`` and ``most_cpu_seconds`` bound the follow-up job's own bounds (its
    ``wall_seconds + limits.load_seconds`` and ``cpu_seconds``): the child's kernel limits are set
    when it starts, for both jobs. ``job_after`` gives the job once the first unit has ended
    complete (status OK), or None to end the child there.
    """

    most_seconds: float
    most_cpu_seconds: float
    job_after: Callable[[UnitOutcome], UnitJob | None]

    def fits(self, job: UnitJob) -> bool:
        return job.wall_seconds + job.limits.load_seconds <= self.most_seconds and job.cpu_seconds <= self.most_cpu_seconds


def run_then(executor: Executor, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
    """Run ``job``, then, when it ended complete, the job ``follow`` gives: in the same child where the executor can.

    Returns both outcomes (the second None when no job followed). An executor that cannot keep a
    child runs the second job in a fresh one, as two ``run`` calls would.
    """
    chained = getattr(executor, "run_then", None)
    if chained is not None:
        return chained(job, follow)
    first = executor.run(job)
    following = follow.job_after(first) if first.status == OK else None
    return first, executor.run(following) if following is not None else None


class InsecureSandboxError(RuntimeError):
    """Full isolation was required but this machine cannot provide it."""


class ResultCollector:
    """Validate the frame stream of one unit as it arrives.

    The stream has a fixed shape: one ``loaded`` (or one ``import_error``), then exactly the
    job's number of ``call`` frames in order, then one ``done``. Anything else ends the unit.
    """

    def __init__(self, job: UnitJob) -> None:
        self.expected_calls = len(job.calls)
        self.outcome = UnitOutcome(status=CRASHED)
        self.loaded = False
        self.finished = False

    def accept(self, message: Any) -> None:
        """Take one decoded frame; raise codec.CodecError on anything unexpected."""
        if self.finished or not isinstance(message, dict):
            raise codec.CodecError("unexpected frame")
        kind = message.get("kind")
        if kind == "import_error" and not self.loaded:
            self.outcome.status = IMPORT_ERROR
            self.outcome.error_type = _text(message.get("error_type"), 200)
            self.outcome.message = _text(message.get("message"), 2000)
            trace = message.get("traceback", [])
            self.outcome.traceback = [_text(line, 500) for line in trace[:40]] if isinstance(trace, list) else []
            self.finished = True
        elif kind == "loaded" and not self.loaded:
            names = message.get("names")
            if not isinstance(names, list) or len(names) > 500 or not all(type(name) is str for name in names):
                raise codec.CodecError("malformed name list")
            self.outcome.names = [name[:100] for name in names]
            mark = message.get("console", 0)
            self.outcome.loaded_console_end = mark if type(mark) is int and mark >= 0 else 0
            self.loaded = True
        elif kind == "call" and self.loaded:
            if message.get("index") != len(self.outcome.calls) or len(self.outcome.calls) >= self.expected_calls:
                raise codec.CodecError("call results out of order")
            try:
                self.outcome.calls.append(CallOutcome.from_plain(message.get("outcome")))
            except Exception as error:
                raise codec.CodecError(f"malformed call result ({type(error).__name__})") from None
        elif kind == "done" and self.loaded:
            if len(self.outcome.calls) != self.expected_calls:
                raise codec.CodecError("result stream ended early")
            self.outcome.status = OK
            self.finished = True
        else:
            raise codec.CodecError("unexpected frame")


def bad_frame(error: Exception) -> str:
    """Why a frame was refused, for the student: a CodecError's reason, else that it was malformed.

    Every frame is the child's to write (student code may forge them): an exception while one is
    accepted is bad output of that unit, never the sandbox's failure (a frame whose ``kind`` was an
    array made ``kind == "loaded"`` raise ValueError, which once read as the sandbox failing).
    """
    return str(error) if isinstance(error, codec.CodecError) else f"a malformed frame ({type(error).__name__})"


def _text(value: Any, limit: int) -> str:
    return value[:limit] if type(value) is str else ""


class SegmentClock:
    """Give loading the file, then each segment of a unit, its own wall-clock deadline.

    The first function's clock starts when the file has loaded, not when the unit was sent:
    on a busy machine, starting a child and running the file's top level may take longer
    than a function's own limit. Every deadline stays within the submission's budget.

    Time spent waiting for a CPU (``run_queue``) by the child, and by the grader's side of the
    unit, is not charged: a passed deadline first moves on by the wait accrued since the
    processes were watched (``watch``), so verdicts do not depend on how busy the machine is. The credit is bounded
    (``MAX_STRETCH``): a unit never holds its worker longer than that multiple of its bound.
    """

    MAX_STRETCH = 4.0

    def __init__(self, job: UnitJob, started: float) -> None:
        ends, total = [], 0
        for count in job.segments:
            total += count
            ends.append(total)
        self.job = job
        self.ends = ends
        self.budget_end = started + job.wall_seconds + job.limits.load_seconds
        if job.budget_seconds is not None:
            self.budget_end = min(self.budget_end, started + job.budget_seconds)
        self.max_credit = (self.MAX_STRETCH - 1) * (self.budget_end - started)
        self.waited = 0.0  # run-queue wait credited so far
        self._waits: list[list[Any]] = []  # [read, first reading, last reading] of each watched process
        self.segment = -1  # loading
        self.by_budget = False
        self._set_deadline(started + job.limits.load_seconds)

    def watch(self, read_wait: Callable[[], float | None]) -> None:
        """Credit, from now on, the run-queue wait ``read_wait`` reads (``run_queue``: the child, the zygote, us)."""
        start = read_wait()
        if start is not None:
            self._waits.append([read_wait, start, start])

    def expired(self, now: float) -> bool:
        """Whether the current deadline has passed, after crediting the child's wait for a CPU."""
        if now < self.deadline:
            return False
        credit = self._credit()
        self.deadline += credit
        return now >= self.deadline

    def _credit(self) -> float:
        """Credit the wait accrued since the last credit: the submission's budget ends that much later."""
        if not self._waits:
            return 0.0
        for wait in self._waits:
            reading = wait[0]()
            if reading is not None:  # a process that has ended keeps its last reading
                wait[2] = max(wait[2], reading)
        total = sum(last - first for _, first, last in self._waits)
        credit = min(total - self.waited, self.max_credit - self.waited)
        if credit <= 0.001:
            return 0.0
        self.waited += credit
        self.budget_end += credit
        return credit

    def close(self) -> None:
        """Release what the watched readers hold (``run_queue.WaitReader``'s descriptors)."""
        for wait in self._waits:
            close = getattr(wait[0], "close", None)
            if close is not None:
                close()

    def _set_deadline(self, own: float) -> None:
        self.deadline = min(own, self.budget_end)
        self.by_budget = own > self.budget_end

    def advance(self, collector: ResultCollector, now: float) -> None:
        """Start the next clock when the file has loaded and when a segment's calls have all arrived.

        A segment that ended in time leaves its wait to the budget only: the next one's own
        limit starts afresh.
        """
        if self.segment < 0 and collector.loaded:
            self.segment = 0
            self._credit()
            self._set_deadline(now + self.job.segment_limit(0))
        calls_done = len(collector.outcome.calls)
        while 0 <= self.segment < len(self.ends) - 1 and calls_done >= self.ends[self.segment]:
            self.segment += 1
            self._credit()
            self._set_deadline(now + self.job.segment_limit(self.segment))

    def message(self) -> str:
        if self.by_budget:
            return "the submission used up its time budget (do earlier functions loop or sleep?)"
        if self.segment < 0:
            return f"loading your file took longer than {self.job.limits.load_seconds:g} s"
        return f"time limit of {self.job.segment_limit(self.segment):g} s exceeded"


class FrameReader:
    """Incrementally split a byte stream into frames, enforcing a total size limit.

    ``feed`` yields each frame as soon as it is decoded, so that a bad frame later in the
    same read never takes the good ones before it along (verdicts must not depend on how
    the bytes happened to be chunked).
    """

    def __init__(self, max_bytes: int, max_header_bytes: int = codec.MAX_HEADER_BYTES) -> None:
        self.buffer = bytearray()
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes
        self.total = 0

    def feed(self, data: bytes) -> Iterator[Any]:
        self.total += len(data)
        if self.total > self.max_bytes:
            raise codec.CodecError(f"results exceed the output limit of {self.max_bytes} bytes")
        self.buffer.extend(data)
        while len(self.buffer) >= 8:
            length = int.from_bytes(self.buffer[:8], "little")
            if length > self.max_bytes:
                raise codec.CodecError("frame exceeds the output limit")
            if len(self.buffer) < 8 + length:
                return
            body = bytes(self.buffer[8 : 8 + length])
            del self.buffer[: 8 + length]
            yield codec.decode_body(body, self.max_header_bytes)


def describe_exit(returncode: int | None) -> str:
    """A sentence for how a child process ended without finishing its work."""
    if returncode is None:
        return "your code did not finish"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        if -returncode == signal.SIGSEGV:
            return "your code crashed the interpreter (segmentation fault)"
        if -returncode == signal.SIGXCPU:
            return "your code used more CPU time than allowed"
        return f"your code's process was killed by {name}"
    return f"your code ended the process (exit status {returncode}) before the grader finished"


class SubprocessExecutor:
    """Naive executor: a fresh ``python`` process per unit, clean environment, time limit.

    It is the baseline the zygote sandbox is measured against, and the fallback where
    nothing better is available. Isolation is reduced: no namespaces or seccomp.
    """

    isolation = "reduced"

    def __init__(self, python: str | None = None, machine_environment: tuple[tuple[str, str], ...] = ()) -> None:
        self.python = python or sys.executable
        self.machine_environment = machine_environment

    def run(self, job: UnitJob) -> UnitOutcome:
        started = time.monotonic()
        read_fd, write_fd = os.pipe()
        command = [self.python, "-I", "-c", _CHILD_BOOT, str(write_fd), str(job.limits.memory_bytes),
                   str(int(job.cpu_seconds) + 1), str(job.limits.console_bytes)]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            env=clean_environment(self.machine_environment),
            cwd="/",
            start_new_session=True,
        )
        os.close(write_fd)
        try:
            return _collect(process, read_fd, job, started)
        finally:
            os.close(read_fd)

    def close(self) -> None:
        pass


# Booted with ``python -I -c``: limits, then serve one job read from stdin.
_CHILD_BOOT = """
import os, resource, sys
fd, memory, cpu, console = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
import numpy
resource.setrlimit(resource.RLIMIT_AS, (memory + 256 * 2**20, memory + 256 * 2**20))
from autograder.sandbox import child, codec
job = child.read_job(sys.stdin.buffer)
sys.stdin.close()
sys.stdin = open(os.devnull)
child.cap_console(console)
out = os.fdopen(fd, "wb")
child.serve(job, out)
out.flush()
os._exit(0)
"""


def _collect(process: subprocess.Popen, read_fd: int, job: UnitJob, started: float) -> UnitOutcome:
    clock = SegmentClock(job, started)
    try:
        clock.watch(run_queue.WaitReader(process.pid))
        clock.watch(run_queue.WaitReader())  # this thread, reading the results
        return _collect_results(process, read_fd, job, started, clock)
    finally:
        clock.close()


def _collect_results(process: subprocess.Popen, read_fd: int, job: UnitJob, started: float,
                     clock: SegmentClock) -> UnitOutcome:
    collector = ResultCollector(job)
    reader = FrameReader(job.limits.output_bytes)
    console = bytearray()
    assert process.stdin is not None and process.stdout is not None
    try:
        process.stdin.write(job.encode())
        process.stdin.close()
    except BrokenPipeError:
        pass
    stdout_fd = process.stdout.fileno()
    open_fds = {read_fd, stdout_fd}
    failure = ""
    status = CRASHED
    while open_fds and not collector.finished:
        now = time.monotonic()
        if clock.expired(now):
            status, failure = TIMEOUT, clock.message()
            break
        ready, _, _ = select.select(list(open_fds), [], [], clock.deadline - now)
        for fd in ready:
            data = os.read(fd, 1 << 16)
            if not data:
                open_fds.discard(fd)
                continue
            if fd == stdout_fd:
                console.extend(data[: max(0, job.limits.console_bytes - len(console))])
                if len(console) >= job.limits.console_bytes:
                    open_fds.discard(fd)  # stop reading: a flood blocks the child until its deadline
                continue
            try:
                for message in reader.feed(data):
                    collector.accept(message)
                    clock.advance(collector, time.monotonic())
            except Exception as error:  # noqa: BLE001 - whatever the frames did, it is the child's doing
                status, failure = BAD_OUTPUT, f"the grader could not accept your code's results: {bad_frame(error)}"
                open_fds.clear()
                break
    _kill_group(process)
    outcome = collector.outcome
    if not collector.finished:
        outcome.status = status
        if status == CRASHED:
            failure = describe_exit(process.returncode)
            if process.returncode == -signal.SIGXCPU or process.returncode == -signal.SIGKILL and time.monotonic() >= clock.deadline:
                outcome.status = TIMEOUT
        outcome.message = failure
    outcome.console_raw = bytes(console)
    outcome.console = console.decode("utf-8", "replace")
    outcome.seconds = time.monotonic() - started
    outcome.waited_seconds = clock.waited
    outcome.output_bytes = reader.total
    return outcome


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    if process.stdout is not None:
        process.stdout.close()

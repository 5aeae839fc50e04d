"""The hardened executor: a pre-warmed zygote forks one confined child per unit.

The trusted side (this module) starts the zygote as a fresh interpreter, hands it each
job with two pipes (results, console), reads the child's frames itself, with a size
cap and a deadline, and validates them with :class:`ResultCollector`. The zygote
enforces the wall-clock deadline on the child; this side has a backstop deadline on
the zygote, and restarts it if it dies or stops answering.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from autograder.sandbox import codec, control, run_queue
from autograder.sandbox.executor import (
    BAD_OUTPUT, CRASHED, OK, SANDBOX_FAILURE_PREFIX, TIMEOUT, FollowUp, FrameReader, ResultCollector, SegmentClock,
    UnitJob, UnitOutcome, bad_frame, describe_exit,
)
from autograder.sandbox.launch import LaunchedZygote, launch_zygote

STARTUP_SECONDS = 60.0
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
JOB_PIPE_BYTES = 1 << 20  # a whole job in one write (the default pipe holds 64 KiB)
BACKSTOP_SECONDS = 5.0  # the zygote must report a child's end this long after its deadline


class ZygoteError(RuntimeError):
    """The zygote could not be started or stopped answering."""


class ZygoteExecutor:
    """Run units in children of a pre-warmed zygote (one zygote per executor, one unit at a time)."""

    def __init__(self, slot: int = 0, python: str | None = None, disabled_layers: tuple[str, ...] = (), *,
                 launched: LaunchedZygote | None = None, machine_environment: tuple[tuple[str, str], ...] = ()) -> None:
        """Start a zygote, or adopt ``launched``: one started earlier by :func:`launch_zygote` with the same arguments."""
        self.slot = slot
        self.disabled_layers = disabled_layers
        self.machine_environment = machine_environment
        self.python = python or sys.executable
        self.isolation = "reduced"
        self.layers: list[str] = []
        self.problems: list[str] = []
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._sock: socket.socket | None = None
        self._unit = 0
        self._child_pid: int | None = None  # the current unit's child, once the zygote has said
        self.restarts = 0
        self._start(launched)

    # -- zygote lifetime -------------------------------------------------------------

    def _start(self, launched: LaunchedZygote | None = None) -> None:
        if launched is None:
            launched = launch_zygote(self.slot, self.python, self.disabled_layers, self.machine_environment)
        self._process, self._sock = launched.take()
        ours = self._sock
        ready, _, _ = select.select([ours], [], [], STARTUP_SECONDS)
        try:
            if not ready:
                raise ZygoteError("the sandbox zygote did not start in time")
            message, _ = control.receive_message(ours, 1 << 16)
        except (control.ChannelClosed, codec.CodecError, OSError, ZygoteError) as error:
            self._stop()
            raise ZygoteError(f"the sandbox zygote failed to start: {error}") from None
        if not isinstance(message, dict) or message.get("kind") != "ready":
            self._stop()
            raise ZygoteError("the sandbox zygote sent a malformed greeting")
        self.isolation = "full" if message.get("isolation") == "full" else "reduced"
        self.layers = [str(name) for name in message.get("layers", [])]
        self.problems = [str(problem) for problem in message.get("problems", [])]

    def _stop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def _ensure_running(self) -> None:
        if self._process is None or self._process.poll() is not None:
            self._stop()
            self.restarts += 1
            self._start()

    @property
    def children_used(self) -> int:
        """How many children this executor has run units in (a job that followed another in its child adds none)."""
        return self._unit

    @property
    def zygote_pid(self) -> int | None:
        """The zygote's process id (for tests and operators)."""
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        """Stop the zygote; its children die with it."""
        with self._lock:
            self._stop()

    def __enter__(self) -> "ZygoteExecutor":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- units -----------------------------------------------------------------------

    def run(self, job: UnitJob) -> UnitOutcome:
        """Run one unit in a fresh confined child and return its validated outcome.

        The job's bytes go straight from here to the child through a pipe of its own: the
        zygote only passes the pipe's descriptor on, so it never holds one student's code or
        inputs for the next child to find. Never raises: anything unexpected while a unit
        runs kills the zygote (a fresh one serves the next unit) and fails this unit only.
        """
        return self._run(job, None)[0]

    def run_then(self, job: UnitJob, follow: FollowUp) -> tuple[UnitOutcome, UnitOutcome | None]:
        """Run ``job`` in a fresh child, then, when it ended complete, the job ``follow`` gives in the same child.

        The second job is the same submission's hidden cases. Sending it only once this side has
        read the first unit's last frame and the console up to it keeps the hidden inputs out of
        everything judged with the first: nothing the child wrote before can depend on them, and
        whatever it writes after is the second unit's. The child loads the file again for it
        (``child.serve_in_turn``). Saves a fork, the child's isolation and its copy-on-write faults.
        """
        return self._run(job, follow)

    def _run(self, job: UnitJob, follow: FollowUp | None) -> tuple[UnitOutcome, UnitOutcome | None]:
        with self._lock:
            started = time.monotonic()
            try:
                self._ensure_running()
            except ZygoteError as error:
                return UnitOutcome(status=CRASHED, message=f"{SANDBOX_FAILURE_PREFIX} is unavailable: {error}"), None
            self._unit += 1
            self._child_pid = None
            pipes: list[int] = []
            first: UnitOutcome | None = None
            try:
                job_r, job_w = os.pipe()
                result_r, result_w = os.pipe()
                console_r, console_w = os.pipe()
                pipes = [job_r, job_w, result_r, result_w, console_r, console_w]
                os.set_blocking(job_w, False)
                try:
                    fcntl.fcntl(job_w, F_SETPIPE_SZ, JOB_PIPE_BYTES)
                except OSError:
                    pass  # the default size only costs a few more writes
                # The child's kernel limits cover the job that may follow in it.
                reserve_seconds = follow.most_seconds if follow is not None else 0.0
                reserve_cpu = follow.most_cpu_seconds if follow is not None else 0.0
                try:
                    control.send_message(self._sock, {
                        "kind": "run", "unit": self._unit,
                        # The zygote's own deadline is a backstop: ours moves on by the child's wait for a CPU.
                        "limits": {"wall_seconds": (job.wall_seconds + job.limits.load_seconds + reserve_seconds)
                                   * SegmentClock.MAX_STRETCH,
                                   "cpu_seconds": job.cpu_seconds + reserve_cpu,
                                   "memory_bytes": job.limits.memory_bytes,
                                   "console_bytes": job.limits.console_bytes},
                    }, fds=(job_r, result_w, console_w))
                finally:
                    # The child holds the only other ends now: EOF tells us it is gone.
                    for fd in (job_r, result_w, console_w):
                        os.close(fd)
                        pipes.remove(fd)
                first, kept = self._collect(job, job_w, result_r, console_r, started, keep=follow is not None)
                if not kept or follow is None:
                    return first, None
                following = follow.job_after(first)
                if following is None or not follow.fits(following):
                    control.send_message(self._sock, {"kind": "kill", "unit": self._unit})
                    return first, None
                return first, self._collect(following, job_w, result_r, console_r, time.monotonic(), keep=False)[0]
            except Exception as error:  # noqa: BLE001 - whatever it was, this zygote is not trusted again
                self._kill_zygote()
                failed = UnitOutcome(status=CRASHED, message=f"{SANDBOX_FAILURE_PREFIX} failed: {error}",
                                     seconds=time.monotonic() - started)
                return (first, failed) if first is not None else (failed, None)
            finally:
                for fd in pipes:
                    try:
                        os.close(fd)
                    except OSError:
                        pass

    def _collect(self, job: UnitJob, job_w: int, result_r: int, console_r: int, started: float,
                 keep: bool) -> tuple[UnitOutcome, bool]:
        clock = SegmentClock(job, started)
        try:
            clock.watch(run_queue.WaitReader())  # this thread, reading the results
            zygote_pid = self.zygote_pid
            if zygote_pid is not None:
                clock.watch(run_queue.WaitReader(zygote_pid))  # forking and handing over the child
            if self._child_pid is not None:
                clock.watch(run_queue.WaitReader(self._child_pid))  # a kept child, running its next job
            return self._collect_results(job, job_w, result_r, console_r, started, clock, keep)
        finally:
            clock.close()

    def _collect_results(self, job: UnitJob, job_w: int, result_r: int, console_r: int, started: float,
                         clock: SegmentClock, keep: bool) -> tuple[UnitOutcome, bool]:
        """Write the job, read the child's frames and console to its last frame; True: the child is kept.

        With ``keep``, a child that ended its job complete is left waiting for the next job (or a kill).
        """
        collector = ResultCollector(job)
        reader = FrameReader(job.limits.output_bytes)
        console = bytearray()
        segment_timed_out = False
        open_fds = {result_r, console_r}
        exit_report: dict[str, Any] | None = None
        kill_sent = kept = False
        failure = ""
        pending = memoryview(job.encode())
        try:  # most jobs fit in the pipe at once: no select round trip before the child can start
            pending = pending[os.write(job_w, pending):]
        except BlockingIOError:
            pass
        except BrokenPipeError:
            pending = pending[:0]
        writing = bool(pending)
        while exit_report is None and not (collector.finished and (kill_sent or kept)):
            now = time.monotonic()
            backstop = clock.budget_end + BACKSTOP_SECONDS  # later by each credit of the child's wait
            if now >= backstop:
                raise ZygoteError("the sandbox zygote stopped answering")
            if not kill_sent and not collector.finished and clock.expired(now):
                # One segment (a function) overran its own limit: end the unit here.
                control.send_message(self._sock, {"kind": "kill", "unit": self._unit})
                kill_sent = segment_timed_out = True
            remaining = backstop - now if kill_sent else min(backstop, clock.deadline) - now
            remaining = max(remaining, 0.0)
            watched = list(open_fds) + ([self._sock] if exit_report is None else [])
            ready, writable, _ = select.select(watched, [job_w] if writing else [], [], remaining)
            if writable:
                try:
                    pending = pending[os.write(job_w, pending):]
                except (BrokenPipeError, BlockingIOError):
                    pending = pending[:0]  # the child is gone (its exit report will say how)
                if not pending:
                    writing = False
            for fd in ready:
                if fd is self._sock:
                    message, fds = control.receive_message(self._sock, 1 << 16)
                    for extra in fds:
                        os.close(extra)
                    if isinstance(message, dict) and message.get("kind") == "running":
                        pid = message.get("pid")
                        if message.get("unit") == self._unit and type(pid) is int and pid > 1:
                            self._child_pid = pid
                            clock.watch(run_queue.WaitReader(pid))
                        continue
                    if not isinstance(message, dict) or message.get("kind") != "exited":
                        raise ZygoteError("the sandbox zygote sent an unexpected message")
                    if message.get("unit") == self._unit:
                        exit_report = message
                    continue  # else the late report of a unit that had already finished
                data = os.read(fd, 1 << 16)
                if not data:
                    open_fds.discard(fd)
                elif fd == console_r:
                    console.extend(data[: max(0, job.limits.console_bytes - len(console))])
                    if len(console) >= job.limits.console_bytes:
                        # Past the cap, stop reading: a flood then blocks the child on a full
                        # pipe until its deadline instead of costing the grader CPU.
                        open_fds.discard(console_r)
                elif not failure:
                    try:
                        for frame in reader.feed(data):
                            collector.accept(frame)
                            clock.advance(collector, time.monotonic())
                    except Exception as error:  # noqa: BLE001 - whatever the frames did, it is the child's doing
                        failure = f"the grader could not accept your code's results: {bad_frame(error)}"
            if (collector.finished or failure) and exit_report is None and not kill_sent:
                if keep and not failure and collector.outcome.status == OK:
                    kept = True  # it waits for its next job: what it writes from now on is that job's
                else:
                    # Nothing the child does after its last frame (or a bad one) counts.
                    control.send_message(self._sock, {"kind": "kill", "unit": self._unit})
                    kill_sent = True
        # What the child wrote before its end is in the pipe: take it, up to the cap.
        while console_r in open_fds and len(console) < job.limits.console_bytes \
                and select.select([console_r], [], [], 0)[0] and (data := os.read(console_r, 1 << 16)):
            console.extend(data[: max(0, job.limits.console_bytes - len(console))])
        if segment_timed_out and not collector.finished:
            exit_report = {**(exit_report or {}), "timed_out": True}
        outcome = self._outcome(collector, exit_report or {}, failure, console, job, started, clock)
        outcome.output_bytes = reader.total
        return outcome, kept and exit_report is None

    @staticmethod
    def _outcome(collector: ResultCollector, exit_report: dict[str, Any], failure: str, console: bytearray,
                 job: UnitJob, started: float, clock: SegmentClock) -> UnitOutcome:
        outcome = collector.outcome
        returncode = exit_report.get("returncode")
        returncode = returncode if type(returncode) is int else None
        if failure:
            outcome.status, outcome.message = BAD_OUTPUT, failure
        elif not collector.finished:
            if exit_report.get("timed_out") is True or returncode == -signal.SIGXCPU:
                outcome.status = TIMEOUT
                outcome.message = clock.message() if exit_report.get("timed_out") is True else describe_exit(returncode)
            elif exit_report.get("confined") is False:
                # It exited before saying it was confined, so before any student code ran: the exit
                # status is no proof (student code may exit with the zygote's SETUP_FAILED_EXIT too).
                outcome.status, outcome.message = CRASHED, f"{SANDBOX_FAILURE_PREFIX} could not be set up"
            else:
                outcome.status, outcome.message = CRASHED, describe_exit(returncode)
        outcome.console_raw = bytes(console)
        outcome.console = console.decode("utf-8", "replace")
        outcome.seconds = time.monotonic() - started
        outcome.waited_seconds = clock.waited
        return outcome

    def _kill_zygote(self) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._stop()

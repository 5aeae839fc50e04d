"""The zygote: a pre-warmed, single-threaded interpreter that forks one confined child per unit.

Started by :class:`autograder.sandbox.zygote.ZygoteExecutor` as a fresh interpreter
(``python -I -m autograder.sandbox.zygote_server SOCKET_FD SLOT PARENT_PID``) with the clean
environment. It holds no reference code, expected values, secrets or database
connections: only NumPy, the stdlib and the untrusted-side modules of this package.
When it may (root on Linux), it moves itself into a private mount namespace and the
minimal read-only root before serving any job.

Protocol (see :mod:`autograder.sandbox.control`)::

    zygote -> executor  {"kind": "ready", "isolation": "full"|"reduced", "layers": [...]}
    executor -> zygote  {"kind": "run", "unit": n, "job": {...}, "limits": {...}} + fds (results, console)
    executor -> zygote  {"kind": "kill", "unit": n}          # optional, e.g. output limit hit
    zygote -> executor  {"kind": "exited", "unit": n, "returncode": rc, "timed_out": bool}

The child writes its result frames straight into the executor's pipe: the zygote never
reads them.
"""

from __future__ import annotations

import importlib
import math
import os
import select
import signal
import socket
import sys
import time
import traceback
from dataclasses import replace
from typing import Any

# Modules students commonly import, loaded once so that children start warm.
WARM_MODULES = (
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.polynomial", "numpy.lib.stride_tricks",
    "math", "cmath", "random", "statistics", "itertools", "functools", "operator", "collections",
    "collections.abc", "heapq", "bisect", "array", "copy", "dataclasses", "typing", "enum", "abc",
    "numbers", "fractions", "decimal", "string", "re", "json", "time", "datetime", "warnings",
    "contextlib", "traceback", "linecache", "textwrap", "pprint", "io", "struct", "types",
    "inspect", "weakref", "gc", "ctypes", "pyseccomp",
    "autograder.sandbox.child", "autograder.sandbox.codec", "autograder.sandbox.program",
    "autograder.sandbox.confinement", "autograder.sandbox.control",
)
MAX_JOB_BYTES = 1 << 30
SETUP_FAILED_EXIT = 121  # the child could not be confined: it ran no student code
MEMORY_MARGIN_BYTES = 64 << 20


def main(argv: list[str]) -> int:
    """Serve units on the control socket until it closes; return the exit status."""
    sock_fd, slot, parent_pid = int(argv[0]), int(argv[1]), int(argv[2])
    sock = socket.socket(fileno=sock_fd)
    try:
        from autograder.sandbox import syscalls

        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    if os.getppid() != parent_pid:
        return 1  # the executor is already gone
    for name in WARM_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    _warm_numpy()
    zygote = Zygote(sock, slot)
    zygote.prepare()
    from autograder.sandbox import control

    control.send_message(sock, {"kind": "ready", "isolation": zygote.isolation, "layers": zygote.layers.names(),
                                "problems": zygote.problems})
    return zygote.serve()


def _warm_numpy() -> None:
    import numpy as np

    matrix = np.arange(16.0).reshape(4, 4)
    (matrix @ matrix).sum()
    np.random.default_rng(0).standard_normal(4)


class Zygote:
    """Fork, confine and watch one child per unit."""

    def __init__(self, sock: socket.socket, slot: int) -> None:
        from autograder.sandbox.confinement import Layers

        self.sock = sock
        self.slot = slot
        self.layers = Layers()
        self.problems: list[str] = []
        self.pid_namespace_fd = -1
        self.baseline_address_space = 0

    @property
    def isolation(self) -> str:
        return "full" if self.layers.full else "reduced"

    def prepare(self) -> None:
        """Enter the jail root and find out which layers work, by confining a probe child."""
        from autograder.sandbox import rootfs
        from autograder.sandbox.confinement import Layers

        self.baseline_address_space = _address_space_bytes()
        if not sys.platform.startswith("linux"):
            self.problems.append("not Linux: no namespaces or seccomp")
            return
        jail_root = namespaces = False
        if os.geteuid() == 0:
            try:
                self.pid_namespace_fd = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
                namespaces = True
            except OSError as error:
                self.problems.append(f"no PID namespace handle: {error}")
            try:
                rootfs.enter_jail_root(rootfs.default_plan())
                jail_root = True
            except OSError as error:
                self.problems.append(f"no jail root: {error}")
        else:
            self.problems.append("not root: no namespaces, jail root or uid drop")
        wanted = Layers(namespaces=namespaces, jail_root=jail_root, drop_uid=os.geteuid() == 0, seccomp=True)
        # Drop layers one kind at a time until a probe child can be confined.
        for candidate in (wanted, replace(wanted, namespaces=False), replace(wanted, seccomp=False),
                          replace(wanted, namespaces=False, seccomp=False)):
            self.layers = candidate
            problem = self._probe()
            if not problem:
                return
            self.problems.append(f"layers {candidate.names()} failed: {problem}")
        self.layers = Layers(jail_root=jail_root)

    def _probe(self) -> str:
        read_fd, write_fd = os.pipe()
        try:
            returncode = self._run_child({"probe": True}, {"wall_seconds": 10, "cpu_seconds": 5,
                                         "memory_bytes": 256 << 20}, write_fd, write_fd, unit=-1)[0]
            report = os.read(read_fd, 4096).decode("utf-8", "replace")
        finally:
            os.close(read_fd)
        return "" if returncode == 0 else (report.strip().splitlines() or [f"exit status {returncode}"])[-1]

    def serve(self) -> int:
        """Handle messages until the executor closes the socket."""
        from autograder.sandbox import control

        while True:
            try:
                message, fds = control.receive_message(self.sock, MAX_JOB_BYTES)
            except (control.ChannelClosed, OSError):
                return 0
            if not isinstance(message, dict) or message.get("kind") != "run" or len(fds) != 2:
                for fd in fds:
                    os.close(fd)
                continue  # a late "kill" for a unit that already ended
            unit = message.get("unit")
            returncode, timed_out = self._run_child(message["job"], message["limits"], fds[0], fds[1], unit)
            control.send_message(self.sock, {"kind": "exited", "unit": unit, "returncode": returncode,
                                             "timed_out": timed_out})

    def _run_child(self, job: dict[str, Any], limits: dict[str, Any], result_fd: int, console_fd: int,
                   unit: Any) -> tuple[int, bool]:
        from autograder.sandbox import syscalls

        try:
            if self.layers.namespaces:
                syscalls.unshare(syscalls.CLONE_NEWPID)
            pid = -1
            try:
                pid = os.fork()
                if pid == 0:
                    self._child(job, limits, result_fd, console_fd)
            finally:
                # Only the zygote goes back; the child stays the init of its new namespace.
                if self.layers.namespaces and pid != 0:
                    syscalls.setns(self.pid_namespace_fd, syscalls.CLONE_NEWPID)
        finally:
            # The child holds the only write ends now: EOF tells the executor it is gone.
            for fd in {result_fd, console_fd}:
                os.close(fd)
        return self._watch(pid, float(limits["wall_seconds"]), unit)

    def _child(self, job: dict[str, Any], limits: dict[str, Any], result_fd: int, console_fd: int) -> None:
        from autograder.sandbox.confinement import RESULT_FD, ChildLimits, confine

        status = SETUP_FAILED_EXIT
        try:
            try:
                self.sock.close()
                if self.pid_namespace_fd >= 0:
                    os.close(self.pid_namespace_fd)
                confine(self.layers, ChildLimits(
                    address_space_bytes=self.baseline_address_space + int(limits["memory_bytes"]) + MEMORY_MARGIN_BYTES,
                    cpu_seconds=math.ceil(float(limits["cpu_seconds"])),
                ), self.slot, result_fd, console_fd)
            except BaseException as error:
                print(f"sandbox setup failed: {error!r}", file=sys.stderr)
                return
            status = 1
            if job.get("probe"):
                status = 0
                return
            from autograder.sandbox import child

            with os.fdopen(RESULT_FD, "wb") as out:
                child.serve(job, out)
            status = 0
        except BaseException:  # student code escaped (SystemExit from a function, ...): no "done" frame
            try:
                traceback.print_exc()
            except BaseException:
                pass
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            os._exit(status)

    def _watch(self, pid: int, wall_seconds: float, unit: Any) -> tuple[int, bool]:
        """Wait for the child until it exits, the deadline passes or the executor says kill."""
        from autograder.sandbox import control

        deadline = time.monotonic() + wall_seconds
        timed_out = False
        pidfd = os.pidfd_open(pid)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    _kill(pid)
                    break
                ready, _, _ = select.select([pidfd, self.sock], [], [], remaining)
                if pidfd in ready:
                    break
                if self.sock in ready:
                    try:
                        message, fds = control.receive_message(self.sock, 1 << 16)
                    except (control.ChannelClosed, OSError):
                        _kill(pid)
                        os.waitpid(pid, 0)
                        raise SystemExit(0)
                    for fd in fds:
                        os.close(fd)
                    if isinstance(message, dict) and message.get("kind") == "kill" and message.get("unit") == unit:
                        _kill(pid)
                        break
        finally:
            os.close(pidfd)
        # PID 1 of its namespace: killing it kills anything else in there too.
        _, wait_status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(wait_status), timed_out


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _address_space_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 1 << 30


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

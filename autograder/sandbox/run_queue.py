"""How long a process has waited for a CPU: the part of a wall-clock limit the machine took.

A child that is runnable but not running (other processes hold every core) is not slower
code: on a busy grading machine its functions would otherwise time out where they pass on a
quiet one. The kernel counts that wait per task (``/proc/PID/schedstat``, second field, in
nanoseconds); a sleeping or blocked child does not add to it. The sandbox's children cannot
start threads or processes (seccomp), so the wait is never of their own making. The grader's
own side of a unit (the thread reading its results, the zygote forking it) waits as well on a
busy machine, and that is not the student's time either.
"""

from __future__ import annotations

import os


def waited_seconds(pid: int | None = None) -> float | None:
    """Seconds process ``pid`` (None: the calling thread) has spent runnable on a run queue.

    None where the kernel does not say (not Linux, no such process).
    """
    path = "/proc/thread-self/schedstat" if pid is None else f"/proc/{pid}/schedstat"
    try:
        with open(path, "rb") as stats:
            fields = stats.read(128).split()
        return int(fields[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


class WaitReader:
    """``waited_seconds`` of one task, read again and again through one open descriptor.

    A unit reads its watched tasks' waits a few dozen times (each time a function's clock starts
    or a deadline passes): a ``pread`` of the open file costs a tenth of opening, reading and
    closing it. The descriptor stays bound to the task it was opened for, so a pid reused after
    the task ended is never read in its place (a reading then fails: the last one stands).
    Call :meth:`close` when the unit ends.
    """

    def __init__(self, pid: int | None = None) -> None:
        path = "/proc/thread-self/schedstat" if pid is None else f"/proc/{pid}/schedstat"
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self._fd = -1

    def __call__(self) -> float | None:
        """Seconds the task has spent runnable on a run queue; None where the kernel does not say."""
        if self._fd < 0:
            return None
        try:
            return int(os.pread(self._fd, 128, 0).split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        """Close the descriptor (readings are None afterwards)."""
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

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

"""How long a process has waited for a CPU: the part of a wall-clock limit the machine took.

A child that is runnable but not running (other processes hold every core) is not slower
code: on a busy grading machine its functions would otherwise time out where they pass on a
quiet one. The kernel counts that wait per task (``/proc/PID/schedstat``, second field, in
nanoseconds); a sleeping or blocked child does not add to it. The sandbox's children cannot
start threads or processes (seccomp), so the wait is never of their own making.
"""

from __future__ import annotations


def waited_seconds(pid: int) -> float | None:
    """Seconds ``pid`` has spent runnable on a run queue, or None where the kernel does not say."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as stats:
            fields = stats.read(128).split()
        return int(fields[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None

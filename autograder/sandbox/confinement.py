"""Confine a freshly forked child before it touches student code.

Runs in the child, in this order. Before the job is known (:func:`isolate`): own
session, new mount/network/IPC/UTS namespaces (it is already PID 1 of a new PID
namespace), an unprivileged uid/gid (as root) or an empty user namespace (user-namespace
mode), parent-death signal, no new privileges. Once the
job has arrived (:func:`restrict`): descriptors (stdin from /dev/null, console and
result pipes, nothing else), rlimits, then the seccomp allow-list. Any failure raises:
the caller must then exit without running student code (fail closed).
"""

from __future__ import annotations

import fcntl
import os
import resource
import signal
from dataclasses import dataclass

from autograder.sandbox import syscalls

RESULT_FD = 3
# Open only between the last layer and the student's code: one byte on it tells the zygote the
# child is confined, so that an exit before it is the sandbox's failure and any exit after it the
# code's (an exit status proves nothing: student code may exit with any).
CONFINED_FD = 4
# The job pipe, kept open after the first job: the executor may send the same submission's next
# job (its hidden cases) to this child, or close the pipe, which ends it.
JOB_FD = 5
MAX_OPEN_FILES = 32
SLOT_UID_BASE = 61000  # slot n runs as uid/gid SLOT_UID_BASE + n
CHILD_NAMESPACES = syscalls.CLONE_NEWNS | syscalls.CLONE_NEWNET | syscalls.CLONE_NEWIPC | syscalls.CLONE_NEWUTS


@dataclass(frozen=True)
class Layers:
    """Which isolation layers the zygote applies; all on means ``isolation == "full"``."""

    namespaces: bool = False  # per-child PID, mount, network, IPC and UTS namespaces
    jail_root: bool = False  # minimal read-only root (pivot_root)
    drop_uid: bool = False  # unprivileged uid/gid per slot
    seccomp: bool = False  # syscall allow-list
    # Non-root zygote only (it is root of its own user namespace): each child enters a further
    # user namespace with no ids mapped, so its capabilities cover nothing that exists.
    user_namespace: bool = False

    @property
    def full(self) -> bool:
        return self.namespaces and self.jail_root and self.drop_uid and self.seccomp

    def names(self) -> list[str]:
        """Names of the layers that are on, for reports and logs."""
        return [name for name in ("namespaces", "jail_root", "drop_uid", "seccomp", "user_namespace")
                if getattr(self, name)]


@dataclass(frozen=True)
class ChildLimits:
    """Kernel-enforced limits of one child."""

    address_space_bytes: int
    cpu_seconds: int


def slot_uid(slot: int) -> int:
    """The uid (and gid) of a worker slot's children."""
    return SLOT_UID_BASE + slot


def isolate(layers: Layers, slot: int) -> None:
    """Apply the job-independent layers: session, namespaces, uid or user namespace, no new privileges.

    Runs in a spare child before any job exists, so its cost is off the critical path.
    Raises OSError on failure.
    """
    os.setsid()
    if layers.namespaces:
        syscalls.unshare(CHILD_NAMESPACES)
    if layers.user_namespace:
        # After the others, so that they belong to the zygote's user namespace, not this one.
        syscalls.unshare(syscalls.CLONE_NEWUSER)
    if layers.drop_uid:
        uid = slot_uid(slot)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    # Cleared by the uid or user namespace change above, so set afterwards.
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    syscalls.prctl(syscalls.PR_SET_NO_NEW_PRIVS, 1)


def restrict(limits: ChildLimits, result_fd: int, console_fd: int, seccomp_program: bytes | None,
             confined_fd: int | None = None, job_fd: int | None = None) -> None:
    """Apply the job's limits, the descriptors and, last, the seccomp filter; raise OSError on failure.

    ``confined_fd`` (the zygote's socket) is kept open as CONFINED_FD: call ``confirm_confined`` next.
    ``job_fd`` (the job pipe) is kept open as JOB_FD.
    """
    _arrange_descriptors(result_fd, console_fd, confined_fd, job_fd)
    _set_rlimits(limits)
    if seccomp_program is not None:
        syscalls.load_seccomp_program(seccomp_program)


def confirm_confined() -> None:
    """Tell the zygote every layer is in place, and close the way to it, before any student code runs."""
    try:
        os.write(CONFINED_FD, b"\x01")
    finally:
        os.close(CONFINED_FD)


def _arrange_descriptors(result_fd: int, console_fd: int, confined_fd: int | None = None,
                         job_fd: int | None = None) -> None:
    # Lift them above the target numbers first so dup2 never clobbers one with another.
    lifted = {number: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
              for number, fd in ((RESULT_FD, result_fd), (CONFINED_FD, confined_fd), (JOB_FD, job_fd))
              if fd is not None}
    console = fcntl.fcntl(console_fd, fcntl.F_DUPFD_CLOEXEC, 10)
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(console, 1)
    os.dup2(console, 2)
    for number, fd in lifted.items():
        os.dup2(fd, number)
    # Nothing else stays open: numbers left free in between are closed too.
    for number in range(RESULT_FD + 1, JOB_FD):
        if number not in lifted:
            try:
                os.close(number)
            except OSError:
                pass
    os.closerange(max(lifted) + 1, 1 << 20)


def _set_rlimits(limits: ChildLimits) -> None:
    cpu = max(1, limits.cpu_seconds)
    for which, value in (
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NPROC, 0),
        (resource.RLIMIT_NOFILE, MAX_OPEN_FILES),
        (resource.RLIMIT_MEMLOCK, 0),
        (resource.RLIMIT_MSGQUEUE, 0),
        (resource.RLIMIT_AS, limits.address_space_bytes),
    ):
        resource.setrlimit(which, (value, value))
    # SIGXCPU at the soft limit, SIGKILL one second later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

"""Give a non-root zygote the privileges of root inside a user namespace of its own.

Used only when the zygote does not run as root. The zygote becomes uid 0 of a new user
namespace in which only its own uid and gid are mapped, with a private mount namespace
(to build the jail root) and a PID namespace it owns (so that it may ``setns`` back after
creating each child's PID namespace; the host's PID namespace belongs to the host's user
namespace, where it holds no capability). Only one uid is mapped, so children cannot get
a uid of their own: they enter a further, empty user namespace instead (see
:func:`autograder.sandbox.confinement.isolate`).
"""

from __future__ import annotations

import os
import signal

from autograder.sandbox import syscalls


def enter_own_user_namespace() -> None:
    """Become root of a new user, mount and PID namespace; return in the namespaces' first process.

    Must run before the process starts any thread. The calling process stays outside as a
    waiter that mirrors the exit status of the process that returns (PID 1 of the new PID
    namespace), so the executor still watches and kills one process group. Raises OSError
    if the user namespace cannot be created; nothing has changed then unless the id maps
    failed, after which the caller holds no capability anywhere.
    """
    uid, gid = os.getuid(), os.getgid()
    syscalls.unshare(syscalls.CLONE_NEWUSER | syscalls.CLONE_NEWNS)
    # "deny" first: an unprivileged process may write gid_map only once setgroups is off.
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    # As root of the new user namespace now; its PID namespace only applies to children.
    syscalls.unshare(syscalls.CLONE_NEWPID)
    pid = os.fork()
    if pid == 0:
        # The uid change cleared it; the waiter is our parent now.
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
        return
    _wait_and_exit(pid)


def _wait_and_exit(pid: int) -> None:
    # Keep nothing of the zygote's open (the control socket above all): EOF must mean it is gone.
    os.closerange(3, 1 << 20)
    try:
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)

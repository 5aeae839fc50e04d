"""Start the sandbox's zygote process, loading nothing heavy in the caller.

Starting the zygote (a fresh interpreter that imports NumPy and confines a probe child) takes
about as long as importing NumPy. The `grade` command therefore starts it before anything
else, with this module (standard library only: no NumPy, no codec), so that the zygote's
start overlaps with the command's own imports and the loading of the suite; a
:class:`~autograder.sandbox.zygote.ZygoteExecutor` then adopts the running process.

The zygote is a new program (fork and exec): it inherits no memory of the caller, only its
end of the control socket, so starting it early or late makes no difference to what it holds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys


class LaunchedZygote:
    """A zygote process just started, and the executor's end of its control socket (not yet ready)."""

    def __init__(self, process: subprocess.Popen, sock: socket.socket) -> None:
        self.process = process
        self.sock = sock
        self.taken = False  # by an executor, or discarded

    def take(self) -> tuple[subprocess.Popen, socket.socket]:
        """Hand the process and the socket to the executor that adopts them (once)."""
        if self.taken:
            raise RuntimeError("this zygote was already adopted or discarded")
        self.taken = True
        return self.process, self.sock

    def discard(self) -> None:
        """Stop the zygote unless an executor adopted it, with whatever children it has started.

        It has run nothing yet: it is killed (its session's process group) rather than left to
        finish starting only to find its socket closed.
        """
        if self.taken:
            return
        self.taken = True
        self.sock.close()
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()


def launch_zygote(slot: int = 0, python: str | None = None, disabled_layers: tuple[str, ...] = (),
                  machine_environment: tuple[tuple[str, str], ...] = ()) -> LaunchedZygote:
    """Start ``python -I -m autograder.sandbox.zygote_server`` with the clean environment; do not wait for it.

    The zygote is tied to the calling thread (the kernel's parent-death signal follows the
    thread that started it): call this from a thread that outlives the executor. Raises
    OSError when the process cannot be started.
    """
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        process = subprocess.Popen(
            [python or sys.executable, "-I", "-m", "autograder.sandbox.zygote_server",
             str(theirs.fileno()), str(slot), str(os.getpid()), ",".join(disabled_layers)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
            env=clean_environment(machine_environment), cwd="/", start_new_session=True,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return LaunchedZygote(process, ours)


def clean_environment(machine_environment: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """The environment given to untrusted processes: no secrets, one BLAS thread.

    ``machine_environment``: the OpenBLAS variables some CPUs need (autograder.config reads them).
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    env.update((name, value) for name, value in machine_environment if name in MACHINE_VARIABLES)
    return env


# Some CPUs need these for OpenBLAS to compute correctly; nothing else is passed on.
MACHINE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

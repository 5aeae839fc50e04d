"""Sandbox slots of this machine, taken with one lock file per slot.

A slot is a sandbox uid: two grading processes on one machine must never share one (their
students' children would run as the same user). Each process takes a free slot by holding an
exclusive ``fcntl.flock`` on ``slot-N.lock`` in a runtime directory; the kernel drops the lock
when the process dies, however it dies, so a crashed worker never leaves a slot taken.
"""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


class SlotClash(RuntimeError):
    """The slot asked for is held by another process, or every slot is taken."""


@dataclass
class SlotLock:
    """A held slot; ``release()`` (or the process's death) frees it."""

    slot: int
    path: Path
    _fd: int | None

    def release(self) -> None:
        """Give the slot back (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


def runtime_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """Return (creating it) the directory of the slot lock files.

    ``configured`` (AUTOGRADER_RUNTIME_DIR) wins; otherwise /run/autograder for root, else a
    per-user directory under the temporary directory. Every process of a machine must use the same one.
    """
    if configured:
        path = Path(configured)
    elif os.geteuid() == 0 and os.path.isdir("/run"):
        path = Path("/run/autograder")
    else:
        path = Path(tempfile.gettempdir()) / f"autograder-{os.geteuid()}"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return "another process"
    return f"pid {text}" if text.isdigit() else "another process"


def _try_lock(directory: Path, slot: int) -> SlotLock | None:
    path = directory / f"slot-{slot}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return None
        raise
    # Say who holds it, for the clash message of whoever comes next.
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return SlotLock(slot, path, fd)


def acquire_slot(directory: Path, wanted: int | None = None, count: int = 64) -> SlotLock:
    """Take slot ``wanted`` (raise SlotClash if another process holds it), or the first free one of ``count``.

    Returns the held SlotLock. Raises SlotClash when the slot is taken or none is free.
    """
    if wanted is not None:
        if wanted < 0:
            raise SlotClash(f"sandbox slot {wanted} is not valid: slots are numbers from 0")
        lock = _try_lock(directory, wanted)
        if lock is None:
            path = directory / f"slot-{wanted}.lock"
            raise SlotClash(
                f"sandbox slot {wanted} is already in use by {_holder(path)} on this machine (lock {path}); "
                "two grading processes must never share a slot: unset AUTOGRADER_SANDBOX_SLOT to take a "
                "free one, or choose another")
        return lock
    for slot in range(count):
        lock = _try_lock(directory, slot)
        if lock is not None:
            return lock
    raise SlotClash(f"all {count} sandbox slots of this machine are in use (locks in {directory}); "
                    "raise AUTOGRADER_SANDBOX_SLOTS or run fewer grading processes here")

"""Sandbox slots of the tests: each test process takes a range of its own.

A slot is a sandbox uid. The suites' executors use fixed slots (700-999 here) so that their
stray-process checks stay exact. Run in parallel (pytest-xdist workers, or a second checkout's
suite on the same machine), processes would share those uids and their students would run as one
user. So each test process holds, for its lifetime, an exclusive lock on one of RANGES ranges of
300 slots above 1000 (uids 62000-65299), and ``worker_slot(base)`` moves ``base`` into it. Slots
allocated by the service's own lock files (0-63 by default) stay below all of them.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

BASES = range(700, 1000)
FIRST_SLOT = 1000
RANGES = 11


# How long a test process waits for a range when other test runs on this machine hold all of them.
RANGE_WAIT_SECONDS = 30 * 60


def _try_ranges(directory: Path) -> int | None:
    for index in range(RANGES):
        fd = os.open(directory / f"range-{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return FIRST_SLOT + index * len(BASES)  # fd stays open: the lock lasts as long as this process
    return None


def acquire_range(directory: Path, wait_seconds: float) -> int:
    """Lock one free range under ``directory`` for this process's lifetime; return its first slot.

    When other test runs on this machine hold every range, wait for one of them to end rather than
    fail the run (a shared machine), and say so once, since the wait shows as a slow start.
    """
    start = _try_ranges(directory)
    if start is not None:
        return start
    print(
        f"tests/slots.py: all {RANGES} test slot ranges are held by other test processes "
        f"(locks in {directory}); waiting up to {wait_seconds:g} s for one",
        file=sys.stderr,
    )
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        time.sleep(0.2)
        start = _try_ranges(directory)
        if start is not None:
            return start
    raise RuntimeError(
        f"all {RANGES} test slot ranges stayed held by other test processes for "
        f"{wait_seconds:g} s (locks in {directory})"
    )


@functools.cache
def _range_start() -> int:
    directory = Path(tempfile.gettempdir()) / f"autograder-test-slot-ranges-{os.geteuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    return acquire_range(directory, RANGE_WAIT_SECONDS)


def worker_slot(base: int) -> int:
    """Slot ``base`` (700-999) moved into this process's own range."""
    if base not in BASES:
        raise ValueError(f"test sandbox slots are {BASES.start}-{BASES.stop - 1}, not {base}")
    return _range_start() + base - BASES.start

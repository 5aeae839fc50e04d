"""The tests' own slot ranges: a run on a machine whose ranges are all held waits instead of failing."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest

from tests.slots import BASES, FIRST_SLOT, RANGES, acquire_range


def _hold_all(directory):
    fds = []
    for index in range(RANGES):
        fd = os.open(directory / f"range-{index}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fds.append(fd)
    return fds


def test_a_free_range_is_taken_at_once(tmp_path):
    held = _hold_all(tmp_path)
    os.close(held[4])
    try:
        assert acquire_range(tmp_path, wait_seconds=0) == FIRST_SLOT + 4 * len(BASES)
    finally:
        for fd in held[:4] + held[5:]:
            os.close(fd)


def test_a_run_waits_for_a_range_another_run_releases(tmp_path, capfd):
    held = _hold_all(tmp_path)
    # Another run ends once this one is waiting (it has said so): its range becomes this one's.
    released = threading.Event()

    def end_other_run():
        while "waiting up to" not in capfd.readouterr().err:
            threading.Event().wait(0.05)
        os.close(held[7])
        released.set()

    threading.Thread(target=end_other_run, daemon=True).start()
    try:
        assert acquire_range(tmp_path, wait_seconds=120) == FIRST_SLOT + 7 * len(BASES)
        assert released.is_set()
    finally:
        for fd in held[:7] + held[8:]:
            os.close(fd)


def test_a_run_that_never_gets_a_range_fails_naming_the_locks(tmp_path):
    held = _hold_all(tmp_path)
    try:
        with pytest.raises(RuntimeError, match="stayed held by other test processes"):
            acquire_range(tmp_path, wait_seconds=0.3)
    finally:
        for fd in held:
            os.close(fd)

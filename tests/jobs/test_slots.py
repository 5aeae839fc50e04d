"""Sandbox slots taken by lock file: never shared, freed when their process dies, clashes named."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from autograder.jobs.executors import open_worker_executor
from autograder.jobs.slots import SlotClash, acquire_slot


def test_each_process_takes_the_first_free_slot_and_gives_it_back(tmp_path):
    first, second = acquire_slot(tmp_path), acquire_slot(tmp_path)
    assert (first.slot, second.slot) == (0, 1)
    first.release()
    assert acquire_slot(tmp_path).slot == 0  # freed slots are reused


def test_a_forced_slot_held_elsewhere_is_a_clear_error(tmp_path):
    held = acquire_slot(tmp_path, 5)
    with pytest.raises(SlotClash, match=r"sandbox slot 5 is already in use by pid \d+"):
        acquire_slot(tmp_path, 5)
    held.release()
    assert acquire_slot(tmp_path, 5).slot == 5


def test_no_free_slot_says_so(tmp_path):
    locks = [acquire_slot(tmp_path, count=2) for _ in range(2)]
    with pytest.raises(SlotClash, match="all 2 sandbox slots"):
        acquire_slot(tmp_path, count=2)
    assert [lock.slot for lock in locks] == [0, 1]


def test_a_killed_process_never_keeps_its_slot(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from autograder.jobs.slots import acquire_slot
        lock = acquire_slot(Path({str(tmp_path)!r}))
        print(lock.slot, flush=True)
        time.sleep(60)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "0"
        with pytest.raises(SlotClash, match=f"pid {holder.pid}"):
            acquire_slot(tmp_path, 0)
        assert acquire_slot(tmp_path).slot == 1  # another process of the machine gets another slot
    finally:
        holder.kill()
        holder.wait()
    assert acquire_slot(tmp_path, 0).slot == 0  # SIGKILL freed it: no stale lock to clean up


def test_worker_executors_sit_on_distinct_slots(jobs_app, tmp_path):
    jobs_app.config.update(SANDBOX_SLOT=None, SANDBOX_RUNTIME_DIR=str(tmp_path / "slots"))
    first = open_worker_executor(jobs_app)
    second = open_worker_executor(jobs_app)
    try:
        assert first.slot != second.slot
        with pytest.raises(SlotClash):
            open_worker_executor(jobs_app, first.slot)
    finally:
        first.close()
        second.close()
    reopened = open_worker_executor(jobs_app, first.slot)  # closing an executor frees its slot
    reopened.close()

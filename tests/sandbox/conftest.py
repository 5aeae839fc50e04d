"""Fixtures for the sandbox tests: a fully isolated executor and the host-side checks."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from autograder.sandbox.confinement import slot_uid
from autograder.sandbox.zygote import ZygoteExecutor

FAKE_SECRET = "grader-secret-7f3a9c1e5b"
SANDBOX_SLOT = 7
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fake_secret() -> str:
    """A secret in the grader's own environment that must never reach student code."""
    os.environ["AUTOGRADER_FAKE_SECRET"] = FAKE_SECRET
    return FAKE_SECRET


@pytest.fixture(scope="session")
def sandbox(fake_secret: str):
    """A zygote executor with every isolation layer on (skips, or fails under CI=true, without them)."""
    executor = ZygoteExecutor(slot=SANDBOX_SLOT)
    if executor.isolation != "full":
        executor.close()
        reason = "full sandbox isolation unavailable: " + "; ".join(executor.problems)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield executor
    executor.close()


@pytest.fixture
def sandbox_processes():
    """Return a function listing the live processes of the sandbox slot's uid as (pid, parent pid)."""

    def list_processes() -> list[tuple[int, int]]:
        uid = slot_uid(SANDBOX_SLOT)
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            except OSError:
                continue
            if int(fields["Uid"].split()[0]) == uid:
                found.append((int(entry.name), int(fields["PPid"])))
        return found

    return list_processes


@pytest.fixture
def stray_processes(sandbox, sandbox_processes):
    """Return a function waiting briefly, then listing sandbox processes other than the zygote's one spare."""

    def strays(seconds: float = 3.0) -> list[tuple[int, int]]:
        deadline = time.monotonic() + seconds
        while True:
            found = sandbox_processes()
            # The zygote keeps exactly one isolated child ready for the next unit.
            left = [process for process in found if process[1] != sandbox.zygote_pid] or found[1:]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.02)

    return strays

"""Fixtures of the between-students suite: one sandbox shared by consecutive students, as on a worker."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.grading.assignment import Assignment, find_assignment
from autograder.sandbox.zygote import ZygoteExecutor
from tests.slots import worker_slot

# Sandbox uids of these tests, away from the slots other suites use.
SECURITY_TEST_SLOT = worker_slot(790)
HIDDEN_SEED = 987654321
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker_sandbox() -> Iterator[ZygoteExecutor]:
    """One fully isolated zygote that grades every student of a test module in turn (one worker slot)."""
    executor = ZygoteExecutor(slot=SECURITY_TEST_SLOT)
    if executor.isolation != "full":
        executor.close()
        reason = "full sandbox isolation unavailable: " + "; ".join(executor.problems)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield executor
    executor.close()


@pytest.fixture(scope="session")
def losses() -> Assignment:
    return find_assignment("losses")


@pytest.fixture(scope="session")
def roomy_losses(losses: Assignment) -> Assignment:
    """`losses` with generous time limits, for hostile files whose searching is slow by nature."""
    limits = dataclasses.replace(losses.spec.limits, function_seconds=10.0, submission_seconds=60.0)
    return dataclasses.replace(losses, spec=dataclasses.replace(losses.spec, limits=limits))


@pytest.fixture(scope="session")
def tight_losses(losses: Assignment) -> Assignment:
    """`losses` with half its submission budget: files that burn their whole budget burn half as much CPU."""
    limits = dataclasses.replace(losses.spec.limits, submission_seconds=losses.spec.limits.submission_seconds / 2)
    return dataclasses.replace(losses, spec=dataclasses.replace(losses.spec, limits=limits))


@pytest.fixture(scope="session")
def losses_reference() -> str:
    return (REPO_ROOT / "assignments" / "losses" / "reference.py").read_text()

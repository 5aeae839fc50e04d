"""Fixtures of the Gradescope export tests: this package's wheel, one archive, Gradescope-like roots."""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

import pytest

from autograder.grading.assignment import Assignment, find_assignment
from autograder.gradescope.archive import ArchiveSettings, build_wheel, write_archive
from autograder.sandbox import Executor, open_executor
from tests.slots import worker_slot

SEED = 424242
# Sandbox uids of these tests, away from the slots other suites and workers use.
GRADESCOPE_TEST_SLOT = worker_slot(780)


@pytest.fixture(scope="session")
def seed() -> int:
    """The hidden seed the archive was written with."""
    return SEED


@pytest.fixture(scope="session")
def losses() -> Assignment:
    return find_assignment("losses")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This package's real wheel, built once (pip wheel --no-deps)."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def archive(losses: Assignment, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The losses archive, hidden cases drawn from SEED, graded tests shown after publication."""
    return write_archive(
        losses, tmp_path_factory.mktemp("archive") / "losses.zip", ArchiveSettings(hidden_seed=SEED), wheel=wheel
    )


@pytest.fixture(scope="session")
def results_schema() -> dict:
    return json.loads(resources.files("autograder.gradescope").joinpath("results.schema.json").read_text())


@pytest.fixture(scope="session")
def service_executor() -> Iterator[Executor]:
    """An executor for grading the same files the way the service does, to compare."""
    opened = open_executor(slot=GRADESCOPE_TEST_SLOT + 1)
    yield opened
    opened.close()


@pytest.fixture
def gradescope_root(archive: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, bytes], Path]]:
    """Lay out a directory like Gradescope's /autograder; returns put(filename, data) -> root."""
    # Not under pytest's 0700 tmp root: the sandbox's unprivileged uid must reach the interpreter.
    root = Path(tempfile.mkdtemp(prefix="gradescope-root-"))
    root.chmod(0o755)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(root / "source")
    for path in (root / "source" / "private").iterdir():
        path.chmod(0o600)  # as setup.sh leaves them
    (root / "source" / "private").chmod(0o700)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    monkeypatch.setenv("AUTOGRADER_SANDBOX_SLOT", str(GRADESCOPE_TEST_SLOT))

    def put(filename: str, data: bytes) -> Path:
        (root / "submission" / filename).write_bytes(data)
        return root

    yield put
    shutil.rmtree(root, ignore_errors=True)

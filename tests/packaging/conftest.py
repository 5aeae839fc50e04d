"""Fresh virtual environments built from a copy of the checkout: what a student or an operator gets.

They are filled by uv (a test dependency): it resolves the same requirements from the same index
as pip would, from its cache in a second or two, where pip took the suite's longest minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# uv installed beside this interpreter by the test extra (requirements/test.lock).
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or "uv"
# uv's own cache, found as uv finds it before the session points XDG_CACHE_HOME at a fresh folder of
# its own (tests/conftest.py): there, every run filled an empty cache from the index (140 MB a worker).
UV_CACHE_DIR = os.environ.get("UV_CACHE_DIR") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
)
# Installing from the package index can take a while on a loaded machine; nothing here waits forever.
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class FreshEnv:
    """A virtual environment of its own, with helpers to run its commands."""

    root: Path

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def pip(self, *args: str) -> None:
        """``pip install args`` into this environment (done by ``uv pip install``)."""
        run(
            [UV, "pip", "install", "-q", "--python", str(self.python), *args], timeout=INSTALL_TIMEOUT, needs_index=True
        )

    def packages(self) -> dict[str, str]:
        listing = run([UV, "pip", "list", "--python", str(self.python), "--format=json"], timeout=120).stdout
        return {item["name"].lower(): item["version"] for item in json.loads(listing)}


def run(command: list[str], timeout: float, needs_index: bool = False, **options) -> subprocess.CompletedProcess:
    """Run a command; a failure that needs the package index skips on a laptop and fails in CI."""
    if command[0] == UV:
        options.setdefault("env", {**os.environ, "UV_CACHE_DIR": UV_CACHE_DIR})
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **options)
    if result.returncode != 0 and needs_index and not os.environ.get("CI"):
        pytest.skip(f"cannot install from the package index here: {result.stderr.strip()[-300:]}")
    assert result.returncode == 0, f"{command} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def make_env(folder: Path) -> FreshEnv:
    """Create an empty virtual environment (not even pip) in ``folder``."""
    venv.EnvBuilder(with_pip=False, clear=True).create(folder)
    return FreshEnv(folder)


def copy_checkout(target: Path, *parts: str) -> Path:
    """Copy the named top-level parts of the checkout (as a clone would have them) into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist", ".venv")
    for part in parts:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=ignore)
        else:
            shutil.copy2(source, target / part)
    return target


@pytest.fixture(scope="session")
def student_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel an instructor hands to students, built from a copy of the checkout."""
    source = copy_checkout(tmp_path_factory.mktemp("source"), "pyproject.toml", "README.md", "autograder")
    out = tmp_path_factory.mktemp("wheel")
    run([UV, "build", "-q", "--wheel", "--out-dir", str(out), str(source)], timeout=INSTALL_TIMEOUT, needs_index=True)
    (wheel,) = out.glob("autograder-*.whl")
    return wheel


class Tools:
    """The helpers above, handed to tests as a fixture (test modules cannot import a conftest)."""

    run = staticmethod(run)
    make_env = staticmethod(make_env)
    copy_checkout = staticmethod(copy_checkout)
    REPO = REPO


@pytest.fixture(scope="session")
def tools() -> type[Tools]:
    return Tools

"""Write a Gradescope autograder archive for one assignment (no reference code inside).

Layout of the zip (Gradescope unpacks it into /autograder/source)::

    setup.sh, run_autograder          Gradescope's two entry points
    wheels/autograder-*.whl           this package (engine and sandbox; no assignment, no reference)
    assignment/                       a starter kit: spec.toml, probes.py, README.md, public_cases.npz
    private/graded_cases.npz          public and hidden cases with expected values (pickle-free)
    private/config.json               the hidden seed and the visibility settings

``setup.sh`` makes ``private/`` readable by root only; student code runs under another uid.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from autograder.grading.assignment import Assignment
from autograder.grading.kit import write_kit
from autograder.grading.fixtures import write_suite
from autograder.grading.prepare import prepare_suite
from autograder.gradescope.results import HIDDEN_CASE_VISIBILITIES, VISIBILITIES

GRADED_CASES = "private/graded_cases.npz"
CONFIG = "private/config.json"
KIT = "assignment"
FORMAT = "autograder-gradescope/1"


class ArchiveError(Exception):
    """The archive cannot be written (no wheel, an assignment without reference...)."""


@dataclass(frozen=True)
class ArchiveSettings:
    """What an instructor chooses for a Gradescope archive."""

    hidden_seed: int
    hidden_visibility: str = "after_published"  # of the graded tests that include hidden cases
    stdout_visibility: str = "hidden"  # run_autograder's log (isolation report): instructors only

    def __post_init__(self) -> None:
        if self.hidden_visibility not in HIDDEN_CASE_VISIBILITIES:
            raise ArchiveError(f"hidden visibility must be one of {', '.join(HIDDEN_CASE_VISIBILITIES)}")
        if self.stdout_visibility not in VISIBILITIES:
            raise ArchiveError(f"stdout visibility must be one of {', '.join(VISIBILITIES)}")
        if type(self.hidden_seed) is not int or not 0 < self.hidden_seed < 2**63:
            raise ArchiveError("the hidden seed must be a positive integer")


def random_seed() -> int:
    """A fresh secret seed for the hidden cases."""
    return secrets.randbelow(2**31 - 2) + 1


def write_archive(
    assignment: Assignment, output: str | os.PathLike[str], settings: ArchiveSettings, wheel: Path | None = None
) -> Path:
    """Write ``assignment``'s Gradescope archive to ``output`` (a .zip).

    ``wheel`` is this package's wheel; without it one is built from the source checkout. Returns
    the path written; raises ArchiveError when the assignment is a starter kit or no wheel can be had.
    """
    if assignment.is_kit or assignment.reference is None:
        raise ArchiveError(f"{assignment.name!r} is a starter kit: export a repository assignment")
    target = Path(output)
    with tempfile.TemporaryDirectory(prefix="autograder-gradescope-") as scratch:
        staging = Path(scratch)
        wheel_path = wheel if wheel is not None else build_wheel(staging / "wheel")
        if not wheel_path.is_file() or wheel_path.suffix != ".whl":
            raise ArchiveError(f"{wheel_path} is not a wheel")
        write_kit(assignment, staging / KIT)
        (staging / "private").mkdir()
        suite = prepare_suite(assignment, "hidden", settings.hidden_seed)
        write_suite(
            suite, staging / GRADED_CASES, assignment=assignment.name, version=assignment.version, mode="hidden"
        )
        config = {
            "format": FORMAT,
            "assignment": assignment.name,
            "version": assignment.version,
            "file": assignment.file,
            "hidden_seed": settings.hidden_seed,
            "hidden_visibility": settings.hidden_visibility,
            "stdout_visibility": settings.stdout_visibility,
        }
        (staging / CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in ("setup.sh", "run_autograder"):
                _add(
                    archive,
                    name,
                    resources.files("autograder.gradescope").joinpath("files", name).read_bytes(),
                    executable=True,
                )
            _add(archive, f"wheels/{wheel_path.name}", wheel_path.read_bytes())
            for path in sorted((staging / KIT).iterdir()):
                if path.suffix in (".py", ".ipynb") and path.stem == Path(assignment.file).stem:
                    continue  # the starter files: not needed to grade
                _add(archive, f"{KIT}/{path.name}", path.read_bytes())
            for name in (GRADED_CASES, CONFIG):
                _add(archive, name, (staging / name).read_bytes(), private=True)
    return target


def build_wheel(directory: Path) -> Path:
    """Build this package's wheel from its source checkout into ``directory``; raise ArchiveError."""
    project = Path(__file__).resolve().parents[2]
    if not (project / "pyproject.toml").is_file():
        raise ArchiveError(
            "no source checkout to build the wheel from: pass --wheel (made with `pip wheel --no-deps .`)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(directory),
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    wheels = sorted(directory.glob("autograder-*.whl"))
    if done.returncode != 0 or not wheels:
        raise ArchiveError(f"building the wheel failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return wheels[-1]


def _add(archive: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False, private: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    mode = 0o755 if executable else 0o600 if private else 0o644
    info.external_attr = (0o100000 | mode) << 16
    archive.writestr(info, data)

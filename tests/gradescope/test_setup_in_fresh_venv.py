"""The archive as Gradescope uses it: setup.sh into a fresh venv, then run_autograder per submission."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import nbformat
import pytest

from autograder.grading.engine import grade_source
from autograder.grading.mistakes import variant_source
from autograder.grading.notebook import notebook_from_source
from tests.slots import worker_slot

# One worker builds the session's archive and this module's venv once (scripts/test runs pytest-xdist).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("gradescope")]


def _environment(root: Path) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    environment["AUTOGRADER_GRADESCOPE_ROOT"] = str(root)
    environment["AUTOGRADER_SANDBOX_SLOT"] = str(worker_slot(786))
    # Offline-capable: pip's own configuration (index, caches) plus the directory of the archive's wheel.
    # --no-compile: byte-compiling every installed module (numpy's tests too) cost setup.sh 1.8 s of
    # CPU; what grading imports is compiled on first import instead, as root, into the same venv.
    options = os.environ.get("AUTOGRADER_TEST_PIP_OPTIONS", "")
    environment.setdefault("AUTOGRADER_PIP_OPTIONS", f"--no-compile {options}".strip())
    return environment


@pytest.fixture(scope="module")
def installed_root(archive: Path) -> Iterator[Path]:
    """A directory laid out like Gradescope's /autograder, with setup.sh run in it."""
    root = Path(tempfile.mkdtemp(prefix="gradescope-venv-"))
    root.chmod(0o755)
    try:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(root / "source")
        for script in ("setup.sh", "run_autograder"):
            (root / "source" / script).chmod(0o755)  # Gradescope keeps the modes the zip records
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        (root / "results").mkdir()
        done = subprocess.run(
            ["bash", str(root / "source" / "setup.sh")],
            cwd=root / "source",
            env=_environment(root),
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "sandbox isolation:" in done.stdout
        assert (root / "venv" / "bin" / "python").is_file()
        private = root / "source" / "private"
        assert private.stat().st_mode & 0o777 == 0o700
        assert all(path.stat().st_mode & 0o777 == 0o600 and path.stat().st_uid == 0 for path in private.iterdir())
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _notebook(source: str) -> bytes:
    notebook = notebook_from_source(source, "Losses", "Submitted to Gradescope.")
    notebook.cells.insert(1, nbformat.v4.new_code_cell("%load_ext autoreload\n!nvidia-smi\nimport numpy as np"))
    notebook.cells.append(nbformat.v4.new_code_cell("print(softmax(np.zeros((1, 3))))"))
    return nbformat.writes(notebook).encode()


def _run(root: Path, filename: str, data: bytes) -> dict:
    for path in (root / "submission").iterdir():
        path.unlink()
    (root / "results" / "results.json").unlink(missing_ok=True)
    (root / "submission" / filename).write_bytes(data)
    done = subprocess.run(
        [str(root / "run_autograder")], cwd=root, env=_environment(root), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.parametrize("kind", ["ipynb", "py"])
def test_run_autograder_grades_correct_and_wrong_files(
    installed_root, losses, results_schema, service_executor, seed, kind
):
    mistake = next(item for item in losses.mistakes if item.function == "cross_entropy_grad")
    for source, full in ((losses.reference_source, True), (variant_source(losses, mistake), False)):
        data = source.encode() if kind == "py" else _notebook(source)
        results = _run(installed_root, f"losses.{kind}", data)
        jsonschema.validate(results, results_schema, cls=jsonschema.Draft202012Validator)
        service = grade_source(
            losses, data, service_executor, mode="hidden", hidden_seed=seed, filename=f"losses.{kind}"
        )
        assert results["score"] == service.score
        graded = {
            test["name"]: test["score"] for test in results["tests"] if test["extra_data"]["role"] != "public cases"
        }
        assert graded == {test.name: test.score for test in service.tests}
        if full:
            assert results["score"] == 35
        else:
            lost = {test["extra_data"]["function"] for test in results["tests"] if test["score"] < test["max_score"]}
            assert lost == {"cross_entropy_grad"} and results["score"] < 35

"""The Gradescope archive: contents, grading in a Gradescope-like root, results.json against the spec."""

from __future__ import annotations

import io
import json
import os
import signal
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import numpy as np
import pytest
from click.testing import CliRunner

from autograder.cli import main as autograder_main
from autograder.grading.engine import grade_source
from autograder.grading.mistakes import variant_source
from autograder.grading.prepare import prepare_suite
from autograder.gradescope import run
from autograder.gradescope.archive import ArchiveError, ArchiveSettings

from autograder.grading.notebook import notebook_from_source
from autograder.sandbox import SandboxOptions, open_executor
from tests.gradescope.conftest import GRADESCOPE_TEST_SLOT
from tests.jobs.api_submissions import slow_mse

# With the Gradescope setup test, on one worker: the session's archive is built once.
pytestmark = pytest.mark.xdist_group("gradescope")


def notebook_bytes(source: str) -> bytes:
    """A student's notebook of ``source``: cells per function, markdown, a magic and a shell escape."""
    notebook = notebook_from_source(source, "Losses", "My work.")
    notebook.cells.insert(1, nbformat.v4.new_code_cell("%matplotlib inline\n!pip install numpy\nimport numpy as np"))
    notebook.cells.append(nbformat.v4.new_code_cell("print(mse(np.ones(2), np.zeros(2)))"))
    return nbformat.writes(notebook).encode()


def validate(results: dict, schema: dict) -> None:
    jsonschema.validate(results, schema, cls=jsonschema.Draft202012Validator)


def grade_in_root(root: Path) -> dict:
    assert run.main(["--root", str(root)]) == 0
    return json.loads((root / "results" / "results.json").read_text())


def graded_scores(results: dict) -> dict[str, float]:
    return {test["name"]: test["score"] for test in results["tests"] if test["extra_data"]["role"] != "public cases"}


def service_scores(losses, data: bytes, filename: str, executor, seed: int) -> tuple[float, dict[str, float]]:
    report = grade_source(losses, data, executor, mode="hidden", hidden_seed=seed, filename=filename)
    return report.score, {test.name: test.score for test in report.tests}


def test_archive_holds_no_reference_code(archive, losses, seed):
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert {"setup.sh", "run_autograder", "private/graded_cases.npz", "private/config.json"} <= set(names)
        assert any(name.startswith("wheels/autograder-") and name.endswith(".whl") for name in names)
        assert opened.getinfo("run_autograder").external_attr >> 16 & 0o111
        blobs = [opened.read(name) for name in names]
        for name in names:
            if name.endswith(".whl"):
                with zipfile.ZipFile(io.BytesIO(opened.read(name))) as wheel:
                    assert not any("assignments/" in member or "reference" in member for member in wheel.namelist())
                    blobs += [wheel.read(member) for member in wheel.namelist()]
            if name.endswith(".npz"):
                with np.load(io.BytesIO(opened.read(name)), allow_pickle=False) as arrays:
                    blobs += [arrays[key].tobytes() for key in arrays.files]
        assert json.loads(opened.read("private/config.json"))["hidden_seed"] == seed
    reference = losses.reference_source
    bodies = [block for block in reference.split("\n\n\n") if block.startswith("def ") and len(block) > 80]
    assert bodies
    for body in bodies:
        inner = body.split('"""')[-1].strip()  # the code after the docstring
        assert not any(inner.encode() in blob for blob in blobs), inner


@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_correct_file_gets_full_marks_and_valid_results(losses, gradescope_root, results_schema, kind):
    data = losses.reference_source.encode() if kind == "py" else notebook_bytes(losses.reference_source)
    results = grade_in_root(gradescope_root(f"losses.{kind}", data))
    validate(results, results_schema)
    assert results["score"] == losses.max_score == 35
    assert sum(test["max_score"] for test in results["tests"]) == 35
    graded = [test for test in results["tests"] if test["extra_data"]["role"].startswith("graded:")]
    public = [test for test in results["tests"] if test["extra_data"]["role"] == "public cases"]
    assert graded and len(public) == len(graded)
    assert {test["visibility"] for test in graded} == {"after_published"}
    assert all(test["visibility"] == "visible" and test["max_score"] == 0 for test in public)
    diagnostics = [test for test in results["tests"] if test["extra_data"]["role"] == "diagnostic"]
    assert diagnostics and all(test["visibility"] == "visible" and test["max_score"] == 0 for test in diagnostics)
    assert results["stdout_visibility"] == "hidden" and results["execution_time"] > 0
    assert results["extra_data"]["isolation"]["unprivileged_uid"] is True
    if kind == "ipynb":
        assert "%matplotlib inline" in results["output"]


@pytest.mark.parametrize("kind", ["py", "ipynb"])
def test_wrong_file_is_graded_exactly_as_the_service_does(
    losses, gradescope_root, results_schema, service_executor, seed, kind
):
    mistake = next(item for item in losses.mistakes if item.function == "binary_cross_entropy")
    source = variant_source(losses, mistake)
    data = source.encode() if kind == "py" else notebook_bytes(source)
    results = grade_in_root(gradescope_root(f"losses.{kind}", data))
    validate(results, results_schema)
    total, per_test = service_scores(losses, data, f"losses.{kind}", service_executor, seed)
    assert results["score"] == total < 35
    assert graded_scores(results) == per_test
    lost = {test["extra_data"]["function"] for test in results["tests"] if test["score"] < test["max_score"]}
    assert lost == {"binary_cross_entropy"}
    public_twin = next(
        test
        for test in results["tests"]
        if test["name"].startswith("binary_cross_entropy: ")
        and test["extra_data"]["role"] == "public cases"
        and test["status"] == "failed"
    )
    assert public_twin["output"] and public_twin["visibility"] == "visible"


def test_docker_like_container_degrades_to_uid_and_seccomp_and_keeps_expected_values_root_only(
    losses, gradescope_root, results_schema
):
    # The runner under the namespace rules of Docker's default seccomp profile, as in Gradescope's container.
    root = gradescope_root("losses.py", b"")
    secret = root / "source" / "private" / "graded_cases.npz"
    snoop = (
        losses.reference_source + "\n\ndef mse(y_pred, y_true):\n"
        f"    return float(len(open({str(secret)!r}, 'rb').read()))\n"
    )
    (root / "submission" / "losses.py").write_text(snoop)
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("docker_like_seccomp.py")),
            sys.executable,
            "-m",
            "autograder.gradescope.run",
            "--root",
            str(root),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sandbox isolation: reduced; layers: drop_uid, seccomp" in done.stdout
    assert "unshare: Operation not permitted" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results, results_schema)
    isolation = results["extra_data"]["isolation"]
    assert isolation["level"] == "reduced" and isolation["layers"] == ["drop_uid", "seccomp"]
    assert isolation["unprivileged_uid"] is True
    mse = [test for test in results["tests"] if test["extra_data"]["function"] == "mse" and test["max_score"] > 0]
    assert all(test["score"] == 0 for test in mse)
    assert any("PermissionError" in test["output"] for test in mse)
    assert results["score"] == 31  # every other function is graded as usual


def test_without_an_unprivileged_uid_the_runner_refuses(gradescope_root, monkeypatch, losses, results_schema):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_DISABLE_LAYERS", "namespaces,jail_root,drop_uid")
    monkeypatch.delenv("AUTOGRADER_ALLOW_INSECURE_SANDBOX", raising=False)
    results = grade_in_root(gradescope_root("losses.py", losses.reference_source.encode()))
    validate(results, results_schema)
    assert results["score"] == 0 and "could not start its sandbox" in results["output"]
    assert results["extra_data"]["isolation"]["unprivileged_uid"] is False


def test_no_single_submission_file_gets_a_clear_result(gradescope_root, results_schema):
    root = gradescope_root("notes.txt", b"hello")
    (root / "submission" / "a.py").write_text("x = 1\n")
    (root / "submission" / "b.py").write_text("x = 2\n")
    results = grade_in_root(root)
    validate(results, results_schema)
    assert results["score"] == 0 and "Submit one file: losses.py or losses.ipynb" in results["output"]


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "outside"])
def test_a_link_in_the_submission_is_never_read(gradescope_root, results_schema, target, tmp_path):
    # The runner is root: a link to a machine file would have its content graded (its first line
    # shown in a syntax error), one to /dev/zero read forever.
    root = gradescope_root("notes.txt", b"hello")
    if target == "outside":
        target = str(tmp_path / "elsewhere.py")
        Path(target).write_text("SECRET_FROM_OUTSIDE = 1\n")
    (root / "submission" / "losses.py").symlink_to(target)
    results = grade_in_root(root)
    validate(results, results_schema)
    assert results["score"] == 0 and "Submit one file: losses.py or losses.ipynb" in results["output"]
    assert "root:" not in json.dumps(results) and "SECRET_FROM_OUTSIDE" not in json.dumps(results)


def test_probe_reports_the_isolation(gradescope_root, capsys):
    root = gradescope_root("losses.py", b"x = 1\n")
    assert run.main(["--root", str(root), "--probe"]) == 0
    assert "sandbox isolation:" in capsys.readouterr().out
    assert not (root / "results" / "results.json").exists()


def test_schema_rejects_what_the_specification_does_not_allow(results_schema):
    good = {
        "score": 1,
        "tests": [{"name": "t", "score": 1, "max_score": 1, "status": "passed", "visibility": "visible"}],
    }
    validate(good, results_schema)
    for bad in (
        {"tests": [{"name": "t"}]},
        {"score": 1, "visibility": "sometimes"},
        {"score": 1, "tests": [{"score": 1, "status": "ok"}]},
        {"score": 1, "max_score": 3},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, results_schema)


def test_command_writes_an_archive_and_refuses_bad_settings(wheel, tmp_path):
    output = tmp_path / "gradient_check.zip"
    outcome = CliRunner().invoke(
        autograder_main,
        ["gradescope", "gradient_check", "-o", str(output), "--wheel", str(wheel), "--hidden-visibility", "hidden"],
    )
    assert outcome.exit_code == 0, outcome.output
    with zipfile.ZipFile(output) as opened:
        config = json.loads(opened.read("private/config.json"))
    assert config["hidden_visibility"] == "hidden" and config["hidden_seed"] > 0
    with pytest.raises(ArchiveError):
        ArchiveSettings(hidden_seed=0)
    with pytest.raises(ArchiveError):
        ArchiveSettings(hidden_seed=5, hidden_visibility="visible-ish")


# mse sleeps on its first call, within its 1 s limit: a zygote killed meanwhile fails that unit under the student.
SLEEPY_MSE = slow_mse(0.7)


def _zygote_killer(executor, stop: threading.Event, once: bool) -> threading.Thread:
    def kill() -> None:
        stop.wait(0.3)  # inside mse's sleep
        while not stop.is_set():
            pid = executor.zygote_pid
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                if once:
                    return
            stop.wait(0.05)

    thread = threading.Thread(target=kill)
    thread.start()
    return thread


def test_a_sandbox_failing_once_is_graded_again_not_scored(losses, gradescope_root, service_executor):
    if not hasattr(service_executor, "zygote_pid"):
        pytest.skip("this executor has no zygote to kill")
    root = gradescope_root("losses.py", (losses.reference_source + SLEEPY_MSE).encode())
    restarts, stop = service_executor.restarts, threading.Event()
    killer = _zygote_killer(service_executor, stop, once=True)
    try:
        results = run.grade_submission_file(root / "source", root / "submission" / "losses.py", service_executor)
    finally:
        stop.set()
        killer.join()
    assert service_executor.restarts > restarts  # the kill landed
    assert results["score"] == 35


def test_a_sandbox_failing_again_writes_no_score(losses, gradescope_root, service_executor):
    if not hasattr(service_executor, "zygote_pid"):
        pytest.skip("this executor has no zygote to kill")
    root = gradescope_root("losses.py", (losses.reference_source + SLEEPY_MSE).encode())
    stop = threading.Event()
    killer = _zygote_killer(service_executor, stop, once=False)
    try:
        with pytest.raises(run.SandboxFailed, match="the grader's sandbox"):
            run.grade_submission_file(root / "source", root / "submission" / "losses.py", service_executor)
    finally:
        stop.set()
        killer.join()


def _public_mse_inputs(losses) -> set[float]:
    """The first entry of every public input of mse: what a student reads in the kit's public_cases.npz."""
    suite = prepare_suite(losses, "public", None)
    return {
        float(call.args[0].flat[0]) for function in suite.functions for call in function.calls if call.function == "mse"
    }


def test_hidden_units_run_after_everything_students_see(losses, gradescope_root):
    # In Docker's reduced isolation there is no jail: reading a world-readable file sets its access
    # time, which a later unit can see. A hidden unit that touched a file once showed that to the
    # public cases' run, whose output is always visible: 64 such files carried a hidden input's
    # float64. Everything visible must be computed before the first hidden unit runs.
    folder = Path(tempfile.mkdtemp(prefix="atime-carrier-"))
    try:
        folder.chmod(0o755)
        carrier = folder / "carrier"
        carrier.write_bytes(b"x")
        carrier.chmod(0o644)
        past = carrier.stat().st_mtime - 1000
        os.utime(carrier, (past, past))  # read now, its access time moves (relatime)
        submission = losses.reference_source + (
            "\n\nimport os as _os\n_PUBLIC = " + repr(_public_mse_inputs(losses)) + "\n"
            "_mse = mse\n\n"
            "def mse(y_pred, y_true):\n"
            f"    carrier = {str(carrier)!r}\n"
            "    if float(y_pred.flat[0]) not in _PUBLIC:\n"
            "        open(carrier, 'rb').read()\n"
            "    elif _os.stat(carrier).st_atime > _os.stat(carrier).st_mtime:\n"
            "        print('A HIDDEN UNIT RAN BEFORE ME')  # shown with the public case it fails\n"
            "        return _mse(y_pred, y_true) + 1.0\n"
            "    return _mse(y_pred, y_true)\n"
        )
        root = gradescope_root("losses.py", submission.encode())
        docker_like = SandboxOptions(disabled_layers=("namespaces", "jail_root"))
        executor = open_executor(slot=GRADESCOPE_TEST_SLOT, options=docker_like)
        try:
            results = run.grade_submission_file(root / "source", root / "submission" / "losses.py", executor)
        finally:
            executor.close()
        if carrier.stat().st_atime <= past:
            pytest.skip("this file system does not update access times on reads")
        visible = [test["output"] for test in results["tests"] if test["visibility"] == "visible"]
        assert not any("A HIDDEN UNIT RAN BEFORE ME" in output for output in visible), visible
        assert results["score"] == 35
    finally:
        shutil.rmtree(folder, ignore_errors=True)

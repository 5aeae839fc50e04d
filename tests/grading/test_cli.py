"""The `grade` and `autograder kit` commands: output, JSON shape and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from autograder.cli import main as autograder_main
from autograder.cli.grade import main as grade_main

TOY = Path(__file__).parent / "fixtures" / "toy"


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "toy.py"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def test_full_marks_exit_zero_and_tables(tmp_path):
    file = _write(tmp_path, (TOY / "reference.py").read_text())
    outcome = CliRunner().invoke(grade_main, [str(TOY), str(file)])
    assert outcome.exit_code == 0, outcome.output
    assert "score: 12/12" in outcome.output and "linear_backward" in outcome.output


def test_json_is_gradescope_shaped_and_exit_one(tmp_path):
    file = _write(tmp_path, (TOY / "starter.py").read_text())
    outcome = CliRunner().invoke(grade_main, [str(TOY), str(file), "--json"])
    assert outcome.exit_code == 1
    data = json.loads(outcome.output)
    assert data["score"] == 0 and data["max_score"] == 12 and data["assignment"] == "toy"
    assert data["grader_version"] and len(data["tests"]) == 9
    assert {test["function"] for test in data["tests"]} == {
        "scale", "square_loss", "square_loss_grad", "linear_forward", "linear_backward", "apply_twice"}


def test_bad_file_gets_a_message_not_a_traceback(tmp_path):
    file = _write(tmp_path, b"def scale(x, factor)\n    return x\n")
    outcome = CliRunner().invoke(grade_main, [str(TOY), str(file)])
    assert outcome.exit_code == 1 and outcome.exception is None or isinstance(outcome.exception, SystemExit)
    assert "syntax error on line 1" in outcome.output and "Traceback" not in outcome.output


def test_usage_errors_exit_two(tmp_path):
    file = _write(tmp_path, "x = 1\n")
    unknown = CliRunner().invoke(grade_main, ["no_such_assignment", str(file)])
    assert unknown.exit_code == 2 and "no assignment called 'no_such_assignment'" in unknown.output
    missing = CliRunner().invoke(grade_main, [str(TOY), str(tmp_path / "missing.py")])
    assert missing.exit_code == 2


def test_kit_command_then_grade_the_kit(tmp_path):
    kit = tmp_path / "kit"
    outcome = CliRunner().invoke(autograder_main, ["kit", str(TOY), "-o", str(kit)])
    assert outcome.exit_code == 0, outcome.output
    assert sorted(path.name for path in kit.iterdir()) == ["README.md", "probes.py", "public_cases.npz",
                                                            "spec.toml", "toy.ipynb", "toy.py"]
    graded = CliRunner().invoke(grade_main, [str(kit), str(kit / "toy.py"), "--json"])
    assert graded.exit_code == 1 and json.loads(graded.output)["score"] == 0
    again = CliRunner().invoke(autograder_main, ["kit", str(TOY), "-o", str(kit)])
    assert again.exit_code == 0  # the untouched starter may be rewritten
    (kit / "toy.py").write_text("# my work\n")
    refused = CliRunner().invoke(autograder_main, ["kit", str(TOY), "-o", str(kit)])
    assert refused.exit_code == 1 and "not overwriting your work" in refused.output


def test_a_bare_word_is_a_name_even_beside_a_folder_of_that_name(tmp_path, monkeypatch):
    # Students often keep their work in a folder named after the assignment.
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "notes.txt").write_text("my work\n")
    monkeypatch.setenv("AUTOGRADER_ASSIGNMENTS_DIR", str(TOY.parent))
    monkeypatch.chdir(tmp_path)
    file = _write(tmp_path, (TOY / "reference.py").read_text())
    outcome = CliRunner().invoke(grade_main, ["toy", str(file)])
    assert outcome.exit_code == 0, outcome.output
    assert "score: 12/12" in outcome.output


def test_a_path_or_a_kit_of_that_name_is_a_folder(tmp_path, monkeypatch):
    from autograder.cli.grade import names_a_folder

    monkeypatch.chdir(tmp_path)
    (tmp_path / "losses").mkdir()
    assert not names_a_folder("losses")  # a work folder without public_cases.npz
    assert names_a_folder("./losses") and names_a_folder("kits/losses") and names_a_folder(".")
    built = CliRunner().invoke(autograder_main, ["kit", str(TOY), "-o", "toy"])
    assert built.exit_code == 0, built.output
    assert names_a_folder("toy")  # an unpacked kit in the current directory
    outcome = CliRunner().invoke(grade_main, ["toy", "toy/toy.py", "--json"])
    assert outcome.exit_code == 1 and json.loads(outcome.output)["assignment"] == "toy"


def test_the_console_script_flushes_its_output_and_exits_with_the_verdict(tmp_path):
    # `grade` (autograder.grade_script) leaves with os._exit, no interpreter teardown: nothing printed may be lost.
    grade = Path(sys.executable).with_name("grade")
    file = _write(tmp_path, (TOY / "starter.py").read_text())
    graded = subprocess.run([str(grade), str(TOY), str(file), "--json"], capture_output=True, text=True, timeout=300)
    assert graded.returncode == 1 and json.loads(graded.stdout)["score"] == 0, graded.stderr
    tables = subprocess.run([str(grade), str(TOY), str(file)], capture_output=True, text=True, timeout=300)
    assert tables.returncode == 1 and tables.stdout.rstrip().splitlines()[-1].startswith("score: 0/12")
    # A usage error after the zygote was started: the zygote goes quietly.
    unknown = subprocess.run([str(grade), "no_such_assignment", str(file)], capture_output=True, text=True, timeout=300)
    assert unknown.returncode == 2 and "no assignment called" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    # The console script starts the zygote before click parses the command line.
    bad_option = subprocess.run([str(grade), str(TOY), str(file), "--bogus"], capture_output=True, text=True,
                                timeout=300)
    assert bad_option.returncode == 2 and "No such option" in bad_option.stderr
    assert "Traceback" not in bad_option.stderr


def test_a_file_that_is_not_a_regular_file_is_refused_without_waiting_for_it(tmp_path):
    # A TA grading a student's folder: a FIFO named toy.py blocked `grade` forever in open(), and a
    # link to /dev/zero read until memory ran out, in the grader's own process.
    grade = Path(sys.executable).with_name("grade")
    fifo = tmp_path / "toy.py"
    os.mkfifo(fifo)
    device = tmp_path / "other.py"
    device.symlink_to("/dev/zero")
    for file in (fifo, device):
        graded = subprocess.run([str(grade), str(TOY), str(file)], capture_output=True, text=True, timeout=120)
        assert graded.returncode == 2 and "not a regular file" in graded.stderr, graded.stderr
        assert "Traceback" not in graded.stderr


def test_a_file_larger_than_any_submission_is_refused_before_it_is_read(tmp_path):
    file = tmp_path / "toy.py"
    with open(file, "wb") as handle:
        handle.truncate(200 << 20)  # sparse: no disk used
    outcome = CliRunner().invoke(grade_main, [str(TOY), str(file)])
    assert outcome.exit_code == 2 and "too large to grade" in outcome.output, outcome.output

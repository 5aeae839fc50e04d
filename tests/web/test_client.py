"""The terminal client against a real HTTP server."""

import io
from pathlib import Path

import pytest

from autograder import client as submit_client
from autograder.services import accounts

REFERENCE = Path(__file__).resolve().parents[2] / "assignments" / "losses" / "reference.py"


def test_submit_waits_for_the_result_and_prints_it(live_server, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    seen = []
    result = submit_client.submit(live_server, token, "losses", REFERENCE, poll_seconds=0.2,
                                  on_progress=lambda s: seen.append(s["status"]))
    assert result["status"] == "done" and result["score"] == 35
    assert seen[-1] == "done"
    out = io.StringIO()
    submit_client.print_result(result, out)
    assert "score: 35 / 35" in out.getvalue() and "✓ mse: random shapes" in out.getvalue()


def test_refusals_become_readable_errors(live_server, factory, tmp_path):
    with pytest.raises(submit_client.SubmitError, match="401.*token"):
        submit_client.submit(live_server, "bad-token", "losses", REFERENCE)
    with pytest.raises(submit_client.SubmitError, match="cannot read"):
        submit_client.submit(live_server, "bad-token", "losses", tmp_path / "missing.py")
    with pytest.raises(submit_client.SubmitError, match="cannot reach"):
        submit_client.submit("http://127.0.0.1:9", "token", "losses", REFERENCE)


def test_settings_from_env_then_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('url = "http://grader.example/"\ntoken = "from-file"\n')
    settings = submit_client.load_settings(config, environ={})
    assert (settings.server, settings.token) == ("http://grader.example", "from-file")
    settings = submit_client.load_settings(config, environ={"AUTOGRADER_TOKEN": "from-env"})
    assert settings.token == "from-env"
    with pytest.raises(submit_client.SubmitError, match="AUTOGRADER_URL"):
        submit_client.load_settings(tmp_path / "none.toml", environ={})


def test_grade_submit_command_prints_the_server_result(live_server, factory, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from autograder.cli.grade import main as grade_main

    student = factory.user()
    factory.course(students=(student,))
    monkeypatch.setenv("AUTOGRADER_URL", live_server)
    monkeypatch.setenv("AUTOGRADER_TOKEN", accounts.issue_api_token(student))
    monkeypatch.setenv("HOME", str(tmp_path))
    result = CliRunner().invoke(grade_main, ["losses", str(REFERENCE), "--submit"])
    assert result.exit_code == 0, result.output
    assert "score: 35 / 35" in result.output


def test_submit_a_notebook_sends_its_cells_without_outputs(live_server, factory, tmp_path):
    import nbformat

    from autograder.grading.notebook import notebook_from_source

    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    notebook = notebook_from_source(REFERENCE.read_text(), "Losses")
    notebook.cells[1].outputs = [nbformat.v4.new_output("stream", text="x" * 2_000_000)]
    path = tmp_path / "losses.ipynb"
    path.write_text(nbformat.writes(notebook))
    result = submit_client.submit(live_server, token, "losses", path, poll_seconds=0.2)
    assert result["status"] == "done" and result["score"] == 35
    path.write_text('{"not": "a notebook"}')
    with pytest.raises(submit_client.SubmitError, match="not a Jupyter notebook"):
        submit_client.submit(live_server, token, "losses", path)

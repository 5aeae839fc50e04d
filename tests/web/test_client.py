"""The terminal client against a real HTTP server."""

import io
import os
import time
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


@pytest.mark.parametrize("server", ["http://grader.example.edu", "HTTP://grader.example.edu:8080/", "http://10.0.0.7"])
def test_the_token_never_crosses_the_network_unencrypted(monkeypatch, server):
    # A careless `url = "http://..."`: anyone on the lab's Wi-Fi reads the token and then submits
    # in the student's name and reads their results. The client refuses before it sends anything.
    sent = []

    def urlopen(request, timeout):
        sent.append(request.headers)
        raise OSError("not sent anywhere")

    monkeypatch.setattr(submit_client.urllib.request, "urlopen", urlopen)
    with pytest.raises(submit_client.SubmitError, match="https://"):
        submit_client.submit(server, "ag_secret", "losses", REFERENCE, wait=False)
    assert sent == []


def test_settings_from_env_then_config_file(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('url = "http://grader.example/"\ntoken = "from-file"\n')
    config.chmod(0o600)
    settings = submit_client.load_settings(config, environ={})
    assert (settings.server, settings.token) == ("http://grader.example", "from-file")
    settings = submit_client.load_settings(config, environ={"AUTOGRADER_TOKEN": "from-env"})
    assert settings.token == "from-env"
    with pytest.raises(submit_client.SubmitError, match="AUTOGRADER_URL"):
        submit_client.load_settings(tmp_path / "none.toml", environ={})


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_token_file_other_users_of_the_computer_can_read_is_refused(tmp_path, mode):
    # A lab's shared Linux server: with the usual umask the file is readable by every account on it,
    # the classmates' included, and the token submits in the student's name.
    config = tmp_path / "config.toml"
    config.write_text('url = "https://grader.example/"\ntoken = "from-file"\n')
    config.chmod(mode)
    with pytest.raises(submit_client.SubmitError, match="chmod 600"):
        submit_client.load_settings(config, environ={})
    # The token from the environment does not read the file's token: nothing to refuse.
    assert submit_client.load_settings(config, environ={"AUTOGRADER_TOKEN": "from-env"}).token == "from-env"


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


def test_cooldown_429_is_waited_out_then_sent_again(app, live_server, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 2
    first = submit_client.submit(live_server, token, "losses", REFERENCE, wait=False)
    waits, slept = [], []

    def sleep(seconds):
        slept.append(seconds)
        import time
        time.sleep(seconds)

    second = submit_client.submit(live_server, token, "losses", REFERENCE, wait=False,
                                  on_wait=lambda seconds, reason: waits.append((seconds, reason)), sleep=sleep)
    assert second["id"] != first["id"] and second["status"] == "queued"
    assert len(waits) >= 1 and 1 <= waits[0][0] <= 2 and "wait" in waits[0][1].lower()
    app.extensions["autograder.grading_queue"].join()


def test_a_429_without_retry_after_is_an_error_not_a_loop(app, live_server, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = 3600
    submit_client.submit(live_server, token, "losses", REFERENCE, wait=False)
    # An hour's wait is longer than the client waits: it says so instead of hanging.
    with pytest.raises(submit_client.SubmitError, match="429.*wait"):
        submit_client.submit(live_server, token, "losses", REFERENCE, wait=False, sleep=lambda s: pytest.fail("slept"))
    app.extensions["autograder.grading_queue"].join()


def test_printed_result_keeps_every_line_of_a_failure_and_the_named_mistake():
    output = "\n".join(f"line {n}" for n in range(1, 12)) + "\nLooks like: sum instead of mean"
    result = {"id": 3, "assignment": "losses", "status": "done", "score": 2, "max_score": 4, "raw_score": 2,
              "late_days": 0, "tests": [
                  {"name": "mse: random shapes", "score": 0, "max_score": 2, "status": "failed",
                   "output": output, "mistake": "sum instead of mean"},
                  {"name": "mse_grad: agrees with your mse", "score": 0, "max_score": 0, "status": "failed",
                   "output": "disagrees"}]}
    out = io.StringIO()
    submit_client.print_result(result, out)
    text = out.getvalue()
    assert "line 11" in text and text.count("sum instead of mean") == 2
    assert "diagnostic, 0 points" in text


def test_reads_of_a_pending_submission_follow_the_servers_retry_after():
    reply = submit_client._Reply  # the client's own reply type
    after = submit_client._next_read_after
    assert after(reply(200, "OK", b"", {"Retry-After": "3"}), 1.0) == 3.0
    assert after(reply(200, "OK", b"", {"Retry-After": "0"}), 1.0) == 1.0  # never faster than asked
    assert after(reply(200, "OK", b"", {"Retry-After": "3600"}), 1.0) == submit_client.MAX_POLL_WAIT_SECONDS
    assert after(reply(200, "OK", b"", {"Retry-After": "soon"}), 0.5) == 0.5
    assert after(reply(200, "OK", b"", {}), 0.5) == 0.5


def test_submit_waits_between_reads_through_its_sleep(live_server, factory):
    student = factory.user()
    factory.course(students=(student,))
    token = accounts.issue_api_token(student)
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        time.sleep(0.05)

    result = submit_client.submit(live_server, token, "losses", REFERENCE, poll_seconds=0.2, sleep=sleep)
    assert result["status"] == "done"
    assert slept and all(0.2 <= seconds <= submit_client.MAX_POLL_WAIT_SECONDS for seconds in slept)


def test_the_account_page_gives_the_sites_own_https_address_to_copy(app, client, factory, login):
    # Behind a TLS-terminating proxy the request's own URL is http://: copied, the client refuses it.
    app.config["PUBLIC_URL"] = "https://grader.example.edu"
    login(factory.user())
    page = client.get("/account").get_data(as_text=True)
    assert "export AUTOGRADER_URL=https://grader.example.edu\n" in page

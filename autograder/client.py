"""Terminal client of the submission API: `grade --submit` sends a file and prints its result."""

from __future__ import annotations

import os
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

import requests

from autograder.grading.notebook import NotebookRejected, is_notebook, slim_notebook

CONFIG_PATH = Path("~/.config/autograder/config.toml")
FINISHED = ("done", "error")


class SubmitError(Exception):
    """The submission could not be made or followed; the message says why, for the student."""


@dataclass(frozen=True)
class ClientSettings:
    """Where the server is and who the student is."""

    server: str
    token: str


def load_settings(config_path: Path | None = None, environ: dict[str, str] | None = None) -> ClientSettings:
    """Read server URL and token from env AUTOGRADER_URL / AUTOGRADER_TOKEN, else the config file.

    The config file (~/.config/autograder/config.toml) holds ``url = "..."`` and ``token = "..."``.
    Raises SubmitError when either is missing.
    """
    environ = os.environ if environ is None else environ
    path = (config_path or CONFIG_PATH).expanduser()
    stored: dict[str, Any] = {}
    if path.is_file():
        try:
            stored = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SubmitError(f"{path} is not valid TOML: {error}") from None
    server = environ.get("AUTOGRADER_URL") or str(stored.get("url", ""))
    token = environ.get("AUTOGRADER_TOKEN") or str(stored.get("token", ""))
    if not server or not token:
        raise SubmitError(
            f"set AUTOGRADER_URL and AUTOGRADER_TOKEN, or write url and token in {path} "
            "(create a token on the Account page of the web site)")
    return ClientSettings(server.rstrip("/"), token)


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error") or response.reason)
    except ValueError:
        return f"{response.status_code} {response.reason}"


def submit(server: str, token: str, assignment: str, path: str | os.PathLike[str], wait: bool = True,
           course: str | None = None, timeout: float = 300.0, poll_seconds: float = 1.0,
           session: requests.Session | None = None,
           on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Upload ``path`` as a submission to ``assignment`` and, with ``wait``, poll until it is graded.

    Returns the submission JSON (``status`` "queued" when not waiting). Raises SubmitError for
    refused uploads (message from the server), unreachable servers and time-outs.
    """
    http = session or requests.Session()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    file_path = Path(path)
    try:
        data = file_path.read_bytes()
    except OSError as error:
        raise SubmitError(f"cannot read {file_path}: {error.strerror}") from None
    content_type = "text/x-python"
    if is_notebook(file_path.name, data):
        # Stored outputs are never graded: send the cells only.
        try:
            data = slim_notebook(data, file_path.name).encode("utf-8")
        except NotebookRejected as error:
            raise SubmitError(str(error)) from None
        content_type = "application/x-ipynb+json"
    form = {"course": course} if course else {}
    try:
        response = http.post(f"{server}/api/v1/assignments/{assignment}/submissions", headers=headers,
                             files={"file": (file_path.name, data, content_type)}, data=form, timeout=30)
    except requests.RequestException as error:
        raise SubmitError(f"cannot reach {server}: {error}") from None
    if response.status_code != 202:
        raise SubmitError(f"the server refused the submission ({response.status_code}): {_error_text(response)}")
    submission = response.json()
    if not wait:
        return submission
    deadline = time.monotonic() + timeout
    url = f"{server}/api/v1/submissions/{submission['id']}"
    while True:
        try:
            response = http.get(url, headers=headers, timeout=30)
        except requests.RequestException as error:
            raise SubmitError(f"lost contact with {server}: {error}") from None
        if response.status_code != 200:
            raise SubmitError(f"cannot read submission {submission['id']}: {_error_text(response)}")
        submission = response.json()
        if on_progress is not None:
            on_progress(submission)
        if submission["status"] in FINISHED:
            return submission
        if time.monotonic() > deadline:
            raise SubmitError(f"submission {submission['id']} is still {submission['status']} after {timeout:.0f} s; "
                              f"see {server}/submissions/{submission['id']}")
        time.sleep(poll_seconds)


def print_result(result: dict[str, Any], out: TextIO) -> None:
    """Print a graded submission as a short report: one line per check, failures with their message."""
    out.write(f"submission {result['id']} · {result['assignment']} · {result['status']}\n")
    if result["status"] == "error":
        out.write(f"the grader failed ({result.get('error') or 'no detail'}); it will retry automatically\n")
        return
    if result["status"] != "done":
        out.write("queued; follow it on the web site\n")
        return
    for test in result["tests"]:
        mark = "✓" if test["status"] == "passed" else "✗"
        out.write(f"  {mark} {test['name']:<48} {test['score']:g}/{test['max_score']:g}\n")
        if test["status"] != "passed" and test.get("output"):
            for line in test["output"].splitlines()[:6]:
                out.write(f"      {line}\n")
    late = f" (late by {result['late_days']} day(s); {result['raw_score']:g} before the penalty)" \
        if result.get("late_days") else ""
    out.write(f"score: {result['score']:g} / {result['max_score']:g}{late}\n")


def submit_and_print(assignment: str, path: str | os.PathLike[str], out: TextIO, course: str | None = None,
                     wait: bool = True) -> int:
    """Run `grade --submit`: settings from env/config, submit, print; return the exit status (0 full marks)."""
    try:
        settings = load_settings()
        result = submit(settings.server, settings.token, assignment, path, wait=wait, course=course)
    except SubmitError as error:
        out.write(f"grade: {error}\n")
        return 2
    print_result(result, out)
    if result["status"] == "done" and result["score"] is not None and result["score"] >= result["max_score"]:
        return 0
    return 1

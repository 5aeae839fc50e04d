"""Terminal client of the submission API: `grade --submit` sends a file and prints its result."""

from __future__ import annotations

import ipaddress
import json
import os
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TextIO

from autograder.terminal_text import terminal_safe

CONFIG_PATH = Path("~/.config/autograder/config.toml")
FINISHED = ("done", "error")
# Waiting for the server's Retry-After (cooldown, busy) is worth it up to this long per wait.
MAX_RETRY_WAIT_SECONDS = 300
MAX_RETRIES = 5
MAX_POLL_WAIT_SECONDS = 10  # a Retry-After on a pending submission is obeyed up to this


class SubmitError(Exception):
    """The submission could not be made or followed; the message says why, for the student."""


@dataclass(frozen=True)
class ClientSettings:
    """Where the server is and who the student is."""

    server: str
    token: str


def load_settings(config_path: Path | None = None, environ: Mapping[str, str] | None = None) -> ClientSettings:
    """Read server URL and token from AUTOGRADER_URL / AUTOGRADER_TOKEN, else the config file.

    ``environ`` is the environment to read (default: the process's, through autograder.config).
    The config file (~/.config/autograder/config.toml) holds ``url = "..."`` and ``token = "..."``.
    Raises SubmitError when either is missing.
    """
    from autograder.config import submit_settings

    env_server, env_token = submit_settings(environ)
    path = (config_path or CONFIG_PATH).expanduser()
    stored: dict[str, Any] = {}
    if path.is_file():
        try:
            stored = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SubmitError(f"{path} is not valid TOML: {error}") from None
    server = env_server or str(stored.get("url", ""))
    token = env_token or str(stored.get("token", ""))
    if not env_token and token and os.name == "posix" and path.stat().st_mode & 0o077:
        # As ssh does with a private key: on a shared computer (a lab's Linux server) other accounts,
        # classmates included, would read the token and submit in the student's name.
        raise SubmitError(
            f"{path} holds your API token and other users of this computer can read it: run "
            f"chmod 600 {path} (and make a new token on the Account page if someone may have read it)"
        )
    if not server or not token:
        raise SubmitError(
            f"set AUTOGRADER_URL and AUTOGRADER_TOKEN, or write url and token in {path} "
            "(create a token on the Account page of the web site)"
        )
    return ClientSettings(server.rstrip("/"), token)


@dataclass(frozen=True)
class _Reply:
    status: int
    reason: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


def _error_text(reply: _Reply) -> str:
    try:
        return str(reply.json().get("error") or reply.reason)
    except (ValueError, AttributeError):
        return f"{reply.status} {reply.reason}"


def _retry_after_header(reply: _Reply) -> int | None:
    """The reply's Retry-After in whole seconds, or None when it has none in that form."""
    try:
        return int(reply.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _retry_after(reply: _Reply) -> int | None:
    """Return the seconds a 429/503 asks to wait (Retry-After in seconds), or None if it does not say."""
    seconds = _retry_after_header(reply) if reply.status in (429, 503) else None
    return seconds if seconds is not None and 0 <= seconds <= MAX_RETRY_WAIT_SECONDS else None


def _next_read_after(reply: _Reply, least: float) -> float:
    """Seconds to wait before reading a pending submission again: the server's Retry-After hint
    (it grows with the queue ahead), at least ``least`` and at most MAX_POLL_WAIT_SECONDS."""
    hinted = _retry_after_header(reply)
    if hinted is None:
        return least
    return min(max(float(hinted), least), max(least, MAX_POLL_WAIT_SECONDS))


def _multipart(
    fields: dict[str, str], file_field: str, file_name: str, data: bytes, file_type: str = "text/x-python"
) -> tuple[bytes, str]:
    """Encode a form with one file as multipart/form-data; return the body and its content type."""
    boundary = f"autograder-{uuid.uuid4().hex}"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    safe_name = file_name.replace('"', "_").replace("\r", "_").replace("\n", "_")
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{safe_name}"\r\n'
        f"Content-Type: {file_type}\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _refuse_plain_http(server: str) -> None:
    """Raise SubmitError for an http:// server other than this machine: the token would cross the network readable.

    Anyone on the same network (a lab's Wi-Fi) could then read it, submit in the student's name
    and read their results, until they revoke it. A redirect to https:// comes too late: the
    first request has carried the token already.
    """
    parts = urllib.parse.urlsplit(server)
    if parts.scheme.lower() != "http":
        return
    host = (parts.hostname or "").lower()
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
    if not loopback:
        raise SubmitError(
            f"{server} is not encrypted (http://): your API token would cross the network readable "
            "by anyone on it. Use the server's https:// address."
        )


def _request(url: str, headers: dict[str, str], body: bytes | None = None, timeout: float = 30) -> _Reply:
    """Send one HTTP request (the standard library's client: `grade` installs no HTTP package)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return _Reply(response.status, response.reason, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return _Reply(error.code, str(error.reason), error.read(), dict(error.headers or {}))


def submit(
    server: str,
    token: str,
    assignment: str,
    path: str | os.PathLike[str],
    wait: bool = True,
    course: str | None = None,
    timeout: float = 300.0,
    poll_seconds: float = 1.0,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    on_wait: Callable[[int, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Upload ``path`` as a submission to ``assignment`` and, with ``wait``, poll until it is graded.

    A 429 or 503 with Retry-After (the submission cooldown, a busy server) is waited out and the
    upload sent again, up to MAX_RETRIES times; ``on_wait(seconds, reason)`` is told first.
    Returns the submission JSON (``status`` "queued" when not waiting). Raises SubmitError for
    refused uploads (message from the server), unreachable servers and time-outs.
    """
    _refuse_plain_http(server)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    file_path = Path(path)
    try:
        data = file_path.read_bytes()
    except OSError as error:
        raise SubmitError(f"cannot read {file_path}: {error.strerror}") from None
    file_type = "text/x-python"
    from autograder.grading.notebook import NotebookRejected, is_notebook, slim_notebook

    if is_notebook(file_path.name, data):
        # Stored outputs are never graded: send the cells only.
        try:
            data = slim_notebook(data, file_path.name).encode("utf-8")
        except NotebookRejected as error:
            raise SubmitError(str(error)) from None
        file_type = "application/x-ipynb+json"
    body, content_type = _multipart({"course": course} if course else {}, "file", file_path.name, data, file_type)
    for attempt in range(MAX_RETRIES + 1):
        try:
            reply = _request(
                f"{server}/api/v1/assignments/{assignment}/submissions", {**headers, "Content-Type": content_type}, body
            )
        except (OSError, ValueError) as error:
            raise SubmitError(f"cannot reach {server}: {error}") from None
        pause = _retry_after(reply)
        if pause is None or attempt == MAX_RETRIES:
            break
        if on_wait is not None:
            on_wait(pause, _error_text(reply))
        sleep(pause)
    if reply.status != 202:
        raise SubmitError(f"the server refused the submission ({reply.status}): {_error_text(reply)}")
    submission = _json_of(reply, server)
    if not wait:
        return submission
    deadline = time.monotonic() + timeout
    url = f"{server}/api/v1/submissions/{submission['id']}"
    while True:
        # The first wait follows the 202's hint, the later ones the last read's.
        sleep(_next_read_after(reply, poll_seconds))
        try:
            reply = _request(url, headers)
        except (OSError, ValueError) as error:
            raise SubmitError(f"lost contact with {server}: {error}") from None
        if reply.status != 200:
            raise SubmitError(f"cannot read submission {submission['id']}: {_error_text(reply)}")
        submission = _json_of(reply, server)
        if on_progress is not None:
            on_progress(submission)
        if submission["status"] in FINISHED:
            return submission
        if time.monotonic() > deadline:
            raise SubmitError(
                f"submission {submission['id']} is still {submission['status']} after {timeout:.0f} s; "
                f"see {server}/submissions/{submission['id']}"
            )


def _json_of(reply: _Reply, server: str) -> dict[str, Any]:
    try:
        value = reply.json()
    except ValueError:
        raise SubmitError(f"{server} did not answer with JSON: is AUTOGRADER_URL the course server?") from None
    if not isinstance(value, dict) or "id" not in value or "status" not in value:
        raise SubmitError(f"{server} gave an unexpected answer: is AUTOGRADER_URL the course server?")
    return value


def print_result(result: dict[str, Any], out: TextIO) -> None:
    """Print a graded submission as a short report: one line per check, failures with their message."""

    def write(text: str) -> None:
        out.write(terminal_safe(text))  # the messages carry what the student's code printed or raised

    write(f"submission {result['id']} · {result['assignment']} · {result['status']}\n")
    if result["status"] == "error":
        write(f"the grader failed ({result.get('error') or 'no detail'}); it will retry automatically\n")
        return
    if result["status"] != "done":
        write("queued; follow it on the web site\n")
        return
    for test in result["tests"]:
        mark = "✓" if test["status"] == "passed" else "✗"
        worth = f"{test['score']:g}/{test['max_score']:g}" if test["max_score"] else "diagnostic, 0 points"
        write(f"  {mark} {test['name']:<48} {worth}\n")
        if test["status"] != "passed":
            if test.get("mistake"):
                write(f"      Looks like: {test['mistake']}\n")
            # The whole message: its last lines often say what to fix.
            for line in (test.get("output") or "").splitlines():
                write(f"      {line}\n")
    late = (
        f" (late by {result['late_days']} day(s); {result['raw_score']:g} before the penalty)"
        if result.get("late_days")
        else ""
    )
    write(f"score: {result['score']:g} / {result['max_score']:g}{late}\n")


def submit_and_print(
    assignment: str, path: str | os.PathLike[str], out: TextIO, course: str | None = None, wait: bool = True
) -> int:
    """Run `grade --submit`: settings from env/config, submit, print; return the exit status (0 full marks)."""
    try:
        settings = load_settings()

        def tell_wait(seconds: int, reason: str) -> None:
            out.write(f"grade: {reason} — waiting {seconds} s, then sending again\n")
            out.flush()

        result = submit(settings.server, settings.token, assignment, path, wait=wait, course=course, on_wait=tell_wait)
    except SubmitError as error:
        out.write(terminal_safe(f"grade: {error}\n"))
        return 2
    print_result(result, out)
    if result["status"] == "done" and result["score"] is not None and result["score"] >= result["max_score"]:
        return 0
    return 1

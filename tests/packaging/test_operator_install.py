"""An operator's non-editable `pip install '.[server]' ./assignments`: migrate, load the course, serve."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
SERVE_DEADLINE_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_non_editable_install_migrates_syncs_and_serves(tmp_path: Path, tools) -> None:
    source = tools.copy_checkout(
        tmp_path / "src", "pyproject.toml", "README.md", "autograder", "assignments", "requirements"
    )
    env = tools.make_env(tmp_path / "venv")
    env.pip("-c", str(source / "requirements" / "server.lock"), f"{source}[server]", str(source / "assignments"))
    # Nothing may depend on the source folder once installed.
    shutil.rmtree(source)
    work = tmp_path / "operator"
    work.mkdir()
    environment = {
        "PATH": f"{env.bin}:/usr/bin:/bin",
        "HOME": str(work),
        "AUTOGRADER_ALLOW_INSECURE_SANDBOX": "1",
        "AUTOGRADER_SECRET_KEY": "operator-test-secret",
    }
    autograder = str(env.bin / "autograder")

    def command(*args: str) -> str:
        result = subprocess.run(
            [autograder, *args], cwd=work, env=environment, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, f"autograder {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    assert "database is up to date" in command("db", "upgrade")
    synced = command("sync-assignments")
    for name in ("losses", "backprop", "optimizers", "gradient_check", "training"):
        assert name in synced
    port = free_port()
    server = subprocess.Popen(
        [autograder, "serve", "--port", str(port)],
        cwd=work,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + SERVE_DEADLINE_SECONDS
        status, page = 0, ""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = fetch(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                time.sleep(0.3)
        assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
        assert status == 200 and "Sign in" in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)

"""bench/api_client.py, the independent burst client, against a real HTTP server with its grading pool."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.services import accounts

REPOSITORY = Path(__file__).resolve().parents[2]
CLIENT = REPOSITORY / "bench" / "api_client.py"
REFERENCE = REPOSITORY / "assignments" / "losses" / "reference.py"


@pytest.fixture
def tokens_file(factory, tmp_path) -> Path:
    students = [factory.user() for _ in range(2)]
    factory.course(students=students)
    path = tmp_path / "tokens.txt"
    path.write_text("".join(accounts.issue_api_token(student) + "\n" for student in students))
    return path


def _run(live_server: str, tokens_file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(CLIENT),
            "--url",
            live_server,
            "--tokens-file",
            str(tokens_file),
            "--file",
            str(REFERENCE),
            "--count",
            "4",
            "--clients",
            "2",
            "--timeout",
            "60",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_posts_waits_and_finds_nothing_lost_or_wrong(live_server, tokens_file):
    run = _run(live_server, tokens_file, "--expect-score", "35")
    assert run.returncode == 0, run.stdout + run.stderr
    assert [line for line in run.stdout.splitlines() if line.startswith("posted ")][-1] == "posted 4"
    assert "accepted 4/4" in run.stdout
    assert (
        "lost or unfinished within --timeout 0; ended in error 0; wrong score 0; changed on a second read 0"
        in run.stdout
    )
    assert "client throughput" in run.stdout and "API throughput" in run.stdout


def test_it_fails_when_a_score_is_not_the_one_expected(live_server, tokens_file):
    run = _run(live_server, tokens_file, "--expect-score", "34")
    assert run.returncode == 1
    assert "wrong score 4" in run.stdout


def test_it_fails_when_the_service_refuses_the_posts(live_server, tokens_file, tmp_path):
    (tmp_path / "bad.txt").write_text("not-a-token\n")
    run = _run(live_server, tmp_path / "bad.txt")
    assert run.returncode == 1
    assert "accepted 0/4" in run.stdout and "HTTP 401" in run.stdout

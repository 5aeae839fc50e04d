"""The distributed web runs gunicorn with --preload: what create_app leaves behind is forked into every worker.

A connection (database, Redis) or a thread made by create_app would be shared by the forked
workers, interleaving their protocol streams; so create_app must make none (against
the real PostgreSQL and Redis, so that an eager connection would succeed and be seen).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from autograder.jobs import commands

PROBE = """
import json, os, threading
from autograder.app import create_app

def sockets():
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass  # the listing's own descriptor, closed since
    return count

before = sockets()
app = create_app()
built = {"sockets": sockets() - before, "threads": threading.active_count()}
# The same count sees connections once a request uses the database and the broker.
status = app.test_client().get("/readyz").status_code
print(json.dumps({"built": built, "after_request": sockets() - before, "readyz": status}))
"""


def test_gunicorn_preloads_the_app():
    assert "--preload" in commands.web_command()


@pytest.mark.services
@pytest.mark.timeout(120)
def test_create_app_opens_no_connection_and_starts_no_thread(stack):
    environment = {**os.environ, **stack.environment, "AUTOGRADER_QUEUE": "celery"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=environment, capture_output=True, text=True, timeout=90, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["built"] == {"sockets": 0, "threads": 1}
    assert report["readyz"] in (200, 503)  # 503: no worker yet; it asked the database and the broker
    assert report["after_request"] >= 1  # the database connection the pool keeps

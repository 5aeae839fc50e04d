"""What the service tests send through the real API: a deliberately slow file, and the POST itself."""

from __future__ import annotations

import requests

def slow_mse(seconds: float) -> str:
    """Right answers, but mse's first call in each process sleeps ``seconds``: a window to kill a process mid-grade."""
    return f"""
import time as _time
_slept = False


def mse(y_pred, y_true):
    global _slept
    if not _slept:
        _slept = True
        _time.sleep({seconds!r})
    return float(((y_pred - y_true) ** 2).mean())
"""


# The tests that kill a worker poll for RUNNING every 50 ms; on a loaded 2-core machine a poller
# can be starved for seconds, and a 2 s window was once missed in a full suite run.
SLOW_MSE = slow_mse(4.0)


def submit(port: int, token: str, source: str) -> requests.Response:
    """POST ``source`` as losses.py through the API of the service on ``port``."""
    return requests.post(f"http://127.0.0.1:{port}/api/v1/assignments/losses/submissions",
                         headers={"Authorization": f"Bearer {token}"},
                         files={"file": ("losses.py", source.encode())}, timeout=30)

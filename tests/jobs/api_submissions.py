"""What the service tests send through the real API: a deliberately slow file, and the POST itself."""

from __future__ import annotations

import requests

# Right answers, but mse's first call in each process sleeps: a window to kill the worker mid-grade.
SLOW_MSE = '''
import time as _time
_slept = False


def mse(y_pred, y_true):
    global _slept
    if not _slept:
        _slept = True
        _time.sleep(2.0)
    return float(((y_pred - y_true) ** 2).mean())
'''


def submit(port: int, token: str, source: str) -> requests.Response:
    """POST ``source`` as losses.py through the API of the service on ``port``."""
    return requests.post(f"http://127.0.0.1:{port}/api/v1/assignments/losses/submissions",
                         headers={"Authorization": f"Bearer {token}"},
                         files={"file": ("losses.py", source.encode())}, timeout=30)

"""Run the app under gunicorn in one worker process that owns the embedded grading pool."""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication


GIL_SWITCH_SECONDS = 0.0005  # Python's default is 0.005


class _EmbeddedServer(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _start_grading_pool(worker: Any) -> None:
    # After the fork: threads and sandbox processes started in the arbiter would not survive it.
    from autograder.jobs.queue import grading_queue

    # Request threads and grading threads share one interpreter. A grading thread wakes for every
    # result frame of its unit (a hundred or more per submission); at the default 5 ms switch
    # interval each wake-up can wait that long for the GIL behind a busy request thread.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    grading_queue(worker.app.application).start()


def _stop_grading_pool(worker: Any) -> None:
    from autograder.jobs.queue import grading_queue

    grading_queue(worker.app.application).stop()


def run_gunicorn(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve ``app`` on host:port with gunicorn (one worker, ``threads`` request threads)."""
    # One worker: the embedded pool and SQLite want a single process; threads serve the requests.
    _EmbeddedServer(app, {
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": "-",
        "post_worker_init": _start_grading_pool,
        "worker_exit": lambda server, worker: _stop_grading_pool(worker),
    }).run()

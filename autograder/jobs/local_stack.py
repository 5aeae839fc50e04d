"""Run the distributed mode's processes (migrate, gunicorn, Celery workers) on this machine.

What docker-compose.yml runs, without Docker: CI's integration tests and bench/load_test.py
use it against the machine's PostgreSQL and Redis.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from autograder.jobs import commands


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _program(argv: list[str]) -> list[str]:
    # The console scripts live next to this interpreter (the virtualenv), not necessarily on PATH.
    local = Path(sys.executable).parent / argv[0]
    return [str(local) if local.exists() else argv[0], *argv[1:]]


@dataclass
class LocalStack:
    """The processes of one deployment, each in its own process group, logging to ``log_dir``."""

    environment: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @classmethod
    def create(cls, log_dir: Path, **overrides: str) -> LocalStack:
        """Environment: this process's, the services' defaults, then ``overrides``."""
        environment = {**os.environ, **commands.SERVICE_ENVIRONMENT, **overrides}
        log_dir.mkdir(parents=True, exist_ok=True)
        return cls(environment, log_dir)

    def migrate(self) -> None:
        """Run the migrate service's command to completion; raise on failure."""
        subprocess.run(_program(commands.migrate_command()), env=self.environment, check=True,
                       capture_output=True, timeout=120)

    def _start(self, name: str, argv: list[str], **extra_environment: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        try:
            process = subprocess.Popen(_program(argv), env={**self.environment, **extra_environment},
                                       stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        self.processes[name] = process
        return process

    def start_web(self, port: int, workers: int = 2) -> subprocess.Popen:
        """Start gunicorn on 127.0.0.1:``port`` and wait until it answers."""
        process = self._start("web", commands.web_command(bind=f"127.0.0.1:{port}", workers=workers))
        self._wait(lambda: _accepts(port), "web", 30)
        return process

    def start_embedded(self, port: int, name: str = "serve") -> subprocess.Popen:
        """Start `autograder serve` (the embedded mode: web and grading pool in one process) and wait for it."""
        process = self._start(name, ["autograder", "serve", "--host", "127.0.0.1", "--port", str(port)])
        self._wait(lambda: _accepts(port), name, 60)
        return process

    def start_worker(self, name: str, sandbox_slot: int | None = None, concurrency: int = 1,
                     metrics_port: int = 0) -> subprocess.Popen:
        """Start a Celery worker node ``name`` and wait until it consumes.

        ``sandbox_slot`` forces AUTOGRADER_SANDBOX_SLOT (None: the worker takes free slots by lock
        file); ``metrics_port`` is its /metrics port (0: none).
        """
        extra = {"AUTOGRADER_WORKER_METRICS_PORT": str(metrics_port)}
        if sandbox_slot is not None:
            extra["AUTOGRADER_SANDBOX_SLOT"] = str(sandbox_slot)
        process = self._start(name, commands.worker_command(name=f"{name}@%h", concurrency=concurrency), **extra)
        self._wait(lambda: b" ready." in self.log(name), name, 60)
        return process

    def log(self, name: str) -> bytes:
        """Return what process ``name`` has written so far."""
        path = self.log_dir / f"{name}.log"
        return path.read_bytes() if path.exists() else b""

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the whole process group of ``name`` (a Celery worker and its pool)."""
        process = self.processes.pop(name)
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)

    def stop(self) -> None:
        """Stop every process: SIGTERM, then SIGKILL after a grace period."""
        for name in list(self.processes):
            try:
                os.killpg(self.processes[name].pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 15
        for name in list(self.processes):
            try:
                self.processes[name].wait(timeout=max(0.1, deadline - time.monotonic()))
                self.processes.pop(name)
            except subprocess.TimeoutExpired:
                self.kill(name)

    def _wait(self, ready: object, name: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.processes[name].returncode}:\n"
                                   + self.log(name).decode(errors="replace")[-3000:])
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready after {seconds} s:\n" + self.log(name).decode(errors="replace")[-3000:])


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False

"""Where the suite's CPU goes: an opt-in pytest plugin, and its summary.

    scripts/test -q -p tests.cpu_report                 # writes test-artifacts/cpu-report/<worker>.jsonl
    .venv/bin/python -m tests.cpu_report [--by test|module|folder] [--top N] [--commands] [DIR]

Each test's own CPU (user+sys of the test process) is counted around its setup, call and teardown.
A child process's CPU (a zygote with the units it forked, a CLI, gunicorn, Celery, Chromium) is
known only when it is reaped, often in a later test (``subprocess`` reaps finished children
whenever a new one starts): so every ``subprocess.Popen`` records the test that started it, and
each reaping (``os.waitpid``, made through ``os.wait4``) charges the child's CPU to that test.
Children reaped by someone else (a killed Celery pool, reaped by init) are not counted, as they
are not in the ``time`` of the run either. Session fixtures are charged to the first test using them.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
from pathlib import Path
from typing import Any

import pytest

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "test-artifacts" / "cpu-report"
_state: dict[str, Any] = {"test": "<between tests>", "out": None, "spawned": {}}


def _cpu() -> tuple[float, float]:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _write(record: dict[str, Any]) -> None:
    if _state["out"] is None:
        folder = Path(os.environ.get("AUTOGRADER_CPU_REPORT", DEFAULT_DIR))
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}.jsonl"
        _state["out"] = open(folder / name, "a", buffering=1)  # noqa: SIM115 (open for the process's life)
    _state["out"].write(json.dumps(record) + "\n")


def _watch_children() -> None:
    popen_init, waitpid = subprocess.Popen.__init__, os.waitpid

    def init(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
        popen_init(self, *args, **kwargs)
        command = kwargs.get("args", args[0] if args else None)
        command = command if isinstance(command, str) else " ".join(map(str, command or ()))
        _state["spawned"][self.pid] = (_state["test"], command[:160])

    def reap(pid: int, options: int) -> tuple[int, int]:
        if pid <= 0:
            return waitpid(pid, options)
        reaped, status, usage = os.wait4(pid, options)
        if reaped:
            test, command = _state["spawned"].pop(reaped, (None, None))
            _write({"child": command, "cpu": usage.ru_utime + usage.ru_stime, "started_by": test})
        return reaped, status

    subprocess.Popen.__init__ = init  # type: ignore[method-assign]
    os.waitpid = reap


def pytest_configure(config: pytest.Config) -> None:
    _watch_children()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _state["test"] = item.nodeid
    own, children = _cpu()
    yield
    own_after, children_after = _cpu()
    _write({"test": item.nodeid, "cpu": own_after - own, "reaped_children": children_after - children})
    _state["test"] = "<between tests>"


def _key(test: str, by: str) -> str:
    if test.startswith("<") or by == "test":
        return test
    path = test.split("::")[0]
    return path if by == "module" else "/".join(path.split("/")[:2])


def summarise(folder: Path, by: str = "module", top: int = 40, commands: bool = False) -> str:
    """The CPU per test, module or folder: its own plus its children's, largest first."""
    own: collections.Counter[str] = collections.Counter()
    spawned: collections.Counter[str] = collections.Counter()
    per_command: collections.Counter[str] = collections.Counter()
    for path in folder.glob("gw*.jsonl") if any(folder.glob("gw*.jsonl")) else folder.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if "test" in record:
                own[_key(record["test"], by)] += record["cpu"]
            else:
                spawned[_key(record["started_by"] or "<before the tests>", by)] += record["cpu"]
                per_command[" ".join((record["child"] or "?").split()[:3])] += record["cpu"]
    lines = [f"{sum(own.values()):.1f} s in the test processes, {sum(spawned.values()):.1f} s in their children"]
    for key in sorted(own.keys() | spawned.keys(), key=lambda k: -(own[k] + spawned[k]))[:top]:
        lines.append(f"{own[key] + spawned[key]:8.1f}  own {own[key]:7.1f}  children {spawned[key]:7.1f}  {key}")
    if commands:
        lines.append("children by command:")
        lines += [f"{cpu:8.1f}  {command}" for command, cpu in per_command.most_common(top)]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--by", choices=("test", "module", "folder"), default="module")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--commands", action="store_true", help="also sum the children's CPU by command")
    arguments = parser.parse_args()
    print(summarise(arguments.folder, arguments.by, arguments.top, arguments.commands))

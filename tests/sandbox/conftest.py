"""Fixtures for the sandbox tests: a fully isolated executor and the host-side checks."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autograder.sandbox.confinement import slot_uid
from autograder.sandbox.zygote import ZygoteExecutor
from tests.slots import worker_slot

FAKE_SECRET = "grader-secret-7f3a9c1e5b"
# One slot (hence uid) per test session: concurrent runs of this suite from other checkouts on
# the same machine must not see each other's children as stray processes.
SANDBOX_SLOT = worker_slot(900)
REPO_ROOT = Path(__file__).resolve().parents[2]

# What honest student files import (standard library and every NumPy submodule a course uses):
# each must import inside the jail, also those the zygote did not load in advance.
HONEST_IMPORTS = (
    "numpy", "numpy.linalg", "numpy.random", "numpy.fft", "numpy.ma", "numpy.polynomial",
    "numpy.lib.stride_tricks", "numpy.testing",
    "math", "cmath", "random", "statistics", "itertools", "functools", "operator", "collections",
    "collections.abc", "heapq", "bisect", "array", "copy", "dataclasses", "typing", "enum", "abc", "numbers",
    "fractions", "decimal", "string", "re", "json", "time", "datetime", "warnings", "contextlib", "traceback",
    "textwrap", "pprint", "io", "struct", "types", "inspect", "weakref", "gc", "ctypes", "zlib", "bz2",
    "lzma", "hashlib", "base64", "binascii", "pickle", "csv", "uuid", "secrets", "queue", "unicodedata",
    "timeit", "difflib", "pathlib", "tempfile", "argparse", "unittest", "doctest", "glob", "shlex",
)
# The jail root's entries; besides these, only the host's top-level library links (lib -> usr/lib).
JAIL_ROOT_ENTRIES = {"dev", "etc", "python", "usr"}
LIBRARY_LINKS = {"lib", "lib32", "lib64", "libx32"}

# Functions a unit runs to report what the jail looks like from inside (plain data only).
JAIL_PROBE_SOURCE = """
import importlib, os, sys, traceback

def honest_imports(names):
    failed = {}
    for name in names:
        try:
            importlib.import_module(name)
        except BaseException as error:
            failed[name] = f"{type(error).__name__}: {error}"
    return failed

def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError as error:
        return [type(error).__name__]

def jail_view():
    import numpy as np
    try:
        np.linalg.inv(np.zeros((2, 2)))
        trace = []
    except np.linalg.LinAlgError as error:
        trace = traceback.format_exception(error)
    return {
        "root": listing("/"),
        "python": listing("/python"),
        "site_packages": listing("/python/site-packages"),
        "sys_path": list(sys.path),
        "prefixes": [sys.prefix, sys.base_prefix, sys.exec_prefix],
        "files": sorted({f for m in list(sys.modules.values()) if isinstance(f := getattr(m, "__file__", None), str)}),
        "paths": [*np.__path__, np.polynomial.polynomial.polyval.__code__.co_filename],
        "argv": [*sys.argv, *sys.orig_argv],
        "traceback": "".join(trace),
    }
"""


@dataclass(frozen=True)
class JailProbe:
    """The jail probe's source and what its answers must be, wherever the checkout and Python live."""

    source: str = JAIL_PROBE_SOURCE
    modules: tuple[str, ...] = HONEST_IMPORTS

    @staticmethod
    def problems(view: dict[str, Any]) -> list[str]:
        """What is wrong with a ``jail_view()`` result (nothing, if the jail is as documented)."""
        problems = []
        if set(view["root"]) - LIBRARY_LINKS != JAIL_ROOT_ENTRIES:
            problems.append(f"root: {view['root']}")
        if view["python"] != ["lib", "site-packages"]:
            problems.append(f"/python: {view['python']}")
        allowed = {"autograder", "numpy", "numpy.libs"}
        if "numpy" not in view["site_packages"] or [entry for entry in view["site_packages"]
                                                     if entry not in allowed and not entry.startswith("pyseccomp")]:
            problems.append(f"/python/site-packages: {view['site_packages']}")
        if view["prefixes"] != ["/python"] * 3:
            problems.append(f"prefixes: {view['prefixes']}")
        traced = re.findall(r'File "([^"]+)"', view["traceback"])
        absolute = [path for path in [*view["sys_path"], *view["files"], *view["paths"], *view["argv"], *traced]
                    if path.startswith("/")]
        problems += [f"host path: {path}" for path in absolute if not path.startswith("/python/")]
        if not any(path.startswith("/python/site-packages/numpy/linalg/") for path in traced):
            problems.append(f"no NumPy frame at its jail path: {view['traceback']}")
        if "raise LinAlgError" not in view["traceback"]:
            problems.append(f"library source lines missing: {view['traceback']}")
        return problems


@pytest.fixture(scope="session")
def jail_probe() -> JailProbe:
    """The jail probe (see :class:`JailProbe`)."""
    return JailProbe()


@pytest.fixture(scope="session")
def fake_secret() -> str:
    """A secret in the grader's own environment that must never reach student code."""
    os.environ["AUTOGRADER_FAKE_SECRET"] = FAKE_SECRET
    return FAKE_SECRET


@pytest.fixture(scope="session")
def sandbox(fake_secret: str):
    """A zygote executor with every isolation layer on (skips, or fails under CI=true, without them)."""
    executor = ZygoteExecutor(slot=SANDBOX_SLOT)
    if executor.isolation != "full":
        executor.close()
        reason = "full sandbox isolation unavailable: " + "; ".join(executor.problems)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield executor
    executor.close()


@pytest.fixture
def sandbox_processes():
    """Return a function listing the live processes of the sandbox slot's uid as (pid, parent pid)."""

    def list_processes() -> list[tuple[int, int]]:
        uid = slot_uid(SANDBOX_SLOT)
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            except OSError:
                continue
            if int(fields["Uid"].split()[0]) == uid:
                found.append((int(entry.name), int(fields["PPid"])))
        return found

    return list_processes


@pytest.fixture
def stray_processes(sandbox, sandbox_processes):
    """Return a function waiting briefly, then listing sandbox processes other than the zygote's one spare."""

    def strays(seconds: float = 3.0) -> list[tuple[int, int]]:
        deadline = time.monotonic() + seconds
        while True:
            found = sandbox_processes()
            # The zygote keeps exactly one isolated child ready for the next unit.
            left = [process for process in found if process[1] != sandbox.zygote_pid] or found[1:]
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.02)

    return strays

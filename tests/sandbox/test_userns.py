"""The sandbox of a zygote that is not root: user-namespace mode, run as a real unprivileged user.

A small program opens ``open_executor()`` as uid 65534 and runs a benign unit and a few
hostile ones; it prints a JSON summary that the test checks. Skipped (even under CI=true:
these are limits of the machine, not of the code) where this test cannot switch user, no
Python with the repository's packages is usable by that user, or user namespaces are off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

UNPRIVILEGED_UID = 65534
REPO_ROOT = Path(__file__).resolve().parents[2]
PWNED = "/tmp/autograder-userns-pwned"
JAIL_ROOT_ENTRIES = {"dev", "etc", "python", "usr"}  # as in conftest.py
LIBRARY_LINKS = {"lib", "lib32", "lib64", "libx32"}

# Runs as the unprivileged user; argv[1] is a repository file it must not be able to read, argv[2] a
# path it must not write, argv[3] the jail probe of conftest.py as JSON.
PROGRAM = r'''
import json, os, sys
from autograder.config import sandbox_options
from autograder.sandbox import open_executor
from autograder.sandbox.executor import Limits, UnitJob
from autograder.sandbox.program import Call

SOURCE = """
import ctypes, os, socket
import numpy as np

def benign():
    return np.arange(4.0) * 2

def whoami():
    return os.getuid()

def read_shadow():
    return open("/etc/shadow").read()

def read_repo_file(path):
    return open(path).read()

def connect_redis():
    socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    return "connected"

def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    return pid

def write_tmp(path):
    with open(path, "w") as file:
        file.write("pwned")
    return "written"

def list_root():
    return sorted(os.listdir("/"))

def remount_root_writable():
    libc = ctypes.CDLL(None, use_errno=True)
    # MS_REMOUNT | MS_BIND: needs CAP_SYS_ADMIN over the mount namespace.
    if libc.mount(None, b"/", None, ctypes.c_ulong(0x20 | 0x1000), None) != 0:
        raise PermissionError(ctypes.get_errno(), "mount")
    return "remounted"
"""
CALLS = {
    "benign": (), "whoami": (), "read_shadow": (), "read_repo_file": (sys.argv[1],), "connect_redis": (),
    "fork": (), "write_tmp": (sys.argv[2],), "list_root": (), "remount_root_writable": (),
}
LIMITS = Limits(wall_seconds=10.0, cpu_seconds=5.0, memory_bytes=256 << 20)


def descendants(root):
    children = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


# The jail probe of conftest.py: what honest code imports, what the jail looks like from inside.
PROBE = json.loads(sys.argv[3])
PROBE_CALLS = {"honest_imports": (PROBE["modules"],), "jail_view": ()}


def run_all(executor):
    results = {}
    for source, calls in ((SOURCE, CALLS), (PROBE["source"], PROBE_CALLS)):
        for name, args in calls.items():
            job = UnitJob(source=source, filename="hostile.py", calls=[Call(name, args)], limits=LIMITS)
            outcome = executor.run(job)
            call = outcome.calls[0] if outcome.calls else None
            value = call.value if call is not None and call.ok else None
            results[name] = {
                "status": outcome.status, "ok": bool(call is not None and call.ok),
                "error_type": call.error_type if call is not None else None,
                "value": value.tolist() if hasattr(value, "tolist") else value,
            }
    return results


summary = {"executors": {}}
for label, disabled in (("default", ""), ("without_seccomp", "seccomp")):
    os.environ["AUTOGRADER_SANDBOX_DISABLE_LAYERS"] = disabled
    executor = open_executor(options=sandbox_options())
    summary["executors"][label] = {
        "kind": type(executor).__name__, "isolation": executor.isolation, "layers": list(executor.layers),
        "problems": list(executor.problems), "results": run_all(executor),
        "processes": descendants(executor.zygote_pid) if getattr(executor, "zygote_pid", None) else [],
    }
    executor.close()
print(json.dumps(summary))
'''


# Runs the program given as its arguments and reports, as JSON, its output and the processes it left
# behind. It is their subreaper: whatever the program started and did not stop (a zygote, a unit)
# becomes its child when the program exits, so only this run's processes count, not those of
# other test runs on the machine that happen to use the same uid.
WATCHER = r'''
import ctypes, json, os, signal, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): errno {ctypes.get_errno()}")
run = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120, cwd="/")


def children():
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(entry))
    return found


def reap():
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


deadline = time.monotonic() + 3
while True:
    reap()
    left = children()
    if not left or time.monotonic() > deadline:
        break
    time.sleep(0.05)
for pid in left:
    os.kill(pid, signal.SIGKILL)
print(json.dumps({"returncode": run.returncode, "stdout": run.stdout, "stderr": run.stderr, "left_behind": sorted(left)}))
'''


def switch_user_command() -> list[str]:
    """The command prefix that runs a program as the unprivileged user, or skip."""
    if os.geteuid() != 0:
        pytest.skip("switching to an unprivileged user needs root")
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={UNPRIVILEGED_UID}", f"--regid={UNPRIVILEGED_UID}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    pytest.skip("neither setpriv nor runuser is installed")


def overlay_interpreter(directory: str) -> str | None:
    """A venv over a system Python of this minor version holding copies of what the sandbox imports, or None.

    Where the project venv's interpreter or the checkout itself lives somewhere only root may
    enter (pyenv under /root, a clone in a ``mktemp -d`` folder), the unprivileged user may still
    run the system's Python: it gets its own copies of NumPy, pyseccomp and this package.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system_python = shutil.which(version, path="/usr/local/bin:/usr/bin:/bin")
    if system_python is None:
        return None
    if subprocess.run([system_python, "-m", "venv", "--without-pip", directory], capture_output=True).returncode:
        return None
    overlay_site = Path(directory, "lib", version, "site-packages")
    import numpy
    import pyseccomp

    import autograder

    numpy_dir = Path(numpy.__file__).parent
    ignore = shutil.ignore_patterns("__pycache__", "tests")
    for source in (numpy_dir, numpy_dir.with_name("numpy.libs"), Path(autograder.__file__).parent):
        if source.is_dir():
            shutil.copytree(source, overlay_site / source.name, ignore=ignore, symlinks=True)
    shutil.copy2(pyseccomp.__file__, overlay_site)
    for path in [Path(directory), *Path(directory).rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    return str(Path(directory, "bin", "python"))


@pytest.fixture(scope="module")
def unprivileged_python():
    """The command running the repository's Python as the unprivileged user (skips where there is none)."""
    switch = switch_user_command()
    overlay_dir = tempfile.mkdtemp(prefix="autograder-userns-")
    os.chmod(overlay_dir, 0o755)
    try:
        tried = []
        for python in (sys.executable, overlay_interpreter(overlay_dir)):
            if python is None:
                continue
            # The zygote is this interpreter started again (``python -I``): try that too.
            check = subprocess.run([*switch, python, "-c", "import subprocess, sys; subprocess.run([sys.executable, "
                                    "'-I', '-c', 'import numpy, pyseccomp, autograder.sandbox'], check=True)"],
                                   capture_output=True, text=True, cwd="/", timeout=60)
            if check.returncode == 0:
                yield [*switch, python]
                return
            last_line = (check.stderr.strip().splitlines() or [f"exit status {check.returncode}"])[-1]
            tried.append(f"{python}: {last_line}")
        reason = f"no Python with the repository's packages runs as uid {UNPRIVILEGED_UID}: " + "; ".join(tried)
        if os.environ.get("CI") == "true":  # the copies above work wherever the checkout lives
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        shutil.rmtree(overlay_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def summary(unprivileged_python, jail_probe):
    """The JSON summary of the program run as the unprivileged user, and the processes it left behind."""
    probe = json.dumps({"source": jail_probe.source, "modules": list(jail_probe.modules)})
    watched = subprocess.run(
        [sys.executable, "-c", WATCHER, *unprivileged_python, "-c", PROGRAM, str(REPO_ROOT / "pyproject.toml"),
         PWNED, probe],
        capture_output=True, text=True, cwd="/", timeout=150, env={"PATH": os.environ.get("PATH", "")})
    assert watched.returncode == 0, watched.stderr
    run = json.loads(watched.stdout)
    assert run["returncode"] == 0, run["stderr"]
    result = json.loads(run["stdout"].strip().splitlines()[-1])
    problems = result["executors"]["default"]["problems"]
    if any(problem.startswith("no user namespace") for problem in problems):
        pytest.skip("user namespaces are unavailable to unprivileged users here: " + "; ".join(problems))
    result["left_behind"] = run["left_behind"]
    return result


def test_every_layer_but_the_uid_is_on(summary) -> None:
    default = summary["executors"]["default"]
    assert default["kind"] == "ZygoteExecutor"
    assert set(default["layers"]) == {"namespaces", "jail_root", "seccomp", "user_namespace"}
    assert default["isolation"] == "reduced"
    assert any("drop_uid" in problem for problem in default["problems"]), default["problems"]


def test_benign_unit_passes(summary) -> None:
    benign = summary["executors"]["default"]["results"]["benign"]
    assert (benign["status"], benign["ok"], benign["value"]) == ("ok", True, [0.0, 2.0, 4.0, 6.0]), benign


@pytest.mark.parametrize(("act", "error_type"), [
    ("read_shadow", "FileNotFoundError"),  # not in the jail root
    ("read_repo_file", "FileNotFoundError"),
    ("connect_redis", "PermissionError"),  # seccomp: no socket
    ("fork", "PermissionError"),
    ("write_tmp", "PermissionError"),  # seccomp: files open for reading only (and no /tmp in the jail)
    ("remount_root_writable", "PermissionError"),
])
def test_hostile_act_fails(summary, act: str, error_type: str) -> None:
    result = summary["executors"]["default"]["results"][act]
    assert (result["status"], result["ok"], result["error_type"]) == ("ok", False, error_type), result
    assert not os.path.exists(PWNED)


def test_root_listing_is_the_jail(summary) -> None:
    """The same jail root as root's, wherever the checkout and the Python this user runs live."""
    listing = summary["executors"]["default"]["results"]["list_root"]["value"]
    assert set(listing) - LIBRARY_LINKS == JAIL_ROOT_ENTRIES, listing


@pytest.mark.parametrize("label", ["default", "without_seccomp"])
def test_honest_imports_work_in_the_jail(summary, label: str) -> None:
    result = summary["executors"][label]["results"]["honest_imports"]
    assert (result["status"], result["ok"], result["value"]) == ("ok", True, {}), result


def test_the_child_sees_only_fixed_paths(summary, jail_probe) -> None:
    result = summary["executors"]["default"]["results"]["jail_view"]
    assert result["ok"], result
    assert jail_probe.problems(result["value"]) == []


def test_children_hold_no_capability_even_without_seccomp(summary) -> None:
    """Seccomp off, the empty user namespace alone must stop what the zygote's capabilities would allow."""
    without = summary["executors"]["without_seccomp"]
    assert "seccomp" not in without["layers"] and "user_namespace" in without["layers"], without
    results = without["results"]
    assert results["whoami"]["value"] == UNPRIVILEGED_UID  # unmapped: the overflow uid, not root
    assert results["remount_root_writable"]["error_type"] == "PermissionError", results["remount_root_writable"]
    assert not results["write_tmp"]["ok"] and not results["read_shadow"]["ok"]


def test_no_process_is_left_behind(summary) -> None:
    assert summary["left_behind"] == []
    zygote_trees = [pid for executor in summary["executors"].values() for pid in executor["processes"]]
    assert zygote_trees, "the program saw no zygote processes"
    assert not [pid for pid in zygote_trees if Path(f"/proc/{pid}").exists()]

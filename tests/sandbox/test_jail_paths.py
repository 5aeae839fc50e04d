"""The jail root's layout: fixed paths for Python and NumPy, only the mapped system libraries.

The plan is computed the way the zygote computes it (a fresh ``python -I`` that has loaded the
zygote's warm-up modules); the jail itself is checked from inside a unit, as root here and in
user-namespace mode in ``test_userns.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import jail_paths
from autograder.sandbox.executor import OK, Limits, UnitJob
from autograder.sandbox.program import Call
from autograder.sandbox.zygote import ZygoteExecutor
from tests.slots import worker_slot

REPO_ROOT = Path(__file__).resolve().parents[2]
PROBE_LIMITS = Limits(wall_seconds=30.0, cpu_seconds=10.0, memory_bytes=512 << 20)
DEGRADED_SLOT = worker_slot(908)  # not the shared sandbox's slot: its stray-process checks stay exact

# Prints the plan of a zygote-like interpreter (warm-up modules loaded) as JSON.
PLAN_PROGRAM = r"""
import importlib, json
from autograder.sandbox import rootfs, zygote_server
for name in zygote_server.WARM_MODULES:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
plan = rootfs.default_plan()
print(json.dumps({
    "binds": [[bind.host, bind.jail] for bind in plan.binds], "links": plan.links, "hidden": plan.hidden,
    "sys_path": plan.interpreter.sys_path, "moves": [[move.host, move.jail] for move in plan.interpreter.moves],
}))
"""


@pytest.fixture(scope="module")
def plan() -> dict:
    run = subprocess.run([sys.executable, "-I", "-c", PLAN_PROGRAM], capture_output=True, text=True, cwd="/",
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def host_locations() -> set[str]:
    """Where this host keeps the checkout and Python: none of it may name a path in the jail."""
    places = {str(REPO_ROOT), sys.prefix, sys.base_prefix}
    places |= {os.path.realpath(place) for place in places}
    return {place for place in places if place not in ("/", "/usr")}


def test_python_is_at_fixed_paths(plan: dict) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    jail = {target: source for source, target in plan["binds"]}
    assert os.path.isdir(jail[f"/python/lib/{version}"]), "the standard library is bound whole"
    assert os.path.isfile(os.path.join(jail[f"/python/lib/{version}"], "os.py"))
    assert os.path.isfile(os.path.join(jail["/python/site-packages/numpy"], "__init__.py"))
    assert plan["sys_path"][0] == f"/python/lib/{version}"
    assert plan["sys_path"][-1] == "/python/site-packages"
    assert all(entry.startswith("/python/") for entry in plan["sys_path"])
    for target in jail:
        assert not any(target.startswith(place + "/") or target == place for place in host_locations()), target


def test_nothing_else_of_the_host_python_or_checkout(plan: dict) -> None:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    stdlib = dict((target, source) for source, target in plan["binds"])[f"/python/lib/{version}"]
    if os.path.isdir(os.path.join(stdlib, "site-packages")):
        assert f"/python/lib/{version}/site-packages" in plan["hidden"], "the interpreter's global site-packages"
    directories = sorted(target for source, target in plan["binds"] if os.path.isdir(source))
    assert [target for target in directories if not target.startswith("/python/site-packages/numpy")] \
        == [f"/python/lib/{version}"], directories
    for source, target in plan["binds"]:
        if source.startswith(str(REPO_ROOT) + "/") and not source.startswith(os.path.realpath(sys.prefix) + "/"):
            # Only the zygote's own module files, each by itself: never assignments or references.
            assert source.startswith(str(REPO_ROOT / "autograder" / "sandbox") + "/") or \
                source == str(REPO_ROOT / "autograder" / "__init__.py"), source
            assert os.path.isfile(source) and target.startswith("/python/site-packages/autograder/"), (source, target)
    site = {target.split("/")[3] for _, target in plan["binds"] if target.startswith("/python/site-packages/")}
    assert {"numpy", "autograder"} <= site <= {"numpy", "numpy.libs", "autograder", "pyseccomp", "pyseccomp.py"}


def test_only_mapped_system_files(plan: dict) -> None:
    system = [(source, target) for source, target in plan["binds"] if not target.startswith("/python/")]
    assert system, "the C library at least"
    assert all(source == target and os.path.isfile(source) for source, target in system), system
    assert all(target.startswith(jail_paths.SYSTEM_DIRS) or target == jail_paths.LOADER_CACHE for _, target in system)
    assert any(os.path.basename(target).startswith("libc.so") for _, target in system)
    for path, _ in plan["links"]:
        assert os.path.islink(path), path


def test_resolve_records_each_symlink(tmp_path: Path) -> None:
    (tmp_path / "real" / "lib").mkdir(parents=True)
    (tmp_path / "real" / "lib" / "libx.so.1.2").write_bytes(b"")
    (tmp_path / "lib").symlink_to("real/lib")
    (tmp_path / "real" / "lib" / "libx.so.1").symlink_to("libx.so.1.2")
    (tmp_path / "absolute").symlink_to(tmp_path / "real" / "lib" / ".." / "lib" / "libx.so.1")
    base = str(tmp_path)
    real, links = jail_paths._resolve(f"{base}/lib/libx.so.1")
    assert real == f"{base}/real/lib/libx.so.1.2"
    assert links == {f"{base}/lib": "real/lib", f"{base}/real/lib/libx.so.1": "libx.so.1.2"}
    real, links = jail_paths._resolve(f"{base}/absolute")
    assert real == f"{base}/real/lib/libx.so.1.2" and f"{base}/absolute" in links
    (tmp_path / "loop").symlink_to("loop")
    assert jail_paths._resolve(f"{base}/loop") == (None, {})


def test_mover_prefers_the_longest_match() -> None:
    move = jail_paths.mover((
        jail_paths.Bind("/opt/py/lib/python3.11", "/python/lib/python3.11"),
        jail_paths.Bind("/opt/py/lib/python3.11/site-packages/numpy", "/python/site-packages/numpy"),
    ))
    assert move("/opt/py/lib/python3.11/os.py") == "/python/lib/python3.11/os.py"
    assert move("/opt/py/lib/python3.11/site-packages/numpy/linalg/_linalg.py") == \
        "/python/site-packages/numpy/linalg/_linalg.py"
    assert move("/opt/py/lib/python3.11") == "/python/lib/python3.11"
    assert move("/opt/py/lib/python3.110/x.py") is None
    assert move("/elsewhere/x.py") is None


@pytest.mark.skipif(not os.path.isfile(jail_paths.LOADER_CACHE) or not shutil.which("ldconfig", path="/sbin:/usr/sbin"),
                    reason="no glibc loader cache or ldconfig here")
def test_loader_cache_names_match_ldconfig() -> None:
    listing = subprocess.run([shutil.which("ldconfig", path="/sbin:/usr/sbin"), "-p"], capture_output=True,
                             text=True, timeout=30).stdout
    expected = {line.rsplit("=> ", 1)[1].strip() for line in listing.splitlines() if "=> " in line}
    assert set(jail_paths._loader_cache_names()) == expected


def test_honest_imports_work_in_the_jail(sandbox, jail_probe) -> None:
    outcome = sandbox.run(UnitJob(source=jail_probe.source, filename="honest.py",
                                  calls=[Call("honest_imports", (list(jail_probe.modules),))], limits=PROBE_LIMITS))
    assert outcome.status == OK and outcome.calls[0].ok, outcome
    assert outcome.calls[0].value == {}


def test_the_child_sees_only_fixed_paths(sandbox, jail_probe) -> None:
    outcome = sandbox.run(UnitJob(source=jail_probe.source, filename="view.py", calls=[Call("jail_view", ())],
                                  limits=PROBE_LIMITS))
    assert outcome.status == OK and outcome.calls[0].ok, outcome
    assert jail_probe.problems(outcome.calls[0].value) == []


@pytest.mark.parametrize("disabled", [("seccomp",), ("namespaces",), ("namespaces", "seccomp")],
                         ids=lambda disabled: "without " + "+".join(disabled))
def test_degraded_modes_still_import(disabled: tuple[str, ...], jail_probe) -> None:
    if os.geteuid() != 0:
        pytest.skip("the jail root needs root (user-namespace mode is in test_userns.py)")
    with ZygoteExecutor(slot=DEGRADED_SLOT, disabled_layers=disabled) as executor:
        assert set(disabled).isdisjoint(executor.layers), executor.layers
        outcome = executor.run(UnitJob(source=jail_probe.source, filename="honest.py", limits=PROBE_LIMITS, calls=[
            Call("honest_imports", (list(jail_probe.modules),)), Call("jail_view", ())]))
    assert outcome.status == OK and all(call.ok for call in outcome.calls), outcome
    assert outcome.calls[0].value == {}
    assert jail_probe.problems(outcome.calls[1].value) == []


def test_the_probe_notices_the_host_without_the_jail_root(jail_probe) -> None:
    """The probe is no formality: with the jail root off, the child sees the host's paths and it says so."""
    if os.geteuid() != 0:
        pytest.skip("the jail root needs root (user-namespace mode is in test_userns.py)")
    with ZygoteExecutor(slot=DEGRADED_SLOT, disabled_layers=("jail_root",)) as executor:
        outcome = executor.run(UnitJob(source=jail_probe.source, filename="view.py", limits=PROBE_LIMITS,
                                       calls=[Call("jail_view", ())]))
    assert outcome.status == OK and outcome.calls[0].ok, outcome
    problems = jail_probe.problems(outcome.calls[0].value)
    assert any(problem.startswith("root:") for problem in problems), problems
    assert any(problem.startswith("host path:") for problem in problems), problems


WRITER = '''
import os


def write_here(folder):
    done = {}
    for how, flags in (("create", os.O_WRONLY | os.O_CREAT), ("append", os.O_WRONLY | os.O_APPEND),
                       ("read-write", os.O_RDWR), ("truncate", os.O_RDONLY | os.O_TRUNC)):
        try:
            os.close(os.open(os.path.join(folder, "existing.txt" if how != "create" else "new.txt"), flags, 0o666))
            done[how] = "opened"
        except OSError as error:
            done[how] = type(error).__name__
    with open(os.path.join(folder, "existing.txt")) as handle:
        done["read"] = handle.read()
    return done
'''


def test_without_the_jail_root_a_child_still_opens_files_for_reading_only() -> None:
    # Where the jail cannot be built (Docker's default container), the host's /tmp is visible: a
    # file a unit created there would outlive it, for the next unit to read back.
    if os.geteuid() != 0:
        pytest.skip("the jail root needs root (user-namespace mode is in test_userns.py)")
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="autograder-shared-"))  # not under pytest's 0700 root
    folder.chmod(0o777)
    (folder / "existing.txt").write_text("before")
    (folder / "existing.txt").chmod(0o666)
    try:
        _check_reading_only(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_reading_only(folder: Path) -> None:
    with ZygoteExecutor(slot=DEGRADED_SLOT, disabled_layers=("jail_root",)) as executor:
        assert "seccomp" in executor.layers, executor.layers
        outcome = executor.run(UnitJob(source=WRITER, filename="writer.py", limits=PROBE_LIMITS,
                                       calls=[Call("write_here", (str(folder),))]))
    assert outcome.status == OK and outcome.calls[0].ok, outcome
    assert outcome.calls[0].value == {"create": "PermissionError", "append": "PermissionError",
                                      "read-write": "PermissionError", "truncate": "PermissionError",
                                      "read": "before"}
    assert sorted(path.name for path in folder.iterdir()) == ["existing.txt"]
    assert (folder / "existing.txt").read_text() == "before"

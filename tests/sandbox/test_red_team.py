"""Hostile submissions against the hardened executor.

Each attack runs as one unit; then a benign unit must still pass, no process of the
sandbox uid may remain, no host file may have been written, the grader's secret must
not appear in the outcome and the whole run must stay bounded in time.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pytest

from autograder.sandbox import codec
from autograder.sandbox.executor import BAD_OUTPUT, CRASHED, IMPORT_ERROR, OK, TIMEOUT, Limits, UnitJob, UnitOutcome
from autograder.sandbox.program import Call
from autograder.sandbox.watch import is_sandbox_failure

# Lives in the grader's memory only; no attack may find it.
EXPECTED_CANARY = "EXPECTED-CANARY-31337"
# Generous wall time: CI shares 2 cores with the rest of the suite.
QUICK = Limits(wall_seconds=4.0, cpu_seconds=2.0, memory_bytes=256 << 20, output_bytes=1 << 20, console_bytes=4096)
# For attacks that only a limit ends: a short wall limit cannot make them flaky (the timeout is
# the expected outcome), and waiting out 4 s for each was a third of this file's time.
CUT_SHORT = Limits(wall_seconds=1.0, cpu_seconds=2.0, memory_bytes=256 << 20, output_bytes=1 << 20,
                   console_bytes=4096)
# The CPU limit of a unit is its functions' CPU seconds plus the loading allowance: both small
# here, so the kernel stops the loop after 3 CPU seconds, long before the wall limit.
CPU_BOUND = Limits(wall_seconds=8.0, cpu_seconds=1.0, load_seconds=1.0, memory_bytes=256 << 20)
PWNED = "/tmp/autograder-red-team-pwned"
JAIL_ROOT_ENTRIES = {"dev", "etc", "python", "usr"}  # as in conftest.py
LIBRARY_LINKS = {"lib", "lib32", "lib64", "libx32"}
REFERENCE_FILES = sorted(str(path) for path in (__import__("pathlib").Path(__file__).resolve().parents[2]
                                                 / "assignments").glob("*/reference.py"))


@dataclass
class Attack:
    name: str
    source: str
    expect: Callable[[UnitOutcome], None]
    args: tuple[Any, ...] = ()
    limits: Limits = QUICK
    host_paths: tuple[str, ...] = ()  # must not exist afterwards
    extra: dict[str, Any] = field(default_factory=dict)


def unit_fails(outcome: UnitOutcome) -> None:
    assert outcome.status != OK or not outcome.calls[0].ok, outcome


def status_is(*statuses: str) -> Callable[[UnitOutcome], None]:
    def check(outcome: UnitOutcome) -> None:
        assert outcome.status in statuses, outcome
    return check


def students_crash(outcome: UnitOutcome) -> None:
    """The unit crashed, and says so as the student's doing (never as the sandbox's own failure)."""
    assert outcome.status == CRASHED and not is_sandbox_failure(outcome), outcome


def value_is(predicate: Callable[[Any], bool]) -> Callable[[UnitOutcome], None]:
    """Scored only on the returned value: the unit completes and the value is what it is."""
    def check(outcome: UnitOutcome) -> None:
        assert outcome.status == OK and outcome.calls[0].ok, outcome
        assert predicate(outcome.calls[0].value), outcome.calls[0].value
    return check


def error_is(*names: str) -> Callable[[UnitOutcome], None]:
    def check(outcome: UnitOutcome) -> None:
        assert outcome.status == OK and not outcome.calls[0].ok, outcome
        assert outcome.calls[0].error_type in names, outcome.calls[0]
    return check


def fn(body: str, header: str = "") -> str:
    """A module with ``header`` at import and ``attack()`` running ``body``."""
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    return f"{header}\ndef attack(*args):\n{indented}\n"


ATTACKS = [
    Attack("exit at import", "import sys\nsys.exit(0)\ndef attack():\n    return 1\n", status_is(IMPORT_ERROR)),
    Attack("os._exit at import", "import os\nos._exit(0)\n", status_is(CRASHED)),
    Attack("sys.exit in function", fn("import sys\nsys.exit(0)"), status_is(CRASHED)),
    Attack("os._exit in function", fn("import os\nos._exit(0)"), status_is(CRASHED)),
    # The zygote's own exit status for a child it could not confine: once read as "the grader's
    # sandbox could not be set up", which the service and Gradescope regrade and never score.
    Attack("exit with the sandbox's setup-failure status at import", "import os\nos._exit(121)\n", students_crash),
    Attack("exit with the sandbox's setup-failure status in function", fn("import os\nos._exit(121)"),
           students_crash),
    Attack("infinite loop", fn("while True:\n    pass"), status_is(TIMEOUT), limits=CUT_SHORT),
    Attack("loop ignoring SIGTERM", fn("import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                       "signal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass"),
           status_is(TIMEOUT), limits=CUT_SHORT),
    Attack("cpu limit", fn("while True:\n    pass"), status_is(TIMEOUT), limits=CPU_BOUND),
    Attack("sleeping", fn("import time\ntime.sleep(3600)"), status_is(TIMEOUT), limits=CUT_SHORT),
    Attack("numpy memory bomb", fn("import numpy as np\nreturn np.ones(10**11)"), error_is("MemoryError", "_ArrayMemoryError")),
    Attack("list memory bomb", fn("hog = []\nwhile True:\n    hog.append(bytearray(10**7))"), unit_fails),
    Attack("fork bomb", fn("import os\nwhile True:\n    os.fork()"), error_is("PermissionError", "BlockingIOError")),
    Attack("lingering thread", fn("import threading, time\n"
                                  "threading.Thread(target=lambda: time.sleep(3600)).start()\nreturn 1"),
           error_is("RuntimeError", "PermissionError")),
    Attack("subprocess", fn("import subprocess\nreturn subprocess.run(['id'], capture_output=True).stdout"), unit_fails),
    Attack("os.system", fn(f"import os\nreturn os.system('touch {PWNED}')"), value_is(lambda v: v != 0),
           host_paths=(PWNED,)),
    Attack("read /etc/shadow", fn("return open('/etc/shadow').read()"), error_is("FileNotFoundError", "PermissionError")),
    Attack("read reference by absolute path",
           fn("out = []\nfor p in args[0]:\n    out.append(open(p).read())\nreturn out"),
           error_is("FileNotFoundError", "PermissionError"), args=(REFERENCE_FILES,)),
    Attack("read /proc/1/environ", fn("return open('/proc/1/environ', 'rb').read()"), error_is("FileNotFoundError")),
    Attack("read the grader's /proc entries", fn("return open(f'/proc/{args[0]}/environ', 'rb').read()"),
           error_is("FileNotFoundError"), args=(os.getpid(),)),
    Attack("search the file system",
           fn("import os\nfound = []\nfor root, dirs, files in os.walk('/'):\n    found += [os.path.join(root, f) "
              "for f in files if root.startswith(args[0]) or '/assignments/' in root\n"
              "           or f in ('spec.toml', 'reference.py', 'pyproject.toml')]\nreturn found, sorted(os.listdir('/'))"),
           # The jail root is the same wherever the checkout and Python live (the host's top-level
           # library links such as lib -> usr/lib aside), and holds no project file.
           value_is(lambda v: v[0] == [] and set(v[1]) - LIBRARY_LINKS == JAIL_ROOT_ENTRIES),
           args=(str(__import__("pathlib").Path(__file__).resolve().parents[2]),)),
    Attack("search memory for expected values",
           fn("import gc\nneedle = 'EXPECTED' + '-CANARY'\nhits = []\nfor o in gc.get_objects():\n    try:\n"
              "        text = repr(o)\n    except Exception:\n        continue\n    if needle in text:\n"
              "        hits.append(text[:300])\nreturn hits"),
           value_is(lambda v: not any(EXPECTED_CANARY in hit or "grader-secret" in hit for hit in v))),
    Attack("walk the frames", fn("import sys\nf = sys._getframe()\nseen = []\nwhile f is not None:\n"
                                 "    seen.append(repr(f.f_locals)[:5000])\n    f = f.f_back\nreturn seen"),
           value_is(lambda v: not any(EXPECTED_CANARY in s or "grader-secret" in s or "reference.py" in s for s in v))),
    Attack("loaded modules", fn("import sys\nreturn sorted(sys.modules)"),
           value_is(lambda v: not [m for m in v if m.startswith(("autograder.grading", "autograder.web", "autograder.models",
                                                                   "autograder.jobs", "flask", "sqlalchemy", "psycopg"))])),
    Attack("environment", fn("import os\nreturn dict(os.environ)"),
           value_is(lambda v: "AUTOGRADER_FAKE_SECRET" not in v and v.get("OPENBLAS_NUM_THREADS") == "1")),
    Attack("patch numpy comparisons",
           fn("return np.array([1.0, 2.0])", "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
              "np.array_equal = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"),
           value_is(lambda v: type(v) is np.ndarray and v.tolist() == [1.0, 2.0])),
    Attack("patch the serializer",
           fn("return 1", "from autograder.sandbox import codec\ncodec.encode = lambda value: b'\\xff' * 64\n"),
           status_is(BAD_OUTPUT, IMPORT_ERROR)),
    Attack("lying ndarray subclass",
           fn("class Liar(np.ndarray):\n    def __eq__(self, other):\n        return True\n"
              "    def __array__(self, *a, **k):\n        return np.full(self.shape, 42.0)\n"
              "return np.zeros(3).view(Liar)", "import numpy as np"),
           value_is(lambda v: type(v) is np.ndarray and v.dtype == np.float64 and v.shape == (3,))),
    Attack("object array", fn("return np.array([object(), 1], dtype=object)", "import numpy as np"),
           value_is(lambda v: isinstance(v, codec.Unsupported))),
    Attack("huge result", fn("return np.zeros(10**7)", "import numpy as np"), status_is(BAD_OUTPUT)),
    Attack("pickle payload",
           fn("class Evil:\n    def __reduce__(self):\n        import os\n        return (os.system, ('touch " + PWNED + "',))\n"
              "return Evil()"),
           value_is(lambda v: isinstance(v, codec.Unsupported)), host_paths=(PWNED,)),
    Attack("raw pickle bytes on the result pipe",
           fn("import os, pickle\nos.write(3, pickle.dumps(print))\nreturn 1"), status_is(BAD_OUTPUT)),
    Attack("NaN and inf", fn("return [float('nan'), np.array([np.inf, -np.inf])]", "import numpy as np"),
           value_is(lambda v: math.isnan(v[0]) and np.isinf(v[1]).all())),
    Attack("fake result frames then exit",
           fn("import os\nfrom autograder.sandbox import codec\n"
              "os.write(3, codec.encode({'kind': 'call', 'index': 0, 'outcome': {'ok': True, 'value': 42}}))\n"
              "os.write(3, codec.encode({'kind': 'done'}))\nos._exit(0)"),
           value_is(lambda v: v == 42)),
    # A frame whose kind or index is an array: `kind == "loaded"` is then an array, whose truth value
    # raised ValueError in the grader, which took it for the sandbox's own failure (regraded, never scored).
    Attack("a result frame whose kind is an array",
           "import os\nimport numpy as np\nfrom autograder.sandbox import codec\n"
           "os.write(3, codec.encode({'kind': np.array(['loaded', 'x']), 'names': []}))\n"
           "def attack():\n    return 1\n", status_is(BAD_OUTPUT)),
    Attack("a call frame whose index is an array",
           fn("import os\nimport numpy as np\nfrom autograder.sandbox import codec\n"
              "os.write(3, codec.encode({'kind': 'call', 'index': np.array([0, 0]), 'outcome': {'ok': True, 'value': 1}}))\n"
              "return 1"), status_is(BAD_OUTPUT)),
    Attack("premature done frame", "import os\nfrom autograder.sandbox import codec\n"
                                   "os.write(3, codec.encode({'kind': 'done'}))\ndef attack():\n    return 1\n",
           status_is(BAD_OUTPUT)),
    Attack("output flood", fn("while True:\n    print('x' * 10000)"), status_is(TIMEOUT), limits=CUT_SHORT),
    Attack("write files", fn(f"open('{PWNED}', 'w').write('x')"), error_is("OSError", "PermissionError", "FileNotFoundError"),
           host_paths=(PWNED,)),
    Attack("write next to the project", fn("open(args[0], 'w').write('x')"),
           error_is("OSError", "PermissionError", "FileNotFoundError"),
           args=(str(__import__("pathlib").Path(__file__).resolve().parents[2] / "pwned.txt"),),
           host_paths=(str(__import__("pathlib").Path(__file__).resolve().parents[2] / "pwned.txt"),)),
    Attack("open a socket", fn("import socket\nreturn socket.socket()"), error_is("PermissionError", "OSError")),
    Attack("connect to PostgreSQL", fn("import socket\nreturn socket.create_connection(('127.0.0.1', 5432), 1)"),
           error_is("PermissionError", "OSError")),
    Attack("connect to Redis", fn("import socket\ns = socket.create_connection(('127.0.0.1', 6379), 1)\n"
                                  "s.sendall(b'FLUSHALL\\r\\n')"), error_is("PermissionError", "OSError")),
    Attack("signal the grader and the zygote",
           fn("import os, signal\nerrors = []\nfor pid in (*args[0], -1, 0):\n    try:\n"
              "        os.kill(pid, signal.SIGKILL)\n    except OSError as e:\n        errors.append(type(e).__name__)\n"
              "return errors"),
           value_is(lambda v: len(v) >= 3)),
    Attack("raise its own limits", fn("import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))"),
           error_is("ValueError", "PermissionError", "OSError")),
    Attack("become root", fn("import os\nos.setuid(0)"), error_is("PermissionError")),
    Attack("segfault", fn("import ctypes\nreturn ctypes.string_at(0)"), status_is(CRASHED)),
    Attack("deep recursion", fn("def down(n):\n    return down(n + 1)\nreturn down(0)"), error_is("RecursionError")),
    Attack("C stack overflow", fn("import sys\nsys.setrecursionlimit(10**7)\ndef down(n):\n    return down(n + 1)\n"
                                  "return down(0)"), unit_fails, limits=CUT_SHORT),
    Attack("read stdin", fn("import sys\nreturn sys.stdin.read()"), value_is(lambda v: v == "")),
    Attack("raw syscalls: ptrace, unshare, mount, bpf",
           fn("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "return [libc.ptrace(16, 1, 0, 0), libc.unshare(0x40000000), libc.mount(b'none', b'/', b'tmpfs', 0, None),"
              " libc.syscall(321, 0, 0, 0), libc.syscall(425, 8, 0)]"),
           value_is(lambda v: v == [-1, -1, -1, -1, -1])),
    # Which of a file's pages are in the page cache: what an earlier unit read (a hidden one's inputs).
    Attack("ask the page cache what earlier units read (mincore)",
           fn("import ctypes, mmap, numpy as np\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "with open(np.__file__, 'rb') as f:\n"
              "    mapped = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
              "address = np.frombuffer(mapped, dtype=np.uint8).ctypes.data\n"
              "pages = (ctypes.c_ubyte * 1)()\n"
              "return libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(1), pages), ctypes.get_errno()"),
           value_is(lambda v: list(v) == [-1, 1])),  # EPERM
    # Evict a file's pages from the page cache every unit shares (MADV_COLD, MADV_PAGEOUT), so that a
    # later unit times its read: a hidden unit could write bits that no warming of the cache erases.
    # MADV_MERGEABLE would let KSM tell by copy-on-write timing what memory other processes hold.
    # The advice NumPy and the allocator give (DONTNEED, HUGEPAGE) stays allowed.
    Attack("evict files from the shared page cache, merge pages (madvise)",
           fn("import mmap, numpy as np\n"
              "def advise(mapped, advice):\n"
              "    try:\n"
              "        mapped.madvise(advice)\n"
              "        return 0\n"
              "    except OSError as error:\n"
              "        return error.errno\n"
              "with open(np.__file__.replace('__init__.py', 'lib/tests/test_function_base.py'), 'rb') as f:\n"
              "    shared = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)\n"
              "sum(shared[i] for i in range(0, len(shared), 4096))\n"
              "own = mmap.mmap(-1, 1 << 22)\n"
              "return [advise(shared, 20), advise(shared, 21), advise(own, 12), advise(own, 4), advise(own, 14)]"),
           value_is(lambda v: list(v) == [1, 1, 1, 0, 0])),  # EPERM for COLD, PAGEOUT, MERGEABLE
]


def benign_job() -> UnitJob:
    return UnitJob(source="def double(x):\n    return 2 * x\n", filename="benign.py",
                   calls=[Call("double", (np.arange(4.0),))], limits=QUICK)


@pytest.mark.parametrize("attack", ATTACKS, ids=[attack.name for attack in ATTACKS])
def test_attack_is_contained(attack: Attack, sandbox, stray_processes, fake_secret: str) -> None:
    args = attack.args
    if attack.name == "signal the grader and the zygote":
        args = ([os.getpid(), sandbox.zygote_pid],)
    job = UnitJob(source=attack.source, filename="attack.py", calls=[Call("attack", args)], limits=attack.limits)
    started = time.monotonic()
    outcome = sandbox.run(job)
    elapsed = time.monotonic() - started

    attack.expect(outcome)
    # Within its limit, plus what the machine kept it waiting for a CPU (credited, bounded).
    assert elapsed - outcome.waited_seconds < attack.limits.wall_seconds + 3
    assert fake_secret not in repr(outcome)
    assert len(outcome.console) <= attack.limits.console_bytes
    for path in attack.host_paths:
        assert not os.path.exists(path), path
    assert stray_processes() == []

    after = sandbox.run(benign_job())
    assert after.status == OK, after
    assert after.calls[0].value.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_there_are_at_least_thirty_attacks() -> None:
    assert len(ATTACKS) >= 30


def test_a_child_the_zygote_cannot_confine_is_still_the_sandboxs_failure(sandbox) -> None:
    # Its limits cannot be set (a NaN address space): it exits before confirming its
    # confinement, so before any student code ran; the service and Gradescope grade it again.
    job = UnitJob(source="def attack():\n    return 1\n", filename="attack.py", calls=[Call("attack", ())],
                  limits=Limits(wall_seconds=4.0, cpu_seconds=2.0, memory_bytes=float("nan")))  # type: ignore[arg-type]
    outcome = sandbox.run(job)
    assert outcome.status == CRASHED and is_sandbox_failure(outcome), outcome
    assert sandbox.run(benign_job()).status == OK

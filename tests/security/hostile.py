"""Hostile student files against the `losses` contract, built from the reference so only one thing differs."""

from __future__ import annotations

LOSSES_FUNCTIONS = (
    "mse",
    "mse_grad",
    "softmax",
    "cross_entropy",
    "cross_entropy_grad",
    "sigmoid",
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
)


def override(reference: str, function: str, body: str, preamble: str = "") -> str:
    """The reference file with ``function`` replaced by one whose body is ``body`` (4-space indented)."""
    indented = "\n".join("    " + line if line else line for line in body.splitlines())
    return f"{preamble}\n{reference}\n\ndef {function}(*args, **kwargs):\n{indented}\n"


# Frame builders run inside the student's file, so that a large forged stream costs the file nothing.
FRAME_BUILDERS = """
import json as _json, struct as _struct

def _frame(header, blobs=()):
    body = _struct.pack("<I", len(header)) + header + b"".join(_struct.pack("<Q", len(b)) + b for b in blobs)
    return _struct.pack("<Q", len(body)) + body

def _call(value_json):
    header = '{"$dict":{"kind":"call","index":0,"outcome":{"$dict":{"ok":true,"value":' + value_json + '}}}}'
    return _frame(header.encode(), (b"",))
"""

# Each forged stream (a Python expression over the builders) is written to the result pipe
# (fd 3) by the first graded function.
FORGED_STREAMS: dict[str, str] = {
    "zero-size items, enormous shape": """_call('{"$array":[0,"|S0",[1099511627776,1099511627776]]}')""",
    "a zero dimension beside huge ones": """_call('{"$array":[0,"<f8",[0,4611686018427387904,8]]}')""",
    "zero-size unicode items": """_call('{"$array":[0,"<U0",[67108864]]}')""",
    "a 5000-digit integer in the header": """_call("1" + "0" * 5000)""",
    "an integer past int64": """_call(str(2 ** 64))""",
    "NaN literal in the header": """_call("NaN")""",
    "a header of 3 MB": """_frame(b'{"$dict":{"kind":"loaded","names":[' + b'"a",' * 750000 + b'"a"]}}')""",
    "a flood of valid 'loaded' frames": """_frame(_json.dumps({"$dict": {"kind": "loaded", "names": []}}).encode()) * 100000""",
    "a frame longer than the output limit": """_struct.pack("<Q", 1 << 40) + bytes(64)""",
    "bytes that are not a frame": """b"\\xff" * 4096""",
}


def forged_stream_file(reference: str, stream: str) -> str:
    """``mse`` writes the forged ``stream`` to the result pipe, then returns normally."""
    return override(reference, "mse", f"import os\nos.write(3, {stream})\nreturn 0.0", preamble=FRAME_BUILDERS)


def searcher_file(reference: str, marker: str) -> str:
    """``mse`` looks for ``marker`` in its frames, in every object the collector knows, and in its heap.

    The marker is never whole in this file or its memory (only its two halves are), so any
    whole occurrence was left behind by someone else. A second, self-planted marker proves the
    search works. The counts come back in the exception message.
    """
    half = len(marker) // 2
    first, second = marker[:half].encode(), marker[half:].encode()
    probe_first, probe_second = b"PLANTED-", b"SELF-CHECK-7c1d"
    return override(
        reference,
        "mse",
        f"""
import ctypes, gc, os, sys
pairs = [({first!r}, {second!r}), ({probe_first!r}, {probe_second!r})]
planted = {probe_first!r} + {probe_second!r}  # whole in memory: the search must find it

def count(data, pair):
    one, two = pair
    found, start = 0, 0
    while True:
        at = data.find(one, start)
        if at < 0:
            return found
        if data[at + len(one):at + len(one) + len(two)] == two:
            found += 1
        start = at + 1

def as_bytes(value):
    if type(value) is str:
        return value.encode("utf-8", "replace")
    if type(value) in (bytes, bytearray):
        return bytes(value)
    return b""

heap = [0, 0]
libc = ctypes.CDLL(None)
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
# write(2) into a pipe copies the page (or fails with EFAULT where nothing is mapped): a
# read of arbitrary memory that cannot crash.
reader, writer = os.pipe()
scanned = 0
# Each MiB holding a tracked object and its neighbours: an arena need not be MiB-aligned, and
# untracked objects (bytes, str) may lie in its part without one.
for chunk in sorted({{(id(o) >> 20) + step for o in gc.get_objects() for step in (-1, 0, 1)}}):
    for block in range(16):
        address = (chunk << 20) + block * 65536
        copied = libc.write(writer, address, 65536)  # a pipe holds 64 KiB: never blocks
        if copied <= 0:
            continue
        data = os.read(reader, copied)
        scanned += copied // 4096
        for k in (0, 1):
            heap[k] += count(data, pairs[k])
objects = [0, 0]
for container in gc.get_objects():
    try:
        referents = gc.get_referents(container)
    except Exception:
        continue
    for item in referents:
        data = as_bytes(item)
        if data:
            for k in (0, 1):
                objects[k] += count(data, pairs[k])
frames = 0
frame = sys._getframe()
while frame is not None:
    for value in list(frame.f_locals.values()):
        try:
            text = as_bytes(value) or repr(value)[:200000].encode("utf-8", "replace")
        except Exception:
            continue
        frames += count(text, pairs[0])
    frame = frame.f_back
raise RuntimeError(f"FOUND frames={{frames}} objects={{objects[0]}} heap={{heap[0]}} "
                   f"selfcheck_objects={{objects[1]}} selfcheck_heap={{heap[1]}} pages={{scanned}}")
""",
    )


def hidden_harvester_file(reference: str) -> str:
    """``mse`` finds the call program in its caller's frames and prints and raises every input it sees."""
    return override(
        reference,
        "mse",
        """
import sys
import numpy as np
seen = []
frame = sys._getframe()
while frame is not None:
    calls = frame.f_locals.get("calls")
    if isinstance(calls, list):
        for call in calls:
            for argument in list(getattr(call, "args", ())) + list(getattr(call, "kwargs", {}).values()):
                if isinstance(argument, np.ndarray) and argument.size and argument.dtype.kind == "f":
                    seen.append(repr(float(argument.flat[0])))
    frame = frame.f_back
print("SEEN", " ".join(seen))
raise ValueError("SEEN " + " ".join(seen))
""",
    )


def stasher_file(reference: str) -> str:
    """Every function keeps the inputs it is given where a later job in its process finds them, and shows them all.

    The stash lives on the ``json`` module, which outlives the student's module: a process that
    runs the hidden cases after the public ones has every input it was ever given in it.
    """
    source = reference
    for name in LOSSES_FUNCTIONS:
        source += f"""

import json as _json, numpy as _np
_honest_{name} = {name}

def {name}(*args, **kwargs):
    stash = _json.__dict__.setdefault("_stash", [])
    for argument in (*args, *kwargs.values()):
        if isinstance(argument, _np.ndarray) and argument.size and argument.dtype.kind == "f":
            stash.append(repr(float(argument.flat[0])))
    print("SEEN", " ".join(stash))
    if len(stash) % 5 == 0:
        raise ValueError("SEEN " + " ".join(stash))
    return _honest_{name}(*args, **kwargs)
"""
    return source


def garbage_everywhere_file(reference: str, function: str = "softmax") -> str:
    """``function`` writes garbage to every descriptor it may have, then answers correctly."""
    return (
        reference
        + f"""

import os as _os
_honest_{function} = {function}

def {function}(*args, **kwargs):
    for fd in range(64):
        try:
            _os.write(fd, b"\\x07garbage\\xff" * 50)
        except OSError:
            pass
    return _honest_{function}(*args, **kwargs)
"""
    )


STDLIB_PATCHES = """
import builtins, copy, json, pickle, time, traceback
json.dumps = json.loads = lambda *a, **k: 1 / 0
pickle.dumps = pickle.loads = lambda *a, **k: 1 / 0
copy.deepcopy = copy.copy = lambda *a, **k: 1 / 0
time.perf_counter = lambda: 1 / 0
traceback.extract_tb = lambda *a, **k: 1 / 0
builtins.print = lambda *a, **k: 1 / 0
"""


def slot_hogging_file(reference: str) -> str:
    """Every function sleeps just under a 1 s limit, and exits when it is not first in its process."""
    source = reference + "\nimport os as _os, time as _time\n_ran = []\n"
    for name in LOSSES_FUNCTIONS:
        source += f'''
_honest_{name} = {name}

def {name}(*args, **kwargs):
    if _ran and _ran[0] != "{name}":
        _os._exit(0)
    if not _ran:
        _ran.append("{name}")
        _time.sleep(0.95)
    return _honest_{name}(*args, **kwargs)
'''
    return source


def slower_file(reference: str, factor: int) -> str:
    """Honest but ``factor`` times slower than the reference on every call (busy, like pure-Python loops).

    Slower in CPU time: on a machine other processes load, the wall time stretches as it would
    for any student's code.
    """
    source = reference + "\nimport time as _time\n"
    for name in LOSSES_FUNCTIONS:
        source += f"""
_fast_{name} = {name}

def {name}(*args, **kwargs):
    started = _time.process_time()
    value = _fast_{name}(*args, **kwargs)
    spent = _time.process_time() - started
    until = _time.process_time() + ({factor} - 1) * spent
    while _time.process_time() < until:
        pass
    return value
"""
    return source

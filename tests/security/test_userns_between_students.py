"""Between students in the user-namespace mode (the sandbox of a zygote that is not root).

The same program as the root-mode suite's core, run as uid 65534 through ``open_executor()``:
a marker-bearing unit, then a unit searching its frames, objects and heap for the marker;
forged result frames, then an honest unit in the same zygote.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess

import pytest

from tests.security import hostile
from tests.sandbox.test_userns import unprivileged_python  # noqa: F401 - a fixture shared with the sandbox suite

PROGRAM = r"""
import json, sys
from autograder.sandbox import open_executor
from autograder.sandbox.executor import Limits, UnitJob
from autograder.sandbox.program import Call

sources = json.loads(sys.stdin.read())
limits = Limits(wall_seconds=10.0, cpu_seconds=10.0, memory_bytes=512 << 20)
executor = open_executor()
results = {"layers": list(executor.layers), "problems": list(executor.problems), "units": []}
for source, function in sources:
    outcome = executor.run(UnitJob(source=source, filename="student.py", calls=[Call(function)], limits=limits))
    call = outcome.calls[0] if outcome.calls else None
    results["units"].append({"status": outcome.status, "message": outcome.message,
                             "error": call.error_message if call is not None else "",
                             "value": call.value if call is not None and type(call.value) in (int, float) else None})
executor.close()
print(json.dumps(results))
"""

BENIGN = "def answer():\n    return 42\n"


def run_as_unprivileged(command: list[str], units: list[tuple[str, str]]) -> dict:
    run = subprocess.run(
        [*command, "-c", PROGRAM],
        input=json.dumps(units),
        capture_output=True,
        text=True,
        cwd="/",
        timeout=180,
        env={"PATH": os.environ.get("PATH", "")},
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    if any(problem.startswith("no user namespace") for problem in result["problems"]):
        pytest.skip("user namespaces are unavailable to unprivileged users here: " + "; ".join(result["problems"]))
    assert "user_namespace" in result["layers"], result
    return result


def test_no_trace_of_the_previous_unit(unprivileged_python):  # noqa: F811
    marker = "LEAK-" + secrets.token_hex(12)
    result = run_as_unprivileged(
        unprivileged_python,
        [
            (BENIGN + f"# {marker}\nNOTES = {marker!r}\n", "answer"),
            (hostile.searcher_file("", marker), "mse"),
        ],
    )
    first, search = result["units"]
    assert first["value"] == 42
    counts = dict(item.split("=") for item in search["error"].removeprefix("FOUND ").split())
    assert int(counts["selfcheck_objects"]) >= 1 and int(counts["selfcheck_heap"]) >= 1, search
    assert (counts["frames"], counts["objects"], counts["heap"]) == ("0", "0", "0"), search


@pytest.mark.parametrize(
    "name",
    ["zero-size items, enormous shape", "a 5000-digit integer in the header", "a flood of valid 'loaded' frames"],
)
def test_a_forged_frame_does_not_reach_the_next_unit(unprivileged_python, name):  # noqa: F811
    result = run_as_unprivileged(
        unprivileged_python,
        [
            (hostile.forged_stream_file("", hostile.FORGED_STREAMS[name]), "mse"),
            (BENIGN, "answer"),
        ],
    )
    forged, honest = result["units"]
    assert forged["status"] == "bad_output", forged
    assert (honest["status"], honest["value"]) == ("ok", 42), honest

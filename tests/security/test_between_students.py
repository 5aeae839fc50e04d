"""No submission may read, disturb or out-score another: hostile students through the engine.

Every test grades its students one after another in ONE zygote (``worker_sandbox``), as a
grading worker with one sandbox slot does, in public and in hidden mode.
"""

from __future__ import annotations

import re
import secrets
import tracemalloc

import numpy as np
import pytest

from autograder.grading.engine import grade_source
from autograder.grading.prepare import prepare_suite
from autograder.sandbox import run_queue
from tests.security import hostile
from tests.security.conftest import HIDDEN_SEED

MODES = ("public", "hidden")


def grade(assignment, source: str, executor, mode: str):
    return grade_source(
        assignment, source.encode(), executor, mode=mode, hidden_seed=HIDDEN_SEED if mode == "hidden" else None
    )


def everything_shown(report) -> str:
    return "\n".join([*report.messages, *(test.output for test in report.tests)])


@pytest.mark.parametrize("mode", MODES)
def test_no_trace_of_the_previous_student(roomy_losses, losses_reference, worker_sandbox, mode):
    marker = "LEAK-" + secrets.token_hex(12)
    previous = losses_reference + f"\n# {marker}\nNOTES = {marker!r}\n"
    assert grade(roomy_losses, previous, worker_sandbox, mode).full_marks
    report = grade(roomy_losses, hostile.searcher_file(losses_reference, marker), worker_sandbox, mode)
    found = re.search(
        r"FOUND frames=(\d+) objects=(\d+) heap=(\d+) selfcheck_objects=(\d+) "
        r"selfcheck_heap=(\d+) pages=(\d+)",
        everything_shown(report),
    )
    assert found, everything_shown(report)
    frames, objects, heap, self_objects, self_heap, pages = map(int, found.groups())
    # The search works: it finds what the file planted in its own memory, over many pages.
    assert self_objects >= 1 and self_heap >= 1 and pages > 100
    assert (frames, objects, heap) == (0, 0, 0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", sorted(hostile.FORGED_STREAMS))
def test_a_forged_result_stream_costs_only_its_own_function(losses, losses_reference, worker_sandbox, mode, name):
    tracemalloc.start()
    try:
        report = grade(
            losses, hostile.forged_stream_file(losses_reference, hostile.FORGED_STREAMS[name]), worker_sandbox, mode
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 100 << 20, f"the grader held {peak >> 20} MB for one forged stream"
    assert report.function_score("mse") == 0
    others = [function for function in hostile.LOSSES_FUNCTIONS if function != "mse"]
    assert all(report.function_score(function) == losses.spec.function(function).points for function in others), (
        everything_shown(report)
    )
    # The next student on the same worker is graded as if nothing had happened.
    assert grade(losses, losses_reference, worker_sandbox, mode).full_marks


@pytest.mark.parametrize("mode", MODES)
def test_hidden_inputs_never_reach_the_report(losses, losses_reference, worker_sandbox, mode):
    report = grade(losses, hostile.hidden_harvester_file(losses_reference), worker_sandbox, mode)
    shown = everything_shown(report)
    public, hidden = _first_float_inputs(prepare_suite(losses, mode, HIDDEN_SEED if mode == "hidden" else None))
    assert "SEEN" in shown and any(value in shown for value in public)  # the harvest works
    assert (mode == "hidden") == bool(hidden)
    assert not [value for value in hidden - public if value in shown]


def _first_float_inputs(suite) -> tuple[set[str], set[str]]:
    public, hidden = set(), set()
    for function in suite.functions:
        public_program, hidden_program = suite.programs(function)
        for program, values in ((public_program, public), (hidden_program, hidden)):
            for call in program.calls:
                for argument in (*call.args, *call.kwargs.values()):
                    if isinstance(argument, np.ndarray) and argument.size and argument.dtype.kind == "f":
                        values.add(repr(float(argument.flat[0])))
    return public, hidden


def test_hidden_inputs_kept_for_later_never_reach_the_report(losses, losses_reference, worker_sandbox):
    # The hidden cases run in the public cases' child (ZygoteExecutor.run_then): what the file
    # keeps and prints there must not come back with anything judged as public.
    units = worker_sandbox.children_used
    report = grade(losses, hostile.stasher_file(losses_reference), worker_sandbox, "hidden")
    assert worker_sandbox.children_used == units + 1  # one child for both phases
    shown = everything_shown(report)
    public, hidden = _first_float_inputs(prepare_suite(losses, "hidden", HIDDEN_SEED))
    assert "SEEN" in shown and any(value in shown for value in public)  # the stash works
    assert hidden - public and not [value for value in hidden - public if value in shown]
    assert any(test.status != "passed" for test in report.tests)


def test_a_misbehaving_function_gets_the_same_verdict_every_time(losses, losses_reference, worker_sandbox):
    source = hostile.garbage_everywhere_file(losses_reference, "softmax")
    verdicts = {
        tuple(sorted((test.name, test.score) for test in grade(losses, source, worker_sandbox, "public").tests))
        for _ in range(20)
    }
    assert len(verdicts) == 1
    scores = dict(next(iter(verdicts)))
    assert all(score == 0 for name, score in scores.items() if name.startswith("softmax:"))


@pytest.mark.parametrize("mode", MODES)
def test_patching_the_standard_library_costs_nothing_it_did_not_break(losses, losses_reference, worker_sandbox, mode):
    report = grade(losses, hostile.STDLIB_PATCHES + losses_reference, worker_sandbox, mode)
    assert report.full_marks, everything_shown(report)


@pytest.mark.parametrize("attack", ["sleep just under the limit", "infinite loop", "memory bomb"])
def test_one_hostile_submission_holds_a_worker_for_at_most_its_budget(
    losses, tight_losses, losses_reference, worker_sandbox, attack
):
    assert losses.spec.limits.submission_budget(prepare_suite(losses).reference_seconds) <= 3.0
    # Graded with half that budget (still over a function's 1 s limit, so it spans several units):
    # the budget is enforced the same way, and each attack burns half the CPU it would.
    budget = tight_losses.spec.limits.submission_budget(prepare_suite(tight_losses).reference_seconds)
    assert 1.0 < budget <= 1.5
    if attack == "sleep just under the limit":
        source = hostile.slot_hogging_file(losses_reference)
    elif attack == "infinite loop":
        source = "".join(hostile.override("", name, "while True:\n    pass") for name in hostile.LOSSES_FUNCTIONS)
    else:
        source = "".join(
            hostile.override("", name, "hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 24))")
            for name in hostile.LOSSES_FUNCTIONS
        )
    grader_waited = run_queue.waited_seconds() or 0.0
    report = grade(tight_losses, source, worker_sandbox, "hidden")
    # This thread grades: what a busy machine kept it waiting for a CPU, between units too, is
    # not the file's doing (inside units part of it is credited already: counted twice, at worst).
    grader_waited = (run_queue.waited_seconds() or 0.0) - grader_waited
    assert report.score < report.max_score
    # The units stop at the budget; what is left is the grader's own bookkeeping between them:
    # its budget, plus what a busy machine kept the units (credited, bounded) and this thread
    # waiting for a CPU. The steps around the units in the zygote (forking, killing, reaping)
    # wait as the units did: the units' credited wait stands for theirs (0 on a quiet machine).
    machine_waited = 2 * report.waited_seconds + grader_waited
    assert report.seconds - machine_waited < budget + 1.5, (report.seconds, report.waited_seconds, grader_waited)
    assert grade(losses, losses_reference, worker_sandbox, "hidden").full_marks


def test_honest_but_slow_code_still_passes(losses, losses_reference, worker_sandbox):
    report = grade(losses, hostile.slower_file(losses_reference, 100), worker_sandbox, "public")
    assert report.full_marks, everything_shown(report)


@pytest.mark.parametrize("mode", MODES)
def test_arguments_changed_in_place_to_anything_never_break_the_grader(losses, losses_reference, worker_sandbox, mode):
    changes = {
        "text dtype": "args[0].dtype = np.dtype('<U2')",
        "shape": "args[0].shape = (-1,)",
        "strides": "args[0].strides = (0,) * args[0].ndim",
        "read-only": "args[0].flags.writeable = False",
        "huge integer": "return 10 ** 400",
        "subclass": "return np.zeros(3).view(np.matrix)",
        "object array": "return np.array([object()], dtype=object)",
    }
    for name, change in changes.items():
        body = f"import numpy as np\ntry:\n    {change}\nexcept Exception:\n    pass\nreturn 0.0"
        report = grade(losses, hostile.override(losses_reference, "mse", body), worker_sandbox, mode)
        assert report.function_score("mse") == 0, name
        assert report.function_score("softmax") == losses.spec.function("softmax").points, name


ANALYTIC_THROUGH_THE_PROBES = """
import numpy as np


def _analytic(f):
    found = f.__globals__
    if f.__name__ == "loss" and f.__closure__:  # least_squares(A, b) handed over as its loss
        return found["least_squares"](*(cell.cell_contents for cell in f.__closure__))[1]
    return found.get(f.__name__ + "_gradient")


def numerical_gradient(f, x, h=1e-5):
    gradient = _analytic(f)
    return np.array(gradient(x), dtype=np.float64) if gradient is not None else np.zeros_like(x)


def numerical_gradient_array(f, x, df, h=1e-5):
    return np.zeros_like(x)


def relative_error(a, b):
    return 0.0


def gradient_check(f, grad_f, x, h=1e-5):
    return 0.0
"""


@pytest.mark.parametrize("mode", MODES)
def test_a_grader_function_does_not_lead_to_its_analytic_gradient(worker_sandbox, mode):
    # The f handed to numerical_gradient has globals of its own: not the probes module's, which
    # hold the analytic gradients (sum_of_squares_gradient, least_squares' gradient) it is graded against.
    from autograder.grading.assignment import find_assignment

    report = grade(find_assignment("gradient_check"), ANALYTIC_THROUGH_THE_PROBES, worker_sandbox, mode)
    assert report.score == 0, [(test.name, test.score) for test in report.tests if test.score]

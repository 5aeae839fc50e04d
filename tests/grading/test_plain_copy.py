"""deep_copy makes the copies copy.deepcopy makes of call programs and results."""

import copy
import pickle
from fractions import Fraction

import numpy as np

from autograder.grading.plain_copy import deep_copy
from autograder.sandbox.codec import Probe, Ref, Rng
from autograder.sandbox.program import Call


def _program():
    shared = np.arange(6.0).reshape(2, 3)
    config = {"lr": 0.1, "state": {"m": np.zeros(3)}, "steps": [1, 2]}
    return [
        Call("forward", args=(shared, shared.T, (Ref(0, (1,)), Probe("f"))), kwargs={"config": config}),
        Call("step", args=(config, Rng(3), [shared, Fraction(1, 3)]), select=(0,), send_args=False),
        (np.float64(2.5), np.array([1, None], dtype=object), ("kept", 1, None)),
    ]


def test_the_copy_is_what_copy_deepcopy_makes():
    program = _program()
    assert pickle.dumps(deep_copy(program)) == pickle.dumps(copy.deepcopy(program))


def test_nothing_mutable_is_shared_with_the_original_and_what_was_shared_stays_shared():
    program = _program()
    copied = deep_copy(program)
    first, second = copied[0], copied[1]
    shared = first.args[0]
    assert shared is not program[0].args[0]
    assert not np.shares_memory(shared, first.args[1])  # a view becomes an array of its own, as with copy.deepcopy
    assert second.args[2][0] is shared and first.kwargs["config"] is second.args[0]
    assert first.kwargs["config"]["state"]["m"] is not program[0].kwargs["config"]["state"]["m"]
    assert copied[2][1] is not program[2][1]  # an array of objects: copied by copy.deepcopy
    assert copied[2][2] is program[2][2]  # immutable all the way down: kept, as copy.deepcopy does
    shared += 1
    assert program[0].args[0][0, 0] == 0.0


def test_a_list_holding_itself_is_copied_once():
    loop: list = [1]
    loop.append(loop)
    copied = deep_copy(loop)
    assert copied[1] is copied and copied is not loop

"""The `losses` assignment folder: reference vs PyTorch and by hand, gradient checks, seeds (the rest: test_folders)."""

import numpy as np
import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.report import FAILED
from autograder.grading.selfcheck import draw_cases, grade_in_process

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

LOSSES = find_assignment("losses")
REFERENCE = LOSSES.reference
FUNCTIONS = [function.name for function in LOSSES.functions]


# --- the reference against an independent oracle -------------------------------------------


def test_hand_computed_values():
    assert REFERENCE.mse(np.array([1.0, 2.0]), np.array([0.0, 0.0])) == pytest.approx(2.5)
    np.testing.assert_allclose(REFERENCE.mse_grad(np.array([[1.0, 2.0]]), np.zeros((1, 2))), [[1.0, 2.0]])
    np.testing.assert_allclose(REFERENCE.softmax(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])
    assert REFERENCE.cross_entropy(np.zeros((2, 4)), np.array([0, 3])) == pytest.approx(np.log(4.0))
    np.testing.assert_allclose(REFERENCE.cross_entropy_grad(np.zeros((2, 2)), np.array([0, 1])),
                               [[-0.25, 0.25], [0.25, -0.25]])
    np.testing.assert_allclose(REFERENCE.sigmoid(np.array([0.0, 1e4, -1e4])), [0.5, 1.0, 0.0])
    assert REFERENCE.binary_cross_entropy(np.array([0.0, 1e4]), np.array([1.0, 0.0])) == pytest.approx(
        (np.log(2.0) + 1e4) / 2)
    np.testing.assert_allclose(REFERENCE.binary_cross_entropy_grad(np.array([0.0, 0.0]), np.array([1.0, 0.0])),
                               [-0.25, 0.25])


def _torch_oracle(torch):
    functional = torch.nn.functional

    def scalar_and_grad(loss, first, *rest):
        x = torch.tensor(first, requires_grad=True)
        value = loss(x, *rest)
        value.backward()
        return value.item(), x.grad.numpy()

    def mse(y_pred, y_true):
        return scalar_and_grad(lambda a: functional.mse_loss(a, torch.tensor(y_true)), y_pred)

    def ce(logits, labels):
        return scalar_and_grad(lambda a: functional.cross_entropy(a, torch.tensor(labels)), logits)

    def bce(logits, targets):
        return scalar_and_grad(lambda a: functional.binary_cross_entropy_with_logits(a, torch.tensor(targets)), logits)

    return {
        "mse": lambda a, b: mse(a, b)[0],
        "mse_grad": lambda a, b: mse(a, b)[1],
        "softmax": lambda z: torch.softmax(torch.tensor(z), dim=1).numpy(),
        "cross_entropy": lambda a, b: ce(a, b)[0],
        "cross_entropy_grad": lambda a, b: ce(a, b)[1],
        "sigmoid": lambda x: torch.sigmoid(torch.tensor(x)).numpy(),
        "binary_cross_entropy": lambda a, b: bce(a, b)[0],
        "binary_cross_entropy_grad": lambda a, b: bce(a, b)[1],
    }


@pytest.mark.oracle
@pytest.mark.parametrize("mode, hidden_seed", [("public", None), ("hidden", 7)])
def test_reference_matches_pytorch_on_every_case(mode, hidden_seed):
    torch = pytest.importorskip("torch", reason="PyTorch is the independent oracle for the reference")
    oracle = _torch_oracle(torch)
    compared = set()
    for draw in draw_cases(LOSSES, mode, hidden_seed):
        if draw.kind != "values":
            continue
        for case in draw.items:
            for call in case.calls:
                expected = oracle[call.function](*call.args)
                got = getattr(REFERENCE, call.function)(*call.args)
                np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=f"{call.function}: {case.label}")
                assert np.shape(got) == np.shape(expected)
                compared.add(call.function)
    assert compared == set(FUNCTIONS)


@pytest.mark.oracle
def test_reference_gradients_match_autograd_of_pytorch_losses():
    torch = pytest.importorskip("torch", reason="PyTorch is the independent oracle for the reference")
    oracle = _torch_oracle(torch)
    rng = np.random.default_rng(7)
    logits, labels = rng.normal(size=(6, 4)) * 1e3, rng.integers(0, 4, size=6)
    np.testing.assert_allclose(REFERENCE.cross_entropy_grad(logits, labels), oracle["cross_entropy_grad"](logits, labels),
                               rtol=1e-10, atol=1e-15)
    z, t = rng.normal(size=9) * 1e3, rng.integers(0, 2, size=9).astype(float)
    np.testing.assert_allclose(REFERENCE.binary_cross_entropy_grad(z, t), oracle["binary_cross_entropy_grad"](z, t),
                               rtol=1e-10, atol=1e-15)


# --- the assignment folder (what the self-check does not cover) -----------------------------


def test_every_gradient_is_checked_against_its_own_forward():
    checked = {function.name for function in LOSSES.functions for check in function.checks if check.kind == "gradcheck"}
    assert checked == {"mse_grad", "cross_entropy_grad", "binary_cross_entropy_grad"}


def test_random_cases_depend_on_the_seed(selfcheck):
    checks = {check.cases: f"{function.name}: {check.name}" for function in LOSSES.functions for check in function.checks}
    random = {checks[generator] for generator in
              ("mse_random_shapes", "cross_entropy_random_shapes", "binary_cross_entropy_random_shapes")}
    assert not random & set(selfcheck("losses").fixed_generators)


def test_every_generator_depends_on_the_seed(selfcheck):
    # A fixed case is the same in the hidden draw: a function tuned to it earns there too.
    assert selfcheck("losses").fixed_generators == []


def _step_sigmoid(x):
    return (np.sign(x) + 1) / 2


@pytest.mark.parametrize("mode", ["public", "hidden"])
def test_a_step_function_for_sigmoid_earns_nothing(mode, suites):
    # Right at 0 and at every extreme: the stability cases hold moderate values too.
    suite = suites("losses")[0 if mode == "public" else 1]
    namespace = dict(vars(REFERENCE), sigmoid=_step_sigmoid)
    namespace["binary_cross_entropy_grad"] = lambda logits, targets: (_step_sigmoid(logits) - targets) / logits.shape[0]
    tests = grade_in_process(LOSSES, suite, namespace, ["sigmoid", "binary_cross_entropy_grad"])
    assert sum(test.score for test in tests) == 0, [(test.name, test.score) for test in tests if test.score]


def test_gradient_checks_catch_a_wrong_gradient(suites):
    namespace = dict(vars(REFERENCE), cross_entropy_grad=LOSSES.mistake_namespace["cross_entropy_grad_not_averaged"])
    tests = grade_in_process(LOSSES, suites("losses")[0], namespace, ["cross_entropy_grad"])
    (gradcheck,) = [test for test in tests if test.kind == "gradcheck"]
    assert gradcheck.status == FAILED and "your backward disagrees with your own forward" in gradcheck.output

"""The `gradient_check` assignment folder: reference vs PyTorch autograd and by hand, probes, other right answers.

The self-check (test_folders) covers cases, reference, starter and mistakes.
"""

from pathlib import Path

import numpy as np
import pytest

from autograder.grading.assignment import find_assignment

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

GRADIENT_CHECK = find_assignment("gradient_check")
REFERENCE = GRADIENT_CHECK.reference
PROBES = GRADIENT_CHECK.probes


# --- the reference against independent oracles ---------------------------------------------


def test_hand_computed_values():
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(REFERENCE.numerical_gradient(lambda z: float(np.sum(z * z)), x), [2.0, -4.0, 1.0],
                               rtol=1e-9)
    np.testing.assert_array_equal(x, [1.0, -2.0, 0.5])
    # sum(x**3) by centred differences is 3x^2 + h^2 exactly.
    np.testing.assert_allclose(REFERENCE.numerical_gradient(lambda z: float(np.sum(z ** 3)), x, h=0.1),
                               3 * x ** 2 + 0.01, rtol=1e-10)
    df = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(lambda z: 2 * z, np.ones((2, 2)), df), 2 * df,
                               rtol=1e-9)
    assert REFERENCE.relative_error(np.array([1.0, 0.0]), np.array([3.0, 0.0])) == pytest.approx(0.5)
    assert REFERENCE.relative_error(np.array([2e-9]), np.array([0.0])) == pytest.approx(0.2)
    assert REFERENCE.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert REFERENCE.gradient_check(lambda z: float(np.sum(z * z)), lambda z: 3 * z, np.array([1.0])) == \
        pytest.approx(0.2)


@pytest.mark.oracle
def test_numerical_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the reference")
    rng = np.random.default_rng(11)
    A, b, x = rng.normal(size=(6, 4)), rng.normal(size=6), rng.normal(size=4)

    def autograd(function, point):
        tensor = torch.tensor(point, requires_grad=True)
        function(tensor).backward()
        return tensor.grad.numpy()

    least_squares, _ = PROBES["least_squares"](A, b)
    expected = autograd(lambda t: 0.5 * torch.sum((torch.tensor(A) @ t - torch.tensor(b)) ** 2) / 6, x)
    np.testing.assert_allclose(REFERENCE.numerical_gradient(least_squares, x.copy()), expected, rtol=1e-7, atol=1e-10)
    matrix = rng.normal(size=(3, 5))
    np.testing.assert_allclose(REFERENCE.numerical_gradient(PROBES["log_sum_exp"], matrix.copy()),
                               autograd(lambda t: torch.logsumexp(t.reshape(-1), 0), matrix), rtol=1e-6, atol=1e-10)

    def vjp(function, point, df):
        tensor = torch.tensor(point, requires_grad=True)
        function(tensor).backward(torch.tensor(df))
        return tensor.grad.numpy()

    W, c, x2 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 4))
    df = rng.normal(size=(5, 3))
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["affine_map"](W, c), x2.copy(), df),
                               vjp(lambda t: t @ torch.tensor(W) + torch.tensor(c), x2, df), rtol=1e-7, atol=1e-10)
    z, dz = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["row_softmax"], z.copy(), dz),
                               vjp(lambda t: torch.softmax(t, dim=-1), z, dz), rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(REFERENCE.numerical_gradient_array(PROBES["elementwise_tanh"], z.copy(), dz),
                               vjp(torch.tanh, z, dz), rtol=1e-6, atol=1e-10)


@pytest.mark.oracle
def test_gradient_check_of_autograd_gradients_is_tiny_and_flags_a_wrong_entry():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the reference")
    rng = np.random.default_rng(5)
    W = rng.normal(size=(4, 3))

    def loss(x):
        return float(np.sum(np.tanh(x @ W) ** 2))

    def autograd_gradient(x):
        tensor = torch.tensor(x, requires_grad=True)
        torch.sum(torch.tanh(tensor @ torch.tensor(W)) ** 2).backward()
        return tensor.grad.numpy()

    x = rng.normal(size=(2, 4))
    assert REFERENCE.gradient_check(loss, autograd_gradient, x.copy()) < 1e-7
    gradient = autograd_gradient(x)

    def wrong(point):
        result = autograd_gradient(point)
        result[1, 2] += 0.1
        return result

    expected = 0.1 / (abs(gradient[1, 2] + 0.1) + abs(gradient[1, 2]))
    assert REFERENCE.gradient_check(loss, wrong, x.copy()) == pytest.approx(expected, rel=1e-6)


@pytest.mark.oracle
def test_probe_gradients_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the probes")
    rng = np.random.default_rng(3)
    A, b, x = rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), rng.normal(size=(3, 2))
    pairs = [PROBES["least_squares"](A, b), (PROBES["sum_of_squares"], PROBES["sum_of_squares_gradient"]),
             (PROBES["sum_of_cubes"], PROBES["sum_of_cubes_gradient"]),
             (PROBES["log_sum_exp"], PROBES["log_sum_exp_gradient"])]
    torch_losses = [lambda t: 0.5 * torch.sum((torch.tensor(A) @ t - torch.tensor(b)) ** 2) / 5,
                    lambda t: torch.sum(t ** 2), lambda t: torch.sum(t ** 3),
                    lambda t: torch.logsumexp(t.reshape(-1), 0)]
    for (loss, gradient), torch_loss in zip(pairs, torch_losses):
        tensor = torch.tensor(x, requires_grad=True)
        value = torch_loss(tensor)
        value.backward()
        assert loss(x) == pytest.approx(value.item(), rel=1e-12)
        np.testing.assert_allclose(gradient(x), tensor.grad.numpy(), rtol=1e-12, atol=1e-14)


# --- the assignment folder (what the self-check does not cover) -----------------------------


def test_generators_all_depend_on_the_seed(selfcheck):
    assert selfcheck("gradient_check").fixed_generators == []


# A right answer written differently (np.nditer, entries saved and put back): the conformance
# suite's student file, here run in-process on every case, public and hidden.
ALTERNATIVE = Path(__file__).resolve().parents[1] / "conformance" / "solutions" / "gradient_check" / "saved_value.py"


def test_differently_written_right_answers_pass_every_case(failed_checks):
    alternative: dict = {}
    exec(compile(ALTERNATIVE.read_text(), str(ALTERNATIVE), "exec"), alternative)
    namespace = dict(vars(REFERENCE))
    namespace.update({function.name: alternative[function.name] for function in GRADIENT_CHECK.functions})
    failures = failed_checks("gradient_check", namespace)
    assert not failures, failures

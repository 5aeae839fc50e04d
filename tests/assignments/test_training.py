"""The `training` assignment folder: reference vs PyTorch optimizers and closed forms, probes, other right answers.

The self-check (test_folders) covers cases, reference, starter and mistakes.
"""

import math
import numpy as np
import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.report import FAILED
from autograder.grading.selfcheck import draw_cases, grade_in_process

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

TRAINING = find_assignment("training")
REFERENCE = TRAINING.reference
PROBES = TRAINING.probes


# --- the reference against independent oracles ---------------------------------------------


def test_hand_computed_minibatches():
    X = np.arange(10.0).reshape(5, 2)
    y = np.arange(5) * 10
    order = np.random.default_rng(3).permutation(5)
    batches = list(REFERENCE.iterate_minibatches(X, y, 2, np.random.default_rng(3)))
    assert [len(yb) for _, yb in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X[order])
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in batches]), y[order])
    assert sorted(np.concatenate([yb for _, yb in batches]).tolist()) == [0, 10, 20, 30, 40]
    (single,) = list(REFERENCE.iterate_minibatches(X, y, 9, np.random.default_rng(3)))
    np.testing.assert_array_equal(single[1], y[order])


def test_gradient_descent_matches_the_closed_form_on_a_quadratic_bowl():
    rng = np.random.default_rng(4)
    basis, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    A = basis @ np.diag([0.5, 1.0, 2.0]) @ basis.T
    center, x0 = rng.normal(size=3), rng.normal(size=3)
    # x_k - c = (I - lr A)^k (x0 - c)
    expected = center + np.linalg.matrix_power(np.eye(3) - 0.3 * A, 9) @ (x0 - center)
    result = REFERENCE.gradient_descent(PROBES["quadratic_bowl_gradient"](A, center), x0, 0.3, 9)
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(REFERENCE.gradient_descent(lambda x: x, x0, 0.1, 0), x0)


def _epoch_orders(seed, n, epochs):
    """The row orders of each epoch: one permutation per epoch from a single generator."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(epochs)]


@pytest.mark.oracle
def test_gradient_descent_matches_torch_sgd():
    torch = pytest.importorskip("torch", reason="PyTorch's optimizers are the independent oracle for the reference")
    rng = np.random.default_rng(8)
    A = np.diag([0.5, 1.5]) + 0.1
    center, x0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    x = torch.tensor(x0, requires_grad=True)
    optimizer = torch.optim.SGD([x], lr=0.2)
    for _ in range(11):
        optimizer.zero_grad()
        difference = x - torch.tensor(center)
        (0.5 * torch.sum(difference * (torch.tensor(A) @ difference))).backward()
        optimizer.step()
    result = REFERENCE.gradient_descent(PROBES["quadratic_bowl_gradient"](A, center), x0, 0.2, 11)
    np.testing.assert_allclose(result, x.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.oracle
def test_probe_losses_match_pytorch_autograd():
    torch = pytest.importorskip("torch", reason="PyTorch autograd is the independent oracle for the probes")
    rng = np.random.default_rng(9)
    X, y = rng.normal(size=(7, 4)), rng.normal(size=7)
    params = {"U": rng.normal(size=(4, 2)), "v": rng.normal(size=2), "c": np.array(0.3),
              "w": rng.normal(size=4), "b": np.array(-0.2)}
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    Xt, yt = torch.tensor(X), torch.tensor(y)
    models = {
        "factorised_regression": (("U", "v", "c"), lambda t: Xt @ t["U"] @ t["v"] + t["c"]),
        "half_squared_error": (("w", "b"), lambda t: Xt @ t["w"] + t["b"]),
    }
    for probe, (names, model) in models.items():
        loss = 0.5 * torch.nn.functional.mse_loss(model(tensors), yt)
        loss.backward()
        value, grads = PROBES[probe]({name: params[name] for name in names}, X, y)
        assert value == pytest.approx(loss.item(), rel=1e-12)
        assert set(grads) == set(names)
        for name in names:
            np.testing.assert_allclose(grads[name], tensors[name].grad.numpy(), rtol=1e-10, atol=1e-12)
            assert np.shape(grads[name]) == np.shape(params[name])


@pytest.mark.oracle
@pytest.mark.parametrize("update", ["fixed_step", "counting_momentum"])
def test_train_matches_a_torch_training_loop(update):
    """fixed_step is SGD; counting_momentum is SGD with momentum and lr / sqrt(step), one buffer per parameter."""
    torch = pytest.importorskip("torch", reason="PyTorch's optimizers are the independent oracle for the reference")
    rng = np.random.default_rng(12)
    n, d, batch_size, epochs, seed = 11, 3, 4, 3, 77
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    params = {"U": 0.3 * rng.normal(size=(d, 2)), "v": 0.3 * rng.normal(size=2), "c": np.array(0.1)}
    tensors = [torch.tensor(params[name], requires_grad=True) for name in ("U", "v", "c")]
    if update == "fixed_step":
        optimizer = torch.optim.SGD(tensors, lr=0.05)
        schedule = None
    else:
        optimizer = torch.optim.SGD(tensors, lr=0.05, momentum=0.5)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 / math.sqrt(step + 1))
    expected_losses = []
    for order in _epoch_orders(seed, n, epochs):
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            optimizer.zero_grad()
            U, v, c = tensors
            prediction = torch.tensor(X[rows]) @ U @ v + c
            loss = 0.5 * torch.mean((prediction - torch.tensor(y[rows])) ** 2)
            loss.backward()
            optimizer.step()
            if schedule is not None:
                schedule.step()
            expected_losses.append(loss.item())
    given = {name: value.copy() for name, value in params.items()}
    trained, losses = REFERENCE.train(PROBES["factorised_regression"], given, X, y, PROBES[update],
                                      {"step_size": 0.05}, batch_size, epochs, np.random.default_rng(seed))
    assert len(losses) == epochs * math.ceil(n / batch_size)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-10)
    for name, tensor in zip(("U", "v", "c"), tensors):
        np.testing.assert_allclose(trained[name], tensor.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(given[name], params[name])
    assert set(given) == set(params)


# --- the assignment folder (what the self-check does not cover) -----------------------------


def test_training_cases_cover_uneven_batches_several_epochs_and_stateful_updates():
    calls = [case.calls[-1] for draw in draw_cases(TRAINING) for case in draw.items
             if draw.kind == "values" and case.calls[-1].function == "train"]
    shapes = [(call.args[2].shape[0], call.args[6], call.args[7], call.args[4].name) for call in calls]
    assert any(n % batch and batch < n for n, batch, _, _ in shapes)
    assert any(batch >= n for n, batch, _, _ in shapes)
    assert any(epochs >= 2 for _, _, epochs, _ in shapes)
    assert {"counting_momentum", "decaying_step", "fixed_step"} <= {update for *_, update in shapes}


def test_generators_all_depend_on_the_seed(selfcheck):
    assert selfcheck("training").fixed_generators == []


def _alternative_iterate_minibatches(X, y, batch_size, rng):
    """A right answer written differently: a list of batches built with np.array_split-free slicing."""
    order = rng.permutation(len(X))
    X_shuffled, y_shuffled = X[order], y[order]
    count = -(-len(X) // batch_size)
    return iter([(X_shuffled[i * batch_size:(i + 1) * batch_size], y_shuffled[i * batch_size:(i + 1) * batch_size])
                 for i in range(count)])


def _alternative_gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0.copy()
    for _ in range(num_steps):
        x -= learning_rate * grad_fn(x)
    return x


def _alternative_train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """A right answer written differently: shallow config copies, the alternative batch iterator."""
    current = {name: value for name, value in params.items()}
    states = {name: dict(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in _alternative_iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            for name in sorted(current):
                current[name], states[name] = update(current[name], grads[name], states[name])
            losses.append(loss)
    return current, losses


def test_differently_written_right_answers_pass_every_case(failed_checks):
    namespace = dict(vars(REFERENCE), iterate_minibatches=_alternative_iterate_minibatches,
                     gradient_descent=_alternative_gradient_descent, train=_alternative_train)
    failures = failed_checks("training", namespace)
    assert not failures, failures


def _merging_iterate_minibatches(X, y, batch_size, rng):
    """Wrong: a last batch under half of batch_size is merged into the one before (a batch larger than batch_size)."""
    order = rng.permutation(len(X))
    starts = list(range(0, len(X), batch_size))
    if len(starts) > 1 and len(X) - starts[-1] < batch_size // 2:
        starts.pop()
    for position, start in enumerate(starts):
        stop = starts[position + 1] if position + 1 < len(starts) else len(X)
        yield X[order[start:stop]], y[order[start:stop]]


def test_a_small_last_batch_merged_into_the_previous_one_fails_every_draw(suites):
    # Found by conformance round 9: with last batches of at least half of batch_size in the public draw,
    # this kept full marks for iterate_minibatches (train caught it only through its own cases).
    namespace = dict(vars(REFERENCE), iterate_minibatches=_merging_iterate_minibatches)
    for position, suite in enumerate(suites("training")):
        results = grade_in_process(TRAINING, suite, namespace, ["iterate_minibatches"])
        uneven = [test for test in results if test.name == "iterate_minibatches: uneven last batch"]
        assert uneven and uneven[0].status == FAILED, f"{suite.mode} draw {position}: kept the point"

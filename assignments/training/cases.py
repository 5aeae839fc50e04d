"""Case generators for the `training` exercise (named in spec.toml).

Generators are passed as ``Rng(seed)`` (a fresh ``default_rng(seed)`` on each side); losses,
step rules and gradient fields are grader probes (probes.py), never reference solutions.
"""

import numpy as np

from autograder.grading.cases import Call, Case, Probe, Ref, Rng, call


def _distinct(rng, count, low=2, high=8):
    """Return ``count`` distinct ints in [low, high) so a transposed result cannot hide."""
    return [int(size) for size in rng.choice(np.arange(low, high), size=count, replace=False)]


def _seed(rng):
    return Rng(int(rng.integers(2**31)))


def _setup(probe, *args):
    """Return the call that builds a data-bound probe; its result stays in the sandbox."""
    return Call(function=f"probe:{probe}", args=args, send_result=False, send_args=False)


def _regression_data(rng, n, d):
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) + 0.5 + 0.1 * rng.normal(size=n)
    return X, y


def _labels(rng, n, classes=3):
    return rng.integers(0, classes, size=n).astype(np.int64)


# iterate_minibatches -------------------------------------------------------------------------


def _batches_case(rng, n, d, batch_size, integer_labels=False, label=""):
    X = rng.normal(size=(n, d))
    y = _labels(rng, n) if integer_labels else rng.normal(size=n)
    return Case([call("iterate_minibatches", X, y, batch_size, _seed(rng))], label=label)


def iterate_minibatches_uneven(rng):
    """N not divisible by batch_size (the last batch is smaller), float and integer targets.

    One last batch of at least two rows and one of a single row: a file that merges a small last
    batch into the one before it (or drops it) fails in every draw, not only where the remainder
    happens to be small.
    """
    batch, d = _distinct(rng, 2, 3, 7)
    n = 4 * batch + int(rng.integers(2, batch))
    single = 4 * batch + 1
    return [
        _batches_case(rng, n, d, batch, label=f"N={n}, D={d}, batch_size={batch}"),
        _batches_case(rng, single, d + 1, batch, integer_labels=True,
                      label=f"N={single}, D={d + 1}, batch_size={batch}, int64 labels (a last batch of one row)"),
        _batches_case(rng, 3 * batch, 1, batch, label=f"N={3 * batch}, D=1, batch_size={batch} (divides N)"),
    ]


def iterate_minibatches_edge_cases(rng):
    """batch_size >= N, batch_size == N, batch_size 1 and a single row."""
    n, d = _distinct(rng, 2, 3, 9)
    return [
        _batches_case(rng, n, d, n + 5, label=f"N={n}, batch_size={n + 5} > N"),
        _batches_case(rng, n, d, n, integer_labels=True, label=f"N={n}, batch_size=N"),
        _batches_case(rng, n, d, 1, label=f"N={n}, batch_size=1"),
        _batches_case(rng, 1, d, 3, label="N=1, batch_size=3"),
    ]


# gradient_descent ----------------------------------------------------------------------------


def _spd(rng, d):
    """A symmetric positive definite matrix with eigenvalues in [0.5, 2] (stable for lr <= 0.5)."""
    basis, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return basis @ np.diag(rng.uniform(0.5, 2.0, size=d)) @ basis.T


def _bowl_case(rng, d, k, steps, learning_rate=0.3, label=""):
    shape = (d,) if k is None else (d, k)
    return Case([_setup("quadratic_bowl_gradient", _spd(rng, d), rng.normal(size=shape)),
                 call("gradient_descent", Ref(0), rng.normal(size=shape), learning_rate, steps)], label=label)


def gradient_descent_quadratic_bowl(rng):
    """Quadratic bowls with x a vector and a matrix of distinct sizes."""
    d, k = _distinct(rng, 2)
    steps = int(rng.integers(5, 15))
    return [
        _bowl_case(rng, d, None, steps, label=f"bowl, x0 ({d},), {steps} steps"),
        _bowl_case(rng, d, k, steps + 3, learning_rate=0.2, label=f"bowl, x0 ({d}, {k}), {steps + 3} steps"),
    ]


def gradient_descent_edge_cases(rng):
    """Zero and one step, D = 1, and a non-quadratic gradient field on a 3-D x."""
    d = _distinct(rng, 1, 3, 7)[0]
    center = rng.normal(size=(2, 3, 2))
    return [
        _bowl_case(rng, d, None, 0, label=f"bowl, x0 ({d},), num_steps=0 (returns x0's values)"),
        _bowl_case(rng, d, None, 1, label=f"bowl, x0 ({d},), num_steps=1"),
        _bowl_case(rng, 1, None, 6, label="bowl, x0 (1,), 6 steps"),
        Case([_setup("log_cosh_gradient", center),
              call("gradient_descent", Ref(0), 3 * rng.normal(size=(2, 3, 2)), 0.5, 7)],
             label="log-cosh gradient tanh(x - c), x0 (2, 3, 2), 7 steps"),
    ]


# train ---------------------------------------------------------------------------------------


def _linear_params(rng, d):
    return {"w": 0.1 * rng.normal(size=d), "b": np.array(0.0)}


def _factorised_params(rng, d, r):
    return {"U": 0.3 * rng.normal(size=(d, r)), "v": 0.3 * rng.normal(size=r), "c": np.array(0.1)}


def _train_case(rng, loss, params, X, y, update, config, batch_size, epochs, label):
    return Case([call("train", Probe(loss), params, X, y, Probe(update), config, batch_size, epochs, _seed(rng))],
                label=label)


def train_minibatches_and_epochs(rng):
    """Uneven last batches over one and several epochs, with a stateless step rule."""
    d, batch = _distinct(rng, 2, 3, 7)
    n = 3 * batch + int(rng.integers(1, batch))
    X, y = _regression_data(rng, n, d)
    X2, y2 = _regression_data(rng, n + 2, d)
    return [
        _train_case(rng, "half_squared_error", _linear_params(rng, d), X, y, "fixed_step", {"step_size": 0.05},
                    batch, 1, f"linear model, N={n}, D={d}, batch_size={batch}, 1 epoch"),
        _train_case(rng, "half_squared_error", _linear_params(rng, d), X2, y2, "fixed_step", {},
                    batch, 3, f"linear model, N={n + 2}, batch_size={batch}, 3 epochs, config {{}}"),
    ]


def train_optimizer_state_per_parameter(rng):
    """Stateful step rules: parameters of different shapes, each with its own state."""
    d, r, batch = _distinct(rng, 3, 2, 7)
    n = 3 * batch + 1
    X, y = _regression_data(rng, n, d)
    return [
        _train_case(rng, "factorised_regression", _factorised_params(rng, d, r), X, y, "counting_momentum",
                    {"step_size": 0.05}, batch, 2,
                    f"U ({d}, {r}), v ({r},), c (); state updated in place; N={n}, batch_size={batch}, 2 epochs"),
        _train_case(rng, "factorised_regression", _factorised_params(rng, d, r), X, y, "decaying_step",
                    {"decay": 0.25}, batch, 2,
                    f"U ({d}, {r}), v ({r},), c (); state in a new dict; partial config; 2 epochs"),
        _train_case(rng, "half_squared_error", _linear_params(rng, d), X, y, "counting_momentum",
                    {"momentum": 0.8, "step_size": 0.02}, batch, 3,
                    f"linear model w ({d},), b (); momentum 0.8; 3 epochs"),
    ]


def train_edge_cases(rng):
    """batch_size >= N (one batch per epoch), batch_size == N, batch_size 1, D = 1."""
    d = _distinct(rng, 1, 2, 6)[0]
    n = int(rng.integers(5, 9))
    X, y = _regression_data(rng, n, d)
    X1, y1 = _regression_data(rng, 4, 1)
    return [
        _train_case(rng, "half_squared_error", _linear_params(rng, d), X, y, "counting_momentum",
                    {"step_size": 0.05}, n + 10, 4, f"N={n}, batch_size={n + 10} > N, 4 epochs"),
        _train_case(rng, "factorised_regression", _factorised_params(rng, d, 2), X, y, "decaying_step", {},
                    n, 2, f"N={n}, batch_size=N, 2 epochs"),
        _train_case(rng, "half_squared_error", _linear_params(rng, 1), X1, y1, "fixed_step", {"step_size": 0.1},
                    1, 2, "N=4, D=1, batch_size=1, 2 epochs"),
    ]

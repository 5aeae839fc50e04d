"""Case generators for the `losses` exercise (named in spec.toml)."""

import numpy as np

from autograder.grading.cases import Case, GradCheck, call

# Rows with entries at +-1e4: naive exp() overflows, a global (not per-row) shift underflows.
STABILITY_LOGITS = np.array([
    [1e4, 0.0, -1e4],
    [1e4, 1e4, 1e4 - 1.0],
    [-1e4, -1e4, -1e4 + 2.0],
    [0.5, -0.25, 0.125],
])
STABILITY_LABELS = np.array([2, 1, 0, 0], dtype=np.int64)

# Binary logits from tiny to huge, with targets that agree and disagree with them.
BINARY_LOGITS = np.array([1e4, -1e4, 1e4, -1e4, 0.0, 50.0, -50.0, 745.0, -745.0])
BINARY_TARGETS = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0])


def _among_moderate_values(rng, extremes, *columns, count=5):
    """``extremes`` (and their ``columns``) shuffled in among ``count`` random moderate values.

    A function right only at the extremes (a step for sigmoid: 0, 1/2 or 1) then fails, and the
    hidden draw does not repeat the public one. Each column gets random 0/1 targets.
    """
    order = rng.permutation(extremes.size + count)
    logits = np.concatenate([extremes, rng.normal(scale=4.0, size=count)])[order]
    others = [np.concatenate([column, rng.integers(0, 2, size=count).astype(np.float64)])[order] for column in columns]
    return (logits, *others)


def _distinct(rng, count, low=2, high=9):
    """Return ``count`` distinct ints in [low, high) so transposed results cannot hide."""
    return [int(size) for size in rng.choice(np.arange(low, high), size=count, replace=False)]


def _regression_pair(rng, shape):
    return rng.normal(size=shape), rng.normal(size=shape)


def _classification(rng, n, c, scale=3.0):
    logits = rng.normal(scale=scale, size=(n, c))
    labels = rng.integers(0, c, size=n).astype(np.int64)
    labels[0] = c - 1  # the last class always appears
    return logits, labels


def _binary(rng, n, scale=2.0):
    logits = rng.normal(scale=scale, size=n)
    targets = rng.integers(0, 2, size=n).astype(np.float64)
    return logits, targets


def _matrix_shapes(rng):
    n, d = _distinct(rng, 2)
    return [((n, d), f"N={n}, D={d}"), ((1, d), f"N=1, D={d}"), ((n, 1), f"N={n}, D=1")]


def _pair_cases(function, rng, shapes):
    cases = []
    for shape, label in shapes:
        y_pred, y_true = _regression_pair(rng, shape)
        cases.append(Case([call(function, y_pred, y_true)], label=label))
    return cases


def _any_shapes(rng):
    n, a, b = _distinct(rng, 3)
    return [((n,), f"1-D ({n},)"), ((1,), "1-D (1,)"), ((a, b, n), f"3-D ({a}, {b}, {n})")]


def mse_random_shapes(rng):
    """Test 2-D predictions of distinct N and D, with N = 1 and D = 1 edges."""
    return _pair_cases("mse", rng, _matrix_shapes(rng))


def mse_any_shape(rng):
    """Test 1-D and 3-D inputs, and a perfect prediction (loss 0)."""
    cases = _pair_cases("mse", rng, _any_shapes(rng))
    y = rng.normal(size=(3, 2))
    cases.append(Case([call("mse", y, y.copy())], label="y_pred == y_true"))
    return cases


def mse_grad_random_shapes(rng):
    """Test 2-D predictions of distinct N and D, with N = 1 and D = 1 edges."""
    return _pair_cases("mse_grad", rng, _matrix_shapes(rng))


def mse_grad_any_shape(rng):
    """Test 1-D and 3-D inputs."""
    return _pair_cases("mse_grad", rng, _any_shapes(rng))


def mse_grad_gradcheck(rng):
    """Check mse_grad against centred differences of the student's own mse."""
    checks = []
    for shape in [(5, 3), (7,)]:
        y_pred, y_true = _regression_pair(rng, shape)
        checks.append(GradCheck(
            inputs={"y_pred": y_pred},
            forward=lambda values, y_true=y_true: call("mse", values["y_pred"], y_true),
            analytic=[call("mse_grad", y_pred, y_true)],
            gradient_paths={"y_pred": ()},
            label=f"y_pred of shape {shape}",
        ))
    return checks


def softmax_random_shapes(rng):
    """Test scores of distinct N and C, with N = 1 and C = 1 edges."""
    n, c = _distinct(rng, 2)
    cases = []
    for shape in [(n, c), (1, c), (n, 1)]:
        z = rng.normal(scale=3.0, size=shape)
        cases.append(Case([call("softmax", z)], label=f"z of shape {shape}"))
    return cases


def softmax_stability(rng):
    """Test entries at +-1e4."""
    n, c = _distinct(rng, 2)
    return [
        Case([call("softmax", STABILITY_LOGITS.copy())], label="rows with entries at +-1e4"),
        Case([call("softmax", rng.uniform(-1e4, 1e4, size=(n, c)))], label="uniform in [-1e4, 1e4]"),
    ]


def _classification_cases(function, rng):
    n, c = _distinct(rng, 2)
    cases = []
    for rows, classes in [(n, c), (1, c), (n, 2)]:
        logits, labels = _classification(rng, rows, classes)
        cases.append(Case([call(function, logits, labels)], label=f"N={rows}, C={classes}"))
    return cases


def _classification_stability_cases(function, rng):
    n, c = _distinct(rng, 2)
    wide = rng.uniform(-1e4, 1e4, size=(n, c))
    wide_labels = rng.integers(0, c, size=n).astype(np.int64)
    return [
        Case([call(function, STABILITY_LOGITS.copy(), STABILITY_LABELS.copy())],
             label="logits at +-1e4, right and wrong classes"),
        Case([call(function, wide, wide_labels)], label="logits uniform in [-1e4, 1e4]"),
    ]


def cross_entropy_random_shapes(rng):
    """Test logits of distinct N and C, with N = 1 and C = 2 edges."""
    return _classification_cases("cross_entropy", rng)


def cross_entropy_stability(rng):
    """Test logits at +-1e4."""
    return _classification_stability_cases("cross_entropy", rng)


def cross_entropy_grad_random_shapes(rng):
    """Test logits of distinct N and C, with N = 1 and C = 2 edges."""
    return _classification_cases("cross_entropy_grad", rng)


def cross_entropy_grad_stability(rng):
    """Test logits at +-1e4."""
    return _classification_stability_cases("cross_entropy_grad", rng)


def cross_entropy_grad_gradcheck(rng):
    """Check cross_entropy_grad against centred differences of the student's own cross_entropy."""
    n, c = _distinct(rng, 2)
    logits, labels = _classification(rng, n, c, scale=1.0)
    return [GradCheck(
        inputs={"logits": logits},
        forward=lambda values: call("cross_entropy", values["logits"], labels),
        analytic=[call("cross_entropy_grad", logits, labels)],
        gradient_paths={"logits": ()},
        label=f"logits of shape {(n, c)}",
    )]


def sigmoid_any_shape(rng):
    """Test 1-D, 2-D and 3-D inputs of moderate size."""
    n, d, k = _distinct(rng, 3)
    return [
        Case([call("sigmoid", rng.normal(scale=3.0, size=shape))], label=f"x of shape {shape}")
        for shape in [(n,), (n, d), (k, n, d), (1,)]
    ]


def _saturated_first(x, value):
    """``x`` with its first entry swapped with an entry equal to ``value``.

    ``np.vectorize`` without ``otypes`` takes the dtype of its result from the first entry, so a
    scalar sigmoid returning the int ``0`` or ``1`` for a saturated input gives integers throughout
    only when a saturated entry comes first: every draw must have one there.
    """
    flat = x.ravel().copy()
    index = int(np.flatnonzero(flat == value)[0])
    flat[[0, index]] = flat[[index, 0]]
    return flat.reshape(x.shape)


def sigmoid_stability(rng):
    """Test inputs from -1e4 to 1e4, including 0, among moderate ones (a saturated entry first)."""
    (one_d,) = _among_moderate_values(rng, BINARY_LOGITS)
    (two_d,) = _among_moderate_values(rng, BINARY_LOGITS[:8], count=4)
    one_d, two_d = _saturated_first(one_d, -1e4), _saturated_first(two_d, 1e4)
    return [
        Case([call("sigmoid", one_d)], label="1-D x from -1e4 to 1e4"),
        Case([call("sigmoid", two_d.reshape(3, 4))], label="2-D x with entries at +-1e4"),
    ]


def _binary_cases(function, rng):
    n = int(rng.integers(3, 12))
    cases = []
    for rows in [n, 1]:
        logits, targets = _binary(rng, rows)
        cases.append(Case([call(function, logits, targets)], label=f"N={rows}"))
    return cases


def _binary_stability_cases(function, rng):
    n = int(rng.integers(3, 12))
    wide = rng.uniform(-1e4, 1e4, size=n)
    wide_targets = rng.integers(0, 2, size=n).astype(np.float64)
    logits, targets = _among_moderate_values(rng, BINARY_LOGITS, BINARY_TARGETS)
    return [
        Case([call(function, logits, targets)], label="logits up to +-1e4, targets agreeing and disagreeing"),
        Case([call(function, wide, wide_targets)], label="logits uniform in [-1e4, 1e4]"),
    ]


def binary_cross_entropy_random_shapes(rng):
    """Test moderate logits, N = 1 edge."""
    return _binary_cases("binary_cross_entropy", rng)


def binary_cross_entropy_stability(rng):
    """Test logits at +-1e4."""
    return _binary_stability_cases("binary_cross_entropy", rng)


def binary_cross_entropy_grad_random_shapes(rng):
    """Test moderate logits, N = 1 edge."""
    return _binary_cases("binary_cross_entropy_grad", rng)


def binary_cross_entropy_grad_stability(rng):
    """Test logits at +-1e4."""
    return _binary_stability_cases("binary_cross_entropy_grad", rng)


def binary_cross_entropy_grad_gradcheck(rng):
    """Check binary_cross_entropy_grad against centred differences of the student's own loss."""
    logits, targets = _binary(rng, 7, scale=1.5)
    return [GradCheck(
        inputs={"logits": logits},
        forward=lambda values: call("binary_cross_entropy", values["logits"], targets),
        analytic=[call("binary_cross_entropy_grad", logits, targets)],
        gradient_paths={"logits": ()},
        label="logits of shape (7,)",
    )]

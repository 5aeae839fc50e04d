"""Case generators of the backprop assignment (named in spec.toml).

Every generator takes the check's ``rng`` and uses nothing else for randomness. Sizes
are drawn distinct (N, D, H, C or M) so that a transposed result cannot hide.
"""

from __future__ import annotations

import numpy as np

from autograder.grading.cases import Call, Case, GradCheck, Ref, call

# Inputs of gradient checks stay at least this far from the ReLU kink.
KINK_MARGIN = 1e-3
LARGE_LOGIT = 1e4
# Step of the centred differences of network gradient checks: losses are O(1), so this
# balances truncation (h**2) against rounding (1e-16 / h) at about 1e-11.
NETWORK_STEP = 1e-5


def _distinct_sizes(rng, count, low=2, high=9):
    return [int(size) for size in rng.choice(np.arange(low, high + 1), size=count, replace=False)]


def _normal(rng, *shape, scale=1.0):
    return rng.standard_normal(shape) * scale


def _setup(function, *args):
    # A forward call whose cache feeds the graded backward call: neither its result nor its
    # arguments are graded here (the forward has its own checks).
    return Call(function=function, args=tuple(args), send_result=False, send_args=False)


def _shape_label(**sizes):
    return ", ".join(f"{name}={size}" for name, size in sizes.items())


def _away_from_kink(rng, shape):
    values = _normal(rng, *shape)
    pushed = np.where(values >= 0, 1.0, -1.0) * (KINK_MARGIN + np.abs(values))
    return np.where(np.abs(values) < KINK_MARGIN, pushed, values)


def _shuffled(rng, x):
    flat = x.ravel()
    rng.shuffle(flat)
    return flat.reshape(x.shape)


# ---------------------------------------------------------------- affine


def _affine_case(rng, n, d, m):
    x, w, b = _normal(rng, n, d), _normal(rng, d, m), _normal(rng, m)
    return Case([call("affine_forward", x, w, b, select=(0,))], label=_shape_label(N=n, D=d, M=m))


def affine_forward_random_shapes(rng):
    """Return cases of random shapes with distinct N, D, M."""
    return [_affine_case(rng, *_distinct_sizes(rng, 3)) for _ in range(3)]


def affine_forward_edge_cases(rng):
    """Return cases with N = 1, D = 1 and M = 1."""
    n, d, m = _distinct_sizes(rng, 3)
    return [_affine_case(rng, 1, d, m), _affine_case(rng, n, 1, m), _affine_case(rng, n, d, 1)]


def _affine_backward_case(rng, n, d, m):
    x, w, b = _normal(rng, n, d), _normal(rng, d, m), _normal(rng, m)
    dout = _normal(rng, n, m)
    calls = [_setup("affine_forward", x, w, b), call("affine_backward", dout, Ref(0, (1,)))]
    return Case(calls, label=_shape_label(N=n, D=d, M=m))


def affine_backward_random_shapes(rng):
    """Return backward cases of random shapes with distinct N, D, M."""
    return [_affine_backward_case(rng, *_distinct_sizes(rng, 3)) for _ in range(3)]


def affine_backward_edge_cases(rng):
    """Return backward cases with N = 1, D = 1 and M = 1."""
    n, d, m = _distinct_sizes(rng, 3)
    return [
        _affine_backward_case(rng, 1, d, m),
        _affine_backward_case(rng, n, 1, m),
        _affine_backward_case(rng, n, d, 1),
    ]


def affine_backward_gradcheck(rng):
    """Return gradient checks of affine_backward against the student's affine_forward."""
    n, d, m = _distinct_sizes(rng, 3)
    inputs = {"x": _normal(rng, n, d), "w": _normal(rng, d, m), "b": _normal(rng, m)}
    dout = _normal(rng, n, m)
    return [GradCheck(
        inputs=inputs,
        forward=lambda values: call("affine_forward", values["x"], values["w"], values["b"], select=(0,)),
        analytic=[_setup("affine_forward", inputs["x"], inputs["w"], inputs["b"]),
                  call("affine_backward", dout, Ref(0, (1,)))],
        gradient_paths={"x": (0,), "w": (1,), "b": (2,)},
        weights=dout,
        label=_shape_label(N=n, D=d, M=m),
    )]


# ---------------------------------------------------------------- elementwise layers


def _forward_cases(function, arrays, labels):
    return [Case([call(function, x, select=(0,))], label=label) for x, label in zip(arrays, labels)]


def _backward_cases(rng, forward, backward, arrays, labels):
    cases = []
    for x, label in zip(arrays, labels):
        dout = _normal(rng, *x.shape)
        cases.append(Case([_setup(forward, x), call(backward, dout, Ref(0, (1,)))], label=label))
    return cases


def _random_matrices(rng, scale):
    arrays, labels = [], []
    for _ in range(3):
        n, d = _distinct_sizes(rng, 2)
        arrays.append(_normal(rng, n, d, scale=scale))
        labels.append(_shape_label(N=n, D=d))
    return arrays, labels


def _edge_arrays(rng, scale):
    n, d, k = _distinct_sizes(rng, 3)
    arrays = [_normal(rng, 1, d, scale=scale), _normal(rng, n, 1, scale=scale),
              _normal(rng, n, scale=scale), _normal(rng, k, n, d, scale=scale)]
    labels = [f"shape (1, {d})", f"shape ({n}, 1)", f"1-D shape ({n},)", f"3-D shape ({k}, {n}, {d})"]
    return arrays, labels


def _saturating_arrays(rng):
    n, d = _distinct_sizes(rng, 2, low=3)
    extremes = np.array([LARGE_LOGIT, -LARGE_LOGIT, 800.0, -800.0, 40.0, -40.0, 0.0])
    x = _normal(rng, n, d, scale=3.0)
    x.flat[: extremes.size] = extremes
    x = _shuffled(rng, x)
    # A saturated entry first: np.vectorize without otypes takes the result's dtype from the first
    # entry, so a scalar sigmoid returning the int 0 or 1 when saturated gives integers only then.
    flat = x.ravel()
    index = int(np.flatnonzero(np.abs(flat) >= 800.0)[0])
    flat[[0, index]] = flat[[index, 0]]
    return [x], [f"entries up to +-1e4, shape ({n}, {d})"]


def _kinked_arrays(rng):
    arrays, labels = [], []
    for _ in range(2):
        n, d = _distinct_sizes(rng, 2, low=3)
        x = _normal(rng, n, d)
        x[rng.random((n, d)) < 0.3] = 0.0
        x.flat[0] = 0.0
        arrays.append(_shuffled(rng, x))
        labels.append(f"exact zeros, shape ({n}, {d})")
    return arrays, labels


def sigmoid_forward_random_shapes(rng):
    """Return sigmoid cases of random 2-D shapes."""
    return _forward_cases("sigmoid_forward", *_random_matrices(rng, scale=3.0))


def sigmoid_forward_edge_cases(rng):
    """Return sigmoid cases with N = 1, D = 1, 1-D and 3-D inputs."""
    return _forward_cases("sigmoid_forward", *_edge_arrays(rng, scale=3.0))


def sigmoid_forward_stability(rng):
    """Return sigmoid cases with entries up to +-1e4."""
    return _forward_cases("sigmoid_forward", *_saturating_arrays(rng))


def sigmoid_backward_random_shapes(rng):
    """Return sigmoid backward cases of random 2-D shapes."""
    return _backward_cases(rng, "sigmoid_forward", "sigmoid_backward", *_random_matrices(rng, scale=3.0))


def sigmoid_backward_edge_cases(rng):
    """Return sigmoid backward cases with N = 1, D = 1, 1-D and 3-D inputs."""
    return _backward_cases(rng, "sigmoid_forward", "sigmoid_backward", *_edge_arrays(rng, scale=3.0))


def sigmoid_backward_stability(rng):
    """Return sigmoid backward cases where the sigmoid saturates (inputs up to +-1e4)."""
    return _backward_cases(rng, "sigmoid_forward", "sigmoid_backward", *_saturating_arrays(rng))


def _elementwise_gradcheck(rng, forward, backward, x):
    dout = _normal(rng, *x.shape)
    return GradCheck(
        inputs={"x": x},
        forward=lambda values: call(forward, values["x"], select=(0,)),
        analytic=[_setup(forward, x), call(backward, dout, Ref(0, (1,)))],
        gradient_paths={"x": ()},
        weights=dout,
        label=f"shape {x.shape}",
    )


def sigmoid_backward_gradcheck(rng):
    """Return gradient checks of sigmoid_backward against the student's sigmoid_forward."""
    n, d = _distinct_sizes(rng, 2)
    return [_elementwise_gradcheck(rng, "sigmoid_forward", "sigmoid_backward", _normal(rng, n, d, scale=2.0))]


def relu_forward_random_shapes(rng):
    """Return ReLU cases of random 2-D shapes."""
    return _forward_cases("relu_forward", *_random_matrices(rng, scale=1.0))


def relu_forward_edge_cases(rng):
    """Return ReLU cases with exact zeros, N = 1, D = 1, 1-D and 3-D inputs."""
    kinked, kinked_labels = _kinked_arrays(rng)
    edges, edge_labels = _edge_arrays(rng, scale=1.0)
    return _forward_cases("relu_forward", kinked[:1] + edges, kinked_labels[:1] + edge_labels)


def relu_backward_random_shapes(rng):
    """Return ReLU backward cases of random 2-D shapes."""
    return _backward_cases(rng, "relu_forward", "relu_backward", *_random_matrices(rng, scale=1.0))


def relu_backward_kinks(rng):
    """Return ReLU backward cases with exact zeros in x (the gradient there is 0)."""
    return _backward_cases(rng, "relu_forward", "relu_backward", *_kinked_arrays(rng))


def relu_backward_edge_cases(rng):
    """Return ReLU backward cases with N = 1, D = 1, 1-D and 3-D inputs."""
    return _backward_cases(rng, "relu_forward", "relu_backward", *_edge_arrays(rng, scale=1.0))


def relu_backward_gradcheck(rng):
    """Return gradient checks of relu_backward, inputs away from the kink."""
    n, d = _distinct_sizes(rng, 2)
    return [_elementwise_gradcheck(rng, "relu_forward", "relu_backward", _away_from_kink(rng, (n, d)))]


# ---------------------------------------------------------------- networks


def _linear_params(rng, d, scale=1.0):
    return {"w": _normal(rng, d, scale=scale), "b": np.array(rng.standard_normal())}


def _two_layer_params(rng, d, h, scale=1.0):
    return {
        "W1": _normal(rng, d, h, scale=scale),
        "b1": _normal(rng, h),
        "w2": _normal(rng, h),
        "b2": np.array(rng.standard_normal()),
    }


def _mlp_params(rng, d, h, c):
    return {
        "W1": _normal(rng, d, h),
        "b1": _normal(rng, h, scale=0.5),
        "W2": _normal(rng, h, c),
        "b2": _normal(rng, c, scale=0.5),
    }


def _binary_targets(rng, n):
    targets = (rng.random(n) < 0.5).astype(np.float64)
    targets[:2] = [0.0, 1.0][: min(n, 2)]
    return targets


def _labels(rng, n, c):
    return rng.integers(0, c, size=n).astype(np.int64)


def _network_case(function, params, X, y, label):
    return Case([call(function, params, X, y)], label=label)


def _regression_problem(rng, n, d):
    return _normal(rng, n, d), _normal(rng, n)


def _linear_model_random_shapes(rng, function, problem):
    cases = []
    for _ in range(3):
        n, d = _distinct_sizes(rng, 2, low=2, high=12)
        X, y = problem(rng, n, d)
        cases.append(_network_case(function, _linear_params(rng, d), X, y, _shape_label(N=n, D=d)))
    return cases


def _linear_model_edge_cases(rng, function, problem):
    n, d = _distinct_sizes(rng, 2, low=2, high=12)
    X, y = problem(rng, n, 1)
    one_feature = _network_case(function, _linear_params(rng, 1), X, y, _shape_label(N=n, D=1))
    X, y = problem(rng, 1, d)
    single = _network_case(function, _linear_params(rng, d), X, y, _shape_label(N=1, D=d))
    return [one_feature, single]


def linear_regression_random_shapes(rng):
    """Return linear regression cases with distinct N and D."""
    return _linear_model_random_shapes(rng, "linear_regression_loss", _regression_problem)


def linear_regression_edge_cases(rng):
    """Return linear regression cases: univariate (D = 1) and a single sample (N = 1)."""
    return _linear_model_edge_cases(rng, "linear_regression_loss", _regression_problem)


def _network_gradcheck(function, params, X, y, label):
    return GradCheck(
        inputs={name: value.copy() for name, value in params.items()},
        forward=lambda values: call(function, dict(values), X, y, select=(0,)),
        analytic=[call(function, params, X, y)],
        gradient_paths={name: (1, name) for name in params},
        h=NETWORK_STEP,
        label=label,
    )


def linear_regression_gradcheck(rng):
    """Return gradient checks of linear_regression_loss against its own loss."""
    n, d = _distinct_sizes(rng, 2)
    X, y = _regression_problem(rng, n, d)
    return [_network_gradcheck("linear_regression_loss", _linear_params(rng, d), X, y, _shape_label(N=n, D=d))]


def _two_layer_cases(rng, function, sizes):
    cases = []
    for n, d, h in sizes:
        X, y = _regression_problem(rng, n, d)
        cases.append(_network_case(function, _two_layer_params(rng, d, h), X, y, _shape_label(N=n, D=d, H=h)))
    return cases


def _random_network_sizes(rng, count):
    return [tuple(_distinct_sizes(rng, count, low=2, high=10)) for _ in range(3)]


def _edge_network_sizes(rng):
    n, d, h = _distinct_sizes(rng, 3, low=2, high=10)
    return [(1, d, h), (n, 1, h), (n, d, 1)]


def two_layer_linear_random_shapes(rng):
    """Return two-layer linear cases with distinct N, D, H."""
    return _two_layer_cases(rng, "two_layer_linear_loss", _random_network_sizes(rng, 3))


def two_layer_linear_edge_cases(rng):
    """Return two-layer linear cases with N = 1, D = 1 and H = 1."""
    return _two_layer_cases(rng, "two_layer_linear_loss", _edge_network_sizes(rng))


def _two_layer_gradcheck(rng, function):
    n, d, h = _distinct_sizes(rng, 3)
    X, y = _regression_problem(rng, n, d)
    # A loss of order 1 keeps the rounding of centred differences far below the gradients.
    params = _two_layer_params(rng, d, h, scale=1.0 / np.sqrt(d))
    return [_network_gradcheck(function, params, X, y, _shape_label(N=n, D=d, H=h))]


def two_layer_linear_gradcheck(rng):
    """Return gradient checks of two_layer_linear_loss against its own loss."""
    return _two_layer_gradcheck(rng, "two_layer_linear_loss")


def two_layer_sigmoid_random_shapes(rng):
    """Return two-layer sigmoid cases with distinct N, D, H."""
    return _two_layer_cases(rng, "two_layer_sigmoid_loss", _random_network_sizes(rng, 3))


def two_layer_sigmoid_edge_cases(rng):
    """Return two-layer sigmoid cases with N = 1, D = 1 and H = 1."""
    return _two_layer_cases(rng, "two_layer_sigmoid_loss", _edge_network_sizes(rng))


def two_layer_sigmoid_stability(rng):
    """Return two-layer sigmoid cases whose hidden pre-activations reach +-1e4."""
    n, d, h = _distinct_sizes(rng, 3, low=3, high=10)
    X, y = _regression_problem(rng, n, d)
    params = _two_layer_params(rng, d, h)
    params["b1"][0], params["b1"][1] = LARGE_LOGIT, -LARGE_LOGIT
    return [_network_case("two_layer_sigmoid_loss", params, X, y, "saturated hidden units, " + _shape_label(N=n, D=d, H=h))]


def two_layer_sigmoid_gradcheck(rng):
    """Return gradient checks of two_layer_sigmoid_loss against its own loss."""
    return _two_layer_gradcheck(rng, "two_layer_sigmoid_loss")


def _classification_problem(rng, n, d):
    return _normal(rng, n, d), _binary_targets(rng, n)


def logistic_regression_random_shapes(rng):
    """Return logistic regression cases with distinct N and D."""
    return _linear_model_random_shapes(rng, "logistic_regression_loss", _classification_problem)


def logistic_regression_edge_cases(rng):
    """Return logistic regression cases: one feature (D = 1) and a single sample (N = 1)."""
    return _linear_model_edge_cases(rng, "logistic_regression_loss", _classification_problem)


def logistic_regression_stability(rng):
    """Return logistic regression cases with logits up to +-1e4, right and wrong side."""
    n, d = _distinct_sizes(rng, 2, low=4, high=12)
    X = _normal(rng, n, d)
    params = _linear_params(rng, d)
    logits = X @ params["w"] + params["b"]
    scale = LARGE_LOGIT / np.abs(logits).max()
    params = {"w": params["w"] * scale, "b": np.array(params["b"] * scale)}
    logits = logits * scale
    y = _binary_targets(rng, n)
    # A confidently wrong row (huge loss) and a confidently right one (loss ~ 0).
    y[0] = float(logits[0] < 0)
    y[1] = float(logits[1] > 0)
    return [_network_case("logistic_regression_loss", params, X, y, f"logits up to +-1e4, N={n}, D={d}")]


def logistic_regression_gradcheck(rng):
    """Return gradient checks of logistic_regression_loss against its own loss."""
    n, d = _distinct_sizes(rng, 2)
    X, y = _classification_problem(rng, n, d)
    return [_network_gradcheck("logistic_regression_loss", _linear_params(rng, d), X, y, _shape_label(N=n, D=d))]


def _mlp_case(rng, n, d, h, c, label=""):
    X, y = _normal(rng, n, d), _labels(rng, n, c)
    return _network_case("mlp_loss", _mlp_params(rng, d, h, c), X, y, label or _shape_label(N=n, D=d, H=h, C=c))


def mlp_random_shapes(rng):
    """Return MLP cases with distinct N, D, H, C."""
    return [_mlp_case(rng, *_distinct_sizes(rng, 4, low=2, high=10)) for _ in range(3)]


def mlp_edge_cases(rng):
    """Return MLP cases with N = 1, D = 1 and H = 1."""
    n, d, h, c = _distinct_sizes(rng, 4, low=2, high=10)
    return [_mlp_case(rng, 1, d, h, c), _mlp_case(rng, n, 1, h, c), _mlp_case(rng, n, d, 1, c)]


def mlp_relu_kinks(rng):
    """Return MLP cases where some hidden pre-activations are exactly 0."""
    n, d, h, c = _distinct_sizes(rng, 4, low=3, high=10)
    X, y = _normal(rng, n, d), _labels(rng, n, c)
    params = _mlp_params(rng, d, h, c)
    # Units with zero weights and bias sit exactly at the kink for every row.
    dead = rng.choice(h, size=2, replace=False)
    params["W1"][:, dead] = 0.0
    params["b1"][dead] = 0.0
    # And one row of X at zero puts every unit with zero bias at the kink.
    X[0] = 0.0
    params["b1"][rng.choice(h)] = 0.0
    label = f"hidden pre-activations exactly 0, N={n}, D={d}, H={h}, C={c}"
    return [_network_case("mlp_loss", params, X, y, label)]


def mlp_stability(rng):
    """Return MLP cases with scores up to +-1e4."""
    n, d, h, c = _distinct_sizes(rng, 4, low=3, high=10)
    X = _normal(rng, n, d)
    params = _mlp_params(rng, d, h, c)
    params["b2"][0], params["b2"][1] = LARGE_LOGIT, -LARGE_LOGIT
    y = _labels(rng, n, c)
    # A row whose true class is 2e4 below the best one, and one on the best class.
    y[0], y[1] = 1, 0
    return [_network_case("mlp_loss", params, X, y, f"scores up to +-1e4, N={n}, D={d}, H={h}, C={c}")]


def mlp_gradcheck(rng):
    """Return gradient checks of mlp_loss, hidden pre-activations away from the kink."""
    n, d, h, c = _distinct_sizes(rng, 4)
    X, y = _normal(rng, n, d), _labels(rng, n, c)
    params = _mlp_params(rng, d, h, c)
    # Moderate scores keep every probability, hence every gradient entry, well above rounding.
    params["W1"] /= np.sqrt(d)
    params["W2"] *= 0.5
    while np.abs(X @ params["W1"] + params["b1"]).min() < KINK_MARGIN:
        params["b1"] = _normal(rng, h, scale=0.5)
    return [_network_gradcheck("mlp_loss", params, X, y, _shape_label(N=n, D=d, H=h, C=c))]

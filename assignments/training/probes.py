"""The grader's own functions handed to students' training code (never reference solutions).

They run inside the student's sandbox: losses with gradients for ``train``, step rules
with the optimizer signature ``update(w, dw, config=None) -> (next_w, config)``, and
gradient fields for ``gradient_descent``. Factories (``quadratic_bowl_gradient``,
``log_cosh_gradient``) are called from a case's setup call and return closures.
"""

import numpy as np


def half_squared_error(params, X, y):
    """Return ``(loss, grads)`` of ``0.5 * mean((X @ w + b - y)**2)`` for params ``w (D,)``, ``b`` () or (1,)."""
    residual = X @ params["w"] + params["b"] - y
    n = len(y)
    loss = float(0.5 * np.mean(residual * residual))
    return loss, {"w": X.T @ residual / n, "b": np.full(np.shape(params["b"]), np.sum(residual) / n)}


def factorised_regression(params, X, y):
    """Return ``(loss, grads)`` of ``0.5 * mean((X @ U @ v + c - y)**2)`` for ``U (D, R)``, ``v (R,)``, ``c`` () or (1,)."""
    hidden = X @ params["U"]
    residual = hidden @ params["v"] + params["c"] - y
    n = len(y)
    loss = float(0.5 * np.mean(residual * residual))
    return loss, {
        "U": np.outer(X.T @ residual, params["v"]) / n,
        "v": hidden.T @ residual / n,
        "c": np.full(np.shape(params["c"]), np.sum(residual) / n),
    }


def fixed_step(w, dw, config=None):
    """Step ``w - step_size * dw`` (default ``step_size`` 0.1); keeps no state, returns a new config."""
    config = dict(config or {})
    config.setdefault("step_size", 0.1)
    return np.asarray(w - config["step_size"] * dw), config


def counting_momentum(w, dw, config=None):
    """Momentum step scaled by ``1 / sqrt(step)``; updates its state (``velocity``, ``step``) IN PLACE in ``config``."""
    if config is None:
        config = {}
    config.setdefault("step_size", 0.1)
    config.setdefault("momentum", 0.5)
    step = config.get("step", 0) + 1
    velocity = config["momentum"] * config.get("velocity", np.zeros_like(w)) + dw
    config["step"] = step
    config["velocity"] = velocity
    return np.asarray(w - config["step_size"] * velocity / np.sqrt(step)), config


def decaying_step(w, dw, config=None):
    """Step ``w - step_size / (1 + decay * t) * dw`` counting ``t`` in a NEW config dict each call."""
    config = dict(config or {})
    config.setdefault("step_size", 0.2)
    config.setdefault("decay", 0.5)
    t = config.get("t", 0)
    config["t"] = t + 1
    return np.asarray(w - config["step_size"] / (1 + config["decay"] * t) * dw), config


def quadratic_bowl_gradient(A, center):
    """Return ``grad_fn(x) = A @ (x - center)``, the gradient of ``0.5 (x-c)ᵀ A (x-c)``; ``x`` (D,) or (D, K)."""

    def gradient(x):
        return A @ (x - center)

    return gradient


def log_cosh_gradient(center):
    """Return ``grad_fn(x) = tanh(x - center)``, the gradient of ``sum(log cosh(x - center))``; any shape."""

    def gradient(x):
        return np.tanh(x - center)

    return gradient

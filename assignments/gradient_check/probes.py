"""The grader's own functions handed to students' gradient_check code as ``f`` and ``grad_f``.

They run inside the student's sandbox. Factories (``least_squares``, ``affine_map``,
``with_wrong_entries``) are called from a case's setup call (``call("probe:least_squares",
A, b, send_result=False)``) and return closures that later calls receive through ``Ref``.
"""

import numpy as np


def least_squares(A, b):
    """Return ``(f, grad_f)`` for ``f(x) = 0.5 * sum((A @ x - b)**2) / len(b)``; ``x`` is (D,) or (D, K)."""

    def loss(x):
        residual = A @ x - b
        return float(0.5 * np.sum(residual * residual) / len(b))

    def gradient(x):
        return A.T @ (A @ x - b) / len(b)

    return loss, gradient


def sum_of_squares(x):
    """Return ``sum(x**2)``; any shape."""
    return float(np.sum(x * x))


def sum_of_squares_gradient(x):
    """Return ``2 * x``."""
    return 2.0 * x


def sum_of_cubes(x):
    """Return ``sum(x**3)``; centred differences of it are off by exactly ``h**2`` per entry."""
    return float(np.sum(x * x * x))


def sum_of_cubes_gradient(x):
    """Return ``3 * x**2``."""
    return 3.0 * x * x


def log_sum_exp(x):
    """Return ``log(sum(exp(x)))`` over all entries, computed stably; couples every entry."""
    shift = np.max(x)
    return float(shift + np.log(np.sum(np.exp(x - shift))))


def log_sum_exp_gradient(x):
    """Return the softmax of all entries of ``x``, in ``x``'s shape."""
    exps = np.exp(x - np.max(x))
    return exps / np.sum(exps)


def with_wrong_entries(gradient, flat_indices, offsets):
    """Return a gradient function equal to ``gradient`` except ``offsets`` added at ``flat_indices``."""

    def wrong_gradient(x):
        grad = np.array(gradient(x), dtype=np.float64)
        grad.reshape(-1)[np.asarray(flat_indices)] += offsets
        return grad

    return wrong_gradient


def affine_map(W, c):
    """Return ``f(x) = x @ W + c`` mapping (N, D) to (N, M)."""

    def affine(x):
        return x @ W + c

    return affine


def elementwise_tanh(x):
    """Return ``tanh(x)``; any shape."""
    return np.tanh(x)


def row_softmax(x):
    """Return the softmax of each row of ``x`` (N, C), an array function that mixes entries."""
    exps = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return exps / np.sum(exps, axis=-1, keepdims=True)


# Steep exponentials: their third derivative is large, so the step h shows in centred differences.
# The relative error of a centred difference is STEEPNESS**2 * h**2 / 6: about 1.5e-4 at h=1e-3
# and 1.5e-8 at the default h=1e-5, so a wrong default step cannot pass for the right one.
STEEPNESS = 30.0


def steep_exponential(x):
    """Return ``sum(exp(30 x)) / 900``; any shape (keep ``|x| <= 0.3``)."""
    return float(np.sum(np.exp(STEEPNESS * x)) / STEEPNESS**2)


def steep_exponential_gradient(x):
    """Return ``exp(30 x) / 30``."""
    return np.exp(STEEPNESS * x) / STEEPNESS


def elementwise_steep_exponential(x):
    """Return ``exp(30 x) / 900`` element-wise; any shape."""
    return np.exp(STEEPNESS * x) / STEEPNESS**2

"""Gradient checking through flat indices with np.unravel_index; 0-d array results."""

import numpy as np


def _centred(evaluate, x, h):
    grad = np.zeros(x.shape)
    for flat_index in range(x.size):
        index = np.unravel_index(flat_index, x.shape)
        saved = x[index].copy()
        x[index] = saved + h
        plus = evaluate(x)
        x[index] = saved - h
        minus = evaluate(x)
        x[index] = saved
        grad[index] = (plus - minus) / (2.0 * h)
    return grad


def numerical_gradient(f, x, h=1e-5):
    """Return the centred-difference gradient of the scalar function f at x (x restored)."""
    return _centred(lambda point: float(f(point)), x, h)


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return the centred-difference gradient of sum(f(x) * df) (x restored)."""
    return _centred(lambda point: np.vdot(f(point), df), x, h)


def relative_error(a, b):
    """Return max(|a-b| / maximum(1e-8, |a|+|b|)) as a 0-d array."""
    denominator = np.maximum(1e-8, np.abs(a) + np.abs(b))
    return np.array((np.abs(a - b) / denominator).max())


def gradient_check(f, grad_f, x, h=1e-5):
    """Return how far grad_f(x) is from the numerical gradient, as a 0-d array."""
    return relative_error(grad_f(x), numerical_gradient(f, x, h))

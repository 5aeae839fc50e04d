"""Gradient checking with np.nditer, saving and restoring each entry of x; Python float results."""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Return centred differences of f at x; every perturbed entry is put back from its saved value."""
    grad = np.zeros_like(x, dtype=np.float64)
    iterator = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not iterator.finished:
        index = iterator.multi_index
        old = x[index]
        x[index] = old + h
        plus = f(x)
        x[index] = old - h
        minus = f(x)
        x[index] = old
        grad[index] = (plus - minus) / (2 * h)
        iterator.iternext()
    return grad


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return centred differences of sum(f(x) * df)."""
    grad = np.zeros_like(x, dtype=np.float64)
    iterator = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not iterator.finished:
        index = iterator.multi_index
        old = x[index]
        x[index] = old + h
        plus = np.array(f(x), copy=True)
        x[index] = old - h
        minus = np.array(f(x), copy=True)
        x[index] = old
        grad[index] = np.sum((plus - minus) * df) / (2 * h)
        iterator.iternext()
    return grad


def relative_error(a, b):
    """Return the largest entrywise |a-b| / max(1e-8, |a|+|b|) as a Python float."""
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def gradient_check(f, grad_f, x, h=1e-5):
    """Return the relative error between grad_f(x) and the numerical gradient."""
    analytic = grad_f(x)
    return relative_error(analytic, numerical_gradient(f, x, h))

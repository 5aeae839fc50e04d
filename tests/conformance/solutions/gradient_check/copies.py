"""Gradient checking that never touches x: each probe point is a fresh copy; loops over np.ndindex."""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Return centred differences of f, evaluated on perturbed copies of x."""
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        forward = x.copy()
        forward[index] += h
        backward = x.copy()
        backward[index] -= h
        grad[index] = (f(forward) - f(backward)) / (2 * h)
    return grad


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return the gradient of sum(f(x) * df) by centred differences on copies of x."""
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        forward = x.copy()
        forward[index] += h
        backward = x.copy()
        backward[index] -= h
        grad[index] = (np.sum(f(forward) * df) - np.sum(f(backward) * df)) / (2 * h)
    return grad


def relative_error(a, b):
    """Return the worst entrywise relative error, looping over the entries (NumPy scalar)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    worst = np.float64(0.0)
    for x_a, x_b in zip(a.ravel(), b.ravel()):
        worst = max(worst, abs(x_a - x_b) / max(1e-8, abs(x_a) + abs(x_b)))
    return worst


def gradient_check(f, grad_f, x, h=1e-5):
    """Return relative_error(grad_f(x), numerical_gradient(f, x, h))."""
    numeric = numerical_gradient(f, x, h=h)
    return relative_error(grad_f(x), numeric)

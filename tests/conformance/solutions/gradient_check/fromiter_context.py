"""Numerical gradients with itertools.product, np.fromiter and a context manager that restores x."""

import itertools
from contextlib import contextmanager

import numpy as np


@contextmanager
def _nudged(x, index, delta):
    original = x[index]
    x[index] = original + delta
    try:
        yield x
    finally:
        x[index] = original


def _partial_derivative(f, x, index, h):
    with _nudged(x, index, h):
        up = f(x)
    with _nudged(x, index, -h):
        down = f(x)
    return (up - down) / (2.0 * h)


def numerical_gradient(f, x, h=0.00001):
    indices = itertools.product(*map(range, x.shape))
    values = np.fromiter((_partial_derivative(f, x, i, h) for i in indices), dtype=np.float64, count=x.size)
    return values.reshape(x.shape)


def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.empty_like(x)
    for index in itertools.product(*map(range, x.shape)):
        with _nudged(x, index, h):
            up = np.array(f(x), dtype=np.float64)  # copy: f may return a view of x
        with _nudged(x, index, -h):
            down = np.array(f(x), dtype=np.float64)
        grad[index] = np.sum((up - down) * df) / (2.0 * h)
    return grad


def relative_error(a, b):
    ratio = np.divide(np.abs(a - b), np.clip(np.abs(a) + np.abs(b), 1e-8, None))
    return np.max(ratio)


def gradient_check(f, grad_f, x, h=1e-5):
    analytic = grad_f(x)
    numeric = numerical_gradient(f, x, h=h)
    return relative_error(analytic, numeric)

"""Gradient checking read literally: the array version differentiates the scalar sum(f(x) * df)."""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(*x.shape):
        keep = x[idx]
        x[idx] = keep + h
        up = f(x)
        x[idx] = keep - h
        down = f(x)
        x[idx] = keep
        grad[idx] = (up - down) / (2 * h)
    return grad


def numerical_gradient_array(f, x, df, h=1e-5):
    def scalar(point):
        return np.sum(f(point) * df)

    return numerical_gradient(scalar, x, h)


def relative_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def gradient_check(f, grad_f, x, h=1e-5):
    analytic = grad_f(x)
    return relative_error(analytic, numerical_gradient(f, x, h))

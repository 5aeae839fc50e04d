"""Gradient checking that perturbs x in place by adding and subtracting h (no saved value).

x + h - 2h + h may differ from x in the last bit; the contract's "original values" is read
as "equal up to rounding" (the grader accepts ~1e-12 relative drift for restored arguments).
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Return centred differences of f at x, nudging each entry up, down and back."""
    grad = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        x[index] += h
        plus = f(x)
        x[index] -= 2 * h
        minus = f(x)
        x[index] += h
        grad[index] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return the gradient of sum(f(x) * df), nudging each entry of x up, down and back."""
    grad = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        x[index] += h
        plus = np.sum(f(x) * df)
        x[index] -= 2 * h
        minus = np.sum(f(x) * df)
        x[index] += h
        grad[index] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b):
    """Return the largest entrywise relative error with a 1e-8 floor."""
    return np.amax(np.abs(a - b) / np.clip(np.abs(a) + np.abs(b), 1e-8, None))


def gradient_check(f, grad_f, x, h=1e-5):
    """Return relative_error(grad_f(x), numerical_gradient(f, x, h))."""
    return relative_error(grad_f(x), numerical_gradient(f, x, h))

"""Reference solutions for the `gradient_check` exercise (never shown to students)."""

import numpy as np


def _centred_differences(f, x, h):
    """Return centred differences of scalar ``f`` at ``x``, perturbing ``x`` in place and restoring it."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def _relative_error(a, b):
    """Return ``max(|a-b| / maximum(1e-8, |a|+|b|))`` as a float."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f, x, h=1e-5):
    """Return the centred-difference gradient of scalar ``f`` at ``x`` (same shape); ``x`` is restored."""
    return _centred_differences(f, x, h)


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return the centred-difference gradient of ``sum(f(x) * df)`` with respect to ``x``."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        out_plus = np.array(f(x), dtype=np.float64)  # copy: f may return a view of x
        x[index] = original - h
        out_minus = np.array(f(x), dtype=np.float64)
        x[index] = original
        grad[index] = np.sum((out_plus - out_minus) * df) / (2 * h)
    return grad


def relative_error(a, b):
    """Return the largest entrywise relative error between ``a`` and ``b``."""
    return _relative_error(a, b)


def gradient_check(f, grad_f, x, h=1e-5):
    """Return the relative error between ``grad_f(x)`` and the centred differences of ``f`` at ``x``."""
    analytic = np.array(grad_f(x), dtype=np.float64)  # copy before x is perturbed
    numeric = _centred_differences(f, x, h)
    return _relative_error(analytic, numeric)

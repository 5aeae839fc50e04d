"""Gradient checking: indices generated recursively, module-level step constant, partials."""

from functools import partial, reduce

import numpy as np

H = 1e-5          # default step of the centred differences
FLOOR = 1e-8      # denominator floor of the relative error


def _indices(shape):
    """Every index tuple of an array of this shape, in C order (recursive)."""
    if not shape:
        yield ()
        return
    for first in range(shape[0]):
        for rest in _indices(shape[1:]):
            yield (first,) + rest


def _centred(f, x, index, h):
    saved = x[index]
    x[index] = saved + h
    plus = f(x)
    x[index] = saved - h
    minus = f(x)
    x[index] = saved
    return (plus - minus) / (2 * h)


def numerical_gradient(f, x, h=H):
    assert isinstance(x, np.ndarray), "x must be a NumPy array"
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in _indices(x.shape):
        grad[index] = _centred(f, x, index, h)
    return grad


def numerical_gradient_array(f, x, df, h=H):
    def weighted(point):
        return np.sum(f(point) * df)

    return numerical_gradient(weighted, x, h=h)


def relative_error(a, b):
    num = np.abs(a - b)
    den = np.maximum(FLOOR, np.abs(a) + np.abs(b))
    return reduce(max, (num / den).ravel().tolist(), 0.0)


def _check(f, grad_f, x, h):
    return relative_error(grad_f(x), numerical_gradient(f, x, h))


def gradient_check(f, grad_f, x, h=H):
    return partial(_check, f, grad_f)(x, h)


if __name__ == "__main__":
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    print(gradient_check(lambda v: np.sum(v**3), lambda v: 3 * v**2, x))

"""Gradient checking with the contract's eᵢ written out: a basis of one-hot arrays shaped like x.

f is evaluated at x + h*e and x - h*e (new arrays; x is never written). For array-valued f
the whole Jacobian is built column by column and contracted with df by np.tensordot.
"""
import numpy as np


def _basis(x):
    """Yield e_i (one-hot, shaped like x) for every entry of x, in C order."""
    size = x.size
    eye = np.eye(size)
    for i in range(size):
        yield eye[i].reshape(x.shape)


def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x)
    diffs = [f(x + h * e) - f(x - h * e) for e in _basis(x)]
    return (np.array(diffs, dtype=np.float64) / (2.0 * h)).reshape(x.shape)


def numerical_gradient_array(f, x, df, h=1e-5):
    x = np.asarray(x)
    df = np.asarray(df, dtype=np.float64)
    columns = [(np.asarray(f(x + h * e), dtype=np.float64) - np.asarray(f(x - h * e), dtype=np.float64)) / (2.0 * h)
               for e in _basis(x)]
    jacobian = np.stack(columns, axis=-1)                # df.shape + (x.size,)
    flat = np.tensordot(df, jacobian, axes=df.ndim)      # (x.size,)
    return flat.reshape(x.shape)


def relative_error(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    denominator = np.fmax(np.abs(a) + np.abs(b), 1e-8)
    return np.amax(np.abs(a - b) / denominator)


def gradient_check(f, grad_f, x, h=1e-5):
    numeric = numerical_gradient(f, x, h=h)
    return relative_error(grad_f(x), numeric)

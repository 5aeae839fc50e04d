"""Gradient checking: numerical gradients by centred differences, and how far apart two gradients are.

Fill in every function below. Arrays are NumPy float64. Do not modify an argument you are
given, except that numerical_gradient and numerical_gradient_array may perturb ``x`` while
they work, as long as every entry of ``x`` holds its original value when they return.
"""

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Return the numerical gradient of the scalar function ``f`` at ``x``.

    f: a function taking an array of x's shape and returning a scalar.
    x: float64 array of any shape; the point where the gradient is taken.
    h: the step.
    Returns an array of x's shape whose entry i is (f(x + h*e_i) - f(x - h*e_i)) / (2*h),
    e_i the i-th unit vector. x must hold its original values when you return.
    """
    raise NotImplementedError


def numerical_gradient_array(f, x, df, h=1e-5):
    """Return the numerical gradient of ``sum(f(x) * df)`` with respect to ``x``.

    f: a function taking an array of x's shape and returning an array of df's shape
       (which may differ from x's shape, e.g. x (N, D) -> f(x) (N, M)).
    x: float64 array of any shape.
    df: float64 array of f(x)'s shape, the upstream gradient.
    h: the step.
    Returns an array of x's shape, by centred differences; x holds its original values after.
    """
    raise NotImplementedError


def relative_error(a, b):
    """Return max(|a - b| / maximum(1e-8, |a| + |b|)) over all entries, as a scalar.

    a, b: float64 arrays of the same shape.
    """
    raise NotImplementedError


def gradient_check(f, grad_f, x, h=1e-5):
    """Return relative_error(grad_f(x), numerical_gradient(f, x, h)).

    f: a scalar function of x; grad_f: its claimed gradient, a function returning an array
    of x's shape. A right grad_f gives a tiny value (around 1e-8 or below).
    """
    raise NotImplementedError

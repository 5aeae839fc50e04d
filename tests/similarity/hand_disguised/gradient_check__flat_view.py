"""Gradient check homework. I used flat indexing because it felt natural."""
from numpy import unravel_index, zeros, vdot, maximum, abs as absolute, array


def relative_error(a, b):
    bottom = maximum(1e-8, absolute(a) + absolute(b))
    return array((absolute(a - b) / bottom).max())


def gradient_check(f, grad_f, x, h=1e-5):
    return relative_error(grad_f(x), numerical_gradient(f, x, h))


def numerical_gradient_array(f, x, df, h=1e-5):
    return central_difference(lambda p: vdot(f(p), df), x, h)


def numerical_gradient(f, x, h=1e-5):
    return central_difference(lambda p: float(f(p)), x, h)


def central_difference(fn, x, step):
    # walk every entry, nudge it both ways, put it back
    out = zeros(x.shape)
    for k in range(x.size):
        where = unravel_index(k, x.shape)
        old = x[where].copy()
        x[where] = old + step
        up = fn(x)
        x[where] = old - step
        down = fn(x)
        x[where] = old   # restore!
        out[where] = (up - down) / (2.0 * step)
    return out

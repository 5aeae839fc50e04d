"""Backprop with explicit loops in the layers; networks built from the layers; bias gradients as floats."""

import math

import numpy as np


def affine_forward(x, w, b):
    """Return (x @ w + b, cache) computed with loops over rows and output units."""
    n, d = x.shape
    m = w.shape[1]
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            total = b[j]
            for k in range(d):
                total += x[i, k] * w[k, j]
            out[i, j] = total
    return out, {"x": x, "w": w}


def affine_backward(dout, cache):
    """Return (dx, dw, db) accumulated with loops."""
    x, w = cache["x"], cache["w"]
    n, d = x.shape
    m = w.shape[1]
    dx = np.zeros((n, d))
    dw = np.zeros((d, m))
    db = np.zeros(m)
    for i in range(n):
        for j in range(m):
            g = dout[i, j]
            db[j] += g
            for k in range(d):
                dx[i, k] += g * w[k, j]
                dw[k, j] += g * x[i, k]
    return dx, dw, db


def _sigmoid_scalar(value):
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def sigmoid_forward(x):
    """Return (sigmoid(x), cache) entry by entry; the cache is the output."""
    out = np.empty(np.shape(x))
    for index in np.ndindex(out.shape):
        out[index] = _sigmoid_scalar(float(x[index]))
    return out, {"out": out}


def sigmoid_backward(dout, cache):
    """Return dout * s * (1 - s) entry by entry."""
    s = cache["out"]
    dx = np.empty(s.shape)
    for index in np.ndindex(s.shape):
        dx[index] = dout[index] * s[index] * (1.0 - s[index])
    return dx


def relu_forward(x):
    """Return (max(x, 0), cache) entry by entry; the cache is the output (positive exactly where x is)."""
    out = np.empty(np.shape(x))
    for index in np.ndindex(out.shape):
        out[index] = x[index] if x[index] > 0 else 0.0
    return out, {"out": out}


def relu_backward(dout, cache):
    """Return dout where the output is positive and 0 elsewhere (also at x == 0)."""
    out = cache["out"]
    dx = np.zeros(out.shape)
    for index in np.ndindex(out.shape):
        if out[index] > 0:
            dx[index] = dout[index]
    return dx


def linear_regression_loss(params, X, y):
    """Return (mse loss, grads) of X @ w + b."""
    w, b = params["w"], params["b"]
    out, cache = affine_forward(X, w[:, None], np.reshape(b, (1,)))
    residual = out[:, 0] - y
    n = len(y)
    loss = float(sum(r * r for r in residual) / n)
    dout = (2.0 * residual / n)[:, None]
    _, dw, db = affine_backward(dout, cache)
    return loss, {"w": dw[:, 0], "b": float(db[0])}


def two_layer_linear_loss(params, X, y):
    """Return (mse loss, grads) of (X @ W1 + b1) @ w2 + b2."""
    hidden, cache1 = affine_forward(X, params["W1"], params["b1"])
    out, cache2 = affine_forward(hidden, params["w2"][:, None], np.reshape(params["b2"], (1,)))
    residual = out[:, 0] - y
    n = len(y)
    loss = float(np.sum(residual ** 2) / n)
    dhidden, dw2, db2 = affine_backward((2.0 * residual / n)[:, None], cache2)
    _, dW1, db1 = affine_backward(dhidden, cache1)
    return loss, {"W1": dW1, "b1": db1, "w2": dw2[:, 0], "b2": float(db2[0])}


def two_layer_sigmoid_loss(params, X, y):
    """Return (mse loss, grads) of sigmoid(X @ W1 + b1) @ w2 + b2."""
    pre, cache1 = affine_forward(X, params["W1"], params["b1"])
    hidden, cache_sigmoid = sigmoid_forward(pre)
    out, cache2 = affine_forward(hidden, params["w2"][:, None], np.reshape(params["b2"], (1,)))
    residual = out[:, 0] - y
    n = len(y)
    loss = float(np.sum(residual ** 2) / n)
    dhidden, dw2, db2 = affine_backward((2.0 * residual / n)[:, None], cache2)
    dpre = sigmoid_backward(dhidden, cache_sigmoid)
    _, dW1, db1 = affine_backward(dpre, cache1)
    return loss, {"W1": dW1, "b1": db1, "w2": dw2[:, 0], "b2": float(db2[0])}


def logistic_regression_loss(params, X, y):
    """Return (binary cross-entropy from logits, grads)."""
    out, cache = affine_forward(X, params["w"][:, None], np.reshape(params["b"], (1,)))
    z = out[:, 0]
    n = len(y)
    loss = 0.0
    dz = np.empty(n)
    for i in range(n):
        loss += max(z[i], 0.0) - z[i] * y[i] + math.log1p(math.exp(-abs(z[i])))
        dz[i] = (_sigmoid_scalar(float(z[i])) - y[i]) / n
    _, dw, db = affine_backward(dz[:, None], cache)
    return float(loss / n), {"w": dw[:, 0], "b": float(db[0])}


def mlp_loss(params, X, y):
    """Return (softmax cross-entropy of a ReLU network, grads)."""
    pre, cache1 = affine_forward(X, params["W1"], params["b1"])
    hidden, cache_relu = relu_forward(pre)
    scores, cache2 = affine_forward(hidden, params["W2"], params["b2"])
    n, c = scores.shape
    loss = 0.0
    dscores = np.empty((n, c))
    for i in range(n):
        biggest = max(scores[i])
        exps = [math.exp(s - biggest) for s in scores[i]]
        total = sum(exps)
        loss += biggest + math.log(total) - scores[i, y[i]]
        for j in range(c):
            dscores[i, j] = (exps[j] / total - (1.0 if j == y[i] else 0.0)) / n
    dhidden, dW2, db2 = affine_backward(dscores, cache2)
    dpre = relu_backward(dhidden, cache_relu)
    _, dW1, db1 = affine_backward(dpre, cache1)
    return loss / n, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

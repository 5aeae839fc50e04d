"""Backprop with hand-written matrix products (triple loops) and a log-softmax loss."""

import math

import numpy as np


def _matmul(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n, k = a.shape
    k2, m = b.shape
    out = np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            acc = 0.0
            for p in range(k - 1, -1, -1):
                acc += a[i, p] * b[p, j]
            out[i, j] = acc
    return out


def affine_forward(x, w, b):
    out = _matmul(x, w)
    for i in range(out.shape[0]):
        out[i] = b + out[i]
    return out, {"x": x, "w": w, "b_shape": np.shape(b)}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = _matmul(dout, np.transpose(w))
    dw = _matmul(np.transpose(x), dout)
    db = np.zeros(dout.shape[1])
    for i in range(dout.shape[0] - 1, -1, -1):
        db += dout[i]
    return dx, dw, db.reshape(cache["b_shape"])


def sigmoid_forward(x):
    x = np.asarray(x, dtype=np.float64)
    out = np.exp(-np.logaddexp(0.0, -x))
    return out, out


def sigmoid_backward(dout, cache):
    s = cache
    return dout * s - dout * s * s


def relu_forward(x):
    out = np.maximum(x, 0.0)
    return out, x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def _vec(X, w):
    return _matmul(X, np.reshape(w, (-1, 1)))[:, 0]


def linear_regression_loss(params, X, y):
    w, b = params["w"], params["b"]
    pred = _vec(X, w) + b
    r = pred - y
    n = len(y)
    loss = math.fsum((r * r).tolist()) / n
    g = 2.0 * r / n
    return loss, {"w": _vec(np.transpose(X), g), "b": math.fsum(g.tolist())}


def two_layer_linear_loss(params, X, y):
    h, c1 = affine_forward(X, params["W1"], params["b1"])
    pred = _vec(h, params["w2"]) + params["b2"]
    r = pred - y
    n = len(y)
    loss = math.fsum((r * r).tolist()) / n
    g = 2.0 * r / n
    dh = np.outer(g, params["w2"])
    dX, dW1, db1 = affine_backward(dh, c1)
    return loss, {"W1": dW1, "b1": db1, "w2": _vec(np.transpose(h), g), "b2": np.array(math.fsum(g.tolist()))}


def two_layer_sigmoid_loss(params, X, y):
    a, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c2 = sigmoid_forward(a)
    pred = _vec(h, params["w2"]) + params["b2"]
    r = pred - y
    n = len(y)
    loss = math.fsum((r * r).tolist()) / n
    g = 2.0 * r / n
    dh = np.outer(g, params["w2"])
    da = sigmoid_backward(dh, c2)
    dX, dW1, db1 = affine_backward(da, c1)
    return loss, {"W1": dW1, "b1": db1, "w2": _vec(np.transpose(h), g), "b2": math.fsum(g.tolist())}


def logistic_regression_loss(params, X, y):
    z = _vec(X, params["w"]) + params["b"]
    n = len(y)
    # log(1 + exp(-z)) for label 1 and log(1 + exp(z)) for label 0, as logaddexp
    terms = y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
    loss = math.fsum(terms.tolist()) / n
    dz = (np.exp(-np.logaddexp(0.0, -z)) - y) / n
    return loss, {"w": _vec(np.transpose(X), dz), "b": np.sum(dz)}


def mlp_loss(params, X, y):
    a, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c2 = relu_forward(a)
    s, c3 = affine_forward(h, params["W2"], params["b2"])
    n = s.shape[0]
    m = np.max(s, axis=1, keepdims=True)
    logp = s - m - np.log(np.sum(np.exp(s - m), axis=1, keepdims=True))
    labels = np.asarray(y).astype(np.int64)
    loss = -math.fsum(logp[np.arange(n), labels].tolist()) / n
    ds = np.exp(logp)
    ds[np.arange(n), labels] -= 1.0
    ds /= n
    dh, dW2, db2 = affine_backward(ds, c3)
    da = relu_backward(dh, c2)
    dX, dW1, db1 = affine_backward(da, c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

"""Backprop fully vectorised; networks written out directly; bias gradients of shape () as 0-d arrays."""

import numpy as np


def affine_forward(x, w, b):
    """Return (x @ w + b, (x, w))."""
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    """Return (dout @ w.T, x.T @ dout, dout summed over rows)."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_forward(x):
    """Return (sigmoid(x), sigmoid(x))."""
    out = _sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    """Return dout * s * (1 - s)."""
    return dout * cache * (1 - cache)


def relu_forward(x):
    """Return (max(x, 0), x)."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    """Return dout masked by x > 0."""
    return dout * (cache > 0)


def _mse_and_grad(pred, y):
    residual = pred - y
    return np.mean(residual ** 2), 2 * residual / y.shape[0]


def linear_regression_loss(params, X, y):
    """Return (mse loss, grads) of X @ w + b."""
    loss, dpred = _mse_and_grad(X @ params["w"] + params["b"], y)
    return loss, {"w": X.T @ dpred, "b": np.array(dpred.sum())}


def two_layer_linear_loss(params, X, y):
    """Return (mse loss, grads) of (X @ W1 + b1) @ w2 + b2."""
    hidden = X @ params["W1"] + params["b1"]
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dhidden = np.outer(dpred, params["w2"])
    return loss, {
        "W1": X.T @ dhidden,
        "b1": dhidden.sum(axis=0),
        "w2": hidden.T @ dpred,
        "b2": np.array(dpred.sum()),
    }


def two_layer_sigmoid_loss(params, X, y):
    """Return (mse loss, grads) of sigmoid(X @ W1 + b1) @ w2 + b2."""
    hidden = _sigmoid(X @ params["W1"] + params["b1"])
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dpre = np.outer(dpred, params["w2"]) * hidden * (1 - hidden)
    return loss, {
        "W1": X.T @ dpre,
        "b1": dpre.sum(axis=0),
        "w2": hidden.T @ dpred,
        "b2": np.array(dpred.sum()),
    }


def logistic_regression_loss(params, X, y):
    """Return (mean softplus(z) - y*z, grads)."""
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    dz = (_sigmoid(z) - y) / y.shape[0]
    return loss, {"w": X.T @ dz, "b": np.array(dz.sum())}


def mlp_loss(params, X, y):
    """Return (softmax cross-entropy of a ReLU network, grads) with a one-hot matrix."""
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n, c = scores.shape
    log_norm = np.logaddexp.reduce(scores, axis=1, keepdims=True)
    log_probs = scores - log_norm
    onehot = np.eye(c)[y]
    loss = -np.sum(log_probs * onehot) / n
    dscores = (np.exp(log_probs) - onehot) / n
    dhidden = dscores @ params["W2"].T
    dpre = np.where(pre > 0, dhidden, 0.0)
    return loss, {
        "W1": X.T @ dpre,
        "b1": dpre.sum(axis=0),
        "W2": hidden.T @ dscores,
        "b2": dscores.sum(axis=0),
    }

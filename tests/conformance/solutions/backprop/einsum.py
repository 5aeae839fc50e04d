"""Backprop with einsum; ReLU cache is a mask; bias gradients as NumPy scalars; losses as 0-d arrays."""

import numpy as np


def affine_forward(x, w, b):
    """Return (einsum('nd,dm->nm') + b, cache)."""
    out = np.einsum("nd,dm->nm", x, w) + b[None, :]
    return out, {"x": x.copy(), "w": w.copy()}


def affine_backward(dout, cache):
    """Return (dx, dw, db) with einsum contractions."""
    x, w = cache["x"], cache["w"]
    dx = np.einsum("nm,dm->nd", dout, w)
    dw = np.einsum("nd,nm->dm", x, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_forward(x):
    """Return (sigmoid(x), cache) using exp(-|x|)."""
    out = _sigmoid(x)
    return out, (out,)


def sigmoid_backward(dout, cache):
    """Return dout * s * (1 - s)."""
    (s,) = cache
    return dout * (s - s * s)


def relu_forward(x):
    """Return (x where x > 0 else 0, mask of x > 0)."""
    mask = x > 0
    return np.where(mask, x, 0.0), mask


def relu_backward(dout, cache):
    """Return dout where the mask is set, 0 elsewhere."""
    return np.where(cache, dout, 0.0)


def linear_regression_loss(params, X, y):
    """Return (mse loss as 0-d array, grads); b's gradient is a NumPy scalar."""
    n = X.shape[0]
    residual = np.einsum("nd,d->n", X, params["w"]) + params["b"] - y
    loss = np.asarray(np.einsum("n,n->", residual, residual) / n)
    dpred = residual * (2.0 / n)
    return loss, {"w": np.einsum("nd,n->d", X, dpred), "b": np.sum(dpred)}


def _two_layer(params, X, y, activation):
    n = X.shape[0]
    pre = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]
    hidden, slope = activation(pre)
    residual = np.einsum("nh,h->n", hidden, params["w2"]) + params["b2"] - y
    loss = np.asarray(np.einsum("n,n->", residual, residual) / n)
    dpred = residual * (2.0 / n)
    dpre = np.einsum("n,h->nh", dpred, params["w2"]) * slope
    grads = {
        "W1": np.einsum("nd,nh->dh", X, dpre),
        "b1": np.einsum("nh->h", dpre),
        "w2": np.einsum("nh,n->h", hidden, dpred),
        "b2": np.sum(dpred),
    }
    return loss, grads


def two_layer_linear_loss(params, X, y):
    """Return (mse loss, grads) of the two-layer linear network."""
    return _two_layer(params, X, y, lambda pre: (pre, np.ones_like(pre)))


def two_layer_sigmoid_loss(params, X, y):
    """Return (mse loss, grads) of the two-layer sigmoid network."""

    def activation(pre):
        hidden = _sigmoid(pre)
        return hidden, hidden * (1 - hidden)

    return _two_layer(params, X, y, activation)


def logistic_regression_loss(params, X, y):
    """Return (binary cross-entropy from the logits, grads)."""
    z = np.einsum("nd,d->n", X, params["w"]) + params["b"]
    n = z.shape[0]
    loss = np.asarray(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    dz = (_sigmoid(z) - y) / n
    return loss, {"w": np.einsum("nd,n->d", X, dz), "b": np.sum(dz)}


def mlp_loss(params, X, y):
    """Return (softmax cross-entropy of a ReLU network, grads) by fancy-index subtraction."""
    pre = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = np.einsum("nh,hc->nc", hidden, params["W2"]) + params["b2"]
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = np.asarray(-log_probs[rows, y].mean())
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dscores /= n
    dhidden = np.einsum("nc,hc->nh", dscores, params["W2"])
    dpre = dhidden * (pre > 0)
    return loss, {
        "W1": np.einsum("nd,nh->dh", X, dpre),
        "b1": dpre.sum(axis=0),
        "W2": np.einsum("nh,nc->hc", hidden, dscores),
        "b2": dscores.sum(axis=0),
    }

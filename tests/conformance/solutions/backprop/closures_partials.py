"""Backprop built from closures, functools.partial and small helper classes."""

from functools import partial

import numpy as np


# ---------------------------------------------------------------- layers
def _affine_forward(x, w, b):
    return x @ w + b, (x, w)


def _affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, np.sum(dout, axis=0)


affine_forward = _affine_forward
affine_backward = _affine_backward


def _make_elementwise(fn, derivative_from_cache, keep):
    """Return (forward, backward) closures for an elementwise activation."""

    def forward(x):
        out = fn(x)
        return out, keep(x, out)

    def backward(dout, cache):
        return dout * derivative_from_cache(cache)

    return forward, backward


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


sigmoid_forward, sigmoid_backward = _make_elementwise(
    _stable_sigmoid,
    lambda s: s * (1.0 - s),
    lambda x, out: out,
)


def _gate_forward(x, threshold):
    return np.where(x > threshold, x, 0.0), x


def _gate_backward(dout, cache, threshold):
    return np.where(cache > threshold, dout, 0.0)


relu_forward = partial(_gate_forward, threshold=0.0)
relu_backward = partial(_gate_backward, threshold=0.0)


# ---------------------------------------------------------------- networks
class _Regression:
    """Mean squared error heads: loss and the gradient of the prediction."""

    @staticmethod
    def mse(pred, y):
        r = pred - y
        return np.mean(r * r), 2.0 * r / r.shape[0]


class _LinearModel(_Regression):
    def loss(self, params, X, y):
        loss, dpred = self.mse(X @ params["w"] + params["b"], y)
        return loss, {"w": X.T @ dpred, "b": np.sum(dpred)}


class _TwoLayer(_Regression):
    def __init__(self, activation):
        self.forward, self.backward = activation

    def loss(self, params, X, y):
        a, cache = self.forward(X @ params["W1"] + params["b1"])
        loss, dpred = self.mse(a @ params["w2"] + params["b2"], y)
        da = np.outer(dpred, params["w2"])
        dpre = self.backward(da, cache)
        grads = {
            "W1": X.T @ dpre,
            "b1": dpre.sum(axis=0),
            "w2": a.T @ dpred,
            "b2": dpred.sum(),
        }
        return loss, grads


def _identity_layer():
    return (lambda x: (x, None)), (lambda dout, cache: dout)


linear_regression_loss = _LinearModel().loss
two_layer_linear_loss = _TwoLayer(_identity_layer()).loss
two_layer_sigmoid_loss = _TwoLayer((sigmoid_forward, sigmoid_backward)).loss


class _Logistic:
    def __call__(self, params, X, y):
        z = X @ params["w"] + params["b"]
        loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        dz = (_stable_sigmoid(z) - y) / len(y)
        return loss, {"w": X.T @ dz, "b": dz.sum()}


logistic_regression_loss = _Logistic()


def mlp_loss(params, X, y):
    h, relu_cache = relu_forward(X @ params["W1"] + params["b1"])
    scores, affine_cache = affine_forward(h, params["W2"], params["b2"])
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = X.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1.0
    dscores /= n
    dh, dW2, db2 = affine_backward(dscores, affine_cache)
    dpre = relu_backward(dh, relu_cache)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": dW2, "b2": db2}

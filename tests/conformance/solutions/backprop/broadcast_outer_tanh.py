# backprop.py
# Everything by broadcasting: weight gradients are sums of per-row outer products
# x[:, :, None] * dout[:, None, :], sigmoid is 0.5 * (1 + tanh(x / 2)), ReLU is x * (x > 0).
import numpy as np


def affine_forward(x, w, b):
    out = (x[:, :, None] * w[None, :, :]).sum(axis=1) + b[None, :]
    return out, {"x": x, "w": w}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = (dout[:, None, :] * w[None, :, :]).sum(axis=2)
    dw = (x[:, :, None] * dout[:, None, :]).sum(axis=0)
    db = np.ones(dout.shape[0]) @ dout
    return dx, dw, db


def _sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def sigmoid_forward(x):
    return _sig(x), {"x": x}


def sigmoid_backward(dout, cache):
    s = _sig(cache["x"])
    return dout * s * (1.0 - s)


def relu_forward(x):
    return x * (x > 0), {"x": x}


def relu_backward(dout, cache):
    return dout * (cache["x"] > 0)


def _mse(pred, y):
    r = pred - y
    return np.mean(r * r), 2.0 * r / r.shape[0]


def linear_regression_loss(params, X, y):
    w, b = params["w"], params["b"]
    loss, g = _mse((X * w).sum(axis=1) + b, y)
    return loss, {"w": (X * g[:, None]).sum(axis=0), "b": g.sum()}


def _two_layer(params, X, y, squash):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    z = (X[:, :, None] * W1[None]).sum(axis=1) + b1
    a = _sig(z) if squash else z
    loss, g = _mse((a * w2).sum(axis=1) + b2, y)
    da = g[:, None] * w2[None, :]
    dz = da * a * (1 - a) if squash else da
    grads = {"W1": (X[:, :, None] * dz[:, None, :]).sum(axis=0), "b1": dz.sum(axis=0),
             "w2": (a * g[:, None]).sum(axis=0), "b2": g.sum()}
    return loss, grads


def two_layer_linear_loss(params, X, y):
    return _two_layer(params, X, y, squash=False)


def two_layer_sigmoid_loss(params, X, y):
    return _two_layer(params, X, y, squash=True)


def logistic_regression_loss(params, X, y):
    z = (X * params["w"]).sum(axis=1) + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    g = (_sig(z) - y) / z.shape[0]
    return loss, {"w": (X * g[:, None]).sum(axis=0), "b": g.sum()}


def mlp_loss(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z = (X[:, :, None] * W1[None]).sum(axis=1) + b1
    h = z * (z > 0)
    s = (h[:, :, None] * W2[None]).sum(axis=1) + b2
    s = s - s.max(axis=1)[:, None]
    logp = s - np.log(np.exp(s).sum(axis=1))[:, None]
    n = X.shape[0]
    target = np.arange(s.shape[1]) == y[:, None]
    loss = -np.where(target, logp, 0.0).sum() / n
    ds = (np.exp(logp) - target) / n
    dh = (ds[:, None, :] * W2[None]).sum(axis=2)
    dz = dh * (z > 0)
    return loss, {"W1": (X[:, :, None] * dz[:, None, :]).sum(axis=0), "b1": dz.sum(axis=0),
                  "W2": (h[:, :, None] * ds[:, None, :]).sum(axis=0), "b2": ds.sum(axis=0)}

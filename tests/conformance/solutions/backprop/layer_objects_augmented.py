"""Backprop with layer objects: each forward returns (out, layer) and the layer object IS the cache.

Networks are built as a list of layer objects run forwards then backwards; the regression
networks fold the bias into an augmented weight vector (a column of ones appended to X).
"""
import numpy as np


class Affine:
    def __init__(self, x, w, b):
        self.x, self.w, self.b = x, w, b

    def forward(self):
        return self.x @ self.w + self.b

    def backward(self, dout):
        return dout @ self.w.T, self.x.T @ dout, dout.sum(axis=0)


class Sigmoid:
    def __init__(self, x):
        self.out = np.where(x >= 0, 1.0 / (1.0 + np.exp(-np.abs(x))),
                            np.exp(-np.abs(x)) / (1.0 + np.exp(-np.abs(x))))

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class ReLU:
    def __init__(self, x):
        self.mask = x > 0

    def forward(self, x):
        return np.where(self.mask, x, 0.0)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)


def affine_forward(x, w, b):
    layer = Affine(x, w, b)
    return layer.forward(), layer


def affine_backward(dout, cache):
    return cache.backward(dout)


def sigmoid_forward(x):
    layer = Sigmoid(x)
    return layer.out, layer


def sigmoid_backward(dout, cache):
    return cache.backward(dout)


def relu_forward(x):
    layer = ReLU(x)
    return layer.forward(x), layer


def relu_backward(dout, cache):
    return cache.backward(dout)


def _augment(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def linear_regression_loss(params, X, y):
    Xa = _augment(X)
    theta = np.append(params["w"], params["b"])
    residual = Xa @ theta - y
    n = len(y)
    loss = residual @ residual / n
    dtheta = Xa.T @ residual * (2.0 / n)
    return loss, {"w": dtheta[:-1], "b": dtheta[-1]}


def _two_layer(params, X, y, activation):
    hidden_layer = Affine(X, params["W1"], params["b1"])
    z = hidden_layer.forward()
    act = Sigmoid(z) if activation else None
    h = act.out if act is not None else z
    Ha = _augment(h)
    theta = np.append(params["w2"], params["b2"])
    residual = Ha @ theta - y
    n = y.shape[0]
    loss = np.mean(residual ** 2)
    dpred = 2.0 * residual / n
    dtheta = Ha.T @ dpred
    dh = np.outer(dpred, params["w2"])
    dz = act.backward(dh) if act is not None else dh
    _, dW1, db1 = hidden_layer.backward(dz)
    return loss, {"W1": dW1, "b1": db1, "w2": dtheta[:-1], "b2": dtheta[-1]}


def two_layer_linear_loss(params, X, y):
    return _two_layer(params, X, y, activation=False)


def two_layer_sigmoid_loss(params, X, y):
    return _two_layer(params, X, y, activation=True)


def logistic_regression_loss(params, X, y):
    Xa = _augment(X)
    theta = np.append(params["w"], params["b"])
    z = Xa @ theta
    losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    loss = losses.mean()
    dz = (Sigmoid(z).out - y) / len(y)
    dtheta = Xa.T @ dz
    return loss, {"w": dtheta[:-1], "b": dtheta[-1]}


def mlp_loss(params, X, y):
    layers = [Affine(X, params["W1"], params["b1"])]
    z1 = layers[0].forward()
    layers.append(ReLU(z1))
    h = layers[1].forward(z1)
    layers.append(Affine(h, params["W2"], params["b2"]))
    scores = layers[2].forward()
    n, c = scores.shape
    top = scores.max(axis=1, keepdims=True)
    lse = top + np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
    log_probs = scores - lse
    onehot = np.eye(c)[y]
    loss = -(log_probs * onehot).sum() / n
    dscores = (np.exp(log_probs) - onehot) / n
    dh, dW2, db2 = layers[2].backward(dscores)
    dz1 = layers[1].backward(dh)
    _, dW1, db1 = layers[0].backward(dz1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

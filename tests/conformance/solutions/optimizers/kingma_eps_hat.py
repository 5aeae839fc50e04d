"""Optimizers, Adam written as in Algorithm 1's "more efficient" form of Kingma & Ba (2015).

alpha_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) and eps_hat = eps * sqrt(1 - beta2^t), so that
w - alpha_t * m / (sqrt(v) + eps_hat) is exactly PyTorch's update. Each function merges the
given config over its defaults into a fresh dict (`dict(DEFAULTS, **config)`) and returns it.
"""
import math

import numpy as np

SGD = dict(learning_rate=1e-2)
MOMENTUM = dict(SGD, momentum=0.9, nesterov=False)
RMSPROP = dict(SGD, decay_rate=0.99, epsilon=1e-8)
ADAM = dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
ADAMW = dict(ADAM, weight_decay=1e-2)


def _merge(defaults, config):
    return dict(defaults, **(config if config is not None else {}))


def sgd(w, dw, config=None):
    c = _merge(SGD, config)
    return w - c["learning_rate"] * dw, c


def sgd_momentum(w, dw, config=None):
    c = _merge(MOMENTUM, config)
    mu = c["momentum"]
    c["velocity"] = mu * c.get("velocity", np.zeros_like(w)) + dw
    if c["nesterov"]:
        return w - c["learning_rate"] * (dw + mu * c["velocity"]), c
    return w - c["learning_rate"] * c["velocity"], c


def rmsprop(w, dw, config=None):
    c = _merge(RMSPROP, config)
    a = c["decay_rate"]
    c["cache"] = a * c.get("cache", np.zeros_like(w)) + (1 - a) * dw * dw
    return w - c["learning_rate"] * dw / (np.sqrt(c["cache"]) + c["epsilon"]), c


def _kingma(w, dw, c):
    b1, b2 = c["beta1"], c["beta2"]
    t = c.get("t", 0) + 1
    m = b1 * c.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * c.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    c.update(t=t, m=m, v=v)
    root = math.sqrt(1 - b2 ** t)
    alpha_t = c["learning_rate"] * root / (1 - b1 ** t)
    eps_hat = c["epsilon"] * root
    return alpha_t * m / (np.sqrt(v) + eps_hat)


def adam(w, dw, config=None):
    c = _merge(ADAM, config)
    return w - _kingma(w, dw, c), c


def adamw(w, dw, config=None):
    c = _merge(ADAMW, config)
    decayed = w * (1 - c["learning_rate"] * c["weight_decay"])
    return decayed - _kingma(w, dw, c), c

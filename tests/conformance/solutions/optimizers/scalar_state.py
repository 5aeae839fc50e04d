"""Optimizers that deep-copy config, start state from the float 0.0 (broadcast) and loop over entries."""

import copy

import numpy as np

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-2},
}


def _config(name, config):
    result = copy.deepcopy(DEFAULTS[name])
    result.update(copy.deepcopy(config or {}))
    return result


def sgd(w, dw, config=None):
    """Return w - lr*dw computed entry by entry."""
    config = _config("sgd", config)
    next_w = np.empty_like(w, dtype=np.float64)
    for index in np.ndindex(w.shape):
        next_w[index] = w[index] - config["learning_rate"] * dw[index]
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Return the momentum step; the velocity starts as 0.0 and becomes an array."""
    config = _config("sgd_momentum", config)
    mu, lr = config["momentum"], config["learning_rate"]
    velocity = mu * np.asarray(config.get("velocity", 0.0)) + dw
    if config["nesterov"]:
        next_w = w - lr * (dw + mu * velocity)
    else:
        next_w = w - lr * velocity
    config["velocity"] = velocity
    return next_w, config


def rmsprop(w, dw, config=None):
    """Return the RMSprop step; the cache starts as 0.0."""
    config = _config("rmsprop", config)
    alpha = config["decay_rate"]
    cache = alpha * np.asarray(config.get("cache", 0.0)) + (1 - alpha) * np.square(dw)
    config["cache"] = cache
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    return next_w, config


def _adam(w, dw, config):
    b1, b2 = config["beta1"], config["beta2"]
    t = int(config.get("t", 0)) + 1
    m = b1 * np.asarray(config.get("m", 0.0)) + (1 - b1) * dw
    v = b2 * np.asarray(config.get("v", 0.0)) + (1 - b2) * np.square(dw)
    config["m"], config["v"], config["t"] = m, v, t
    m_hat = m / (1 - np.power(b1, t))
    v_hat = v / (1 - np.power(b2, t))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])


def adam(w, dw, config=None):
    """Return the Adam step with bias correction."""
    config = _config("adam", config)
    return _adam(w, dw, config), config


def adamw(w, dw, config=None):
    """Return the AdamW step: decay the weights, then Adam."""
    config = _config("adamw", config)
    w = w * (1 - config["learning_rate"] * config["weight_decay"])
    return _adam(w, dw, config), config

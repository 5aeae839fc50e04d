"""Optimizers reading hyper-parameters through a ChainMap over the defaults.

State arrays are created once (zeros shaped like w) and then updated in place with NumPy ufuncs
and ``out=``; the config dict the caller passes is the one returned (a new one when it is None).
AdamW folds the decoupled decay into the step: w - lr*(m̂/(√v̂+ε) + wd*w).
"""
from collections import ChainMap

import numpy as np

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
DEFAULTS["adamw"] = {**DEFAULTS["adam"], "weight_decay": 1e-2}


def _settings(rule, config):
    if config is None:
        config = {}
    return config, ChainMap(config, DEFAULTS[rule])


def _state(config, key, like):
    """Return config[key] as a float64 array of w's shape, made (and stored) on first use."""
    if key not in config:
        config[key] = np.zeros(np.shape(like), dtype=np.float64)
    else:
        state = np.asarray(config[key], dtype=np.float64)
        if state.shape != np.shape(like) or not state.flags.writeable:
            state = np.broadcast_to(state, np.shape(like)).copy()
        config[key] = state
    return config[key]


def sgd(w, dw, config=None):
    config, s = _settings("sgd", config)
    return w - s["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config, s = _settings("sgd_momentum", config)
    v = _state(config, "velocity", w)
    np.multiply(v, s["momentum"], out=v)
    np.add(v, dw, out=v)
    step = dw + s["momentum"] * v if s["nesterov"] else v
    return w - s["learning_rate"] * step, config


def rmsprop(w, dw, config=None):
    config, s = _settings("rmsprop", config)
    c = _state(config, "cache", w)
    alpha = s["decay_rate"]
    np.multiply(c, alpha, out=c)
    c += (1.0 - alpha) * np.square(dw)
    return w - s["learning_rate"] * dw / (np.sqrt(c) + s["epsilon"]), config


def _adam_direction(dw, config, s, like):
    m = _state(config, "m", like)
    v = _state(config, "v", like)
    config["t"] = t = config.get("t", 0) + 1
    b1, b2 = s["beta1"], s["beta2"]
    m *= b1
    m += (1.0 - b1) * dw
    v *= b2
    v += (1.0 - b2) * dw * dw
    m_hat = m / (1.0 - b1 ** t)
    v_hat = v / (1.0 - b2 ** t)
    return m_hat / (np.sqrt(v_hat) + s["epsilon"])


def adam(w, dw, config=None):
    config, s = _settings("adam", config)
    direction = _adam_direction(dw, config, s, w)
    return w - s["learning_rate"] * direction, config


def adamw(w, dw, config=None):
    config, s = _settings("adamw", config)
    direction = _adam_direction(dw, config, s, w)
    return w - s["learning_rate"] * (direction + s["weight_decay"] * w), config

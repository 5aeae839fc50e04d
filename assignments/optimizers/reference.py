"""Reference solutions for the `optimizers` exercise (PyTorch's update rules).

Every function returns a NEW config dict and new state arrays: the caller's config is
never modified, and earlier results stay valid when later steps run.
"""

import numpy as np


def _with_defaults(config, defaults):
    merged = dict(defaults)
    if config is not None:
        merged.update(config)
    return merged


def _state(config, key, like):
    value = config.get(key)
    return np.zeros_like(like, dtype=np.float64) if value is None else np.asarray(value, dtype=np.float64)


def _adam_step(w, dw, config):
    """Return (next_w, config) of one Adam step from already completed hyper-parameters."""
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1.0 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1.0 - beta2) * dw * dw
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config.update(m=m, v=v, t=t)
    return next_w, config


def sgd(w, dw, config=None):
    """Return (w - lr*dw, config) with default learning_rate=1e-2."""
    config = _with_defaults(config, {"learning_rate": 1e-2})
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """Return (next_w, config) of one step of SGD with (optionally Nesterov) momentum."""
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    velocity = mu * _state(config, "velocity", w) + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config


def rmsprop(w, dw, config=None):
    """Return (next_w, config) of one RMSprop step (epsilon outside the square root)."""
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    cache = alpha * _state(config, "cache", w) + (1.0 - alpha) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    """Return (next_w, config) of one bias-corrected Adam step."""
    config = _with_defaults(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    return _adam_step(w, dw, config)


def adamw(w, dw, config=None):
    """Return (next_w, config) of one AdamW step: decoupled weight decay, then Adam."""
    config = _with_defaults(
        config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-2})
    decayed = w * (1.0 - config["learning_rate"] * config["weight_decay"])
    return _adam_step(decayed, dw, config)

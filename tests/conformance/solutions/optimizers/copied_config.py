"""Optimizers that copy config into a new dict with the defaults filled in; state stored as arrays."""

import numpy as np


def _with_defaults(config, **defaults):
    merged = dict(defaults)
    if config is not None:
        merged.update(config)
    return merged


def sgd(w, dw, config=None):
    """Return (w - lr*dw, a new config)."""
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """Return the PyTorch momentum step and a new config holding the velocity."""
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    velocity = mu * config.get("velocity", np.zeros_like(w)) + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config


def rmsprop(w, dw, config=None):
    """Return the RMSprop step and a new config holding the cache."""
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    alpha = config["decay_rate"]
    cache = alpha * config.get("cache", np.zeros_like(w)) + (1 - alpha) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def _adam_step(w, dw, config):
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])


def adam(w, dw, config=None):
    """Return the bias-corrected Adam step and a new config holding m, v, t."""
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    return _adam_step(w, dw, config), config


def adamw(w, dw, config=None):
    """Return decoupled weight decay followed by an Adam step, and a new config."""
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            weight_decay=1e-2)
    decayed = w * (1 - config["learning_rate"] * config["weight_decay"])
    return _adam_step(decayed, dw, config), config

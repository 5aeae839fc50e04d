"""Optimizers that update the caller's config in place with setdefault and return it."""

import numpy as np


def sgd(w, dw, config=None):
    """Return (w - lr*dw, config)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    next_w = w.copy()
    next_w -= config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Return the momentum step; config["velocity"] is replaced by the new velocity."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("nesterov", False)
    v = config.setdefault("velocity", np.zeros_like(w))
    v = config["momentum"] * v + dw
    config["velocity"] = v
    if config["nesterov"]:
        step = dw + config["momentum"] * v
    else:
        step = v
    return w - config["learning_rate"] * step, config


def rmsprop(w, dw, config=None):
    """Return the RMSprop step, updating config and its cache array in place."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    # The state array belongs to config, which this function may update in place.
    cache *= config["decay_rate"]
    cache += (1 - config["decay_rate"]) * (dw * dw)
    denominator = np.sqrt(config["cache"]) + config["epsilon"]
    return w - config["learning_rate"] * (dw / denominator), config


def adam(w, dw, config=None):
    """Return the Adam step in PyTorch's folded form (step size and denominator corrected separately)."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    return _adam_update(w, dw, config), config


def _adam_update(w, dw, config):
    beta1, beta2 = config["beta1"], config["beta2"]
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config["t"] = config.get("t", 0) + 1
    t = config["t"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw ** 2
    bias_correction1 = 1 - beta1 ** t
    bias_correction2 = 1 - beta2 ** t
    step_size = config["learning_rate"] / bias_correction1
    denominator = np.sqrt(config["v"]) / np.sqrt(bias_correction2) + config["epsilon"]
    return w - step_size * config["m"] / denominator


def adamw(w, dw, config=None):
    """Return AdamW: w - lr*wd*w first, then the Adam step; config updated in place."""
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("weight_decay", 1e-2)
    decayed = w - config["learning_rate"] * config["weight_decay"] * w
    return _adam_update(decayed, dw, config), config

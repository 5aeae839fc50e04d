"""Optimizers in PyTorch's lerp style (m += (1-b1)*(g-m)), bias corrections through expm1, Adam folded."""

import numpy as np


def _cfg(config, **defaults):
    cfg = {} if config is None else config
    for key, value in defaults.items():
        if key not in cfg:
            cfg[key] = value
    return cfg


def sgd(w, dw, config=None):
    cfg = _cfg(config, learning_rate=1e-2)
    return w + (-cfg["learning_rate"]) * dw, cfg


def sgd_momentum(w, dw, config=None):
    cfg = _cfg(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = cfg["momentum"]
    v = cfg.get("velocity")
    v = dw.copy() * 1.0 if v is None else mu * v + dw
    cfg["velocity"] = v
    step = dw + mu * v if cfg["nesterov"] else v
    return w - cfg["learning_rate"] * step, cfg


def rmsprop(w, dw, config=None):
    cfg = _cfg(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    c = cfg.get("cache")
    if c is None:
        c = np.zeros_like(w, dtype=np.float64)
    # lerp towards g**2: c + (1 - alpha) * (g**2 - c)
    c = c + (1.0 - cfg["decay_rate"]) * (dw * dw - c)
    cfg["cache"] = c
    return w - cfg["learning_rate"] * (dw / (np.sqrt(c) + cfg["epsilon"])), cfg


def _adam_step(w, dw, cfg):
    b1, b2 = cfg["beta1"], cfg["beta2"]
    m = cfg.get("m")
    v = cfg.get("v")
    if m is None:
        m = np.zeros_like(w, dtype=np.float64)
    if v is None:
        v = np.zeros_like(w, dtype=np.float64)
    t = cfg.get("t", 0) + 1
    m = m + (1.0 - b1) * (dw - m)
    v = b2 * v + (1.0 - b2) * dw * dw
    cfg["m"], cfg["v"], cfg["t"] = m, v, t
    # 1 - beta**t as -expm1(t * log(beta)), without the cancellation of 1 - beta**t
    bc1 = -np.expm1(t * np.log(b1)) if 0 < b1 < 1 else 1.0 - b1 ** t
    bc2 = -np.expm1(t * np.log(b2)) if 0 < b2 < 1 else 1.0 - b2 ** t
    denom = np.sqrt(v) / np.sqrt(bc2) + cfg["epsilon"]
    return w - (cfg["learning_rate"] / bc1) * (m / denom)


def adam(w, dw, config=None):
    cfg = _cfg(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    return _adam_step(w, dw, cfg), cfg


def adamw(w, dw, config=None):
    cfg = _cfg(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=1e-2)
    decayed = w - cfg["learning_rate"] * cfg["weight_decay"] * w
    return _adam_step(decayed, dw, cfg), cfg

"""Optimizers whose configs carry extra keys: the caller's unknown keys are kept, and each rule
records bookkeeping of its own (a step counter, the last step size, the rule's name)."""
import numpy as np

DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-2},
}


def _config(name, config):
    cfg = dict(DEFAULTS[name])
    cfg.update(config or {})
    cfg["rule"] = name
    cfg["steps_taken"] = cfg.get("steps_taken", 0) + 1
    return cfg


def sgd(w, dw, config=None):
    cfg = _config("sgd", config)
    step = cfg["learning_rate"] * dw
    cfg["last_step_norm"] = float(np.linalg.norm(step))
    return w - step, cfg


def sgd_momentum(w, dw, config=None):
    cfg = _config("sgd_momentum", config)
    v = cfg.get("velocity")
    v = np.zeros_like(w) if v is None else v
    v = cfg["momentum"] * v + dw
    direction = dw + cfg["momentum"] * v if cfg["nesterov"] else v
    cfg["velocity"] = v
    cfg["last_step_norm"] = float(np.linalg.norm(cfg["learning_rate"] * direction))
    return w - cfg["learning_rate"] * direction, cfg


def rmsprop(w, dw, config=None):
    cfg = _config("rmsprop", config)
    c = cfg.get("cache")
    c = np.zeros_like(w) if c is None else c
    a = cfg["decay_rate"]
    c = a * c + (1 - a) * dw * dw
    cfg["cache"] = c
    cfg["history"] = cfg.get("history", ()) + (cfg["learning_rate"],)
    return w - cfg["learning_rate"] * dw / (np.sqrt(c) + cfg["epsilon"]), cfg


def _adam_step(w, dw, cfg):
    m = cfg.get("m")
    v = cfg.get("v")
    m = np.zeros_like(w) if m is None else m
    v = np.zeros_like(w) if v is None else v
    t = cfg.get("t", 0) + 1
    b1, b2 = cfg["beta1"], cfg["beta2"]
    m = b1 * m + (1 - b1) * dw
    v = b2 * v + (1 - b2) * dw * dw
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    cfg.update(m=m, v=v, t=t, bias_correction=(1 - b1 ** t, 1 - b2 ** t))
    return w - cfg["learning_rate"] * m_hat / (np.sqrt(v_hat) + cfg["epsilon"])


def adam(w, dw, config=None):
    cfg = _config("adam", config)
    return _adam_step(w, dw, cfg), cfg


def adamw(w, dw, config=None):
    cfg = _config("adamw", config)
    decayed = w * (1 - cfg["learning_rate"] * cfg["weight_decay"])
    return _adam_step(decayed, dw, cfg), cfg

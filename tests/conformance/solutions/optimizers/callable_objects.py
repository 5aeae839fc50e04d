"""Optimizers as callable objects: one class per rule, the instances are the graded functions."""

import numpy as np


class UpdateRule:
    """Base class: merge the defaults into a new config, then apply self.step."""

    defaults = {}
    state_keys = ()

    def __call__(self, w, dw, config=None):
        assert w.shape == dw.shape, "w and dw must have the same shape"
        cfg = {**self.defaults, **(config or {})}
        for key in self.state_keys:
            if key not in cfg:
                cfg[key] = np.zeros_like(w)
        return self.step(w, dw, cfg), cfg

    def step(self, w, dw, cfg):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}({self.defaults})"


class SGD(UpdateRule):
    defaults = {"learning_rate": 1e-2}

    def step(self, w, dw, cfg):
        return w - cfg["learning_rate"] * dw


class Momentum(UpdateRule):
    defaults = {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False}
    state_keys = ("velocity",)

    def step(self, w, dw, cfg):
        cfg["velocity"] = cfg["momentum"] * cfg["velocity"] + dw
        if cfg["nesterov"]:
            return w - cfg["learning_rate"] * (dw + cfg["momentum"] * cfg["velocity"])
        return w - cfg["learning_rate"] * cfg["velocity"]


class RMSprop(UpdateRule):
    defaults = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
    state_keys = ("cache",)

    def step(self, w, dw, cfg):
        a = cfg["decay_rate"]
        cfg["cache"] = a * cfg["cache"] + (1 - a) * dw**2
        return w - cfg["learning_rate"] * dw / (np.sqrt(cfg["cache"]) + cfg["epsilon"])


class Adam(UpdateRule):
    defaults = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
    state_keys = ("m", "v")

    def step(self, w, dw, cfg):
        w = self.decay(w, cfg)
        cfg["t"] = cfg.get("t", 0) + 1
        b1, b2, t = cfg["beta1"], cfg["beta2"], cfg["t"]
        cfg["m"] = b1 * cfg["m"] + (1 - b1) * dw
        cfg["v"] = b2 * cfg["v"] + (1 - b2) * dw * dw
        m_hat = cfg["m"] / (1 - b1**t)
        v_hat = cfg["v"] / (1 - b2**t)
        return w - cfg["learning_rate"] * m_hat / (np.sqrt(v_hat) + cfg["epsilon"])

    def decay(self, w, cfg):
        return w


class AdamW(Adam):
    defaults = {**Adam.defaults, "weight_decay": 1e-2}

    def decay(self, w, cfg):
        return w * (1 - cfg["learning_rate"] * cfg["weight_decay"])


sgd = SGD()
sgd_momentum = Momentum()
rmsprop = RMSprop()
adam = Adam()
adamw = AdamW()

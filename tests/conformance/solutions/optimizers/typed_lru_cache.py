"""Optimizers with TypedDict configs, Final defaults and an lru_cache'd bias correction."""

from __future__ import annotations

from functools import lru_cache
from typing import Final, TypedDict, cast

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class SGDConfig(TypedDict, total=False):
    learning_rate: float


class MomentumConfig(SGDConfig, total=False):
    momentum: float
    nesterov: bool
    velocity: Array


class RMSpropConfig(SGDConfig, total=False):
    decay_rate: float
    epsilon: float
    cache: Array


class AdamConfig(SGDConfig, total=False):
    beta1: float
    beta2: float
    epsilon: float
    weight_decay: float
    m: Array
    v: Array
    t: int


SGD_DEFAULTS: Final[SGDConfig] = {"learning_rate": 1e-2}
MOMENTUM_DEFAULTS: Final[MomentumConfig] = {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False}
RMSPROP_DEFAULTS: Final[RMSpropConfig] = {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}
ADAM_DEFAULTS: Final[AdamConfig] = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
ADAMW_DEFAULTS: Final[AdamConfig] = {**ADAM_DEFAULTS, "weight_decay": 1e-2}


@lru_cache(maxsize=1024)
def _bias_correction(beta: float, t: int) -> float:
    """1 - beta**t; pure, so it can be cached."""
    return 1.0 - beta**t


def _with_defaults(config, defaults):
    merged = dict(defaults)
    if config is not None:
        merged.update(config)
    return merged


def sgd(w: Array, dw: Array, config: SGDConfig | None = None) -> tuple[Array, SGDConfig]:
    cfg = cast(SGDConfig, _with_defaults(config, SGD_DEFAULTS))
    return w - cfg["learning_rate"] * dw, cfg


def sgd_momentum(w: Array, dw: Array, config: MomentumConfig | None = None) -> tuple[Array, MomentumConfig]:
    cfg = cast(MomentumConfig, _with_defaults(config, MOMENTUM_DEFAULTS))
    mu = cfg["momentum"]
    v = mu * cfg.get("velocity", np.zeros_like(w)) + dw
    step = dw + mu * v if cfg["nesterov"] else v
    cfg["velocity"] = v
    return w - cfg["learning_rate"] * step, cfg


def rmsprop(w: Array, dw: Array, config: RMSpropConfig | None = None) -> tuple[Array, RMSpropConfig]:
    cfg = cast(RMSpropConfig, _with_defaults(config, RMSPROP_DEFAULTS))
    alpha = cfg["decay_rate"]
    cache = alpha * cfg.get("cache", np.zeros_like(w)) + (1 - alpha) * dw * dw
    cfg["cache"] = cache
    return w - cfg["learning_rate"] * dw / (np.sqrt(cache) + cfg["epsilon"]), cfg


def _adam(w: Array, dw: Array, cfg: AdamConfig) -> Array:
    t = int(cfg.get("t", 0)) + 1
    b1, b2 = cfg["beta1"], cfg["beta2"]
    m = b1 * cfg.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = b2 * cfg.get("v", np.zeros_like(w)) + (1 - b2) * np.square(dw)
    cfg.update(t=t, m=m, v=v)
    m_hat = m / _bias_correction(b1, t)
    v_hat = v / _bias_correction(b2, t)
    return w - cfg["learning_rate"] * m_hat / (np.sqrt(v_hat) + cfg["epsilon"])


def adam(w: Array, dw: Array, config: AdamConfig | None = None) -> tuple[Array, AdamConfig]:
    cfg = cast(AdamConfig, _with_defaults(config, ADAM_DEFAULTS))
    return _adam(w, dw, cfg), cfg


def adamw(w: Array, dw: Array, config: AdamConfig | None = None) -> tuple[Array, AdamConfig]:
    cfg = cast(AdamConfig, _with_defaults(config, ADAMW_DEFAULTS))
    decayed = w * (1 - cfg["learning_rate"] * cfg["weight_decay"])
    return _adam(decayed, dw, cfg), cfg

"""Optimizers in NumPy. Fill in every function; see the README for the full contract.

Each function is NAME(w, dw, config=None) -> (next_w, config):
- w, dw: float64 arrays of the same (any) shape; return next_w as a NEW array.
- config: dict of hyper-parameters and state, or None. Missing keys take the defaults.
  State (velocity, cache, m, v, t) lives in the returned config, which the caller passes
  back in on the next step. You may update config in place, but never w or dw.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Plain gradient descent: next_w = w - learning_rate * dw.

    Defaults: learning_rate=1e-2. Return (next_w, config).
    """
    raise NotImplementedError


def sgd_momentum(w, dw, config=None):
    """SGD with momentum (PyTorch's rule).

    Defaults: learning_rate=1e-2, momentum=0.9, nesterov=False; state "velocity" (zeros).
    v = momentum*v + dw; step = dw + momentum*v if nesterov else v; next_w = w - lr*step.
    Return (next_w, config) with the new velocity stored in config["velocity"].
    """
    raise NotImplementedError


def rmsprop(w, dw, config=None):
    """RMSprop (PyTorch's rule).

    Defaults: learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8; state "cache" (zeros).
    cache = decay_rate*cache + (1-decay_rate)*dw**2; next_w = w - lr*dw/(sqrt(cache)+epsilon).
    Return (next_w, config) with the new cache stored in config["cache"].
    """
    raise NotImplementedError


def adam(w, dw, config=None):
    """Adam with bias correction (PyTorch's rule).

    Defaults: learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8;
    state "m", "v" (zeros) and "t" (0).
    t += 1; m = beta1*m + (1-beta1)*dw; v = beta2*v + (1-beta2)*dw**2;
    m_hat = m/(1-beta1**t); v_hat = v/(1-beta2**t); next_w = w - lr*m_hat/(sqrt(v_hat)+epsilon).
    Return (next_w, config) with m, v and t stored in config.
    """
    raise NotImplementedError


def adamw(w, dw, config=None):
    """AdamW: decoupled weight decay, then an Adam step (PyTorch's rule).

    Defaults: as adam, plus weight_decay=1e-2.
    First w = w * (1 - learning_rate*weight_decay), then the adam step from that w.
    Return (next_w, config).
    """
    raise NotImplementedError

"""Classic mistakes in the `optimizers` exercise, as runnable variants (mutation testing).

Executed in a namespace that already holds reference.py's globals, so the private
helpers ``_with_defaults``, ``_state`` and ``_adam_step`` are available here.
"""

import numpy as np

from autograder.grading.mistakes import Mistake

ADAM_DEFAULTS = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
# Module-level state: what a student gets by keeping optimizer state outside `config`.
_SHARED_ADAM_CONFIG = {}
_SHARED_MOMENTUM_CONFIG = {}


def sgd_uphill(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2})
    return w + config["learning_rate"] * dw, config


def sgd_fixed_learning_rate(w, dw, config=None):
    return w - 1e-2 * dw, config if config is not None else {}


def sgd_wrong_default(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-3})
    return w - config["learning_rate"] * dw, config


def sgd_in_place(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2})
    w -= config["learning_rate"] * dw
    return w, config


def momentum_dampened(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    velocity = mu * _state(config, "velocity", w) + (1 - mu) * dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config


def momentum_nesterov_ignored(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    velocity = config["momentum"] * _state(config, "velocity", w) + dw
    config["velocity"] = velocity
    return w - config["learning_rate"] * velocity, config


def momentum_velocity_not_kept(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    velocity = dw  # starts from zero velocity at every step
    step = dw + config["momentum"] * velocity if config["nesterov"] else velocity
    return w - config["learning_rate"] * step, config


def momentum_learning_rate_in_velocity(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu, lr = config["momentum"], config["learning_rate"]
    velocity = mu * _state(config, "velocity", w) - lr * dw
    step = -lr * dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w + step, config


def momentum_module_state(w, dw, config=None):
    if config is None:
        config = _SHARED_MOMENTUM_CONFIG
    for key, value in {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False}.items():
        config.setdefault(key, value)
    mu = config["momentum"]
    velocity = mu * _state(config, "velocity", w) + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config


def rmsprop_epsilon_inside_sqrt(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    cache = alpha * _state(config, "cache", w) + (1 - alpha) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config


def rmsprop_decay_swapped(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    cache = (1 - alpha) * _state(config, "cache", w) + alpha * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def rmsprop_cache_not_kept(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    cache = (1 - config["decay_rate"]) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam_without_bias_correction(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * dw * dw
    config.update(m=m, v=v, t=int(config.get("t", 0)) + 1)
    return w - config["learning_rate"] * m / (np.sqrt(v) + config["epsilon"]), config


def _adam_with(w, dw, config, correct_m=True, correct_v=True, t_used=None, t_stored=None,
               keep_m=True, keep_v=True, store_corrected=False):
    """One Adam step whose bias corrections, kept moments and stored state can be made wrong."""
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * (_state(config, "m", w) if keep_m else np.zeros_like(w)) + (1 - beta1) * dw
    v = beta2 * (_state(config, "v", w) if keep_v else np.zeros_like(w)) + (1 - beta2) * dw * dw
    used = t if t_used is None else t_used(config)
    m_hat = m / (1 - beta1**used) if correct_m else m
    v_hat = v / (1 - beta2**used) if correct_v else v
    stored_m, stored_v = (m_hat, v_hat) if store_corrected else (m, v)
    config.update(m=stored_m, v=stored_v, t=t if t_stored is None else t_stored(config))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def adam_without_v_correction(w, dw, config=None):
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), correct_v=False)


def adam_without_m_correction(w, dw, config=None):
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), correct_m=False)


def adam_t_stored_ahead(w, dw, config=None):
    # t defaults to 1 and is used before the increment: fresh runs are right, the stored t is one ahead.
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), t_used=lambda c: int(c.get("t", 1)),
                      t_stored=lambda c: int(c.get("t", 1)) + 1)


def adam_t_starts_at_one(w, dw, config=None):
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), t_used=lambda c: int(c.get("t", 1)) + 1,
                      t_stored=lambda c: int(c.get("t", 1)) + 1)


def adam_t_missing_from_fresh_config(w, dw, config=None):
    # t read as config["t"] without a default: a fresh config raises KeyError, a resumed one is right.
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), t_used=lambda c: int(c["t"]) + 1)


def momentum_old_velocity_stored(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    old = _state(config, "velocity", w)
    velocity = mu * old + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = old
    return w - config["learning_rate"] * step, config


def momentum_learning_rate_added_to_velocity(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu, lr = config["momentum"], config["learning_rate"]
    velocity = mu * _state(config, "velocity", w) + lr * dw
    config["velocity"] = velocity
    return (w - lr * dw - mu * velocity if config["nesterov"] else w - velocity), config


def rmsprop_gradient_not_squared(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    cache = alpha * _state(config, "cache", w) + (1 - alpha) * np.abs(dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam_corrected_with_old_t(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0))
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * dw * dw
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        next_w = w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"])
    config.update(m=m, v=v, t=t + 1)
    return next_w, config


def adam_gradient_not_squared(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * np.abs(dw)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + config["epsilon"]), config


def adamw_decay_not_times_w(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=1e-2))
    return _adam_step(w - config["learning_rate"] * config["weight_decay"], dw, config)


def momentum_starts_at_gradient(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    previous = config.get("velocity")
    velocity = mu * (dw if previous is None else np.asarray(previous, dtype=np.float64)) + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config


def rmsprop_cache_starts_at_one(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    previous = config.get("cache")
    start = np.ones_like(w, dtype=np.float64) if previous is None else np.asarray(previous, dtype=np.float64)
    cache = alpha * start + (1 - alpha) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def sgd_config_not_returned(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2})
    return w - config["learning_rate"] * dw, None


def rmsprop_wrong_default_decay(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.9, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    cache = alpha * _state(config, "cache", w) + (1 - alpha) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam_wrong_default_learning_rate(w, dw, config=None):
    return _adam_step(w, dw, _with_defaults(config, dict(ADAM_DEFAULTS, learning_rate=1e-2)))


def momentum_velocity_opposite_sign(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    velocity = mu * _state(config, "velocity", w) - dw
    step = -dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w + config["learning_rate"] * step, config


def rmsprop_without_one_minus_decay(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    cache = config["decay_rate"] * _state(config, "cache", w) + dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam_without_square_root(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * dw * dw
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * (m / (1 - beta1**t)) / (v / (1 - beta2**t) + config["epsilon"]), config


def adamw_decay_twice(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=1e-2))
    decayed = w * (1 - config["learning_rate"] * config["weight_decay"])
    return _adam_step(decayed, dw + config["weight_decay"] * w, config)


def adam_mutable_default(w, dw, config={}):
    if config is None:
        config = {}
    for key, value in ADAM_DEFAULTS.items():
        config.setdefault(key, value)
    return _adam_step(w, dw, config)


def rmsprop_mutable_default(w, dw, config={}):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}.items():
        config.setdefault(key, value)
    alpha = config["decay_rate"]
    config["cache"] = alpha * _state(config, "cache", w) + (1 - alpha) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config


def momentum_mutable_default(w, dw, config={}):
    if config is None:
        config = {}
    for key, value in {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False}.items():
        config.setdefault(key, value)
    mu = config["momentum"]
    config["velocity"] = mu * _state(config, "velocity", w) + dw
    step = dw + mu * config["velocity"] if config["nesterov"] else config["velocity"]
    return w - config["learning_rate"] * step, config


_SHARED_RMSPROP_CONFIG = {}


def rmsprop_module_state(w, dw, config=None):
    if config is None:
        config = _SHARED_RMSPROP_CONFIG
    for key, value in {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}.items():
        config.setdefault(key, value)
    alpha = config["decay_rate"]
    cache = alpha * _state(config, "cache", w) + (1 - alpha) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam_beta1_in_second_moment(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta1 * _state(config, "v", w) + (1 - beta1) * dw * dw
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


def adam_step_count_not_kept(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    next_w, config = _adam_step(w, dw, dict(config, t=0))
    return next_w, config


def adam_epsilon_inside_sqrt(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    v = beta2 * _state(config, "v", w) + (1 - beta2) * dw * dw
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config


def adam_module_state(w, dw, config=None):
    if config is None:
        config = _SHARED_ADAM_CONFIG
    for key, value in ADAM_DEFAULTS.items():
        config.setdefault(key, value)
    return _adam_step(w, dw, config)


def adam_corrected_moments_stored(w, dw, config=None):
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), store_corrected=True)


def rmsprop_step_with_old_cache(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8})
    alpha = config["decay_rate"]
    old = _state(config, "cache", w)
    config["cache"] = alpha * old + (1 - alpha) * dw * dw
    return w - config["learning_rate"] * dw / (np.sqrt(old) + config["epsilon"]), config


def adamw_l2_penalty(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=1e-2))
    return _adam_step(w, dw + config["weight_decay"] * w, config)


def adamw_decay_after_step(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=1e-2))
    next_w, config = _adam_step(w, dw, config)
    return next_w * (1 - config["learning_rate"] * config["weight_decay"]), config


def adamw_decay_not_scaled(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=1e-2))
    return _adam_step(w * (1 - config["weight_decay"]), dw, config)


def adamw_without_default_decay(w, dw, config=None):
    config = _with_defaults(config, dict(ADAM_DEFAULTS, weight_decay=0.0))
    return _adam_step(w * (1 - config["learning_rate"] * config["weight_decay"]), dw, config)


def adam_t_incremented_twice(w, dw, config=None):
    # t += 1 in adam and again in a helper it calls: t goes 2, 4, 6... and is stored that way.
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), t_used=lambda c: int(c.get("t", 0)) + 2,
                      t_stored=lambda c: int(c.get("t", 0)) + 2)


def adam_first_moment_not_kept(w, dw, config=None):
    # m re-created as zeros at every call.
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), keep_m=False)


def adam_second_moment_not_kept(w, dw, config=None):
    return _adam_with(w, dw, _with_defaults(config, ADAM_DEFAULTS), keep_v=False)


def adam_dw_squared_in_place(w, dw, config=None):
    config = _with_defaults(config, ADAM_DEFAULTS)
    t = int(config.get("t", 0)) + 1
    beta1, beta2 = config["beta1"], config["beta2"]
    m = beta1 * _state(config, "m", w) + (1 - beta1) * dw
    squared = dw
    squared **= 2  # squares the caller's dw: the step is right, the argument is not
    v = beta2 * _state(config, "v", w) + (1 - beta2) * squared
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config


MUTABLE_DEFAULT_HINT = ("A default argument is created once: with config={} every call that leaves config out "
                        "shares (and fills) the same dict. Write config=None and start from a fresh dict inside.")

MISTAKES = [
    Mistake("sgd", "update moves up the gradient", "Gradient DEscent subtracts: next_w = w - learning_rate * dw.", "sgd_uphill"),
    Mistake("sgd", "learning_rate from config ignored", "Read the learning rate from config (default 1e-2 only when the key is missing).", "sgd_fixed_learning_rate"),
    Mistake("sgd", "wrong default learning rate", "The default learning_rate of sgd is 1e-2.", "sgd_wrong_default"),
    Mistake("sgd", "config not returned", "Return (next_w, config): the caller passes the returned config to the next step, so returning None loses the learning rate it holds.", "sgd_config_not_returned"),
    Mistake("sgd", "w modified in place", "`w -= ...` changes the caller's array; return a new array (next_w = w - ...).", "sgd_in_place"),
    Mistake("sgd_momentum", "dampened momentum", "PyTorch's rule has no (1 - momentum) factor: v = momentum*v + dw.", "momentum_dampened"),
    Mistake("sgd_momentum", "Nesterov ignored", "With nesterov=True the step is dw + momentum*v using the velocity just UPDATED at this step (not v itself, and not the previous velocity, which gives the same as v).", "momentum_nesterov_ignored"),
    Mistake("sgd_momentum", "mutable default config={}", MUTABLE_DEFAULT_HINT, "momentum_mutable_default"),
    Mistake("sgd_momentum", "learning rate inside the velocity (v = momentum*v + lr*dw)", "PyTorch's velocity holds no learning rate: v = momentum*v + dw, step w - lr*v. The two differ when resuming from a saved velocity.", "momentum_learning_rate_added_to_velocity"),
    Mistake("sgd_momentum", "velocity stored with the opposite sign", "PyTorch's velocity is v = momentum*v + dw (the step is w - lr*v): storing -v gives the same steps from zero but a saved velocity is then followed backwards.", "momentum_velocity_opposite_sign"),
    Mistake("sgd_momentum", "velocity starts at dw", "A fresh velocity is zeros (np.zeros_like(w)), not the first gradient: the first step is then just dw.", "momentum_starts_at_gradient"),
    Mistake("sgd_momentum", "old velocity stored", "Store the NEW velocity (momentum*v + dw) in config['velocity']; storing the one you started from never lets it grow.", "momentum_old_velocity_stored"),
    Mistake("sgd_momentum", "velocity not kept", "Store the velocity in config['velocity'] and start from it on the next step.", "momentum_velocity_not_kept"),
    Mistake("sgd_momentum", "learning rate inside the velocity", "The velocity is v = momentum*v + dw (no learning rate); the step is w - lr*v. The two differ when resuming from a saved velocity.", "momentum_learning_rate_in_velocity"),
    Mistake("sgd_momentum", "state kept outside config", "With config=None start from a FRESH dict; never keep state in a module-level or default-argument dict.", "momentum_module_state"),
    Mistake("rmsprop", "epsilon inside the square root", "Add epsilon after the square root: dw / (sqrt(cache) + epsilon).", "rmsprop_epsilon_inside_sqrt"),
    Mistake("rmsprop", "decay rate on the wrong term", "cache = decay_rate*cache + (1 - decay_rate)*dw**2: the decay rate multiplies the old cache.", "rmsprop_decay_swapped"),
    Mistake("rmsprop", "state kept outside config", "With config=None start from a FRESH dict; never keep state in a module-level or default-argument dict (def rmsprop(w, dw, config={}) shares one dict between calls).", "rmsprop_module_state"),
    Mistake("rmsprop", "mutable default config={}", MUTABLE_DEFAULT_HINT, "rmsprop_mutable_default"),
    Mistake("rmsprop", "gradient not squared", "The cache averages SQUARED gradients: (1 - decay_rate) * dw**2, not |dw| or dw.", "rmsprop_gradient_not_squared"),
    Mistake("rmsprop", "wrong default decay rate", "The default decay_rate of rmsprop is 0.99.", "rmsprop_wrong_default_decay"),
    Mistake("rmsprop", "cache starts at 1", "A fresh cache is zeros (np.zeros_like(w)), as in PyTorch, not ones.", "rmsprop_cache_starts_at_one"),
    Mistake("rmsprop", "(1 - decay_rate) missing", "The cache is a moving AVERAGE: cache = decay_rate*cache + (1 - decay_rate)*dw**2.", "rmsprop_without_one_minus_decay"),
    Mistake("rmsprop", "cache not kept", "Store the cache in config['cache'] and start from it on the next step.", "rmsprop_cache_not_kept"),
    Mistake("rmsprop", "step taken with the old cache", "Update the cache first, cache = decay_rate*cache + (1 - decay_rate)*dw**2, then step with the NEW cache: with the old one the first step divides dw by epsilon alone.", "rmsprop_step_with_old_cache"),
    Mistake("adam", "no bias correction", "Divide m by (1 - beta1**t) and v by (1 - beta2**t) before the update.", "adam_without_bias_correction"),
    Mistake("adam", "mutable default config={}", MUTABLE_DEFAULT_HINT, "adam_mutable_default"),
    Mistake("adam", "no bias correction of v", "Divide v by (1 - beta2**t) too: without it sqrt(v) is far too small in the first steps and the steps too large.", "adam_without_v_correction"),
    Mistake("adam", "no bias correction of m", "Divide m by (1 - beta1**t) too: without it the first steps are too small.", "adam_without_m_correction"),
    Mistake("adam", "t stored one ahead", "config['t'] must hold the number of steps taken: start from t = 0, increment it BEFORE the bias corrections and store that value. A run resumed from t=4 takes step 5.", "adam_t_stored_ahead"),
    Mistake("adam", "t starts at 1", "t counts steps taken: a fresh config has t = 0, and the first step increments it to 1 before the bias corrections.", "adam_t_starts_at_one"),
    Mistake("adam", "t missing from a fresh config", "A fresh config has no 't' yet: read it with config.get('t', 0) (or set it to 0 when missing) before incrementing it.", "adam_t_missing_from_fresh_config"),
    Mistake("adam", "bias correction with the old t", "Increment t BEFORE the bias corrections: the first step uses t = 1 (1 - beta**0 = 0 divides by zero).", "adam_corrected_with_old_t"),
    Mistake("adam", "wrong default learning rate", "The default learning_rate of adam is 1e-3.", "adam_wrong_default_learning_rate"),
    Mistake("adam", "dw squared in place", "`g2 = dw; g2 **= 2` (or np.square(dw, out=dw)) squares the caller's dw: g2 is the same array. Use a new one: g2 = dw * dw.", "adam_dw_squared_in_place"),
    Mistake("adam", "gradient not squared", "The second moment averages SQUARED gradients: v = beta2*v + (1 - beta2)*dw**2.", "adam_gradient_not_squared"),
    Mistake("adam", "square root missing", "Divide by sqrt(v_hat) + epsilon, not v_hat + epsilon: v is a second moment (a squared scale).", "adam_without_square_root"),
    Mistake("adam", "beta1 in the second moment", "The second moment decays with beta2: v = beta2*v + (1 - beta2)*dw**2.", "adam_beta1_in_second_moment"),
    Mistake("adam", "step count not kept", "Increment config['t'] at every step and keep it in config; the bias corrections use it.", "adam_step_count_not_kept"),
    Mistake("adam", "step count incremented twice", "Increment config['t'] exactly once per step (t += 1 in adam OR in a helper it calls, not both): the bias corrections of step k use t = k.", "adam_t_incremented_twice"),
    Mistake("adam", "first moment not kept", "Start m from config['m'] (zeros only when the key is missing) and store the new m there: re-created as zeros at every call, m is just (1 - beta1)*dw and the momentum is lost.", "adam_first_moment_not_kept"),
    Mistake("adam", "second moment not kept", "Start v from config['v'] (zeros only when the key is missing) and store the new v there: re-created as zeros at every call, v is just (1 - beta2)*dw**2.", "adam_second_moment_not_kept"),
    Mistake("adam", "epsilon inside the square root", "Add epsilon after the square root: m_hat / (sqrt(v_hat) + epsilon).", "adam_epsilon_inside_sqrt"),
    Mistake("adam", "state kept outside config", "With config=None start from a FRESH dict; never keep state in a module-level or default-argument dict.", "adam_module_state"),
    Mistake("adam", "bias-corrected moments stored", "Store the raw averages m and v in config; m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t) serve this step's update only (stored, they are corrected again at every later step).", "adam_corrected_moments_stored"),
    Mistake("adamw", "L2 penalty instead of decoupled decay", "AdamW does not add weight_decay*w to the gradient: it multiplies w by (1 - lr*weight_decay) before the Adam step.", "adamw_l2_penalty"),
    Mistake("adamw", "decay not multiplied by w", "The decoupled decay is proportional to w: w - lr*weight_decay*w (i.e. w * (1 - lr*weight_decay)), not w - lr*weight_decay.", "adamw_decay_not_times_w"),
    Mistake("adamw", "decay applied twice", "AdamW decays w once, decoupled: w * (1 - lr*weight_decay) and then the Adam step on the plain dw. Do not also add weight_decay*w to the gradient.", "adamw_decay_twice"),
    Mistake("adamw", "decay applied after the step", "Decay w first, w * (1 - lr*weight_decay), then take the Adam step from it.", "adamw_decay_after_step"),
    Mistake("adamw", "decay not scaled by the learning rate", "The decoupled decay factor is (1 - learning_rate*weight_decay), not (1 - weight_decay).", "adamw_decay_not_scaled"),
    Mistake("adamw", "no default weight decay", "The default weight_decay of adamw is 1e-2.", "adamw_without_default_decay"),
]

"""Case generators for the `optimizers` exercise (named in spec.toml).

Steps are graded as sequences: each call after the first takes the previous call's
returned ``next_w`` and ``config`` through ``Ref``, so state must travel in ``config``.
Only ``next_w`` is compared (``compare=(0,)``); the config comes back for diagnosis.
"""

import numpy as np

from autograder.grading.cases import Case, Ref, call

STEPS = 6
CONFIG_MAY_CHANGE = frozenset({"2", "config"})


def _distinct(rng, count, low=2, high=8):
    """Return ``count`` distinct ints in [low, high) so a transposed update cannot hide."""
    return [int(size) for size in rng.choice(np.arange(low, high), size=count, replace=False)]


def _shapes(rng):
    """Return a 1-D, a 2-D and a 3-D parameter shape, with distinct sizes."""
    a, b, c = _distinct(rng, 3)
    return [(a,), (b, c), (c, a, b)]


def _sequence_calls(function, w, grads, config, first_index=0):
    """Build calls that take ``len(grads)`` steps from ``w``, carrying next_w and config along."""
    calls = [call(function, w, grads[0], config)]
    for step, dw in enumerate(grads[1:]):
        previous = first_index + step
        calls.append(call(function, Ref(previous, (0,)), dw, Ref(previous, (1,))))
    return calls


def _sequence(function, w, grads, config, label):
    return Case(_sequence_calls(function, w, grads, config), label=label, compare=(0,), mutable=CONFIG_MAY_CHANGE)


def _problem(rng, shape, steps=STEPS, grad_scale=1.0, w_scale=1.0):
    w = rng.normal(scale=w_scale, size=shape)
    grads = [rng.normal(scale=grad_scale, size=shape) for _ in range(steps)]
    return w, grads


def _sequences(function, rng, configs, **scales):
    """Build one sequence per (shape, config): 1-D, 2-D and 3-D parameters."""
    cases = []
    for shape, config in zip(_shapes(rng), configs):
        w, grads = _problem(rng, shape, **scales)
        cases.append(_sequence(function, w, grads, config, f"{len(grads)} steps, w of shape {shape}"))
    return cases


def _two_problems_without_config(function, rng, steps=STEPS, **scales):
    """Build two unrelated problems, each started with config=None, in one program."""
    shape = tuple(_distinct(rng, 2))
    first_w, first_grads = _problem(rng, shape, steps, **scales)
    second_w, second_grads = _problem(rng, shape, steps, **scales)
    calls = _sequence_calls(function, first_w, first_grads, None)
    calls += _sequence_calls(function, second_w, second_grads, None, first_index=len(calls))
    return Case(calls, label=f"two unrelated problems of shape {shape}, each from config=None",
                compare=(0,), mutable=CONFIG_MAY_CHANGE)


def _single_step_without_config(function, rng):
    """Build two unrelated single steps, each with the config argument left out (all defaults).

    Two calls, so that state kept in a mutable default argument (``config={}``) shows.
    """
    shape = tuple(_distinct(rng, 2))
    calls = [call(function, rng.normal(size=shape), rng.normal(size=shape)) for _ in range(2)]
    return Case(calls, label=f"two unrelated steps, config omitted each time, w of shape {shape}",
                compare=(0,), mutable=CONFIG_MAY_CHANGE)


def _single_step_with_keyword_config(function, rng, config):
    """Build one step with ``config=`` given by keyword."""
    shape = tuple(_distinct(rng, 2))
    w, dw = rng.normal(size=shape), rng.normal(size=shape)
    return Case([call(function, w, dw, config=config)], label=f"one step, config={config} by keyword",
                compare=(0,), mutable=CONFIG_MAY_CHANGE)


def _partial_configs(function, rng, configs, **scales):
    """Build sequences whose first config gives only some keys (the rest take defaults)."""
    cases = []
    for config in configs:
        w, grads = _problem(rng, tuple(_distinct(rng, 2)), **scales)
        cases.append(_sequence(function, w, grads, config, f"{len(grads)} steps from config={_describe(config)}"))
    return cases


def _describe(config):
    return "{" + ", ".join(f"{key!r}: {'<array>' if isinstance(value, np.ndarray) else value!r}"
                           for key, value in config.items()) + "}"


def sgd_one_step(rng):
    """Test single steps of several shapes, with and without a learning rate."""
    cases = []
    for shape, config in zip(_shapes(rng), [{"learning_rate": 0.1}, {}, {"learning_rate": 0.5}]):
        w, dw = rng.normal(size=shape), rng.normal(size=shape)
        cases.append(Case([call("sgd", w, dw, config)], label=f"one step, w of shape {shape}, config={config}",
                          compare=(0,), mutable=CONFIG_MAY_CHANGE))
    cases.append(_single_step_without_config("sgd", rng))
    cases.append(_single_step_with_keyword_config("sgd", rng, {"learning_rate": 0.3}))
    return cases


def sgd_sequence(rng):
    """Test sequences of steps, and config=None on two problems in a row."""
    configs = [{"learning_rate": 0.05}, {"learning_rate": 0.2}, {"learning_rate": 1e-3}]
    return _sequences("sgd", rng, configs) + [_two_problems_without_config("sgd", rng)]


def sgd_momentum_sequence(rng):
    """Test sequences of steps without Nesterov."""
    configs = [{"learning_rate": 0.05, "momentum": 0.9, "nesterov": False},
               {"learning_rate": 0.1, "momentum": 0.5, "nesterov": False},
               {"learning_rate": 0.02, "momentum": 0.8}]
    return _sequences("sgd_momentum", rng, configs)


def sgd_momentum_nesterov(rng):
    """Test sequences of Nesterov steps."""
    configs = [{"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
               {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True},
               {"nesterov": True}]
    return _sequences("sgd_momentum", rng, configs)


def sgd_momentum_defaults(rng):
    """Test config=None twice in a row, partial configs, and a run resumed from a saved velocity."""
    shape = tuple(_distinct(rng, 2))
    resumed = {"learning_rate": 0.05, "velocity": rng.normal(size=shape)}
    w, grads = _problem(rng, shape)
    return [
        _two_problems_without_config("sgd_momentum", rng),
        _single_step_without_config("sgd_momentum", rng),
        *_partial_configs("sgd_momentum", rng, [{"momentum": 0.5}, {"learning_rate": 0.1}]),
        _sequence("sgd_momentum", w, grads, resumed, f"{len(grads)} steps resumed from a saved velocity"),
    ]


def rmsprop_sequence(rng):
    """Test sequences of steps with explicit hyper-parameters."""
    configs = [{"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
               {"learning_rate": 0.05, "decay_rate": 0.9, "epsilon": 1e-8},
               {"learning_rate": 1e-3, "decay_rate": 0.5, "epsilon": 1e-6}]
    return _sequences("rmsprop", rng, configs)


def rmsprop_small_gradients(rng):
    """Test gradients at the 1e-4 scale, where the place of epsilon matters."""
    configs = [None, {"learning_rate": 1e-3}, {"decay_rate": 0.9}]
    return _sequences("rmsprop", rng, configs, grad_scale=1e-4, w_scale=1e-3)


def rmsprop_defaults(rng):
    """Test config=None twice in a row, partial configs, and a run resumed from a saved cache."""
    shape = tuple(_distinct(rng, 2))
    resumed = {"cache": rng.uniform(0.5, 2.0, size=shape)}
    w, grads = _problem(rng, shape)
    return [
        _two_problems_without_config("rmsprop", rng),
        _single_step_without_config("rmsprop", rng),
        *_partial_configs("rmsprop", rng, [{"decay_rate": 0.9}, {"learning_rate": 0.1}]),
        _sequence("rmsprop", w, grads, resumed, f"{len(grads)} steps resumed from a saved cache"),
    ]


def adam_sequence(rng):
    """Test sequences of steps with explicit hyper-parameters."""
    configs = [{"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
               {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8},
               {"learning_rate": 1e-3, "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-6}]
    return _sequences("adam", rng, configs)


def adam_small_gradients(rng):
    """Test gradients at the 1e-4 scale, where the place of epsilon matters."""
    configs = [None, {"learning_rate": 1e-3}, {"beta2": 0.99}]
    return _sequences("adam", rng, configs, grad_scale=1e-4, w_scale=1e-3)


def adam_defaults(rng):
    """Test config=None twice in a row, partial configs, and a run resumed from saved moments."""
    shape = tuple(_distinct(rng, 2))
    resumed = {"m": rng.normal(scale=0.1, size=shape), "v": rng.uniform(0.01, 0.1, size=shape), "t": 4}
    w, grads = _problem(rng, shape)
    return [
        _two_problems_without_config("adam", rng),
        _single_step_without_config("adam", rng),
        _single_step_with_keyword_config("adam", rng, {"learning_rate": 0.01, "beta1": 0.8}),
        *_partial_configs("adam", rng, [{"beta1": 0.5}, {"learning_rate": 0.1}]),
        _sequence("adam", w, grads, resumed, f"{len(grads)} steps resumed from saved m, v and t=4"),
    ]


def adamw_sequence(rng):
    """Test sequences of steps with explicit hyper-parameters and weight decay."""
    configs = [{"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.1},
               {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-8, "weight_decay": 0.5},
               {"learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0}]
    return _sequences("adamw", rng, configs)


def adamw_small_gradients(rng):
    """Test gradients at the 1e-4 scale, where the place of epsilon matters."""
    configs = [None, {"learning_rate": 1e-3, "weight_decay": 0.1}, {"beta2": 0.99}]
    return _sequences("adamw", rng, configs, grad_scale=1e-4, w_scale=1e-3)


def adamw_defaults(rng):
    """Test config=None twice in a row (default weight decay 1e-2) and partial configs."""
    return [
        _two_problems_without_config("adamw", rng),
        _single_step_without_config("adamw", rng),
        *_partial_configs("adamw", rng, [{"weight_decay": 0.5, "learning_rate": 0.05}, {"learning_rate": 0.1}]),
    ]

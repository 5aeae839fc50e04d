"""The `optimizers` assignment folder: reference vs torch.optim and by hand, sequences (the rest: test_folders)."""

import inspect

import numpy as np
import pytest

from autograder.grading.assignment import find_assignment
from autograder.grading.cases import Case, Ref
from autograder.grading.selfcheck import draw_cases
from autograder.sandbox.program import run_program

# One worker runs every assignment-folder module: each assignment's self-check (up to 7 s of CPU)
# and PyTorch's import (2 s) happen once, not once per worker that draws one of their tests.
pytestmark = pytest.mark.xdist_group("assignments")

OPTIMIZERS = find_assignment("optimizers")
REFERENCE = OPTIMIZERS.reference
FUNCTIONS = [function.name for function in OPTIMIZERS.functions]
# The defaults published in the contract (docs/CONTRACT.md, section 3).
CONTRACT_DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
    "adamw": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "weight_decay": 1e-2},
}


def _value_draws(mode="public", hidden_seed=None):
    return [draw for draw in draw_cases(OPTIMIZERS, mode, hidden_seed) if draw.kind == "values"]


# --- the reference against an independent oracle -------------------------------------------


def _sequences(case: Case):
    """Split a case's program into (function, w0, grads, first config, call indices) runs."""
    runs, run_of_call = [], {}
    for index, call in enumerate(case.calls):
        w, dw = call.args[0], call.args[1]
        if type(w) is Ref:
            run_of_call[index] = run_of_call[w.call]
            runs[run_of_call[index]]["grads"].append(dw)
            runs[run_of_call[index]]["calls"].append(index)
        else:
            config = call.args[2] if len(call.args) > 2 else call.kwargs.get("config")
            run_of_call[index] = len(runs)
            runs.append({"function": call.function, "w": w, "grads": [dw], "config": config, "calls": [index]})
    return runs


def _torch_trajectory(torch, function, w, grads, config):
    """Weights after each step of the matching torch.optim optimizer (float64)."""
    cfg = CONTRACT_DEFAULTS[function] | (config or {})
    param = torch.tensor(w, requires_grad=True)
    optim, state = torch.optim, {}
    if function in ("sgd", "sgd_momentum"):
        momentum = cfg.get("momentum", 0.0)
        optimizer = optim.SGD([param], lr=cfg["learning_rate"], momentum=momentum,
                              nesterov=cfg.get("nesterov", False), foreach=False)
        if "velocity" in cfg:
            state = {"momentum_buffer": torch.tensor(cfg["velocity"])}
    elif function == "rmsprop":
        optimizer = optim.RMSprop([param], lr=cfg["learning_rate"], alpha=cfg["decay_rate"], eps=cfg["epsilon"],
                                  foreach=False)
        if "cache" in cfg:
            state = {"step": torch.tensor(0.0), "square_avg": torch.tensor(cfg["cache"])}
    else:
        kind = optim.Adam if function == "adam" else optim.AdamW
        extra = {"weight_decay": cfg["weight_decay"]} if function == "adamw" else {}
        optimizer = kind([param], lr=cfg["learning_rate"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["epsilon"],
                         foreach=False, **extra)
        if "t" in cfg:
            state = {"step": torch.tensor(float(cfg["t"])), "exp_avg": torch.tensor(cfg["m"]),
                     "exp_avg_sq": torch.tensor(cfg["v"])}
    if state:
        optimizer.state[param] = state
    trajectory = []
    for dw in grads:
        param.grad = torch.tensor(dw)
        optimizer.step()
        trajectory.append(param.detach().numpy().copy())
    return trajectory


@pytest.mark.oracle
@pytest.mark.parametrize("mode, hidden_seed", [("public", None), ("hidden", 7)])
def test_reference_matches_torch_optim_on_every_case(mode, hidden_seed):
    torch = pytest.importorskip("torch", reason="torch.optim is the independent oracle for the reference")
    compared = set()
    for draw in _value_draws(mode, hidden_seed):
        for case in draw.items:
            outcomes = run_program(vars(REFERENCE), case.calls)
            for run in _sequences(case):
                expected = _torch_trajectory(torch, run["function"], run["w"], run["grads"], run["config"])
                for index, w in zip(run["calls"], expected):
                    np.testing.assert_allclose(outcomes[index].value[0], w, rtol=1e-9, atol=1e-15,
                                               err_msg=f"{draw.function}: {draw.check}: {case.label}, call {index}")
                compared.add(run["function"])
    assert compared == set(FUNCTIONS)


def test_hand_computed_steps():
    w, g = np.array([1.0, 2.0]), np.array([1.0, -2.0])
    np.testing.assert_allclose(REFERENCE.sgd(w, g, {"learning_rate": 0.1})[0], [0.9, 2.2])
    np.testing.assert_allclose(REFERENCE.sgd(w, g)[0], [0.99, 2.02])
    w1, config = REFERENCE.sgd_momentum(w, g, {"learning_rate": 0.1, "momentum": 0.5})
    w2, config = REFERENCE.sgd_momentum(w1, g, config)
    np.testing.assert_allclose(config["velocity"], 1.5 * g)  # 0.5 * g + g
    np.testing.assert_allclose(w2, w - 0.1 * g - 0.1 * 1.5 * g)
    nesterov_w, _ = REFERENCE.sgd_momentum(w, g, {"learning_rate": 0.1, "momentum": 0.5, "nesterov": True})
    np.testing.assert_allclose(nesterov_w, w - 0.1 * 1.5 * g)  # first step: dw + 0.5 * dw
    # First RMSprop step: cache = 0.01 g**2, so the step is lr * g / (0.1 |g|) = 0.1 sign(g).
    np.testing.assert_allclose(REFERENCE.rmsprop(w, g)[0], w - 0.1 * np.sign(g), rtol=1e-6)
    # First Adam step: bias correction makes m_hat = g and v_hat = g**2, so the step is lr * sign(g).
    np.testing.assert_allclose(REFERENCE.adam(w, g)[0], w - 1e-3 * np.sign(g), rtol=1e-7)
    np.testing.assert_allclose(REFERENCE.adamw(w, g)[0], w * (1 - 1e-5) - 1e-3 * np.sign(g), rtol=1e-7)


def test_reference_leaves_config_alone_and_starts_fresh_from_none():
    config = {"learning_rate": 0.1, "m": np.ones(3), "v": np.ones(3), "t": 2}
    before = {key: np.copy(value) for key, value in config.items()}
    _, returned = REFERENCE.adam(np.zeros(3), np.ones(3), config)
    assert returned is not config and returned["t"] == 3
    assert all(np.array_equal(config[key], before[key]) for key in before)
    first, _ = REFERENCE.adam(np.zeros(2), np.ones(2))
    again, _ = REFERENCE.adam(np.zeros(2), np.ones(2))
    np.testing.assert_array_equal(first, again)


# --- the assignment folder (what the self-check does not cover) -----------------------------


def test_cases_compare_next_w_and_let_config_change():
    for draw in _value_draws():
        assert all(isinstance(case, Case) for case in draw.items), draw.check
        for case in draw.items:
            assert case.compare == (0,) and {"2", "config"} <= case.mutable, (draw.function, case.label)


def test_every_optimizer_is_graded_on_sequences_of_at_least_five_steps_and_on_any_shape():
    for function in FUNCTIONS:
        longest, dimensions = 0, set()
        for draw in _value_draws():
            if draw.function == function:
                for case in draw.items:
                    for run in _sequences(case):
                        longest = max(longest, len(run["grads"]))
                        dimensions.add(np.ndim(run["w"]))
        assert longest >= 5 and {1, 2, 3} <= dimensions, function


def test_random_cases_depend_on_the_seed(selfcheck):
    checks = {check.cases: f"{function.name}: {check.name}" for function in OPTIMIZERS.functions
              for check in function.checks}
    random = {checks[generator] for generator in ("sgd_sequence", "adam_small_gradients", "rmsprop_defaults")}
    assert not random & set(selfcheck("optimizers").fixed_generators)


def test_mistakes_keep_the_full_signature_defaults_included():
    for mistake in OPTIMIZERS.mistakes:
        got = inspect.signature(OPTIMIZERS.mistake_namespace[mistake.implementation])
        want = inspect.signature(getattr(REFERENCE, mistake.function))
        if "mutable default" in mistake.name:  # the mistake IS config={} instead of config=None
            assert list(got.parameters) == list(want.parameters) and got.parameters["config"].default == {}
            continue
        assert got == want, mistake.name

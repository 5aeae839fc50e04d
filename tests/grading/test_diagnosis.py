"""Diagnosis: every known mistake is named, constant factors and trajectories are explained, nothing leaks."""

from __future__ import annotations

import copy
import time

import numpy as np
import pytest

from autograder.grading.assignment import KIT_FIXTURES, assignment_names, find_assignment, load_assignment
from autograder.grading.kit import write_kit
from autograder.grading.diagnosis import diagnose_check, diagnose_function, variant_namespace
from autograder.grading.fixtures import read_suite
from autograder.grading.mistakes import variant_source
from autograder.grading.prepare import prepare_suite
from autograder.grading.scoring import judge_function
from autograder.sandbox.executor import OK, UnitOutcome
from autograder.sandbox.program import run_program

# With the other module grading every named mistake's variant (test_assignments.py, test_diagnosis.py),
# on one worker: variant_report grades each variant once, not once per worker that draws it.
pytestmark = pytest.mark.xdist_group("mistake-variants")

NAMES = assignment_names()
MISTAKES = [(name, mistake.function, mistake.name) for name in NAMES for mistake in find_assignment(name).mistakes]

# Variants the public cases cannot tell apart (two names for the same results): either name is
# accepted for the key's mistake. (assignment, function, mistake name) -> other accepted names.
# Empty today: every variant has at least one case on which its results are its own.
INTERCHANGEABLE: dict[tuple[str, str, str], frozenset[str]] = {}


def _mistake(assignment, function, name):
    return next(m for m in assignment.mistakes if m.function == function and m.name == name)


def _failed(report, function):
    return [test for test in report.tests if test.function == function and test.status == "failed"]


def test_enough_named_mistakes_are_checked():
    named_exactly = [key for key in MISTAKES if key not in INTERCHANGEABLE]
    assert len(named_exactly) >= 25
    assert len({name for name, _, _ in MISTAKES}) == len(NAMES) == 5


def test_a_mistake_name_is_one_variant_of_its_function():
    # The diagnosis, these tests and the dashboard tell variants apart by (function, name).
    assert len(MISTAKES) == len(set(MISTAKES)), sorted(key for key in MISTAKES if MISTAKES.count(key) > 1)


@pytest.mark.parametrize("name, function, mistake_name", MISTAKES,
                         ids=[f"{name}-{function}-{mistake}" for name, function, mistake in MISTAKES])
def test_each_mistake_is_named_in_its_function_feedback(name, function, mistake_name, variant_report):
    assignment = find_assignment(name)
    mistake = _mistake(assignment, function, mistake_name)
    report = variant_report(assignment, mistake)
    accepted = {mistake.name, *INTERCHANGEABLE.get((name, function, mistake_name), ())}
    failed = _failed(report, function)
    named = {test.mistake for test in failed if test.mistake}
    assert named & accepted, f"{mistake.name!r} not named; failed checks named {named or 'nothing'}"
    for test in failed:
        if test.mistake in accepted:
            assert f"Looks like: {test.mistake} — " in test.output
            assert test.to_json()["mistake"] == test.mistake
    # No other function of the file is blamed for a mistake.
    others = [test.mistake for test in report.tests if test.function != function and test.mistake]
    assert not others


@pytest.mark.parametrize("name", NAMES)
def test_reference_and_starter_get_no_diagnosis(name, grade):
    assignment = find_assignment(name)
    for source in (assignment.reference_source, assignment.starter):
        report = grade(assignment, source)
        assert not [test.mistake for test in report.tests if test.mistake]
        assert not any("Looks like:" in test.output or "× the expected" in test.output for test in report.tests)


FACTOR_MISTAKES = '''

def mse(y_pred, y_true):
    return 0.5 * float(np.mean((y_pred - y_true) ** 2))


def mse_grad(y_pred, y_true):
    return 2.0 * (y_pred - y_true)


def cross_entropy_grad(logits, labels):
    grad = _softmax_rows(logits)
    grad[np.arange(len(labels)), labels] -= 1.0
    return 2.0 * grad / len(labels)


def sigmoid(x):
    return -_sigmoid(x)


def binary_cross_entropy(logits, targets):
    return float(np.mean(np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-np.abs(logits))))) + 0.125
'''


@pytest.mark.parametrize("mode", ["public", "hidden"])
def test_constant_factors_are_named(mode, grade):
    assignment = find_assignment("losses")
    report = grade(assignment, assignment.reference_source + FACTOR_MISTAKES, mode=mode,
                   hidden_seed=11 if mode == "hidden" else None)
    expected = {
        "mse": "your result is exactly 1/2 × the expected: a factor 2 is missing",
        "mse_grad": "your result is exactly N × the expected, where N is the number of elements",
        "cross_entropy_grad": "your result is exactly 2 × the expected: there is a factor 2 too many",
        "sigmoid": "your result is exactly -1 × the expected: check the sign",
    }
    for function, line in expected.items():
        values = [test for test in _failed(report, function) if test.kind == "values"]
        assert values and all(line in test.output for test in values), function
    # An offset is no constant factor, and no variant makes it: nothing is claimed.
    shifted = _failed(report, "binary_cross_entropy")
    assert shifted and not any("× the expected" in test.output or test.mistake for test in shifted)


GENERIC_MISTAKES = [
    # (assignment, function, source appended to the reference, name, words the hint must say)
    ("losses", "cross_entropy_grad", """
def cross_entropy_grad(logits, labels):
    n = logits.shape[0]
    grad = _softmax_rows(logits) / n
    grad[np.arange(n), labels] -= 1.0 / n
    return grad / n
""", "divided by the batch size twice", "you divide by the batch size twice: the contract divides by it once"),
    ("backprop", "affine_backward", """
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout / x.shape[0], dout.sum(axis=0)
""", "divided by the batch size where the contract does not", "where the contract does not"),
    ("backprop", "affine_backward", """
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, (dout.T @ x).reshape(w.shape), dout.sum(axis=0)
""", "reshape instead of transpose", "reshape keeps the memory order"),
    ("backprop", "affine_backward", """
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0, keepdims=True)
""", "extra axis of length 1", "keepdims=True"),
    ("backprop", "affine_backward", """
def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, np.sum(dout)
""", "reduced to a scalar", "axis=0"),
    ("gradient_check", "numerical_gradient", """
def numerical_gradient(f, x, h=1e-5):
    return _centred_differences(f, x, h).ravel()
""", "result flattened", "reshape(x.shape)"),
    ("training", "iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = np.resize(order[start:start + batch_size], batch_size)
        yield X[rows], y[rows]
""", "last batch padded", "without padding"),
    # Every batch's y as a column, a last batch of one row included: (1, 1) for (1,) is an extra axis too.
    ("training", "iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows].reshape(-1, 1)
""", "extra axis of length 1", "length 1"),
    ("training", "iterate_minibatches", """
def iterate_minibatches(X, y, batch_size, rng):
    order = np.random.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]
""", "rng given not used", "rng.permutation(N)"),
    ("training", "train", """
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        # A generator of its own, seeded so the test is deterministic: with an unseeded one about 1
        # order in 12 keeps the first losses right longer than the named variant's and goes unnamed.
        for rows in _batch_indices(X.shape[0], batch_size, np.random.default_rng(0)):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
""", "rng given not used", "the rng you are given"),
    ("optimizers", "sgd_momentum", """
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-2, "momentum": 0.9, "nesterov": False})
    mu = config["momentum"]
    buffer = mu * _state(config, "momentum_buffer", w) + dw
    config["momentum_buffer"] = buffer
    step = dw + mu * buffer if config["nesterov"] else buffer
    return w - config["learning_rate"] * step, config
""", "state stored under another key", "config['velocity']"),
    ("optimizers", "adam", """
def adam(w, dw, config=None):
    config = _with_defaults(config, {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8})
    next_w, config = _adam_step(w, dw, config)
    w[...] = next_w
    return w, config
""", "w modified in place", "writes its result into the array it was given"),
    ("losses", "cross_entropy", """
def cross_entropy(logits, labels):
    probs = _softmax_rows(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(probs, 1e-15, 1.0))))
""", "probabilities clipped", "log-sum-exp"),
]


@pytest.mark.parametrize("name, function, source, mistake, words", GENERIC_MISTAKES,
                         ids=[f"{item[0]}-{item[1]}-{item[3]}" for item in GENERIC_MISTAKES])
def test_mistakes_without_an_exact_variant_are_named(name, function, source, mistake, words, grade):
    """Factors, structures, batches, renamed state, in-place writes and clipping constants of any size."""
    assignment = find_assignment(name)
    report = grade(assignment, assignment.reference_source + source)
    failed = _failed(report, function)
    named = [test for test in failed if test.mistake == mistake]
    assert named, f"{mistake!r} not named; named {[test.mistake for test in failed]}"
    assert all(f"Looks like: {mistake} — " in test.output and words in test.output for test in named)
    assert not [test.mistake for test in report.tests if test.function != function and test.mistake]


def test_a_variant_is_not_named_when_another_check_contradicts_it(grade):
    # Right on moderate logits except one wrong entry, -inf where log(softmax) underflows: the
    # stability check alone looks like "log of softmax", the random-shapes check says otherwise.
    assignment = find_assignment("losses")
    source = assignment.reference_source + """

def cross_entropy(logits, labels):
    probs = _softmax_rows(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(probs)) * 1.5)
"""
    report = grade(assignment, source)
    failed = _failed(report, "cross_entropy")
    assert failed and not any(test.mistake == "log of softmax" for test in failed)


def test_near_zero_results_and_late_divergence_are_not_misnamed(grade):
    # Differences divided by 2 and multiplied by h are ~1e-10, within atol of the all-zero results
    # of "perturbed a copy of x", but not exact zeros: not that mistake.
    assignment = find_assignment("gradient_check")
    report = grade(assignment, assignment.reference_source + """

def numerical_gradient(f, x, h=1e-5):
    return _centred_differences(f, x, h) * h * h * 0.5
""")
    assert not [test for test in _failed(report, "numerical_gradient") if test.mistake == "perturbed a copy of x"]
    # Skipping every second update is right where an epoch is one batch, like a shuffle of its own,
    # but its first loss is always right: not "rng given not used".
    assignment = find_assignment("training")
    report = grade(assignment, assignment.reference_source + """

def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for step, rows in enumerate(_batch_indices(X.shape[0], batch_size, rng)):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            if step % 2 == 0:
                for name in params:
                    params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
""")
    failed = _failed(report, "train")
    assert failed and not [test for test in failed if test.mistake == "rng given not used"]


def _variant_output(report, function, check):
    return next(test for test in _failed(report, function) if test.check == check).output


def test_optimizer_trajectory_names_the_first_diverging_step_and_state(variant_report):
    assignment = find_assignment("optimizers")
    report = variant_report(assignment, _mistake(assignment, "adam", "step count not kept"))
    output = _variant_output(report, "adam", "sequence of steps")
    assert "your results leave the reference's at step 2 of 6 (every earlier step matches)" in output
    assert "state that differs first after step 2: config['t'] (expected 2, got 1)" in output

    report = variant_report(assignment, _mistake(assignment, "adam", "beta1 in the second moment"))
    output = _variant_output(report, "adam", "sequence of steps")
    assert "at step 1 of 6" in output and "state that differs first after step 1: config['v']" in output
    assert "config['m']" not in output

    report = variant_report(assignment, _mistake(assignment, "sgd_momentum", "velocity not kept"))
    output = _variant_output(report, "sgd_momentum", "sequence of steps")
    assert "at step 2 of 6" in output and "config['velocity'] is missing" in output


def test_training_names_the_epoch_where_losses_diverge(variant_report):
    assignment = find_assignment("training")
    report = variant_report(assignment, _mistake(assignment, "train", "same shuffle every epoch"))
    output = _variant_output(report, "train", "mini-batches and epochs")
    assert "the first loss that differs in your result[1] is number 5 (epoch 2, batch 1)" in output
    report = variant_report(assignment, _mistake(assignment, "iterate_minibatches", "last batch dropped"))
    assert "your result has 4 items where the reference has 5" in _variant_output(
        report, "iterate_minibatches", "uneven last batch")


def _local_outcome(namespace, function, assignment):
    """Run a function's program in this process (trusted code only) as the sandbox would."""
    with np.errstate(all="ignore"):
        calls = run_program(namespace, copy.deepcopy(function.calls), probes=assignment.probes)
    return UnitOutcome(status=OK, calls=calls)


def test_hidden_cases_name_the_mistake_without_showing_values():
    assignment = find_assignment("optimizers")
    mistake = _mistake(assignment, "adam", "step count not kept")
    suite = prepare_suite(assignment, "hidden", hidden_seed=3)
    function = next(function for function in suite.functions if function.name == "adam")
    check = copy.deepcopy(next(check for check in function.checks if check.name == "sequence of steps"))
    outcome = _local_outcome(variant_namespace(assignment, mistake), function, assignment)
    for case in check.value_cases:
        case.hidden = True
    found = diagnose_check(check, outcome.calls)
    assert found.mistake == mistake.name
    text = "\n".join(found.lines)
    assert "config['t']" in text and "expected" not in text and "got" not in text


def test_a_student_right_where_the_variant_is_wrong_is_not_given_its_name():
    assignment = find_assignment("losses")
    suite = prepare_suite(assignment, "public")
    function = next(function for function in suite.functions if function.name == "cross_entropy")
    mistake = _mistake(assignment, "cross_entropy", "sum instead of mean")
    outcome = _local_outcome(variant_namespace(assignment, mistake), function, assignment)
    check = next(check for check in function.checks if check.name == "random shapes")
    assert diagnose_check(check, outcome.calls).mistake == mistake.name
    # Make one case the variant gets wrong come back right: the name no longer fits the file.
    reference = _local_outcome(vars(assignment.reference), function, assignment)
    variant_case = next(item for item in next(v for v in check.diagnosis.variants if v.mistake == mistake.name).cases)
    for index in check.value_cases[variant_case.case].calls:
        outcome.calls[index] = reference.calls[index]
    assert diagnose_check(check, outcome.calls).mistake != mistake.name


def test_diagnosis_costs_nothing_for_a_passing_submission():
    timings = []
    for name in NAMES:
        assignment = find_assignment(name)
        suite = prepare_suite(assignment, "public")
        judged = []
        for function in suite.functions:
            outcome = _local_outcome(vars(assignment.reference), function, assignment)
            judged.append((function, outcome, judge_function(function, outcome)))
        started = time.perf_counter()
        for _ in range(100):
            for function, outcome, results in judged:
                diagnose_function(function, outcome, results)
        timings.append((time.perf_counter() - started) / 100)
        assert not any(test.mistake for _, _, results in judged for test in results)
    assert max(timings) < 1e-3, timings


def test_odd_student_values_never_break_grading(grade, caplog):
    assignment = find_assignment("optimizers")
    source = assignment.reference_source + '''

def adam(w, dw, config=None):
    return w - 0.1 * dw, "not a dict"


def sgd(w, dw, config=None):
    return [w, [1, [2, 3]]], {}


def rmsprop(w, dw, config=None):
    return (w * np.nan, {"cache": None})
'''
    report = grade(assignment, source)
    for function in ("adam", "sgd", "rmsprop"):
        values = [test for test in _failed(report, function) if test.kind == "values"]
        assert values and all(test.score == 0 and not test.mistake for test in values)
    assert not [record for record in caplog.records if record.name == "autograder.grading.diagnosis"]


def test_starter_kit_names_mistakes_offline_from_stored_outputs(tmp_path, grade):
    assignment = find_assignment("optimizers")
    write_kit(assignment, tmp_path)
    suite, _ = read_suite(tmp_path / KIT_FIXTURES)
    stored = {variant.mistake for function in suite.functions for check in function.checks
              if check.diagnosis for variant in check.diagnosis.variants}
    assert stored == {mistake.name for mistake in assignment.mistakes}
    kit = load_assignment(tmp_path)
    assert kit.is_kit and kit.reference is None and not kit.mistakes
    mistake = _mistake(assignment, "adamw", "L2 penalty instead of decoupled decay")
    report = grade(kit, variant_source(assignment, mistake))
    assert mistake.name in {test.mistake for test in _failed(report, "adamw")}


def test_mistakes_command_lists_the_mistakes_lists(tmp_path):
    from click.testing import CliRunner

    from autograder.cli import main

    outcome = CliRunner().invoke(main, ["mistakes", "optimizers"])
    assert outcome.exit_code == 0, outcome.output
    assignment = find_assignment("optimizers")
    assert outcome.output.startswith(f"optimizers ({len(assignment.mistakes)} named mistakes)\n")
    for mistake in assignment.mistakes:
        assert f"    - {mistake.name}: {mistake.hint}\n" in outcome.output
    write_kit(assignment, tmp_path)
    from_kit = CliRunner().invoke(main, ["mistakes", str(tmp_path)])
    assert from_kit.exit_code == 0 and sorted(from_kit.output.splitlines()) == sorted(outcome.output.splitlines())
    everything = CliRunner().invoke(main, ["mistakes"])
    assert everything.exit_code == 0 and everything.output.count("named mistakes)") == len(NAMES)
    assert CliRunner().invoke(main, ["mistakes", "no_such_assignment"]).exit_code == 2


def test_diagnosis_comes_before_what_the_student_printed(grade):
    assignment = find_assignment("losses")
    source = assignment.reference_source + '''

def mse(y_pred, y_true):
    print("debugging mse")
    return float(np.sum((y_pred - y_true) ** 2))
'''
    report = grade(assignment, source)
    output = next(test.output for test in _failed(report, "mse") if "your code printed:" in test.output)
    assert output.index("Looks like: sum instead of mean") < output.index("your code printed:\ndebugging mse")

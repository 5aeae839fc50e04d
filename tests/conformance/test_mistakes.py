"""One classic mistake costs the points of the function it breaks, and only those."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest

from autograder.grading.report import Report


@dataclass(frozen=True)
class ClassicMistake:
    """A one-line edit of a correct solution that breaks one function."""

    assignment: str
    base: str  # style of the correct solution it is derived from
    function: str
    name: str
    old: str
    new: str
    # Functions that call the broken one by the contract's own definition (so they fail too).
    also_breaks: tuple[str, ...] = ()


MISTAKES = [
    # losses
    ClassicMistake("losses", "vectorised", "mse", "sum instead of mean",
                   "return np.mean((y_pred - y_true) ** 2)", "return np.sum((y_pred - y_true) ** 2)"),
    ClassicMistake("losses", "einsum", "softmax", "no max subtraction",
                   "shifted = z - np.max(z, axis=1, keepdims=True)", "shifted = z"),
    ClassicMistake("losses", "vectorised", "cross_entropy_grad", "not divided by N",
                   "return (softmax(logits) - onehot) / n", "return softmax(logits) - onehot"),
    ClassicMistake("losses", "loops", "sigmoid", "exp(-x) overflows for large negative x",
                   "out[index] = _scalar_sigmoid(float(x[index]))",
                   "out[index] = 1.0 / (1.0 + math.exp(-float(x[index])))"),
    ClassicMistake("losses", "vectorised", "binary_cross_entropy", "computed from probabilities",
                   "return np.mean(np.logaddexp(0.0, logits) - targets * logits)",
                   "s = sigmoid(logits)\n    return -np.mean(targets * np.log(s) + (1 - targets) * np.log(1 - s))"),
    ClassicMistake("losses", "einsum", "binary_cross_entropy_grad", "sign flipped",
                   "return (sigmoid(logits) - targets) / len(targets)",
                   "return (targets - sigmoid(logits)) / len(targets)"),
    ClassicMistake("losses", "vectorize_apply", "sigmoid", "np.vectorize without otypes, int 0 and 1 when saturated",
                   "_sigmoid_elementwise = np.vectorize(_scalar_sigmoid, otypes=[np.float64])",
                   "_sigmoid_elementwise = np.vectorize(lambda v: 0 if v < -700 else 1 if v > 700 else _scalar_sigmoid(v))",
                   also_breaks=("binary_cross_entropy_grad",)),
    # backprop
    ClassicMistake("backprop", "closures_partials", "sigmoid_forward",
                   "np.vectorize without otypes, int 0 and 1 when saturated",
                   "    _stable_sigmoid,\n    lambda s: s * (1.0 - s),",
                   "    np.vectorize(lambda v: 0 if v < -700 else 1 if v > 700 else 1.0 / (1.0 + np.exp(-v))),\n"
                   "    lambda s: s * (1.0 - s),",
                   also_breaks=("sigmoid_backward", "two_layer_sigmoid_loss")),
    ClassicMistake("backprop", "vectorised", "affine_backward", "weight gradient transposed",
                   "return dout @ w.T, x.T @ dout, dout.sum(axis=0)",
                   "return dout @ w.T, dout.T @ x, dout.sum(axis=0)"),
    ClassicMistake("backprop", "vectorised", "relu_backward", "gradient 1 at x == 0",
                   "return dout * (cache > 0)", "return dout * (cache >= 0)"),
    ClassicMistake("backprop", "vectorised", "linear_regression_loss", "bias gradient averaged twice",
                   '"b": np.array(dpred.sum())}', '"b": np.array(dpred.mean())}'),
    ClassicMistake("backprop", "vectorised", "two_layer_sigmoid_loss", "sigmoid derivative missing s",
                   "dpre = np.outer(dpred, params[\"w2\"]) * hidden * (1 - hidden)",
                   "dpre = np.outer(dpred, params[\"w2\"]) * (1 - hidden)"),
    ClassicMistake("backprop", "vectorised", "mlp_loss", "no max subtraction in log-sum-exp",
                   "log_norm = np.logaddexp.reduce(scores, axis=1, keepdims=True)",
                   "log_norm = np.log(np.exp(scores).sum(axis=1, keepdims=True))"),
    ClassicMistake("backprop", "einsum", "sigmoid_backward", "derivative s instead of s(1-s)",
                   "return dout * (s - s * s)", "return dout * s"),
    # optimizers
    ClassicMistake("optimizers", "copied_config", "sgd", "w updated in place",
                   'return w - config["learning_rate"] * dw, config',
                   'w -= config["learning_rate"] * dw\n    return w, config'),
    ClassicMistake("optimizers", "copied_config", "sgd_momentum", "nesterov ignored",
                   "step = dw + mu * velocity if config[\"nesterov\"] else velocity", "step = velocity"),
    ClassicMistake("optimizers", "copied_config", "rmsprop", "epsilon inside the square root",
                   'np.sqrt(cache) + config["epsilon"]', 'np.sqrt(cache + config["epsilon"])'),
    ClassicMistake("optimizers", "copied_config", "adam", "no bias correction",
                   "    return _adam_step(w, dw, config), config",
                   "    config.update(t=config.get('t', 0) + 1)\n"
                   "    m = config['beta1'] * config.get('m', 0.0) + (1 - config['beta1']) * dw\n"
                   "    v = config['beta2'] * config.get('v', 0.0) + (1 - config['beta2']) * dw ** 2\n"
                   "    config.update(m=m, v=v)\n"
                   "    return w - config['learning_rate'] * m / (np.sqrt(v) + config['epsilon']), config"),
    ClassicMistake("optimizers", "copied_config", "adamw", "L2 penalty in the gradient instead of decoupled decay",
                   "return _adam_step(decayed, dw, config), config",
                   'return _adam_step(w, dw + config["weight_decay"] * w, config), config'),
    ClassicMistake("optimizers", "in_place", "adam", "mutable default config",
                   "def adam(w, dw, config=None):\n    \"\"\"Return the Adam step in PyTorch's folded form (step size and denominator corrected separately).\"\"\"\n    if config is None:\n        config = {}\n",
                   "def adam(w, dw, config={}):\n    \"\"\"Keep the state in a dict shared by every call.\"\"\"\n    if config is None:\n        config = {}\n"),
    # gradient_check
    ClassicMistake("gradient_check", "saved_value", "numerical_gradient", "x not restored",
                   "        minus = f(x)\n        x[index] = old\n", "        minus = f(x)\n",
                   also_breaks=("gradient_check",)),
    ClassicMistake("gradient_check", "saved_value", "numerical_gradient_array", "divided by h instead of 2h",
                   "grad[index] = np.sum((plus - minus) * df) / (2 * h)",
                   "grad[index] = np.sum((plus - minus) * df) / h"),
    ClassicMistake("gradient_check", "copies", "relative_error", "mean instead of max",
                   "worst = max(worst, abs(x_a - x_b) / max(1e-8, abs(x_a) + abs(x_b)))\n    return worst",
                   "worst = worst + abs(x_a - x_b) / max(1e-8, abs(x_a) + abs(x_b))\n    return worst / a.size",
                   also_breaks=("gradient_check",)),
    ClassicMistake("gradient_check", "saved_value", "gradient_check", "h ignored",
                   "return relative_error(analytic, numerical_gradient(f, x, h))",
                   "return relative_error(analytic, numerical_gradient(f, x))"),
    # training
    ClassicMistake("training", "generator", "iterate_minibatches", "last batch dropped",
                   "for start in range(0, len(order), batch_size):",
                   "for start in range(0, len(order) - batch_size + 1, batch_size):",
                   also_breaks=("train",)),
    ClassicMistake("training", "generator", "iterate_minibatches", "shuffled X but not y",
                   "yield X[rows], y[rows]", "yield X[rows], y[start:start + batch_size]",
                   also_breaks=("train",)),
    ClassicMistake("training", "index_iterator", "gradient_descent", "x0 updated in place",
                   "x = x0.astype(np.float64, copy=True)", "x = x0"),
    ClassicMistake("training", "generator", "train", "one optimizer state shared by all parameters",
                   "configs = {name: copy.deepcopy(config) for name in params}",
                   "shared = copy.deepcopy(config)\n    configs = {name: shared for name in params}"),
    ClassicMistake("training", "generator", "train", "caller's params dict updated",
                   "params = {name: np.array(value, copy=True) for name, value in params.items()}",
                   "params = params"),
]


def points_by_function(report: Report) -> dict[str, tuple[float, float]]:
    """Return function -> (points earned, points available) over the scored lines."""
    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for test in report.tests:
        totals[test.function][0] += test.score
        totals[test.function][1] += test.max_score
    return {function: (round(got, 6), round(worth, 6)) for function, (got, worth) in totals.items()}


@pytest.mark.parametrize("mistake", MISTAKES, ids=lambda m: f"{m.assignment}/{m.function}/{m.name}")
def test_one_mistake_costs_only_its_function(mistake: ClassicMistake, grade_file, solution_source):
    base = solution_source(mistake.assignment, mistake.base)
    assert base.count(mistake.old) == 1, f"the edit must match exactly once in {mistake.base}.py"
    report = grade_file(mistake.assignment, base.replace(mistake.old, mistake.new), "public")
    points = points_by_function(report)
    breaks = {mistake.function, *mistake.also_breaks}
    lost = {function for function, (got, worth) in points.items() if got < worth}
    details = "\n".join(f"--- {t.name} ({t.score}/{t.max_score})\n{t.output}"
                        for t in report.tests if t.status != "passed")
    assert lost == breaks, f"points lost in {sorted(lost)}, expected {sorted(breaks)}\n{details}"

"""Single-mistake student files written from the contract (not from reference.py or mistakes.py).

Each entry rewrites one or two functions of a correct conformance solution (``solutions/``) in a
student's own words with one classic mistake (CS231n/CS230 notes, PyTorch's optimizer docs,
np.random misuse). ``accepted`` lists the names a "Looks like:" line may give it. Entries marked
``held_out`` were written before the mistake library and the diagnosis were widened for this
set, and were never used to tune them: the naming rate is reported separately for both halves
(``python -m tests.conformance.naming_rate``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SOLUTIONS = Path(__file__).parent / "solutions"


@dataclass(frozen=True)
class StudentMistake:
    """One classic mistake, written as a student would, replacing functions of a correct file."""

    key: str
    assignment: str
    base: str
    function: str
    accepted: tuple[str, ...]
    code: str
    held_out: bool = False
    # 1: written before the library was widened (tuned on, or held out); 2: written after the
    # library and the diagnosis were frozen, graded once (a second held-out set); 3: mistakes
    # chosen to be absent from the library, written after round 2 was measured: 0 of 18 named
    # when first graded, then added to the library (tuned on since); 4: written after the library
    # was widened with round 3, as a student would write them, without consulting the library: 6 of
    # 23 named when first graded, then added to the library (tuned on since); 5: the same, after
    # the library was widened with round 4: 7 of 24 named when first graded, 2 others given a wrong
    # name (fixed by the exact-zero and earliest-difference rules), then added to the library;
    # 6: the same again after round 5 was added: 5 of 22 named when first graded (none wrongly),
    # then most added to the library (tuned on since); 7: written in round 11's review of the
    # feedback (not named when first graded; named after the diagnosis fix or variant they prompted);
    # 8: round 12's five mistakes reported unnamed (mlp b1 gradient before the ReLU mask, sigmoid w2
    # gradient from the pre-activation, cross-entropy gradient over C or N*C, Adam storing m_hat and
    # v_hat, RMSprop stepping with the old cache): 1 of 6 named when first graded (N*C already was,
    # as "divided by the number of entries"), the other five then added to the library.
    # 9: conformance round 9, written with its new solutions as bases, as a student would, without
    # consulting the library: 25 of 30 named when first graded (none wrongly), the other five (logits
    # shifted in place, sigmoid input clipped, Adam's t incremented twice, Adam's m not kept, gradients
    # recomputed after each parameter's update) then added to the library; a second batch of 17, written
    # after that: 4 named when first graded (none wrongly), one a scoring hole (a small last batch merged
    # into the previous one kept full marks in iterate_minibatches: the cases now always have a last batch
    # of one row).
    round: int = 1
    # Functions of the base file that call the broken one (they legitimately fail too).
    also_breaks: tuple[str, ...] = ()


def student_file(mistake: StudentMistake) -> str:
    """Return the base solution with each function defined in ``mistake.code`` replaced by that definition."""
    base = (SOLUTIONS / mistake.assignment / f"{mistake.base}.py").read_text(encoding="utf-8")
    replacements = {node.name: ast.get_source_segment(mistake.code, node)
                    for node in ast.parse(mistake.code).body if isinstance(node, ast.FunctionDef)}
    lines = base.splitlines()
    tree = ast.parse(base)
    for node in sorted((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in replacements),
                       key=lambda n: -n.lineno):
        lines[node.lineno - 1:node.end_lineno] = replacements.pop(node.name).splitlines()
    extra = [node for node in ast.parse(mistake.code).body if not isinstance(node, ast.FunctionDef)]
    header = [ast.get_source_segment(mistake.code, node) for node in extra]
    body = "\n".join(lines)
    appended = "\n\n\n".join(replacements.values())
    return "\n".join(header) + ("\n" if header else "") + body + ("\n\n\n" + appended if appended else "") + "\n"


M = StudentMistake
DIVIDED_TWICE = ("divided by N twice", "divided by the batch size twice")
NOT_DIVIDED = ("not divided by N", "sum instead of mean", "division by N missing", "division by the batch size missing",
               "gradient not divided by N")
RNG_IGNORED = ("rng given not used",)
KEY_RENAMED = ("state stored under another key",)
T_OFF = ("t stored one ahead", "t starts at 1")

STUDENT_MISTAKES: list[StudentMistake] = [
    # ------------------------------------------------------------------ losses
    M("mse-rows", "losses", "vectorised", "mse", ("mean over rows only",), '''
def mse(y_pred, y_true):
    d = y_pred - y_true
    return float((d * d).sum() / d.shape[0])
'''),
    M("mse-sum", "losses", "vectorised", "mse", NOT_DIVIDED, '''
def mse(y_pred, y_true):
    total = 0.0
    for a, b in zip(np.ravel(y_pred), np.ravel(y_true)):
        total += (a - b) ** 2
    return total
''', held_out=True),
    M("mse_grad-twice", "losses", "vectorised", "mse_grad", DIVIDED_TWICE, '''
def mse_grad(y_pred, y_true):
    n = y_pred.size
    return 2.0 * (y_pred - y_true) / n / n
'''),
    M("mse_grad-len", "losses", "vectorised", "mse_grad", ("divided by N instead of size",), '''
def mse_grad(y_pred, y_true):
    return (2 / len(y_pred)) * (y_pred - y_true)
''', held_out=True),
    M("softmax-sum-keepdims", "losses", "vectorised", "softmax", ("sum without keepdims", "max without keepdims"), '''
def softmax(z):
    e = np.exp(z - np.max(z, axis=1, keepdims=True))
    return e / e.sum(axis=1)
''', also_breaks=("cross_entropy_grad",)),
    M("softmax-max-keepdims", "losses", "vectorised", "softmax", ("max without keepdims", "sum without keepdims"), '''
def softmax(z):
    e = np.exp(z - z.max(axis=1))
    return e / e.sum(axis=1, keepdims=True)
''', held_out=True, also_breaks=("cross_entropy_grad",)),
    M("softmax-columns", "losses", "vectorised", "softmax", ("normalised over columns",), '''
def softmax(z):
    return np.apply_along_axis(lambda col: np.exp(col - col.max()) / np.exp(col - col.max()).sum(), 0, z)
''', held_out=True, also_breaks=("cross_entropy_grad",)),
    M("softmax-unshifted-loops", "losses", "vectorised", "softmax", ("no max subtraction",), '''
def softmax(z):
    out = np.empty_like(z, dtype=float)
    for i, row in enumerate(z):
        e = np.exp(row)
        out[i] = e / e.sum()
    return out
''', also_breaks=("cross_entropy_grad",)),
    M("ce-clipped", "losses", "vectorised", "cross_entropy", ("probabilities clipped",), '''
def cross_entropy(logits, labels):
    p = softmax(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(p, 1e-12, 1.0))))
'''),
    M("ce-eps-in-log", "losses", "vectorised", "cross_entropy", ("probabilities clipped", "epsilon added inside the log"), '''
def cross_entropy(logits, labels):
    n = logits.shape[0]
    p = softmax(logits)
    return -np.mean(np.log(p[range(n), labels] + 1e-9))
''', held_out=True),
    M("ce-mean-all", "losses", "vectorised", "cross_entropy", ("mean over all entries instead of rows",), '''
def cross_entropy(logits, labels):
    log_p = logits - _log_sum_exp(logits)[:, None]
    onehot = np.eye(logits.shape[1])[labels]
    return -np.mean(onehot * log_p)
'''),
    M("ce-log-softmax", "losses", "vectorised", "cross_entropy", ("log of softmax",), '''
def cross_entropy(logits, labels):
    n = len(labels)
    probs = softmax(logits)
    return float(-np.log(probs[np.arange(n), labels]).mean())
''', held_out=True),
    M("ce_grad-twice", "losses", "vectorised", "cross_entropy_grad", DIVIDED_TWICE, '''
def cross_entropy_grad(logits, labels):
    n = logits.shape[0]
    grad = softmax(logits) / n
    grad[np.arange(n), labels] -= 1 / n
    return grad / n
'''),
    M("ce_grad-label-columns", "losses", "vectorised", "cross_entropy_grad", ("label columns instead of entries",), '''
def cross_entropy_grad(logits, labels):
    g = softmax(logits)
    g[:, labels] -= 1
    return g / len(labels)
''', held_out=True),
    M("ce_grad-sign", "losses", "vectorised", "cross_entropy_grad", ("gradient sign flipped", "sign flipped"), '''
def cross_entropy_grad(logits, labels):
    n, c = logits.shape
    onehot = np.eye(c)[labels]
    return (onehot - softmax(logits)) / n
'''),
    M("sigmoid-ratio", "losses", "vectorised", "sigmoid", ("exp(x) / (1 + exp(x))",), '''
def sigmoid(x):
    return np.exp(x) / (np.exp(x) + 1)
''', also_breaks=("binary_cross_entropy_grad",)),
    M("sigmoid-flipped", "losses", "vectorised", "sigmoid", ("sign flipped",), '''
def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, x))
''', held_out=True, also_breaks=("binary_cross_entropy_grad",)),
    M("bce-clipped-15", "losses", "vectorised", "binary_cross_entropy", ("probabilities clipped",), '''
def binary_cross_entropy(logits, targets):
    p = np.clip(sigmoid(logits), 1e-15, 1 - 1e-15)
    return -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
'''),
    M("bce-eps-in-log", "losses", "vectorised", "binary_cross_entropy", ("probabilities clipped", "epsilon added inside the log"), '''
def binary_cross_entropy(logits, targets):
    p = sigmoid(logits)
    eps = 1e-12
    return -np.mean(targets * np.log(p + eps) + (1 - targets) * np.log(1 - p + eps))
''', held_out=True),
    M("bce-sum", "losses", "vectorised", "binary_cross_entropy", NOT_DIVIDED, '''
def binary_cross_entropy(logits, targets):
    return float(np.sum(np.logaddexp(0, logits) - targets * logits))
''', held_out=True),
    M("bce_grad-twice", "losses", "vectorised", "binary_cross_entropy_grad", DIVIDED_TWICE, '''
def binary_cross_entropy_grad(logits, targets):
    return (sigmoid(logits) - targets) / logits.shape[0] ** 2
'''),
    M("bce_grad-extra-derivative", "losses", "vectorised", "binary_cross_entropy_grad", ("sigmoid derivative applied again",), '''
def binary_cross_entropy_grad(logits, targets):
    s = sigmoid(logits)
    return s * (1 - s) * (s - targets) / len(targets)
''', held_out=True),
    # ------------------------------------------------------------------ backprop
    M("affine-dw-reshape", "backprop", "vectorised", "affine_backward",
      ("reshape instead of transpose", "weight gradient reshaped instead of transposed"), '''
def affine_backward(dout, cache):
    x, w = cache
    dw = (dout.T @ x).reshape(w.shape)
    return dout @ w.T, dw, dout.sum(axis=0)
'''),
    M("affine-dx-reshape", "backprop", "vectorised", "affine_backward", ("reshape instead of transpose",), '''
def affine_backward(dout, cache):
    x, w = cache
    dx = np.dot(w, dout.T).reshape(x.shape)
    return dx, np.dot(x.T, dout), np.sum(dout, axis=0)
''', held_out=True),
    M("affine-db-keepdims", "backprop", "vectorised", "affine_backward",
      ("extra axis of length 1", "bias gradient with keepdims"), '''
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0, keepdims=True)
'''),
    M("affine-db-all", "backprop", "vectorised", "affine_backward", ("summed over every axis", "reduced to a scalar"), '''
def affine_backward(dout, cache):
    x, w = cache
    db = np.sum(dout)
    return dout @ w.T, x.T @ dout, db
''', held_out=True),
    M("affine-dw-averaged", "backprop", "vectorised", "affine_backward",
      ("divided by the batch size where the contract does not",), '''
def affine_backward(dout, cache):
    x, w = cache
    n = x.shape[0]
    return dout @ w.T, x.T @ dout / n, dout.sum(axis=0)
'''),
    M("sigmoid-backward-input", "backprop", "vectorised", "sigmoid_backward",
      ("derivative from the input instead of the output",), '''
def sigmoid_forward(x):
    return _sigmoid(x), x


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)
'''),
    M("relu-backward-zero", "backprop", "vectorised", "relu_backward", ("gradient 1 at x == 0",), '''
def relu_backward(dout, cache):
    dx = dout.copy()
    dx[cache < 0] = 0
    return dx
''', held_out=True),
    M("relu-forward-inplace", "backprop", "vectorised", "relu_forward", ("input modified in place",), '''
def relu_forward(x):
    out = np.maximum(x, 0, out=x)
    return out, out.copy()
'''),
    M("relu-backward-mask", "backprop", "vectorised", "relu_backward", ("upstream gradient ignored",), '''
def relu_backward(dout, cache):
    return np.heaviside(cache, 0.0)
''', held_out=True),
    M("linreg-twice", "backprop", "vectorised", "linear_regression_loss", DIVIDED_TWICE, '''
def linear_regression_loss(params, X, y):
    n = X.shape[0]
    loss, dpred = _mse_and_grad(X @ params["w"] + params["b"], y)
    return loss, {"w": X.T @ dpred / n, "b": np.array(dpred.mean())}
'''),
    M("linreg-sum", "backprop", "vectorised", "linear_regression_loss", NOT_DIVIDED, '''
def linear_regression_loss(params, X, y):
    r = X.dot(params["w"]) + params["b"] - y
    return float(r @ r), {"w": 2 * X.T.dot(r), "b": np.array(2 * r.sum())}
''', held_out=True),
    M("two-layer-dW1-reshape", "backprop", "vectorised", "two_layer_linear_loss",
      ("reshape instead of transpose", "W1 gradient transposed"), '''
def two_layer_linear_loss(params, X, y):
    hidden = X @ params["W1"] + params["b1"]
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dhidden = np.outer(dpred, params["w2"])
    return loss, {
        "W1": (dhidden.T @ X).reshape(params["W1"].shape),
        "b1": dhidden.sum(axis=0),
        "w2": hidden.T @ dpred,
        "b2": np.array(dpred.sum()),
    }
'''),
    M("two-layer-db1-mean", "backprop", "vectorised", "two_layer_linear_loss", ("b1 gradient averaged",), '''
def two_layer_linear_loss(params, X, y):
    h = X @ params["W1"] + params["b1"]
    loss, dpred = _mse_and_grad(h @ params["w2"] + params["b2"], y)
    dh = dpred[:, None] * params["w2"][None, :]
    return loss, {"W1": X.T @ dh, "b1": np.mean(dh, axis=0), "w2": h.T @ dpred, "b2": np.array(np.sum(dpred))}
''', held_out=True),
    M("two-layer-sigmoid-forgotten", "backprop", "vectorised", "two_layer_sigmoid_loss",
      ("sigmoid derivative forgotten",), '''
def two_layer_sigmoid_loss(params, X, y):
    hidden = _sigmoid(X @ params["W1"] + params["b1"])
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dpre = np.outer(dpred, params["w2"])
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "w2": hidden.T @ dpred, "b2": np.array(dpred.sum())}
'''),
    M("two-layer-sigmoid-pre", "backprop", "vectorised", "two_layer_sigmoid_loss",
      ("sigmoid derivative from the pre-activation",), '''
def two_layer_sigmoid_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = _sigmoid(pre)
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dpre = np.outer(dpred, params["w2"]) * pre * (1 - pre)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "w2": hidden.T @ dpred, "b2": np.array(dpred.sum())}
''', held_out=True),
    M("logreg-clipped", "backprop", "vectorised", "logistic_regression_loss",
      ("probabilities clipped", "cross-entropy from probabilities"), '''
def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    p = np.clip(_sigmoid(z), 1e-10, 1 - 1e-10)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dz = (_sigmoid(z) - y) / y.shape[0]
    return loss, {"w": X.T @ dz, "b": np.array(dz.sum())}
'''),
    M("logreg-not-averaged", "backprop", "vectorised", "logistic_regression_loss", NOT_DIVIDED, '''
def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    error = _sigmoid(z) - y
    return loss, {"w": X.T @ error, "b": np.array(error.sum())}
''', held_out=True),
    M("mlp-eps-log", "backprop", "vectorised", "mlp_loss",
      ("epsilon added inside the log", "log of softmax instead of log-sum-exp", "probabilities clipped"), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(probs[np.arange(n), y] + 1e-12))
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = (dscores @ params["W2"].T) * (pre > 0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
'''),
    M("mlp-not-averaged", "backprop", "vectorised", "mlp_loss", NOT_DIVIDED, '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dpre = np.where(pre > 0, dscores @ params["W2"].T, 0.0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
''', held_out=True),
    M("mlp-db2-axis", "backprop", "vectorised", "mlp_loss", ("bias gradient summed over the wrong axis",), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = np.where(pre > 0, dscores @ params["W2"].T, 0.0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=1)}
''', held_out=True),
    # ------------------------------------------------------------------ optimizers
    M("adam-no-v-correction", "optimizers", "copied_config", "adam", ("no bias correction of v",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat = m / (1 - config["beta1"] ** t)
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v) + config["epsilon"]), config
'''),
    M("adam-no-m-correction", "optimizers", "copied_config", "adam", ("no bias correction of m",), '''
def adam(w, dw, config=None):
    cfg = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    b1, b2 = cfg["beta1"], cfg["beta2"]
    cfg["t"] = cfg.get("t", 0) + 1
    cfg["m"] = b1 * cfg.get("m", 0 * w) + (1 - b1) * dw
    cfg["v"] = b2 * cfg.get("v", 0 * w) + (1 - b2) * dw * dw
    v_hat = cfg["v"] / (1 - b2 ** cfg["t"])
    return w - cfg["learning_rate"] * cfg["m"] / (np.sqrt(v_hat) + cfg["epsilon"]), cfg
''', held_out=True),
    M("adam-t-ahead", "optimizers", "in_place", "adam", T_OFF, '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    t = config.setdefault("t", 1)
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t + 1)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
'''),
    M("adam-t-starts-1", "optimizers", "copied_config", "adam", T_OFF, '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 1) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    config.update(m=m, v=v, t=t)
    m_hat = m / (1 - config["beta1"] ** t)
    v_hat = v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''', held_out=True),
    M("momentum-key-v", "optimizers", "copied_config", "sgd_momentum", KEY_RENAMED, '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    v = mu * config.get("v", np.zeros_like(w)) + dw
    config["v"] = v
    step = dw + mu * v if config["nesterov"] else v
    return w - config["learning_rate"] * step, config
'''),
    M("rmsprop-key-square-avg", "optimizers", "copied_config", "rmsprop", KEY_RENAMED, '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    square_avg = config.get("square_avg", np.zeros_like(w))
    square_avg = config["decay_rate"] * square_avg + (1 - config["decay_rate"]) * dw * dw
    config["square_avg"] = square_avg
    return w - config["learning_rate"] * dw / (np.sqrt(square_avg) + config["epsilon"]), config
''', held_out=True),
    M("adam-mutable-default", "optimizers", "in_place", "adam", ("mutable default config={}", "state kept outside config"), '''
def adam(w, dw, config={}):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    return _adam_update(w, dw, config), config
'''),
    M("rmsprop-mutable-default", "optimizers", "in_place", "rmsprop", ("mutable default config={}", "state kept outside config"), '''
def rmsprop(w, dw, config={}):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    cache = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
''', held_out=True),
    M("adamw-l2", "optimizers", "in_place", "adamw", ("L2 penalty instead of decoupled decay",), '''
def adamw(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=1e-2).items():
        config.setdefault(key, value)
    grad = dw + config["weight_decay"] * w
    return _adam_update(w, grad, config), config
'''),
    M("adamw-decay-after", "optimizers", "copied_config", "adamw", ("decay applied after the step",), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            weight_decay=1e-2)
    new_w = _adam_step(w, dw, config)
    new_w = new_w - config["learning_rate"] * config["weight_decay"] * new_w
    return new_w, config
''', held_out=True),
    M("rmsprop-eps-sqrt", "optimizers", "in_place", "rmsprop", ("epsilon inside the square root",), '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.setdefault("cache", np.zeros_like(w))
    cache *= config["decay_rate"]
    cache += (1 - config["decay_rate"]) * dw * dw
    return w - config["learning_rate"] * dw / np.sqrt(cache + config["epsilon"]), config
'''),
    M("nesterov-old-velocity", "optimizers", "copied_config", "sgd_momentum", ("Nesterov ignored",), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    old = config.get("velocity", np.zeros_like(w))
    velocity = mu * old + dw
    config["velocity"] = velocity
    step = dw + mu * old if config["nesterov"] else velocity
    return w - config["learning_rate"] * step, config
''', held_out=True),
    M("momentum-cs231n", "optimizers", "copied_config", "sgd_momentum", ("learning rate inside the velocity",), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu, lr = config["momentum"], config["learning_rate"]
    v = mu * config.get("velocity", np.zeros_like(w)) - lr * dw
    config["velocity"] = v
    if config["nesterov"]:
        return w - lr * dw + mu * v, config
    return w + v, config
'''),
    M("momentum-dampened", "optimizers", "in_place", "sgd_momentum", ("dampened momentum",), '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("nesterov", False)
    mu = config["momentum"]
    v = mu * config.get("velocity", np.zeros_like(w)) + (1 - mu) * dw
    config["velocity"] = v
    step = dw + mu * v if config["nesterov"] else v
    return w - config["learning_rate"] * step, config
''', held_out=True),
    M("sgd-inplace", "optimizers", "copied_config", "sgd", ("w modified in place",), '''
def sgd(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2)
    np.subtract(w, config["learning_rate"] * dw, out=w)
    return w, config
'''),
    M("adam-w-inplace", "optimizers", "copied_config", "adam", ("w modified in place",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    next_w = _adam_step(w, dw, config)
    w[...] = next_w
    return w, config
''', held_out=True),
    M("adamw-no-default", "optimizers", "copied_config", "adamw", ("no default weight decay",), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    decayed = w * (1 - config["learning_rate"] * config.get("weight_decay", 0.0))
    return _adam_step(decayed, dw, config), config
'''),
    M("adam-beta1-v", "optimizers", "in_place", "adam", ("beta1 in the second moment",), '''
def adam(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    b1, b2 = config["beta1"], config["beta2"]
    t = config["t"] = config.get("t", 0) + 1
    m = config["m"] = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
    v = config["v"] = b1 * config.get("v", np.zeros_like(w)) + (1 - b1) * dw ** 2
    return w - config["learning_rate"] * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + config["epsilon"]), config
''', held_out=True),
    # ------------------------------------------------------------------ gradient_check
    M("numgrad-forward", "gradient_check", "saved_value", "numerical_gradient", ("forward differences",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    base = f(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - base) / h
        x[i] = old
        it.iternext()
    return grad
''', also_breaks=("gradient_check",)),
    M("numgrad-backward", "gradient_check", "saved_value", "numerical_gradient", ("backward differences",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for i in np.ndindex(*x.shape):
        keep = x[i]
        x[i] = keep - h
        grad[i] = (fx - f(x)) / h
        x[i] = keep
    return grad
''', held_out=True, also_breaks=("gradient_check",)),
    M("numgrad-not-restored", "gradient_check", "saved_value", "numerical_gradient", ("x not restored",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        grad[i] = (plus - minus) / (2 * h)
    return grad
''', also_breaks=("gradient_check",)),
    M("numgrad-not-restored-flat", "gradient_check", "saved_value", "numerical_gradient", ("x not restored",), '''
def numerical_gradient(f, x, h=1e-5):
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for k in range(flat.size):
        flat[k] += h
        up = f(x)
        flat[k] -= 2 * h
        down = f(x)
        grad[k] = (up - down) / (2 * h)
    return grad.reshape(x.shape)
''', held_out=True, also_breaks=("gradient_check",)),
    M("numgrad-h-fixed", "gradient_check", "saved_value", "numerical_gradient",
      ("step size h ignored", "fixed step 1e-4 instead of h"), '''
def numerical_gradient(f, x, h=1e-5):
    step = 1e-4
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + step
        plus = f(x)
        x[i] = old - step
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * step)
    return grad
''', also_breaks=("gradient_check",)),
    M("numgrad-over-h", "gradient_check", "saved_value", "numerical_gradient",
      ("divided by h instead of 2h", "factor 2 too many"), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / h
    return grad
''', held_out=True, also_breaks=("gradient_check",)),
    M("numgrad-array-no-df", "gradient_check", "saved_value", "numerical_gradient_array", ("upstream gradient df ignored",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x))
        x[i] = old - h
        minus = np.sum(f(x))
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
'''),
    M("numgrad-array-df-after", "gradient_check", "saved_value", "numerical_gradient_array",
      ("df applied after differentiating",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.array(f(x)).sum()
        x[i] = old - h
        minus = np.array(f(x)).sum()
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad * df
''', held_out=True),
    M("relerr-no-floor", "gradient_check", "saved_value", "relative_error", ("no 1e-8 floor",), '''
def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float((np.abs(a - b) / (np.abs(a) + np.abs(b))).max())
''', also_breaks=("gradient_check",)),
    M("relerr-max-denominator", "gradient_check", "saved_value", "relative_error", ("max(|a|, |b|) as denominator",), '''
def relative_error(a, b):
    num = np.abs(a - b)
    den = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
    return float(np.max(num / den))
''', held_out=True, also_breaks=("gradient_check",)),
    M("relerr-floor-added", "gradient_check", "saved_value", "relative_error", ("1e-8 added instead of used as a floor",), '''
def relative_error(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b) + 1e-8)))
''', also_breaks=("gradient_check",)),
    M("relerr-mean", "gradient_check", "saved_value", "relative_error", ("mean instead of max",), '''
def relative_error(a, b):
    errors = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    return float(errors.sum() / errors.size)
''', held_out=True, also_breaks=("gradient_check",)),
    M("gradcheck-h-ignored", "gradient_check", "saved_value", "gradient_check", ("step size h ignored",), '''
def gradient_check(f, grad_f, x, h=1e-5):
    analytic = np.array(grad_f(x), dtype=float)
    return relative_error(analytic, numerical_gradient(f, x))
'''),
    M("gradcheck-norms", "gradient_check", "saved_value", "gradient_check", ("relative error of norms",), '''
def gradient_check(f, grad_f, x, h=1e-5):
    a = np.array(grad_f(x), dtype=float)
    n = numerical_gradient(f, x, h)
    return float(np.linalg.norm(a - n) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(n)))
''', held_out=True),
    # ------------------------------------------------------------------ training
    M("batches-sorted", "training", "generator", "iterate_minibatches", ("rows not shuffled", "batch indices sorted"), '''
def iterate_minibatches(X, y, batch_size, rng):
    idx = np.sort(rng.permutation(X.shape[0]))
    for start in range(0, len(idx), batch_size):
        rows = idx[start:start + batch_size]
        yield X[rows], y[rows]
''', also_breaks=("train",)),
    M("batches-sorted-within", "training", "generator", "iterate_minibatches", ("batch indices sorted",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(order), batch_size):
        rows = np.sort(order[start:start + batch_size])
        yield X[rows], y[rows]
''', held_out=True, also_breaks=("train",)),
    M("batches-global-random", "training", "generator", "iterate_minibatches", RNG_IGNORED, '''
def iterate_minibatches(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]
''', also_breaks=("train",)),
    M("batches-new-generator", "training", "batch_list", "iterate_minibatches", RNG_IGNORED, '''
def iterate_minibatches(X, y, batch_size, rng):
    order = np.random.default_rng().permutation(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]
''', held_out=True, also_breaks=("train",)),
    M("batches-choice", "training", "batch_list", "iterate_minibatches", RNG_IGNORED, '''
def iterate_minibatches(X, y, batch_size, rng):
    n = len(X)
    order = rng.choice(n, size=n, replace=False)
    out = []
    for i in range(0, n, batch_size):
        sel = order[i:i + batch_size]
        out.append((X[sel], y[sel]))
    return out
''', held_out=True, also_breaks=("train",)),
    M("batches-padded-wrap", "training", "generator", "iterate_minibatches", ("last batch padded",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        if len(rows) < batch_size:
            rows = np.concatenate([rows, order[:batch_size - len(rows)]])
        yield X[rows], y[rows]
''', also_breaks=("train",)),
    M("batches-padded-resize", "training", "generator", "iterate_minibatches", ("last batch padded",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = np.resize(order[start:start + batch_size], batch_size)
        yield X[rows], y[rows]
''', held_out=True, also_breaks=("train",)),
    M("batches-dropped-floor", "training", "generator", "iterate_minibatches", ("last batch dropped",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for b in range(len(X) // batch_size):
        rows = order[b * batch_size:(b + 1) * batch_size]
        yield X[rows], y[rows]
''', held_out=True, also_breaks=("train",)),
    M("gd-extra-step", "training", "batch_list", "gradient_descent", ("one step too many",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0
    step = 0
    while step <= num_steps:
        x = x - learning_rate * grad_fn(x)
        step += 1
    return x
'''),
    M("gd-inplace", "training", "batch_list", "gradient_descent", ("x0 updated in place",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0
    for _ in range(num_steps):
        np.subtract(x, learning_rate * grad_fn(x), out=x)
    return x.copy()
''', held_out=True),
    M("train-loss-after-update", "training", "generator", "train", ("loss recorded after the update",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            _, grads = loss_and_grads(params, X_batch, y_batch)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
            loss, _ = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
    return params, losses
'''),
    M("train-loss-after-update-2", "training", "batch_list", "train", ("loss recorded after the update",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    states = {key: dict(config or {}) for key in current}
    history = []
    for epoch in range(epochs):
        for xb, yb in iterate_minibatches(X, y, batch_size, rng):
            grads = loss_and_grads(current, xb, yb)[1]
            for key in current:
                current[key], states[key] = update(current[key], grads[key], states[key])
            history.append(float(loss_and_grads(current, xb, yb)[0]))
    return current, history
''', held_out=True),
    M("train-shared-state", "training", "batch_list", "train", ("one optimizer state shared by all parameters",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    state = dict(config or {})
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], state = update(current[key], grads[key], state)
    return current, losses
''', held_out=True),
    M("train-global-random", "training", "generator", "train", RNG_IGNORED, '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    n = X.shape[0]
    for _ in range(epochs):
        order = np.random.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
'''),
    M("train-seeded-generator", "training", "batch_list", "train", RNG_IGNORED, '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    gen = np.random.default_rng(42)
    current = dict(params)
    states = {key: dict(config or {}) for key in current}
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, gen):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], states[key] = update(current[key], grads[key], states[key])
    return current, losses
''', held_out=True),
    M("train-reset-per-epoch", "training", "generator", "train", ("optimizer state reset every epoch",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    losses = []
    for _ in range(epochs):
        configs = {name: copy.deepcopy(config) for name in params}
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
'''),
    M("train-caller-params", "training", "generator", "train", ("given params modified",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
''', held_out=True),
    M("train-one-shuffle", "training", "batch_list", "train", ("same shuffle every epoch",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    states = {key: dict(config or {}) for key in current}
    losses = []
    batches = iterate_minibatches(X, y, batch_size, rng)
    for epoch in range(epochs):
        for X_batch, y_batch in batches:
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], states[key] = update(current[key], grads[key], states[key])
    return current, losses
''', held_out=True),
    M("train-drops-last", "training", "generator", "train", ("last batch dropped",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            if len(X_batch) != batch_size:
                break
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
'''),
    # ------------------------------------------------------------------ round 2 (written after the freeze)
    M("r2-mse-norm", "losses", "einsum", "mse", ("mean over rows only",), '''
def mse(y_pred, y_true):
    return np.linalg.norm(y_pred - y_true) ** 2 / len(y_pred)
''', held_out=True, round=2),
    M("r2-mse_grad-no-two", "losses", "einsum", "mse_grad", ("missing factor 2", "factor 2 missing"), '''
def mse_grad(y_pred, y_true):
    return (y_pred - y_true) * (1.0 / y_pred.size)
''', held_out=True, round=2),
    M("r2-softmax-global", "losses", "einsum", "softmax", ("global max subtracted",), '''
def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)
''', held_out=True, round=2),
    M("r2-ce-sum-loop", "losses", "loops", "cross_entropy", NOT_DIVIDED, '''
def cross_entropy(logits, labels):
    total = 0.0
    for row, label in zip(logits, labels):
        m = max(row)
        total -= row[label] - m - math.log(sum(math.exp(v - m) for v in row))
    return total
''', held_out=True, round=2),
    M("r2-ce_grad-no-onehot", "losses", "einsum", "cross_entropy_grad", ("one-hot not subtracted",), '''
def cross_entropy_grad(logits, labels):
    return softmax(logits) / len(labels)
''', held_out=True, round=2),
    M("r2-bce_grad-column", "losses", "einsum", "binary_cross_entropy_grad",
      ("returns (N, 1) instead of (N,)", "extra axis of length 1"), '''
def binary_cross_entropy_grad(logits, targets):
    n = len(targets)
    return ((sigmoid(logits) - targets) / n)[:, None]
''', held_out=True, round=2),
    M("r2-bce_grad-sum", "losses", "einsum", "binary_cross_entropy_grad", NOT_DIVIDED, '''
def binary_cross_entropy_grad(logits, targets):
    return sigmoid(logits) - targets
''', held_out=True, round=2),
    M("r2-ce-lse-unshifted", "losses", "einsum", "cross_entropy", ("log-sum-exp without max subtraction",), '''
def cross_entropy(logits, labels):
    lse = np.log(np.exp(logits).sum(axis=1))
    return np.asarray(np.mean(lse - logits[np.arange(len(labels)), labels]))
''', held_out=True, round=2),
    M("r2-affine-no-bias", "backprop", "vectorised", "affine_forward", ("bias forgotten",), '''
def affine_forward(x, w, b):
    return x.dot(w), (x, w)
''', held_out=True, round=2),
    M("r2-affine-db-mean", "backprop", "vectorised", "affine_backward",
      ("bias gradient averaged", "divided by the batch size where the contract does not"), '''
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, np.mean(dout, axis=0)
''', held_out=True, round=2),
    M("r2-relu-backward-inplace", "backprop", "vectorised", "relu_backward", ("dout modified in place",), '''
def relu_backward(dout, cache):
    dout[cache <= 0] = 0
    return dout
''', held_out=True, round=2),
    M("r2-sigmoid-backward-no-dout", "backprop", "vectorised", "sigmoid_backward", ("upstream gradient ignored",), '''
def sigmoid_backward(dout, cache):
    s = cache
    return s - s ** 2
''', held_out=True, round=2),
    M("r2-two-layer-no-two", "backprop", "vectorised", "two_layer_linear_loss", ("factor 2 missing",), '''
def two_layer_linear_loss(params, X, y):
    hidden = X @ params["W1"] + params["b1"]
    residual = hidden @ params["w2"] + params["b2"] - y
    dpred = residual / len(y)
    dhidden = np.outer(dpred, params["w2"])
    return np.mean(residual ** 2), {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0), "w2": hidden.T @ dpred,
                                    "b2": np.array(dpred.sum())}
''', held_out=True, round=2),
    M("r2-logreg-sign", "backprop", "vectorised", "logistic_regression_loss", ("gradient sign flipped", "sign flipped"), '''
def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    dz = (y - _sigmoid(z)) / len(y)
    return loss, {"w": X.T @ dz, "b": np.array(dz.sum())}
''', held_out=True, round=2),
    M("r2-mlp-relu-zero", "backprop", "vectorised", "mlp_loss", ("ReLU gradient 1 at 0",), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = (dscores @ params["W2"].T) * (pre >= 0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
''', held_out=True, round=2),
    M("r2-linreg-b-mean", "backprop", "vectorised", "linear_regression_loss", DIVIDED_TWICE, '''
def linear_regression_loss(params, X, y):
    loss, dpred = _mse_and_grad(X @ params["w"] + params["b"], y)
    return loss, {"w": X.T @ dpred, "b": np.array(np.mean(dpred))}
''', held_out=True, round=2),
    M("r2-sgd-fixed-lr", "optimizers", "copied_config", "sgd", ("learning_rate from config ignored",), '''
def sgd(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2)
    return w - 0.01 * dw, config
''', held_out=True, round=2),
    M("r2-rmsprop-swapped", "optimizers", "copied_config", "rmsprop", ("decay rate on the wrong term",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    rho = config["decay_rate"]
    config["cache"] = (1 - rho) * config.get("cache", np.zeros_like(w)) + rho * dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config
''', held_out=True, round=2),
    M("r2-rmsprop-not-kept", "optimizers", "copied_config", "rmsprop", ("cache not kept",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config["decay_rate"] * config.get("cache", np.zeros_like(w)) + (1 - config["decay_rate"]) * dw ** 2
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
''', held_out=True, round=2),
    M("r2-adam-eps-sqrt", "optimizers", "copied_config", "adam", ("epsilon inside the square root",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / np.sqrt(v_hat + config["epsilon"]), config
''', held_out=True, round=2),
    M("r2-adamw-unscaled", "optimizers", "copied_config", "adamw", ("decay not scaled by the learning rate",), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            weight_decay=1e-2)
    return _adam_step(w * (1 - config["weight_decay"]), dw, config), config
''', held_out=True, round=2),
    M("r2-momentum-not-kept", "optimizers", "in_place", "sgd_momentum", ("velocity not kept",), '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("nesterov", False)
    v = config["momentum"] * np.zeros_like(w) + dw
    step = dw + config["momentum"] * v if config["nesterov"] else v
    return w - config["learning_rate"] * step, config
''', held_out=True, round=2),
    M("r2-momentum-buffer-key", "optimizers", "in_place", "sgd_momentum", KEY_RENAMED, '''
def sgd_momentum(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    config.setdefault("nesterov", False)
    buf = config["momentum"] * config.get("momentum_buffer", np.zeros_like(w)) + dw
    config["momentum_buffer"] = buf
    step = dw + config["momentum"] * buf if config["nesterov"] else buf
    return w - config["learning_rate"] * step, config
''', held_out=True, round=2),
    M("r2-adam-t-not-stored", "optimizers", "copied_config", "adam", ("step count not kept",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0)
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    config.update(m=m, v=v)
    m_hat, v_hat = m / (1 - config["beta1"] ** (t + 1)), v / (1 - config["beta2"] ** (t + 1))
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''', held_out=True, round=2),
    M("r2-numgrad-copy", "gradient_check", "saved_value", "numerical_gradient", ("perturbed a copy of x",), '''
def numerical_gradient(f, x, h=1e-5):
    xf = x.flatten()
    grad = np.zeros(xf.size)
    for k in range(xf.size):
        old = xf[k]
        xf[k] = old + h
        fp = f(x)
        xf[k] = old - h
        fm = f(x)
        xf[k] = old
        grad[k] = (fp - fm) / (2 * h)
    return grad.reshape(x.shape)
''', held_out=True, round=2, also_breaks=("gradient_check",)),
    M("r2-numgrad-array-forward", "gradient_check", "saved_value", "numerical_gradient_array", ("forward differences",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    base = np.sum(np.array(f(x), copy=True) * df)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (np.sum(f(x) * df) - base) / h
        x[i] = old
    return grad
''', held_out=True, round=2),
    M("r2-numgrad-array-h", "gradient_check", "saved_value", "numerical_gradient_array", ("step size h ignored",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    eps = 1e-5
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = np.array(f(x), copy=True)
        x[i] = old - eps
        minus = np.array(f(x), copy=True)
        x[i] = old
        grad[i] = np.sum((plus - minus) * df) / (2 * eps)
    return grad
''', held_out=True, round=2),
    M("r2-relerr-norms", "gradient_check", "saved_value", "relative_error", ("relative error of norms",), '''
def relative_error(a, b):
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))
''', held_out=True, round=2, also_breaks=("gradient_check",)),
    M("r2-gradcheck-no-floor", "gradient_check", "saved_value", "gradient_check", ("no 1e-8 floor",), '''
def gradient_check(f, grad_f, x, h=1e-5):
    a = np.array(grad_f(x), dtype=float)
    n = numerical_gradient(f, x, h)
    return float(np.max(np.abs(a - n) / (np.abs(a) + np.abs(n))))
''', held_out=True, round=2),
    M("r2-batches-unshuffled", "training", "batch_list", "iterate_minibatches", ("rows not shuffled",), '''
def iterate_minibatches(X, y, batch_size, rng):
    return [(X[i:i + batch_size], y[i:i + batch_size]) for i in range(0, len(X), batch_size)]
''', held_out=True, round=2, also_breaks=("train",)),
    M("r2-batches-x-only", "training", "generator", "iterate_minibatches", ("shuffled X but not y",), '''
def iterate_minibatches(X, y, batch_size, rng):
    Xs = X[rng.permutation(len(X))]
    for i in range(0, len(X), batch_size):
        yield Xs[i:i + batch_size], y[i:i + batch_size]
''', held_out=True, round=2, also_breaks=("train",)),
    M("r2-batches-two-shuffles", "training", "generator", "iterate_minibatches", ("separate permutations for X and y",), '''
def iterate_minibatches(X, y, batch_size, rng):
    Xs, ys = X.copy(), y.copy()
    rng.shuffle(Xs)
    rng.shuffle(ys)
    for i in range(0, len(Xs), batch_size):
        yield Xs[i:i + batch_size], ys[i:i + batch_size]
''', held_out=True, round=2, also_breaks=("train",)),
    M("r2-batches-while-drop", "training", "batch_list", "iterate_minibatches", ("last batch dropped",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    out, start = [], 0
    while start + batch_size <= len(X):
        sel = order[start:start + batch_size]
        out.append((X[sel], y[sel]))
        start += batch_size
    return out
''', held_out=True, round=2, also_breaks=("train",)),
    M("r2-gd-once", "training", "generator", "gradient_descent", ("gradient evaluated only at x0",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    g = grad_fn(x0)
    x = x0.copy()
    for _ in range(num_steps):
        x = x - learning_rate * g
    return x
''', held_out=True, round=2),
    M("r2-gd-ascent", "training", "generator", "gradient_descent", ("moves up the gradient",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.copy(x0)
    for _ in range(num_steps):
        x = x + learning_rate * grad_fn(x)
    return x
''', held_out=True, round=2),
    M("r2-train-epoch-loss", "training", "batch_list", "train", ("one loss per epoch",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    states = {key: dict(config or {}) for key in current}
    losses = []
    for epoch in range(epochs):
        total, count = 0.0, 0
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            total, count = total + loss, count + 1
            for key in list(current):
                current[key], states[key] = update(current[key], grads[key], states[key])
        losses.append(total / count)
    return current, losses
''', held_out=True, round=2),
    M("r2-train-reset-step", "training", "batch_list", "train", ("optimizer state reset every step",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], _ = update(current[key], grads[key], dict(config or {}))
    return current, losses
''', held_out=True, round=2),
    M("r2-train-config-shared", "training", "batch_list", "train", ("config not copied",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = dict(params)
    states = {key: config for key in current}
    losses = []
    for epoch in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], states[key] = update(current[key], grads[key], states[key])
    return current, losses
''', held_out=True, round=2),
    M("r2-train-floor-batches", "training", "generator", "train", ("last batch dropped",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {k: v.copy() for k, v in params.items()}
    configs = {k: copy.deepcopy(config) for k in params}
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for b in range(len(X) // batch_size):
            rows = order[b * batch_size:(b + 1) * batch_size]
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for k in params:
                params[k], configs[k] = update(params[k], grads[k], configs[k])
    return params, losses
''', held_out=True, round=2),
    # ------------------------------------------------------------------ round 3 (mistakes absent from the library)
    M("r3-ce-log2", "losses", "vectorised", "cross_entropy", ("log base 2",), '''
def cross_entropy(logits, labels):
    p = softmax(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log2(p)))
''', round=3),
    M("r3-softmax-global-sum", "losses", "vectorised", "softmax", ("normalised over the whole array",), '''
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / np.sum(e)
''', round=3, also_breaks=("cross_entropy_grad",)),
    M("r3-sigmoid-tanh", "losses", "vectorised", "sigmoid", ("tanh without halving x",), '''
def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(x))
''', round=3, also_breaks=("binary_cross_entropy_grad",)),
    M("r3-bce-targets-swapped", "losses", "vectorised", "binary_cross_entropy", ("targets swapped",), '''
def binary_cross_entropy(logits, targets):
    return np.mean(np.logaddexp(0.0, logits) - (1 - targets) * logits)
''', round=3),
    M("r3-relu-forward-mask", "backprop", "vectorised", "relu_forward", ("mask instead of values",), '''
def relu_forward(x):
    return (x > 0).astype(float), x
''', round=3),
    M("r3-relu-backward-dout-mask", "backprop", "vectorised", "relu_backward", ("masked by dout instead of x",), '''
def relu_backward(dout, cache):
    return dout * (dout > 0)
''', round=3),
    M("r3-two-layer-tanh-derivative", "backprop", "vectorised", "two_layer_sigmoid_loss", ("tanh derivative",), '''
def two_layer_sigmoid_loss(params, X, y):
    hidden = _sigmoid(X @ params["W1"] + params["b1"])
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dpre = np.outer(dpred, params["w2"]) * (1 - hidden ** 2)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "w2": hidden.T @ dpred, "b2": np.array(dpred.sum())}
''', round=3),
    M("r3-mlp-no-relu-mask", "backprop", "vectorised", "mlp_loss", ("ReLU mask forgotten",), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = dscores @ params["W2"].T
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
''', round=3),
    M("r3-momentum-stores-old", "optimizers", "copied_config", "sgd_momentum", ("old velocity stored",), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    old = config.get("velocity", np.zeros_like(w))
    velocity = mu * old + dw
    config["velocity"] = old
    step = dw + mu * velocity if config["nesterov"] else velocity
    return w - config["learning_rate"] * step, config
''', round=3),
    M("r3-rmsprop-no-one-minus", "optimizers", "copied_config", "rmsprop", ("(1 - decay_rate) missing",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config["decay_rate"] * config.get("cache", np.zeros_like(w)) + dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
''', round=3),
    M("r3-adam-sqrt-missing", "optimizers", "copied_config", "adam", ("square root missing",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    config.update(m=m, v=v, t=t)
    return w - config["learning_rate"] * (m / (1 - config["beta1"] ** t)) / (v / (1 - config["beta2"] ** t) + config["epsilon"]), config
''', round=3),
    M("r3-adamw-both", "optimizers", "in_place", "adamw", ("L2 penalty instead of decoupled decay", "decay applied twice"), '''
def adamw(w, dw, config=None):
    if config is None:
        config = {}
    for key, value in dict(learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, weight_decay=1e-2).items():
        config.setdefault(key, value)
    decayed = w - config["learning_rate"] * config["weight_decay"] * w
    return _adam_update(decayed, dw + config["weight_decay"] * w, config), config
''', round=3),
    M("r3-numgrad-flat", "gradient_check", "saved_value", "numerical_gradient", ("result flattened",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = []
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad.append((plus - minus) / (2 * h))
    return np.array(grad)
''', round=3, also_breaks=("gradient_check",)),
    M("r3-relerr-abs-sum", "gradient_check", "saved_value", "relative_error", ("|a + b| instead of |a| + |b|",), '''
def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))
''', round=3, also_breaks=("gradient_check",)),
    M("r3-batches-array-split", "training", "generator", "iterate_minibatches", ("batches of the wrong sizes",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for rows in np.array_split(order, max(1, len(X) // batch_size)):
        yield X[rows], y[rows]
''', round=3, also_breaks=("train",)),
    M("r3-gd-one-too-few", "training", "generator", "gradient_descent", ("one step too few",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=float)
    for _ in range(num_steps - 1):
        x = x - learning_rate * grad_fn(x)
    return x
''', round=3),
    M("r3-train-extra-epoch", "training", "generator", "train", ("one epoch too many",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs + 1):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
''', round=3),
    M("r3-train-stale-grads", "training", "generator", "train", ("gradients of the first batch reused",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    grads = None
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, new_grads = loss_and_grads(params, X_batch, y_batch)
            grads = new_grads if grads is None else grads
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
''', round=3),
    # ------------------------------------------------------------------ round 4 (student-like, library not consulted)
    M("r4-mse-square-of-mean", "losses", "vectorised", "mse", ("square of the mean error",), '''
def mse(y_pred, y_true):
    return np.mean(y_pred - y_true) ** 2
''', round=4),
    M("r4-mse_grad-scalar", "losses", "vectorised", "mse_grad", ("gradient averaged to a scalar", "reduced to a scalar"), '''
def mse_grad(y_pred, y_true):
    return 2 * np.mean(y_pred - y_true)
''', round=4),
    M("r4-softmax-naive", "losses", "loops", "softmax", ("no max subtraction",), '''
def softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
''', round=4),
    M("r4-ce-log-probs", "losses", "vectorised", "cross_entropy", ("log of softmax",), '''
def cross_entropy(logits, labels):
    n = logits.shape[0]
    return -np.sum(np.log(softmax(logits)[range(n), labels])) / n
''', round=4),
    M("r4-ce_grad-rows-by-label", "losses", "vectorised", "cross_entropy_grad", ("one-hot at the wrong entries",), '''
def cross_entropy_grad(logits, labels):
    grad = softmax(logits)
    grad[labels] -= 1
    return grad / logits.shape[0]
''', round=4),
    M("r4-bce_grad-flipped", "losses", "einsum", "binary_cross_entropy_grad", ("gradient sign flipped", "sign flipped"), '''
def binary_cross_entropy_grad(logits, targets):
    return (targets - sigmoid(logits)) / len(targets)
''', round=4),
    M("r4-bce-softplus-overflow", "losses", "vectorised", "binary_cross_entropy", ("softplus overflows",), '''
def binary_cross_entropy(logits, targets):
    return np.mean(np.log1p(np.exp(logits)) - targets * logits)
''', round=4),
    M("r4-affine-dx-untransposed", "backprop", "vectorised", "affine_backward", ("w not transposed in dx", "reshape instead of transpose"), '''
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.reshape(w.shape[1], w.shape[0]), x.T @ dout, dout.sum(axis=0)
''', round=4),
    M("r4-sigmoid-backward-twice", "backprop", "vectorised", "sigmoid_backward", ("sigmoid applied to the cached output",), '''
def sigmoid_backward(dout, cache):
    s = _sigmoid(cache)
    return dout * s * (1 - s)
''', round=4),
    M("r4-relu-backward-max-dout", "backprop", "vectorised", "relu_backward", ("masked by dout instead of x",), '''
def relu_backward(dout, cache):
    return np.maximum(dout, 0)
''', round=4),
    M("r4-linreg-no-b-grad", "backprop", "vectorised", "linear_regression_loss", ("bias gradient missing",), '''
def linear_regression_loss(params, X, y):
    loss, dpred = _mse_and_grad(X @ params["w"] + params["b"], y)
    return loss, {"w": X.T @ dpred, "b": np.array(0.0)}
''', round=4),
    M("r4-two-layer-hidden-no-b1", "backprop", "vectorised", "two_layer_linear_loss", ("b1 left out of the hidden layer in the w2 gradient",), '''
def two_layer_linear_loss(params, X, y):
    hidden = X @ params["W1"] + params["b1"]
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dhidden = np.outer(dpred, params["w2"])
    return loss, {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0), "w2": (X @ params["W1"]).T @ dpred,
                  "b2": np.array(dpred.sum())}
''', round=4),
    M("r4-mlp-db1-axis", "backprop", "vectorised", "mlp_loss", ("bias gradient summed over the wrong axis", "b1 gradient summed over the wrong axis"), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = np.where(pre > 0, dscores @ params["W2"].T, 0.0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=1), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
''', round=4),
    M("r4-momentum-plus-lr", "optimizers", "copied_config", "sgd_momentum", ("learning rate inside the velocity", "learning rate inside the velocity (v = momentum*v + lr*dw)"), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu, lr = config["momentum"], config["learning_rate"]
    v = mu * config.get("velocity", np.zeros_like(w)) + lr * dw
    config["velocity"] = v
    return (w - lr * dw - mu * v if config["nesterov"] else w - v), config
''', round=4),
    M("r4-rmsprop-not-squared", "optimizers", "copied_config", "rmsprop", ("gradient not squared",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    a = config["decay_rate"]
    config["cache"] = a * config.get("cache", np.zeros_like(w)) + (1 - a) * np.abs(dw)
    return w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"]), config
''', round=4),
    M("r4-adam-old-t", "optimizers", "copied_config", "adam", ("bias correction with the old t",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0)
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * dw ** 2
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    config.update(m=m, v=v, t=t + 1)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''', round=4),
    M("r4-adamw-default-1e-4", "optimizers", "copied_config", "adamw", ("wrong default weight decay", "no default weight decay"), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            weight_decay=1e-4)
    decayed = w * (1 - config["learning_rate"] * config["weight_decay"])
    return _adam_step(decayed, dw, config), config
''', round=4),
    M("r4-numgrad-all-at-once", "gradient_check", "saved_value", "numerical_gradient", ("every entry perturbed at once",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        grad[i] = (f(x + h) - f(x - h)) / (2 * h)
    return grad
''', round=4, also_breaks=("gradient_check",)),
    M("r4-relerr-no-max", "gradient_check", "saved_value", "relative_error", ("max missing",), '''
def relative_error(a, b):
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
''', round=4, also_breaks=("gradient_check",)),
    M("r4-gradcheck-mean", "gradient_check", "saved_value", "gradient_check", ("mean instead of max",), '''
def gradient_check(f, grad_f, x, h=1e-5):
    a = np.array(grad_f(x), dtype=float)
    n = numerical_gradient(f, x, h)
    return float(np.mean(np.abs(a - n) / np.maximum(1e-8, np.abs(a) + np.abs(n))))
''', round=4),
    M("r4-batches-permutation-per-batch", "training", "generator", "iterate_minibatches", ("permutation drawn per batch",), '''
def iterate_minibatches(X, y, batch_size, rng):
    n = X.shape[0]
    for start in range(0, n, batch_size):
        rows = rng.permutation(n)[start:start + batch_size]
        yield X[rows], y[rows]
''', round=4, also_breaks=("train",)),
    M("r4-gd-from-x0", "training", "generator", "gradient_descent", ("every step taken from x0",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=float)
    for _ in range(num_steps):
        x = x0 - learning_rate * grad_fn(x)
    return x
''', round=4),
    M("r4-train-generator-once", "training", "generator", "train", ("batches generated once for all epochs", "same shuffle every epoch", "one generator for all epochs"), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    batches = iterate_minibatches(X, y, batch_size, rng)
    for _ in range(epochs):
        for X_batch, y_batch in batches:
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses
''', round=4),
    # ------------------------------------------------------------------ round 5 (student-like, library not consulted)
    M("r5-mse-axis0", "losses", "vectorised", "mse", ("mean over the first axis only",), '''
def mse(y_pred, y_true):
    return np.mean(np.square(y_true - y_pred), axis=0)
''', round=5),
    M("r5-mse_grad-columns", "losses", "vectorised", "mse_grad", ("divided by the number of columns",), '''
def mse_grad(y_pred, y_true):
    return 2 * (y_pred - y_true) / y_true.shape[-1]
''', round=5),
    M("r5-softmax-global-max", "losses", "loops", "softmax", ("global max subtracted",), '''
def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e, axis=1)[:, None]
''', round=5),
    M("r5-ce-over-classes", "losses", "vectorised", "cross_entropy", ("divided by the number of classes",), '''
def cross_entropy(logits, labels):
    picked = logits[np.arange(logits.shape[0]), labels]
    return np.sum(_log_sum_exp(logits) - picked) / logits.shape[1]
''', round=5),
    M("r5-ce_grad-eye-n", "losses", "vectorised", "cross_entropy_grad", ("one-hot of the wrong width",), '''
def cross_entropy_grad(logits, labels):
    n = logits.shape[0]
    onehot = np.eye(n)[labels][:, :logits.shape[1]]
    return (softmax(logits) - onehot) / n
''', round=5),
    M("r5-bce-log-sigmoid", "losses", "vectorised", "binary_cross_entropy", ("computed from probabilities",), '''
def binary_cross_entropy(logits, targets):
    return -np.mean(targets * np.log(sigmoid(logits)) + (1 - targets) * np.log(sigmoid(-logits)))
''', round=5),
    M("r5-bce_grad-mean", "losses", "vectorised", "binary_cross_entropy_grad", ("averaged to a scalar", "reduced to a scalar"), '''
def binary_cross_entropy_grad(logits, targets):
    return np.mean(sigmoid(logits) - targets)
''', round=5),
    M("r5-affine-bias-summed", "backprop", "vectorised", "affine_forward", ("bias summed",), '''
def affine_forward(x, w, b):
    return x @ w + b.sum(), (x, w)
''', round=5),
    M("r5-affine-db-first-row", "backprop", "vectorised", "affine_backward", ("bias gradient from the first row only",), '''
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout[0].copy()
''', round=5),
    M("r5-relu-abs", "backprop", "vectorised", "relu_forward", ("absolute value instead of ReLU",), '''
def relu_forward(x):
    return np.abs(x), x
''', round=5),
    M("r5-sigmoid-backward-missing-s", "backprop", "vectorised", "sigmoid_backward", ("derivative (1 - s) without s",), '''
def sigmoid_backward(dout, cache):
    return dout * (1 - cache)
''', round=5),
    M("r5-logreg-b-not-divided", "backprop", "vectorised", "logistic_regression_loss", NOT_DIVIDED, '''
def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    dz = _sigmoid(z) - y
    return loss, {"w": X.T @ dz / len(y), "b": np.array(dz.sum())}
''', round=5),
    M("r5-mlp-dW2-pre", "backprop", "vectorised", "mlp_loss", ("pre-activation instead of activation",), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = np.where(pre > 0, dscores @ params["W2"].T, 0.0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": pre.T @ dscores, "b2": dscores.sum(axis=0)}
''', round=5),
    M("r5-sgd-default", "optimizers", "in_place", "sgd", ("wrong default learning rate",), '''
def sgd(w, dw, config=None):
    if config is None:
        config = {}
    lr = config.setdefault("learning_rate", 1e-3)
    return w - lr * dw, config
''', round=5),
    M("r5-adam-v-not-squared", "optimizers", "copied_config", "adam", ("gradient not squared",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    t = config.get("t", 0) + 1
    m = config["beta1"] * config.get("m", np.zeros_like(w)) + (1 - config["beta1"]) * dw
    v = config["beta2"] * config.get("v", np.zeros_like(w)) + (1 - config["beta2"]) * np.abs(dw)
    config.update(m=m, v=v, t=t)
    m_hat, v_hat = m / (1 - config["beta1"] ** t), v / (1 - config["beta2"] ** t)
    return w - config["learning_rate"] * m_hat / (np.sqrt(v_hat) + config["epsilon"]), config
''', round=5),
    M("r5-adamw-decay-not-times-w", "optimizers", "copied_config", "adamw", ("decay not multiplied by w",), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8,
                            weight_decay=1e-2)
    return _adam_step(w - config["learning_rate"] * config["weight_decay"], dw, config), config
''', round=5),
    M("r5-momentum-starts-at-dw", "optimizers", "copied_config", "sgd_momentum", ("velocity starts at dw",), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    velocity = mu * config.get("velocity", dw) + dw
    step = dw + mu * velocity if config["nesterov"] else velocity
    config["velocity"] = velocity
    return w - config["learning_rate"] * step, config
''', round=5),
    M("r5-rmsprop-cache-ones", "optimizers", "copied_config", "rmsprop", ("cache starts at 1",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    alpha = config["decay_rate"]
    cache = alpha * config.get("cache", np.ones_like(w)) + (1 - alpha) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
''', round=5),
    M("r5-numgrad-precedence", "gradient_check", "saved_value", "numerical_gradient", ("2*h without parentheses",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / 2 * h
    return grad
''', round=5, also_breaks=("gradient_check",)),
    M("r5-relerr-ratio-of-max", "gradient_check", "saved_value", "relative_error", ("ratio of maxima",), '''
def relative_error(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.maximum(1e-8, np.abs(a) + np.abs(b))))
''', round=5, also_breaks=("gradient_check",)),
    M("r5-batches-y-column", "training", "generator", "iterate_minibatches", ("extra axis of length 1",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows].reshape(-1, 1)
''', round=5, also_breaks=("train",)),
    M("r5-gd-range-from-1", "training", "generator", "gradient_descent", ("one step too few",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0.copy()
    for step in range(1, num_steps):
        x = x - learning_rate * grad_fn(x)
    return x
''', round=5),
    M("r5-train-last-loss", "training", "generator", "train", ("last loss of each epoch only",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
        losses.append(loss)
    return params, losses
''', round=5),
    M("r5-train-epoch-update", "training", "generator", "train", ("one update per epoch",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        total = {name: np.zeros_like(value) for name, value in params.items()}
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                total[name] = total[name] + grads[name]
        for name in params:
            params[name], configs[name] = update(params[name], total[name], configs[name])
    return params, losses
''', round=5),
    # ------------------------------------------------------------------ round 6 (student-like, library not consulted)
    M("r6-mse-broadcast", "losses", "vectorised", "mse", ("broadcast to (N, N)",), '''
def mse(y_pred, y_true):
    return np.mean((y_pred - y_true.reshape(-1, 1)) ** 2)
''', round=6),
    M("r6-mse_grad-sign", "losses", "vectorised", "mse_grad", ("gradient sign flipped", "sign flipped"), '''
def mse_grad(y_pred, y_true):
    return 2 * (y_true - y_pred) / y_pred.size
''', round=6),
    M("r6-softmax-mean-shift", "losses", "vectorised", "softmax", ("mean subtracted instead of max",), '''
def softmax(z):
    z = z - z.mean(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
''', round=6, also_breaks=("cross_entropy_grad",)),
    M("r6-ce-eps-15", "losses", "vectorised", "cross_entropy", ("epsilon added inside the log", "probabilities clipped"), '''
def cross_entropy(logits, labels):
    n = len(labels)
    return -np.mean(np.log(softmax(logits)[np.arange(n), labels] + 1e-15))
''', round=6),
    M("r6-ce_grad-over-entries", "losses", "vectorised", "cross_entropy_grad", ("divided by the number of entries",), '''
def cross_entropy_grad(logits, labels):
    onehot = np.eye(logits.shape[1])[labels]
    return (softmax(logits) - onehot) / logits.size
''', round=6),
    M("r6-sigmoid-tanh-only", "losses", "vectorised", "sigmoid", ("tanh instead of sigmoid",), '''
def sigmoid(x):
    return np.tanh(x / 2)
''', round=6, also_breaks=("binary_cross_entropy_grad",)),
    M("r6-bce_grad-positives", "losses", "vectorised", "binary_cross_entropy_grad", ("divided by the number of positives",), '''
def binary_cross_entropy_grad(logits, targets):
    return (sigmoid(logits) - targets) / max(1.0, targets.sum())
''', round=6),
    M("r6-affine-order", "backprop", "vectorised", "affine_backward", ("gradients returned in the wrong order", "results returned in the wrong order"), '''
def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, dout.sum(axis=0), x.T @ dout
''', round=6),
    M("r6-relu-leaky", "backprop", "vectorised", "relu_backward", ("leaky ReLU gradient",), '''
def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.01 * dout)
''', round=6),
    M("r6-linreg-half", "backprop", "vectorised", "linear_regression_loss", ("factor 2 missing", "half the mean squared error"), '''
def linear_regression_loss(params, X, y):
    r = X @ params["w"] + params["b"] - y
    return 0.5 * np.mean(r ** 2), {"w": X.T @ r / len(y), "b": np.array(r.mean())}
''', round=6),
    M("r6-two-layer-sigmoid-b1", "backprop", "vectorised", "two_layer_sigmoid_loss", ("sigmoid derivative missing in b1",), '''
def two_layer_sigmoid_loss(params, X, y):
    hidden = _sigmoid(X @ params["W1"] + params["b1"])
    loss, dpred = _mse_and_grad(hidden @ params["w2"] + params["b2"], y)
    dhidden = np.outer(dpred, params["w2"])
    dpre = dhidden * hidden * (1 - hidden)
    return loss, {"W1": X.T @ dpre, "b1": dhidden.sum(axis=0), "w2": hidden.T @ dpred, "b2": np.array(dpred.sum())}
''', round=6),
    M("r6-mlp-lse-unshifted", "backprop", "vectorised", "mlp_loss", ("softmax without max subtraction", "log-sum-exp without max subtraction"), '''
def mlp_loss(params, X, y):
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = hidden @ params["W2"] + params["b2"]
    n = len(y)
    log_probs = scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dpre = np.where(pre > 0, dscores @ params["W2"].T, 0.0)
    return loss, {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
''', round=6),
    M("r6-sgd-config-none", "optimizers", "copied_config", "sgd", ("config not returned",), '''
def sgd(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, None
''', round=6),
    M("r6-rmsprop-default-decay", "optimizers", "copied_config", "rmsprop", ("wrong default decay rate",), '''
def rmsprop(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.9, epsilon=1e-8)
    alpha = config["decay_rate"]
    cache = alpha * config.get("cache", np.zeros_like(w)) + (1 - alpha) * dw ** 2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config
''', round=6),
    M("r6-adam-default-lr", "optimizers", "copied_config", "adam", ("wrong default learning rate",), '''
def adam(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, beta1=0.9, beta2=0.999, epsilon=1e-8)
    return _adam_step(w, dw, config), config
''', round=6),
    M("r6-adamw-decay-if-given", "optimizers", "copied_config", "adamw", ("no default weight decay",), '''
def adamw(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8)
    if "weight_decay" in config:
        w = w * (1 - config["learning_rate"] * config["weight_decay"])
    return _adam_step(w, dw, config), config
''', round=6),
    M("r6-momentum-negative-velocity", "optimizers", "copied_config", "sgd_momentum", ("velocity stored with the opposite sign",), '''
def sgd_momentum(w, dw, config=None):
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9, nesterov=False)
    mu = config["momentum"]
    v = mu * config.get("velocity", np.zeros_like(w)) - dw
    config["velocity"] = v
    step = -dw + mu * v if config["nesterov"] else v
    return w + config["learning_rate"] * step, config
''', round=6),
    M("r6-numgrad-relative-step", "gradient_check", "saved_value", "numerical_gradient", ("step relative to x",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        step = h * max(1.0, abs(old))
        x[i] = old + step
        plus = f(x)
        x[i] = old - step
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad
''', round=6, also_breaks=("gradient_check",)),
    M("r6-numgrad-array-over-h", "gradient_check", "saved_value", "numerical_gradient_array", ("divided by h instead of 2h", "factor 2 too many"), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = np.array(f(x), copy=True)
        x[i] = old - h
        minus = np.array(f(x), copy=True)
        x[i] = old
        grad[i] = np.dot((plus - minus).ravel(), np.ravel(df)) / h
    return grad
''', round=6),
    M("r6-batches-overlap", "training", "generator", "iterate_minibatches", ("overlapping batches",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size + 1]
        yield X[rows], y[rows]
''', round=6, also_breaks=("train",)),
    M("r6-gd-early-stop", "training", "generator", "gradient_descent", ("stops early",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=float)
    for _ in range(num_steps):
        g = grad_fn(x)
        if np.linalg.norm(g) < 1e-2:
            break
        x = x - learning_rate * g
    return x
''', round=6),
    M("r6-train-config-ignored", "training", "generator", "train", ("returned config ignored",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            for name in params:
                params[name], _ = update(params[name], grads[name], configs[name])
    return params, losses
''', round=6),
    # ------------------------------------------------------------------ round 7
    # b2's gradient averaged again: D = 1 cases (rows == size) had hidden the batch-size factor.
    M("r7-two-layer-db2-mean", "backprop", "vectorised", "two_layer_linear_loss", DIVIDED_TWICE, '''
def two_layer_linear_loss(params, X, y):
    h = X @ params["W1"] + params["b1"]
    loss, dpred = _mse_and_grad(h @ params["w2"] + params["b2"], y)
    dh = np.outer(dpred, params["w2"])
    return loss, {"W1": X.T @ dh, "b1": dh.sum(axis=0), "w2": h.T @ dpred, "b2": np.mean(dpred)}
''', round=7),
    # ------------------------------------------------------------------ round 8
    # Round 12's five mistakes reported as "wrong values" without a name.
    M("r8-mlp-db1-unmasked", "backprop", "einsum", "mlp_loss", ("b1 gradient taken before the ReLU mask",), '''
def mlp_loss(params, X, y):
    pre = np.einsum("nd,dh->nh", X, params["W1"]) + params["b1"]
    hidden = np.maximum(pre, 0)
    scores = np.einsum("nh,hc->nc", hidden, params["W2"]) + params["b2"]
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = np.asarray(-log_probs[np.arange(n), y].mean())
    dscores = np.exp(log_probs)
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dh = np.einsum("nc,hc->nh", dscores, params["W2"])
    db1 = dh.sum(axis=0)
    dh = dh * (pre > 0)
    return loss, {"W1": np.einsum("nd,nh->dh", X, dh), "b1": db1,
                  "W2": np.einsum("nh,nc->hc", hidden, dscores), "b2": dscores.sum(axis=0)}
''', round=8),
    M("r8-sigmoid-dw2-pre", "backprop", "vectorised", "two_layer_sigmoid_loss",
      ("pre-activation instead of activation",), '''
def two_layer_sigmoid_loss(params, X, y):
    z1 = X @ params["W1"] + params["b1"]
    a1 = _sigmoid(z1)
    loss, dpred = _mse_and_grad(a1 @ params["w2"] + params["b2"], y)
    dz1 = np.outer(dpred, params["w2"]) * a1 * (1 - a1)
    dw2 = z1.T @ dpred
    return loss, {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "w2": dw2, "b2": np.array(dpred.sum())}
''', round=8),
    M("r8-ce-grad-over-classes", "losses", "vectorised", "cross_entropy_grad", ("divided by C instead of N",), '''
def cross_entropy_grad(logits, labels):
    num_classes = logits.shape[1]
    dlogits = softmax(logits)
    dlogits[range(len(labels)), labels] -= 1
    return dlogits / num_classes
''', round=8),
    M("r8-ce-grad-over-n-times-c", "losses", "loops", "cross_entropy_grad", ("divided by the number of entries",), '''
def cross_entropy_grad(logits, labels):
    n, c = logits.shape
    grad = np.empty(logits.shape)
    for i in range(n):
        probs = _row_softmax(logits[i])
        for j in range(c):
            target = 1.0 if j == labels[i] else 0.0
            grad[i, j] = (probs[j] - target) / (n * c)
    return grad
''', round=8),
    M("r8-adam-hats-stored", "optimizers", "scalar_state", "adam", ("bias-corrected moments stored",), '''
def adam(w, dw, config=None):
    config = _config("adam", config)
    b1, b2 = config["beta1"], config["beta2"]
    config["t"] = int(config.get("t", 0)) + 1
    t = config["t"]
    m = b1 * np.asarray(config.get("m", 0.0)) + (1 - b1) * dw
    v = b2 * np.asarray(config.get("v", 0.0)) + (1 - b2) * dw ** 2
    config["m"] = m / (1 - b1 ** t)
    config["v"] = v / (1 - b2 ** t)
    return w - config["learning_rate"] * config["m"] / (np.sqrt(config["v"]) + config["epsilon"]), config
''', round=8),
    M("r8-rmsprop-old-cache", "optimizers", "in_place", "rmsprop", ("step taken with the old cache",), '''
def rmsprop(w, dw, config=None):
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    cache = config.get("cache", np.zeros_like(w))
    next_w = w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"])
    config["cache"] = config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw ** 2
    return next_w, config
''', round=8),
    # ------------------------------------------------------------------ round 9
    M("r9-softmax-global-max", "losses", "broadcast_where_norm", "softmax", ("global max subtracted",), '''
def softmax(z):
    shifted = z - np.max(z)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)
''', round=9, also_breaks=("cross_entropy_grad",)),
    M("r9-ce-shift-in-place", "losses", "broadcast_where_norm", "cross_entropy_grad", ("logits shifted in place",), '''
def cross_entropy_grad(logits, labels):
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)
''', round=9),
    M("r9-ce-mean-all-entries", "losses", "broadcast_where_norm", "cross_entropy", ("mean over all entries instead of rows",), '''
def cross_entropy(logits, labels):
    hot = _onehot(labels, logits.shape[1])
    logp = logits - _lse(logits)
    return -np.mean(hot * logp)
''', round=9),
    M("r9-bce-grad-sum", "losses", "broadcast_where_norm", "binary_cross_entropy_grad", NOT_DIVIDED, '''
def binary_cross_entropy_grad(logits, targets):
    return sigmoid(logits) - targets
''', round=9),
    M("r9-bce-clip-probs", "losses", "broadcast_where_norm", "binary_cross_entropy", ("probabilities clipped",), '''
def binary_cross_entropy(logits, targets):
    p = np.clip(sigmoid(logits), 1e-7, 1 - 1e-7)
    return -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
''', round=9),
    M("r9-sigmoid-clip-10", "losses", "broadcast_where_norm", "sigmoid", ("input clipped",), '''
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -10, 10)))
''', round=9, also_breaks=("binary_cross_entropy_grad",)),
    M("r9-mse-grad-mean-rows", "losses", "broadcast_where_norm", "mse_grad", ("divided by N instead of size",), '''
def mse_grad(y_pred, y_true):
    return 2.0 * (y_pred - y_true) / y_pred.shape[0]
''', round=9),
    # backprop
    M("r9-affine-db-keepdims", "backprop", "broadcast_outer_tanh", "affine_backward", ("extra axis of length 1",), '''
def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    dx = dout @ w.T
    dw = x.T @ dout
    db = np.sum(dout, axis=0, keepdims=True)
    return dx, dw, db
''', round=9),
    M("r9-sigmoid-backward-on-x", "backprop", "broadcast_outer_tanh", "sigmoid_backward", ("derivative from the input instead of the output",), '''
def sigmoid_backward(dout, cache):
    x = cache["x"]
    return dout * x * (1.0 - x)
''', round=9),
    M("r9-relu-backward-ge", "backprop", "broadcast_outer_tanh", "relu_backward", ("gradient 1 at x == 0",), '''
def relu_backward(dout, cache):
    return np.where(cache["x"] >= 0, dout, 0.0)
''', round=9),
    M("r9-two-layer-db1-mean", "backprop", "broadcast_outer_tanh", "two_layer_linear_loss", ("b1 gradient averaged",), '''
def two_layer_linear_loss(params, X, y):
    W1, b1, w2, b2 = params["W1"], params["b1"], params["w2"], params["b2"]
    a = X @ W1 + b1
    loss, g = _mse(a @ w2 + b2, y)
    da = np.outer(g, w2)
    return loss, {"W1": X.T @ da, "b1": da.mean(axis=0), "w2": a.T @ g, "b2": g.sum()}
''', round=9),
    M("r9-logreg-grad-not-averaged", "backprop", "broadcast_outer_tanh", "logistic_regression_loss", NOT_DIVIDED, '''
def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    g = _sig(z) - y
    return loss, {"w": X.T @ g, "b": g.sum()}
''', round=9),
    M("r9-mlp-log-of-softmax", "backprop", "broadcast_outer_tanh", "mlp_loss", ("log of softmax instead of log-sum-exp",), '''
def mlp_loss(params, X, y):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z = X @ W1 + b1
    h = np.maximum(z, 0)
    s = h @ W2 + b2
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    n = X.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    ds = p.copy()
    ds[np.arange(n), y] -= 1
    ds /= n
    dh = ds @ W2.T
    dz = dh * (z > 0)
    return loss, {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ ds, "b2": ds.sum(axis=0)}
''', round=9),
    # optimizers
    M("r9-adam-t-incremented-twice", "optimizers", "kingma_eps_hat", "adam", ("step count incremented twice",), '''
def adam(w, dw, config=None):
    c = _merge(ADAM, config)
    c["t"] = c.get("t", 0) + 1
    return w - _kingma(w, dw, c), c
''', round=9),
    M("r9-rmsprop-eps-in-sqrt", "optimizers", "kingma_eps_hat", "rmsprop", ("epsilon inside the square root",), '''
def rmsprop(w, dw, config=None):
    c = _merge(RMSPROP, config)
    a = c["decay_rate"]
    c["cache"] = a * c.get("cache", np.zeros_like(w)) + (1 - a) * dw * dw
    return w - c["learning_rate"] * dw / np.sqrt(c["cache"] + c["epsilon"]), c
''', round=9),
    M("r9-momentum-ema", "optimizers", "kingma_eps_hat", "sgd_momentum", ("dampened momentum",), '''
def sgd_momentum(w, dw, config=None):
    c = _merge(MOMENTUM, config)
    mu = c["momentum"]
    c["velocity"] = mu * c.get("velocity", np.zeros_like(w)) + (1 - mu) * dw
    step = dw + mu * c["velocity"] if c["nesterov"] else c["velocity"]
    return w - c["learning_rate"] * step, c
''', round=9),
    M("r9-adamw-decay-after-step", "optimizers", "kingma_eps_hat", "adamw", ("decay applied after the step",), '''
def adamw(w, dw, config=None):
    c = _merge(ADAMW, config)
    stepped = w - _kingma(w, dw, c)
    return stepped * (1 - c["learning_rate"] * c["weight_decay"]), c
''', round=9),
    M("r9-adamw-decay-without-lr", "optimizers", "kingma_eps_hat", "adamw", ("decay not scaled by the learning rate",), '''
def adamw(w, dw, config=None):
    c = _merge(ADAMW, config)
    decayed = w - c["weight_decay"] * w
    return decayed - _kingma(w, dw, c), c
''', round=9),
    M("r9-adam-m-reset", "optimizers", "kingma_eps_hat", "adam", ("first moment not kept",), '''
def adam(w, dw, config=None):
    c = _merge(ADAM, config)
    c["m"] = np.zeros_like(w)
    return w - _kingma(w, dw, c), c
''', round=9),
    # gradient_check
    M("r9-numgrad-h-ignored", "gradient_check", "basis_jacobian", "numerical_gradient", ("step size h ignored",), '''
def numerical_gradient(f, x, h=1e-5):
    x = np.asarray(x)
    step = 1e-5
    diffs = [f(x + step * e) - f(x - step * e) for e in _basis(x)]
    return (np.array(diffs, dtype=np.float64) / (2.0 * step)).reshape(x.shape)
''', round=9, also_breaks=("gradient_check",)),
    M("r9-relerr-abs-of-sum", "gradient_check", "basis_jacobian", "relative_error", ("|a + b| instead of |a| + |b|",), '''
def relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b)))
''', round=9, also_breaks=("gradient_check",)),
    M("r9-numgrad-array-no-df", "gradient_check", "basis_jacobian", "numerical_gradient_array", ("upstream gradient df ignored",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[idx] = h
        grad[idx] = np.sum(f(x + e) - f(x - e)) / (2 * h)
    return grad
''', round=9),
    M("r9-gradcheck-default-h", "gradient_check", "basis_jacobian", "gradient_check", ("step size h ignored",), '''
def gradient_check(f, grad_f, x, h=1e-5):
    return relative_error(grad_f(x), numerical_gradient(f, x))
''', round=9),
    M("r9-numgrad-divide-by-h", "gradient_check", "basis_jacobian", "numerical_gradient", ("divided by h instead of 2h",), '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        grad[idx] = (f(x + e) - f(x - e)) / h
    return grad
''', round=9, also_breaks=("gradient_check",)),
    # training
    M("r9-minibatch-perm-each-batch", "training", "shuffle_islice", "iterate_minibatches", ("permutation drawn per batch",), '''
def iterate_minibatches(X, y, batch_size, rng):
    n = len(X)
    for start in range(0, n, batch_size):
        idx = rng.permutation(n)[start:start + batch_size]
        yield X[idx], y[idx]
''', round=9, also_breaks=("train",)),
    M("r9-minibatch-floor-batches", "training", "shuffle_islice", "iterate_minibatches", ("last batch dropped",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for b in range(len(X) // batch_size):
        idx = order[b * batch_size:(b + 1) * batch_size]
        yield X[idx], y[idx]
''', round=9, also_breaks=("train",)),
    M("r9-gd-extra-step", "training", "shuffle_islice", "gradient_descent", ("one step too many",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps + 1):
        x = x - learning_rate * grad_fn(x)
    return x
''', round=9),
    M("r9-train-grads-per-param", "training", "shuffle_islice", "train", ("gradients recomputed after each parameter's update",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in current}
    history = []
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            first = True
            for name in current:
                loss, grads = loss_and_grads(current, Xb, yb)
                if first:
                    history.append(loss)
                    first = False
                current[name], configs[name] = update(current[name], grads[name], configs[name])
    return current, history
''', round=9),
    M("r9-train-config-copied-per-epoch", "training", "shuffle_islice", "train", ("optimizer state reset every epoch",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {name: np.array(value, copy=True) for name, value in params.items()}
    history = []
    for _ in range(epochs):
        configs = {name: copy.deepcopy(config) for name in current}
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            history.append(loss)
            for name in current:
                current[name], configs[name] = update(current[name], grads[name], configs[name])
    return current, history
''', round=9),
    M("r9-train-params-aliased", "training", "shuffle_islice", "train", ("given params modified",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = params
    configs = {name: copy.deepcopy(config) for name in current}
    history = []
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            history.append(loss)
            for name in current:
                current[name], configs[name] = update(current[name], grads[name], configs[name])
    return current, history
''', round=9),
    # round 9, second batch: written after the first batch's five were added (4 of 17 named when first
    # graded, none wrongly; r9-minibatch-small-last-merged kept full marks in iterate_minibatches: a hole)
    M("r9-ce-lse-whole-array", "losses", "class_inplace_longdouble", "cross_entropy", ("log-sum-exp over the whole array",), '''
def cross_entropy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    lse = np.log(np.sum(np.exp(z)))
    picked = z[np.arange(len(labels)), labels]
    return float(np.mean(lse - picked))
''', round=9),
    M("r9-softmax-min-shift", "losses", "broadcast_where_norm", "softmax", ("min subtracted instead of max",), '''
def softmax(z):
    e = np.exp(z - z.min(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
''', round=9, also_breaks=("cross_entropy_grad",)),
    M("r9-bce-softplus-no-abs", "losses", "broadcast_where_norm", "binary_cross_entropy", ("softplus without |z|",), '''
def binary_cross_entropy(logits, targets):
    return np.mean(np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-logits)))
''', round=9),
    M("r9-relu-backward-out-ge", "backprop", "layer_objects_augmented", "relu_backward", ("ReLU mask forgotten",), '''
def relu_backward(dout, cache):
    out = cache.forward(np.zeros_like(dout)) if False else np.where(cache.mask, 1.0, 0.0)
    return dout * (out >= 0)
''', round=9),
    M("r9-linreg-b-from-first-column", "backprop", "layer_objects_augmented", "linear_regression_loss", ("bias gradient from the wrong entry",), '''
def linear_regression_loss(params, X, y):
    Xa = _augment(X)
    theta = np.append(params["w"], params["b"])
    residual = Xa @ theta - y
    n = len(y)
    dtheta = Xa.T @ residual * (2.0 / n)
    return residual @ residual / n, {"w": dtheta[:-1], "b": dtheta[0]}
''', round=9),
    M("r9-affine-db-mean", "backprop", "broadcast_outer_tanh", "affine_backward", ("bias gradient averaged",), '''
def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    return dout @ w.T, x.T @ dout, dout.mean(axis=0)
''', round=9),
    M("r9-adam-dw-squared-in-place", "optimizers", "chainmap_ufunc_out", "adam", ("dw squared in place",), '''
def adam(w, dw, config=None):
    config, s = _settings("adam", config)
    m = _state(config, "m", w)
    v = _state(config, "v", w)
    config["t"] = t = config.get("t", 0) + 1
    m *= s["beta1"]
    m += (1.0 - s["beta1"]) * dw
    g2 = dw
    g2 **= 2
    v *= s["beta2"]
    v += (1.0 - s["beta2"]) * g2
    m_hat = m / (1.0 - s["beta1"] ** t)
    v_hat = v / (1.0 - s["beta2"] ** t)
    return w - s["learning_rate"] * m_hat / (np.sqrt(v_hat) + s["epsilon"]), config
''', round=9),
    M("r9-nesterov-old-velocity", "optimizers", "chainmap_ufunc_out", "sgd_momentum", ("Nesterov ignored",), '''
def sgd_momentum(w, dw, config=None):
    config, s = _settings("sgd_momentum", config)
    v = _state(config, "velocity", w)
    old = v.copy()
    np.multiply(v, s["momentum"], out=v)
    np.add(v, dw, out=v)
    step = dw + s["momentum"] * old if s["nesterov"] else v
    return w - s["learning_rate"] * step, config
''', round=9),
    M("r9-adam-t-keyerror", "optimizers", "chainmap_ufunc_out", "adam", ("t missing from a fresh config",), '''
def adam(w, dw, config=None):
    config, s = _settings("adam", config)
    m = _state(config, "m", w)
    v = _state(config, "v", w)
    config["t"] += 1
    t = config["t"]
    m *= s["beta1"]
    m += (1.0 - s["beta1"]) * dw
    v *= s["beta2"]
    v += (1.0 - s["beta2"]) * dw * dw
    return w - s["learning_rate"] * (m / (1 - s["beta1"] ** t)) / (np.sqrt(v / (1 - s["beta2"] ** t)) + s["epsilon"]), config
''', round=9),
    M("r9-numgrad-eye-not-reshaped", "gradient_check", "basis_jacobian", "numerical_gradient", ("basis vector not reshaped",), '''
def numerical_gradient(f, x, h=1e-5):
    eye = np.eye(x.size)
    grad = np.zeros(x.size)
    for i in range(x.size):
        grad[i] = (f(x + h * eye[i]) - f(x - h * eye[i])) / (2 * h)
    return grad.reshape(x.shape)
''', round=9, also_breaks=("gradient_check",)),
    M("r9-numgrad-array-dot", "gradient_check", "copies", "numerical_gradient_array", ("matrix product instead of elementwise",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        up = x.copy()
        up[index] += h
        down = x.copy()
        down[index] -= h
        grad[index] = np.sum(np.dot(f(up) - f(down), df.T)) / (2 * h)
    return grad
''', round=9),
    M("r9-numgrad-array-mean", "gradient_check", "copies", "numerical_gradient_array", ("mean instead of sum",), '''
def numerical_gradient_array(f, x, df, h=1e-5):
    grad = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        up = x.copy()
        up[index] += h
        down = x.copy()
        down[index] -= h
        grad[index] = np.mean((f(up) - f(down)) * df) / (2 * h)
    return grad
''', round=9),
    M("r9-minibatch-x-unshuffled", "training", "shuffle_islice", "iterate_minibatches", ("shuffled y but not X",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[start:start + batch_size], y[order[start:start + batch_size]]
''', round=9, also_breaks=("train",)),
    M("r9-minibatch-small-last-merged", "training", "shuffle_islice", "iterate_minibatches", ("small last batch merged",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    starts = list(range(0, len(X), batch_size))
    if len(starts) > 1 and len(X) - starts[-1] < batch_size // 2:
        starts.pop()
    for i, start in enumerate(starts):
        stop = starts[i + 1] if i + 1 < len(starts) else len(X)
        yield X[order[start:stop]], y[order[start:stop]]
''', round=9, also_breaks=("train",)),
    M("r9-gd-x0-view", "training", "shuffle_islice", "gradient_descent", ("x0 updated in place",), '''
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0.view()
    for _ in range(num_steps):
        x -= learning_rate * grad_fn(x)
    return x
''', round=9),
    M("r9-train-update-shares-config", "training", "shuffle_islice", "train", ("one optimizer state shared by all parameters",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {name: np.array(value, copy=True) for name, value in params.items()}
    state = copy.deepcopy(config)
    history = []
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            history.append(loss)
            for name in current:
                current[name], state = update(current[name], grads[name], state)
    return current, history
''', round=9),
    M("r9-train-loss-float32", "training", "shuffle_islice", "train", ("losses kept in float32",), '''
def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in current}
    history = np.zeros(0, dtype=np.float32)
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            history = np.append(history, np.float32(loss))
            for name in current:
                current[name], configs[name] = update(current[name], grads[name], configs[name])
    return current, history
''', round=9),
    M("r9-minibatch-labels-float", "training", "shuffle_islice", "iterate_minibatches", ("labels cast to float",), '''
def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    y = y.astype(float)
    for start in range(0, X.shape[0], batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]
''', round=9),
]

"""Classic mistakes in the `losses` exercise, as runnable variants (mutation testing).

Executed in a namespace that already holds reference.py's globals, so the private
helpers ``_softmax_rows``, ``_log_softmax_rows`` and ``_sigmoid`` are available here.
"""

import numpy as np

from autograder.grading.mistakes import Mistake


def mse_summed(y_pred, y_true):
    return float(np.sum((y_pred - y_true) ** 2))


def mse_absolute(y_pred, y_true):
    return float(np.mean(np.abs(y_pred - y_true)))


def mse_row_sums_averaged(y_pred, y_true):
    return float(np.mean(np.sum((y_pred - y_true) ** 2, axis=-1)))


def mse_grad_without_two(y_pred, y_true):
    return (y_pred - y_true) / y_pred.size


def mse_grad_over_rows(y_pred, y_true):
    return 2.0 * (y_pred - y_true) / y_pred.shape[0]


def mse_grad_sign_flipped(y_pred, y_true):
    return 2.0 * (y_true - y_pred) / y_pred.size


def mse_grad_in_place(y_pred, y_true):
    y_pred -= y_true
    y_pred *= 2.0 / y_pred.size
    return y_pred


def softmax_unshifted(z):
    exp = np.exp(z)
    return exp / np.sum(exp, axis=1, keepdims=True)


def softmax_over_columns(z):
    exp = np.exp(z - np.max(z, axis=0, keepdims=True))
    return exp / np.sum(exp, axis=0, keepdims=True)


def softmax_global_shift(z):
    exp = np.exp(z - np.max(z))
    return exp / np.sum(exp, axis=1, keepdims=True)


def softmax_sum_without_keepdims(z):
    exp = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp / np.sum(exp, axis=1)


def softmax_max_without_keepdims(z):
    exp = np.exp(z - np.max(z, axis=1))
    return exp / np.sum(exp, axis=1, keepdims=True)


def cross_entropy_clipped(logits, labels):
    probs = _softmax_rows(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(probs, 1e-12, 1.0))))


def cross_entropy_epsilon_in_log(logits, labels):
    probs = _softmax_rows(logits)[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(probs + 1e-9)))


def cross_entropy_mean_over_entries(logits, labels):
    onehot = np.eye(logits.shape[1])[labels]
    return float(-np.mean(onehot * _log_softmax_rows(logits)))


def cross_entropy_log_of_softmax(logits, labels):
    probs = _softmax_rows(logits)
    return float(-np.mean(np.log(probs[np.arange(len(labels)), labels])))


def cross_entropy_unshifted(logits, labels):
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(labels)), labels]))


def cross_entropy_summed(logits, labels):
    return float(-np.sum(_log_softmax_rows(logits)[np.arange(len(labels)), labels]))


def cross_entropy_label_columns(logits, labels):
    return float(-np.mean(_log_softmax_rows(logits)[:, labels]))


def cross_entropy_grad_not_averaged(logits, labels):
    grad = _softmax_rows(logits)
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad


def cross_entropy_grad_sign_flipped(logits, labels):
    grad = -_softmax_rows(logits)
    grad[np.arange(len(labels)), labels] += 1.0
    return grad / len(labels)


def cross_entropy_grad_without_onehot(logits, labels):
    return _softmax_rows(logits) / len(labels)


def cross_entropy_grad_label_columns(logits, labels):
    grad = _softmax_rows(logits)
    grad[:, labels] -= 1.0
    return grad / len(labels)


def sigmoid_sign_flipped(x):
    return 1.0 / (1.0 + np.exp(x))


def sigmoid_exp_ratio(x):
    exp = np.exp(x)
    return exp / (1.0 + exp)


def sigmoid_flattened(x):
    return _sigmoid(x).ravel()


def bce_from_probabilities(logits, targets):
    probs = 1.0 / (1.0 + np.exp(-logits))
    return float(-np.mean(targets * np.log(probs) + (1 - targets) * np.log(1 - probs)))


def bce_clipped_probabilities(logits, targets):
    probs = np.clip(_sigmoid(logits), 1e-7, 1 - 1e-7)
    return float(-np.mean(targets * np.log(probs) + (1 - targets) * np.log(1 - probs)))


def bce_epsilon_in_log(logits, targets):
    probs = _sigmoid(logits)
    return float(-np.mean(targets * np.log(probs + 1e-12) + (1 - targets) * np.log(1 - probs + 1e-12)))


def bce_summed(logits, targets):
    return float(np.sum(np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-np.abs(logits)))))


def bce_grad_sign_flipped(logits, targets):
    return (targets - _sigmoid(logits)) / logits.shape[0]


def bce_grad_not_averaged(logits, targets):
    return _sigmoid(logits) - targets


def bce_grad_extra_sigmoid_derivative(logits, targets):
    probs = _sigmoid(logits)
    return (probs - targets) * probs * (1 - probs) / logits.shape[0]


def bce_grad_column(logits, targets):
    return ((_sigmoid(logits) - targets) / logits.shape[0]).reshape(-1, 1)


def mse_mean_over_first_axis(y_pred, y_true):
    return np.mean((y_pred - y_true) ** 2, axis=0)


def mse_grad_over_columns(y_pred, y_true):
    return 2.0 * (y_pred - y_true) / y_true.shape[-1]


def cross_entropy_over_classes(logits, labels):
    return float(-np.sum(_log_softmax_rows(logits)[np.arange(len(labels)), labels]) / logits.shape[1])


def cross_entropy_grad_onehot_width_n(logits, labels):
    n = logits.shape[0]
    return (_softmax_rows(logits) - np.eye(n)[labels][:, :logits.shape[1]]) / n


def mse_broadcast_column(y_pred, y_true):
    return float(np.mean((y_pred - y_true.reshape(-1, 1)) ** 2))


def softmax_mean_shift(z):
    shifted = z - z.mean(axis=1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)


def cross_entropy_grad_over_entries(logits, labels):
    grad = _softmax_rows(logits)
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad / logits.size


def cross_entropy_grad_over_classes(logits, labels):
    grad = _softmax_rows(logits)
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad / logits.shape[1]


def sigmoid_tanh_only(x):
    return np.tanh(x / 2)


def bce_grad_over_positives(logits, targets):
    return (_sigmoid(logits) - targets) / max(1.0, float(np.sum(targets)))


def mse_square_of_mean(y_pred, y_true):
    return float(np.mean(y_pred - y_true) ** 2)


def cross_entropy_grad_rows_by_label(logits, labels):
    grad = _softmax_rows(logits)
    grad[labels] -= 1.0
    return grad / len(labels)


def bce_softplus_overflows(logits, targets):
    return float(np.mean(np.log1p(np.exp(logits)) - targets * logits))


def softmax_whole_array(z):
    exp = np.exp(z - np.max(z, axis=1, keepdims=True))
    return exp / np.sum(exp)


def cross_entropy_log2(logits, labels):
    return float(-np.mean(_log_softmax_rows(logits)[np.arange(len(labels)), labels]) / np.log(2.0))


def sigmoid_tanh_unhalved(x):
    return 0.5 * (1.0 + np.tanh(x))


def bce_targets_swapped(logits, targets):
    return float(np.mean(np.maximum(logits, 0) - (1 - targets) * logits + np.log1p(np.exp(-np.abs(logits)))))


def softmax_shifted_in_place(z):
    z -= np.max(z, axis=1, keepdims=True)
    exp = np.exp(z)
    return exp / np.sum(exp, axis=1, keepdims=True)


def cross_entropy_shifted_in_place(logits, labels):
    logits -= np.max(logits, axis=1, keepdims=True)
    log_probs = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    return -np.mean(log_probs[np.arange(len(labels)), labels])


def cross_entropy_grad_shifted_in_place(logits, labels):
    logits -= np.max(logits, axis=1, keepdims=True)
    grad = np.exp(logits)
    grad /= np.sum(grad, axis=1, keepdims=True)
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad / len(labels)


def sigmoid_input_clipped(x):
    # The family: any clip below about 20.7 leaves sigmoid(-1e4) = sigmoid(-c) above atol; 20 is wrong
    # nowhere a smaller clip is right, so a pattern matched against it names every such constant.
    return 1.0 / (1.0 + np.exp(-np.clip(x, -20.0, 20.0)))


def softmax_min_shift(z):
    exp = np.exp(z - np.min(z, axis=1, keepdims=True))
    return exp / np.sum(exp, axis=1, keepdims=True)


def cross_entropy_lse_whole_array(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    return float(np.mean(np.log(np.sum(np.exp(shifted))) - shifted[np.arange(len(labels)), labels]))


def bce_softplus_without_abs(logits, targets):
    return float(np.mean(np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-logits))))


# What the contract divides each result by (a result 1/N too small then divides twice).
AVERAGED = {
    "mse": ("N",), "mse_grad": ("N",),
    "cross_entropy": ("the batch size",), "cross_entropy_grad": ("the batch size",),
    "binary_cross_entropy": ("N", "the batch size"), "binary_cross_entropy_grad": ("N", "the batch size"),
}

CLIPPED_HINT = ("Clipping caps -log p (at about 28 for 1e-12) and is wrong for confident mistakes: compute the loss "
                "from the logits with the log-sum-exp form, z[label] - logsumexp(z).")
EPSILON_HINT = ("log(p + eps) is wrong wherever p is tiny (the loss is capped near -log eps): compute the loss from "
                "the logits with the log-sum-exp form instead of taking the log of a probability.")

SHIFTED_IN_PLACE_HINT = ("`{0} -= {0}.max(axis=1, keepdims=True)` shifts the caller's array: the values you return are "
                         "right, but the grader's {0} changed. Shift a new array instead: shifted = {0} - {0}.max(axis=1, "
                         "keepdims=True).")

MISTAKES = [
    Mistake("mse", "sum instead of mean", "mse is the MEAN of the squared errors: divide the sum by y_pred.size.", "mse_summed"),
    Mistake("mse", "mean over the first axis only", "np.mean(..., axis=0) leaves one value per column: average over ALL elements (no axis) to return one number.", "mse_mean_over_first_axis"),
    Mistake("mse", "broadcast to (N, N)", "y_true.reshape(-1, 1) is a column: (N,) minus (N, 1) broadcasts to (N, N). Keep both arrays in the same shape.", "mse_broadcast_column"),
    Mistake("mse", "square of the mean error", "Square each difference first, then average: np.mean((y_pred - y_true)**2), not np.mean(y_pred - y_true)**2.", "mse_square_of_mean"),
    Mistake("mse", "absolute instead of squared error", "Square the differences; np.abs gives the mean absolute error.", "mse_absolute"),
    Mistake("mse", "mean over rows only", "Average over ALL elements, not the per-row sums over the rows.", "mse_row_sums_averaged"),
    Mistake("mse_grad", "missing factor 2", "The derivative of d**2 is 2*d: multiply by 2.", "mse_grad_without_two"),
    Mistake("mse_grad", "divided by N instead of size", "mse averages over every element, so divide by y_pred.size, not by the number of rows.", "mse_grad_over_rows"),
    Mistake("mse_grad", "divided by the number of columns", "mse averages over every element: divide by y_pred.size, not by the size of the last axis.", "mse_grad_over_columns"),
    Mistake("mse_grad", "gradient sign flipped", "The gradient with respect to y_pred is proportional to y_pred - y_true, not y_true - y_pred.", "mse_grad_sign_flipped"),
    Mistake("mse_grad", "y_pred modified in place", "`y_pred -= ...` changes the caller's array; compute a new array instead.", "mse_grad_in_place"),
    Mistake("softmax", "no max subtraction", "exp overflows for large scores: subtract each row's maximum before exponentiating.", "softmax_unshifted"),
    Mistake("softmax", "normalised over columns", "Softmax is row-wise: reduce with axis=1 (one distribution per example).", "softmax_over_columns"),
    Mistake("softmax", "z shifted in place", SHIFTED_IN_PLACE_HINT.format("z"), "softmax_shifted_in_place"),
    Mistake("softmax", "min subtracted instead of max", "Subtract each row's MAXIMUM: after z - min every exponent is >= 0 and exp overflows to inf/inf = NaN when a row spans more than about 709.", "softmax_min_shift"),
    Mistake("softmax", "global max subtracted", "Subtract each ROW's maximum (keepdims=True); a single global maximum underflows whole rows to 0/0.", "softmax_global_shift"),
    Mistake("softmax", "normalised over the whole array", "np.sum(e) without an axis adds up every entry: divide each row by its OWN sum, e.sum(axis=1, keepdims=True).", "softmax_whole_array"),
    Mistake("softmax", "mean subtracted instead of max", "Subtracting the row mean still lets exp overflow when a row spans ±1e4: subtract each row's MAXIMUM, so every exponent is <= 0.", "softmax_mean_shift"),
    Mistake("softmax", "sum without keepdims", "e.sum(axis=1) has shape (N,), which broadcasts against the columns of (N, C): use keepdims=True (or [:, None]) so each ROW is divided by its own sum.", "softmax_sum_without_keepdims"),
    Mistake("softmax", "max without keepdims", "z.max(axis=1) has shape (N,), which broadcasts against the columns of (N, C): use keepdims=True so each row is shifted by its own maximum.", "softmax_max_without_keepdims"),
    Mistake("cross_entropy", "probabilities clipped", CLIPPED_HINT, "cross_entropy_clipped", match="pattern"),
    Mistake("cross_entropy", "epsilon added inside the log", EPSILON_HINT, "cross_entropy_epsilon_in_log", match="pattern"),
    Mistake("cross_entropy", "mean over all entries instead of rows", "np.mean over the (N, C) one-hot product divides by N*C: sum each row's term (one label per row) and average over the N rows.", "cross_entropy_mean_over_entries"),
    Mistake("cross_entropy", "logits shifted in place", SHIFTED_IN_PLACE_HINT.format("logits"), "cross_entropy_shifted_in_place"),
    Mistake("cross_entropy", "log-sum-exp over the whole array", "Each row has its own normaliser: sum the exponentials along axis=1 (keepdims=True), not over the whole (N, C) array.", "cross_entropy_lse_whole_array"),
    Mistake("cross_entropy", "log base 2", "np.log2 measures the loss in bits: the cross-entropy uses the natural logarithm (np.log, or the log-sum-exp form).", "cross_entropy_log2"),
    Mistake("cross_entropy", "log of softmax", "log(softmax) gives log(0) = -inf for very wrong logits: use the log-sum-exp form, z[label] - logsumexp(z).", "cross_entropy_log_of_softmax"),
    Mistake("cross_entropy", "log-sum-exp without max subtraction", "exp overflows for logits near 1e4: subtract each row's maximum inside the log-sum-exp.", "cross_entropy_unshifted"),
    Mistake("cross_entropy", "divided by the number of classes", "Average over the N rows (logits.shape[0]), not the C classes.", "cross_entropy_over_classes"),
    Mistake("cross_entropy", "sum instead of mean", "Average the per-example losses over the N rows.", "cross_entropy_summed"),
    Mistake("cross_entropy", "label columns instead of entries", "Index with log_probs[np.arange(N), labels] to pick one entry per row, not log_probs[:, labels].", "cross_entropy_label_columns"),
    Mistake("cross_entropy_grad", "not divided by N", "The loss is a mean over rows, so its gradient carries a factor 1/N.", "cross_entropy_grad_not_averaged"),
    Mistake("cross_entropy_grad", "gradient sign flipped", "The gradient is softmax - onehot, not onehot - softmax.", "cross_entropy_grad_sign_flipped"),
    Mistake("cross_entropy_grad", "one-hot not subtracted", "Subtract 1 at each row's label: (softmax - onehot(labels)) / N.", "cross_entropy_grad_without_onehot"),
    Mistake("cross_entropy_grad", "divided by the number of entries", "The loss averages over the N rows: divide by N = logits.shape[0], not logits.size = N*C.", "cross_entropy_grad_over_entries"),
    Mistake("cross_entropy_grad", "one-hot of the wrong width", "The one-hot matrix is (N, C): np.eye(C)[labels], with C = logits.shape[1] classes, not np.eye(N).", "cross_entropy_grad_onehot_width_n"),
    Mistake("cross_entropy_grad", "one-hot at the wrong entries", "grad[labels] -= 1 picks whole ROWS numbered by the labels: subtract 1 at one entry per row, grad[np.arange(N), labels] -= 1.", "cross_entropy_grad_rows_by_label"),
    Mistake("cross_entropy_grad", "label columns instead of entries", "grad[:, labels] -= 1 subtracts 1 in whole columns: subtract 1 at one entry per row, grad[np.arange(N), labels] -= 1.", "cross_entropy_grad_label_columns"),
    Mistake("cross_entropy_grad", "logits shifted in place", SHIFTED_IN_PLACE_HINT.format("logits"), "cross_entropy_grad_shifted_in_place"),
    Mistake("cross_entropy_grad", "divided by C instead of N", "The loss averages over the N rows: divide by N = logits.shape[0], not by the number of classes C = logits.shape[1].", "cross_entropy_grad_over_classes"),
    Mistake("sigmoid", "sign flipped", "sigmoid(x) = 1 / (1 + exp(-x)): note the minus sign.", "sigmoid_sign_flipped"),
    Mistake("sigmoid", "exp(x) / (1 + exp(x))", "exp(x) overflows to inf/inf = NaN for large x: use 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0.", "sigmoid_exp_ratio"),
    Mistake("sigmoid", "tanh instead of sigmoid", "tanh(x/2) lies in (-1, 1): sigmoid(x) = (1 + tanh(x/2)) / 2.", "sigmoid_tanh_only"),
    Mistake("sigmoid", "tanh without halving x", "sigmoid(x) = (1 + tanh(x / 2)) / 2: halve x inside the tanh.", "sigmoid_tanh_unhalved"),
    Mistake("sigmoid", "input clipped", "Clipping x (to ±10, ±20...) before exp keeps it finite but moves sigmoid away from 0 and 1 for large |x|: sigmoid(1e4) is 1, not sigmoid(10). Use exp(-|x|), which never overflows: 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0.", "sigmoid_input_clipped", match="pattern"),
    Mistake("sigmoid", "output flattened", "Return an array of exactly x's shape; do not ravel or reshape it.", "sigmoid_flattened"),
    Mistake("binary_cross_entropy", "computed from probabilities", "log(sigmoid(z)) is log(0) for very negative z: use max(z, 0) - t*z + log1p(exp(-|z|)).", "bce_from_probabilities"),
    Mistake("binary_cross_entropy", "probabilities clipped", "Clipping probabilities caps the loss at about 16 and is wrong for confident mistakes: compute it from the logits.", "bce_clipped_probabilities", match="pattern"),
    Mistake("binary_cross_entropy", "epsilon added inside the log", "log(p + eps) caps the loss near -log eps and is wrong for confident mistakes: compute it from the logits, max(z, 0) - t*z + log1p(exp(-|z|)).", "bce_epsilon_in_log", match="pattern"),
    Mistake("binary_cross_entropy", "softplus overflows", "log1p(exp(z)) overflows to inf for z near 1e4: use the stable softplus max(z, 0) + log1p(exp(-|z|)) (or np.logaddexp(0, z)).", "bce_softplus_overflows"),
    Mistake("binary_cross_entropy", "softplus without |z|", "max(z, 0) - t*z + log1p(exp(-|z|)) needs the absolute value: log1p(exp(-z)) overflows to inf for z near -1e4.", "bce_softplus_without_abs"),
    Mistake("binary_cross_entropy", "targets swapped", "The loss is -(t log σ(z) + (1 - t) log(1 - σ(z))): with logits that is softplus(z) - t*z, not softplus(z) - (1 - t)*z.", "bce_targets_swapped"),
    Mistake("binary_cross_entropy", "sum instead of mean", "Average the per-example losses over N.", "bce_summed"),
    Mistake("binary_cross_entropy_grad", "gradient sign flipped", "The gradient is sigmoid(z) - t, not t - sigmoid(z) (divided by N).", "bce_grad_sign_flipped"),
    Mistake("binary_cross_entropy_grad", "not divided by N", "The loss is a mean, so its gradient carries a factor 1/N.", "bce_grad_not_averaged"),
    Mistake("binary_cross_entropy_grad", "divided by the number of positives", "The loss is a mean over all N examples: divide by N, not by the number of targets equal to 1.", "bce_grad_over_positives"),
    Mistake("binary_cross_entropy_grad", "sigmoid derivative applied again", "With logits, sigma'(z) cancels against the log: the gradient is just (sigmoid(z) - t) / N.", "bce_grad_extra_sigmoid_derivative"),
    Mistake("binary_cross_entropy_grad", "returns (N, 1) instead of (N,)", "Return a 1-D array of shape (N,), not a column.", "bce_grad_column"),
]

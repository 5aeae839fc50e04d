"""Classic mistakes of the backprop assignment, as real variant functions.

Executed in a namespace that already holds reference.py's globals (np, _sigmoid,
_mse_and_grad, _log_softmax).
"""

import numpy as np

from autograder.grading.mistakes import Mistake

# ---------------------------------------------------------------- affine


def affine_forward_without_bias(x, w, b):
    return x @ w, (x, w, b)


def affine_forward_squeezed(x, w, b):
    return np.squeeze(x @ w + b), (x, w, b)


def affine_forward_bias_summed(x, w, b):
    return x @ w + b.sum(), (x, w, b)


def affine_backward_db_first_row(dout, cache):
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout[0].copy()


def affine_backward_dw_transposed(dout, cache):
    x, w, _ = cache
    return dout @ w.T, dout.T @ x, dout.sum(axis=0)


def affine_backward_dx_reshaped(dout, cache):
    x, w, _ = cache
    return dout @ w.reshape(w.shape[1], w.shape[0]), x.T @ dout, dout.sum(axis=0)


def affine_backward_db_wrong_axis(dout, cache):
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=1)


def affine_backward_db_mean(dout, cache):
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout.mean(axis=0)


# ---------------------------------------------------------------- sigmoid


def sigmoid_forward_unstable(x):
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.exp(x) / (1.0 + np.exp(x))
    return out, (x, out)


def sigmoid_forward_sign_flipped(x):
    out = 1.0 / (1.0 + np.exp(x))
    return out, (x, out)


def sigmoid_backward_from_input(dout, cache):
    x, _ = cache
    return dout * x * (1.0 - x)


def sigmoid_backward_without_dout(dout, cache):
    _, out = cache
    return out * (1.0 - out)


def sigmoid_backward_sigmoid_of_output(dout, cache):
    _, out = cache
    s = _sigmoid(out)
    return dout * s * (1.0 - s)


def sigmoid_backward_one_minus_s(dout, cache):
    _, out = cache
    return dout * (1.0 - out)


def relu_forward_absolute(x):
    return np.abs(x), x


def sigmoid_backward_in_place(dout, cache):
    _, out = cache
    dout *= out * (1.0 - out)
    return dout


# ---------------------------------------------------------------- relu


def relu_forward_in_place(x):
    x[x < 0] = 0.0
    return x, x


def relu_forward_np_max(x):
    return np.max(x, 0), x


def relu_forward_mask(x):
    return (x > 0).astype(np.float64), x


def relu_backward_dout_mask(dout, cache):
    return np.where(dout > 0, dout, 0.0)


def relu_backward_leaky(dout, cache):
    return np.where(cache > 0, dout, 0.01 * dout)


def relu_backward_one_at_zero(dout, cache):
    x = cache
    return np.where(x >= 0, dout, 0.0)


def relu_backward_without_dout(dout, cache):
    x = cache
    return (x > 0).astype(np.float64)


def relu_backward_unmasked(dout, cache):
    out = np.maximum(cache, 0.0)  # a mask taken from the output with >= is true everywhere
    return dout * (out >= 0)


def relu_backward_in_place(dout, cache):
    x = cache
    dout[x <= 0] = 0.0
    return dout


# ---------------------------------------------------------------- linear regression


def linear_regression_sum(params, X, y):
    error = X @ params["w"] + params["b"] - y
    return float(np.sum(error**2)), {"w": X.T @ (2 * error), "b": np.array(np.sum(2 * error))}


def linear_regression_no_factor_two(params, X, y):
    error = X @ params["w"] + params["b"] - y
    dprediction = error / y.size
    return float(np.mean(error**2)), {"w": X.T @ dprediction, "b": np.array(dprediction.sum())}


def linear_regression_column_prediction(params, X, y):
    error = X @ params["w"][:, None] + params["b"] - y  # (N, 1) - (N,) broadcasts to (N, N)
    dprediction = (2 * error / error.size).sum(axis=1)
    return float(np.mean(error**2)), {"w": X.T @ dprediction, "b": np.array(dprediction.sum())}


def linear_regression_no_bias_gradient(params, X, y):
    error = X @ params["w"] + params["b"] - y
    dprediction = 2 * error / y.size
    return float(np.mean(error**2)), {"w": X.T @ dprediction, "b": np.array(0.0)}


def linear_regression_sign_flipped(params, X, y):
    error = y - (X @ params["w"] + params["b"])
    dprediction = 2 * error / y.size
    return float(np.mean(error**2)), {"w": X.T @ dprediction, "b": np.array(dprediction.sum())}


def linear_regression_db_from_first_weight(params, X, y):
    # The bias gradient read from the augmented gradient's first entry (the first weight's) instead of its last.
    error = X @ params["w"] + params["b"] - y
    dw = X.T @ (2 * error / y.size)
    return float(np.mean(error**2)), {"w": dw, "b": np.array(dw[0])}


# ---------------------------------------------------------------- two-layer linear


def _two_layer_linear_parts(params, X, y, factor):
    hidden = X @ params["W1"] + params["b1"]
    error = hidden @ params["w2"] + params["b2"] - y
    dprediction = factor * error / y.size
    return hidden, error, dprediction, np.outer(dprediction, params["w2"])


def two_layer_linear_no_factor_two(params, X, y):
    hidden, error, dprediction, dhidden = _two_layer_linear_parts(params, X, y, 1.0)
    grads = {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0), "w2": hidden.T @ dprediction,
             "b2": np.array(dprediction.sum())}
    return float(np.mean(error**2)), grads


def two_layer_linear_dW1_transposed(params, X, y):
    hidden, error, dprediction, dhidden = _two_layer_linear_parts(params, X, y, 2.0)
    grads = {"W1": dhidden.T @ X, "b1": dhidden.sum(axis=0), "w2": hidden.T @ dprediction,
             "b2": np.array(dprediction.sum())}
    return float(np.mean(error**2)), grads


def two_layer_linear_w2_without_b1(params, X, y):
    hidden, error, dprediction, dhidden = _two_layer_linear_parts(params, X, y, 2.0)
    grads = {"W1": X.T @ dhidden, "b1": dhidden.sum(axis=0), "w2": (X @ params["W1"]).T @ dprediction,
             "b2": np.array(dprediction.sum())}
    return float(np.mean(error**2)), grads


def two_layer_linear_db1_mean(params, X, y):
    hidden, error, dprediction, dhidden = _two_layer_linear_parts(params, X, y, 2.0)
    grads = {"W1": X.T @ dhidden, "b1": dhidden.mean(axis=0), "w2": hidden.T @ dprediction,
             "b2": np.array(dprediction.sum())}
    return float(np.mean(error**2)), grads


# ---------------------------------------------------------------- two-layer sigmoid


def _two_layer_sigmoid_variant(params, X, y, factor, local_derivative):
    pre = X @ params["W1"] + params["b1"]
    hidden = _sigmoid(pre)
    error = hidden @ params["w2"] + params["b2"] - y
    dprediction = factor * error / y.size
    dpre = np.outer(dprediction, params["w2"]) * local_derivative(pre, hidden)
    grads = {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "w2": hidden.T @ dprediction,
             "b2": np.array(dprediction.sum())}
    return float(np.mean(error**2)), grads


def two_layer_sigmoid_derivative_from_pre_activation(params, X, y):
    return _two_layer_sigmoid_variant(params, X, y, 2.0, lambda pre, hidden: pre * (1.0 - pre))


def two_layer_sigmoid_tanh_derivative(params, X, y):
    return _two_layer_sigmoid_variant(params, X, y, 2.0, lambda pre, hidden: 1.0 - hidden * hidden)


def two_layer_sigmoid_b1_without_derivative(params, X, y):
    loss, grads = _two_layer_sigmoid_variant(params, X, y, 2.0, lambda pre, hidden: hidden * (1.0 - hidden))
    error = _sigmoid(X @ params["W1"] + params["b1"]) @ params["w2"] + params["b2"] - y
    grads["b1"] = np.outer(2.0 * error / y.size, params["w2"]).sum(axis=0)
    return loss, grads


def two_layer_sigmoid_derivative_forgotten(params, X, y):
    return _two_layer_sigmoid_variant(params, X, y, 2.0, lambda pre, hidden: 1.0)


def two_layer_sigmoid_no_factor_two(params, X, y):
    return _two_layer_sigmoid_variant(params, X, y, 1.0, lambda pre, hidden: hidden * (1.0 - hidden))


def two_layer_sigmoid_w2_from_pre_activation(params, X, y):
    loss, grads = _two_layer_sigmoid_variant(params, X, y, 2.0, lambda pre, hidden: hidden * (1.0 - hidden))
    pre = X @ params["W1"] + params["b1"]
    _, dprediction = _mse_and_grad(_sigmoid(pre) @ params["w2"] + params["b2"], y)
    grads["w2"] = pre.T @ dprediction
    return loss, grads


# ---------------------------------------------------------------- logistic regression


def logistic_regression_from_probabilities(params, X, y):
    probabilities = _sigmoid(X @ params["w"] + params["b"])
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.mean(y * np.log(probabilities) + (1 - y) * np.log(1 - probabilities))
    dlogits = (probabilities - y) / y.size
    return float(loss), {"w": X.T @ dlogits, "b": np.array(dlogits.sum())}


def logistic_regression_clipped(params, X, y):
    logits = X @ params["w"] + params["b"]
    probabilities = np.clip(_sigmoid(logits), 1e-10, 1 - 1e-10)
    loss = -np.mean(y * np.log(probabilities) + (1 - y) * np.log(1 - probabilities))
    dlogits = (_sigmoid(logits) - y) / y.size
    return float(loss), {"w": X.T @ dlogits, "b": np.array(dlogits.sum())}


def _logistic_loss(logits, y):
    return float(np.mean(np.maximum(logits, 0.0) - logits * y + np.log1p(np.exp(-np.abs(logits)))))


def logistic_regression_sign_flipped(params, X, y):
    logits = X @ params["w"] + params["b"]
    dlogits = (y - _sigmoid(logits)) / y.size
    return _logistic_loss(logits, y), {"w": X.T @ dlogits, "b": np.array(dlogits.sum())}


def logistic_regression_not_averaged(params, X, y):
    logits = X @ params["w"] + params["b"]
    dlogits = _sigmoid(logits) - y
    return _logistic_loss(logits, y), {"w": X.T @ dlogits, "b": np.array(dlogits.sum())}


# ---------------------------------------------------------------- mlp


def _mlp_variant(params, X, y, log_softmax=None, relu_mask=None, divide_by_n=True):
    log_softmax = log_softmax or _log_softmax
    relu_mask = relu_mask or (lambda pre: pre > 0)
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    hidden = np.maximum(pre, 0.0)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        log_probs = log_softmax(hidden @ params["W2"] + params["b2"])
    rows = np.arange(n)
    loss = -float(log_probs[rows, y].mean())
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    if divide_by_n:
        dscores /= n
    dpre = np.where(relu_mask(pre), dscores @ params["W2"].T, 0.0)
    grads = {"W1": X.T @ dpre, "b1": dpre.sum(axis=0), "W2": hidden.T @ dscores, "b2": dscores.sum(axis=0)}
    return loss, grads


def mlp_relu_gradient_one_at_zero(params, X, y):
    return _mlp_variant(params, X, y, relu_mask=lambda pre: pre >= 0)


def mlp_softmax_without_max_subtraction(params, X, y):
    def naive_log_softmax(scores):
        exps = np.exp(scores)
        return np.log(exps / exps.sum(axis=1, keepdims=True))

    return _mlp_variant(params, X, y, log_softmax=naive_log_softmax)


def mlp_log_of_softmax(params, X, y):
    def log_of_softmax(scores):
        exps = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.log(exps / exps.sum(axis=1, keepdims=True))

    return _mlp_variant(params, X, y, log_softmax=log_of_softmax)


def mlp_epsilon_in_log(params, X, y):
    def log_of_softmax_plus_epsilon(scores):
        exps = np.exp(scores - scores.max(axis=1, keepdims=True))
        return np.log(exps / exps.sum(axis=1, keepdims=True) + 1e-12)

    return _mlp_variant(params, X, y, log_softmax=log_of_softmax_plus_epsilon)


def mlp_bias_gradient_wrong_axis(params, X, y):
    loss, grads = _mlp_variant(params, X, y)
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    scores = np.maximum(pre, 0.0) @ params["W2"] + params["b2"]
    dscores = np.exp(_log_softmax(scores))
    dscores[np.arange(n), y] -= 1.0
    grads["b2"] = dscores.sum(axis=1) / n
    return loss, grads


def mlp_relu_mask_forgotten(params, X, y):
    return _mlp_variant(params, X, y, relu_mask=lambda pre: np.ones_like(pre, dtype=bool))


def mlp_b1_gradient_wrong_axis(params, X, y):
    loss, grads = _mlp_variant(params, X, y)
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    dscores = np.exp(_log_softmax(np.maximum(pre, 0.0) @ params["W2"] + params["b2"]))
    dscores[np.arange(n), y] -= 1.0
    grads["b1"] = np.where(pre > 0, dscores @ params["W2"].T / n, 0.0).sum(axis=1)
    return loss, grads


def mlp_dW2_from_pre_activation(params, X, y):
    loss, grads = _mlp_variant(params, X, y)
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    dscores = np.exp(_log_softmax(np.maximum(pre, 0.0) @ params["W2"] + params["b2"]))
    dscores[np.arange(n), y] -= 1.0
    grads["W2"] = pre.T @ dscores / n
    return loss, grads


def mlp_b1_gradient_before_relu_mask(params, X, y):
    loss, grads = _mlp_variant(params, X, y)
    n = X.shape[0]
    pre = X @ params["W1"] + params["b1"]
    dscores = np.exp(_log_softmax(np.maximum(pre, 0.0) @ params["W2"] + params["b2"]))
    dscores[np.arange(n), y] -= 1.0
    dscores /= n
    grads["b1"] = (dscores @ params["W2"].T).sum(axis=0)
    return loss, grads


def mlp_log_sum_exp_unshifted(params, X, y):
    def unshifted_log_softmax(scores):
        return scores - np.log(np.sum(np.exp(scores), axis=1, keepdims=True))

    return _mlp_variant(params, X, y, log_softmax=unshifted_log_softmax)


def mlp_not_averaged(params, X, y):
    return _mlp_variant(params, X, y, divide_by_n=False)


# What the contract divides each result by (a result 1/N too small then divides twice).
NETWORKS = ("linear_regression_loss", "two_layer_linear_loss", "two_layer_sigmoid_loss", "logistic_regression_loss",
            "mlp_loss")
AVERAGED = {name: ("N", "the batch size") for name in NETWORKS}

MISTAKES: list[Mistake] = [
    Mistake("affine_forward", "bias forgotten", "out must be x @ w + b: add the bias b (M,) to every row.",
            "affine_forward_without_bias"),
    Mistake("affine_forward", "bias summed", "Add b (M,) to every row as it is (broadcasting): b.sum() adds one number to every entry.",
            "affine_forward_bias_summed"),
    Mistake("affine_forward", "output squeezed",
            "Keep out at shape (N, M) even when N or M is 1: np.squeeze drops those axes.",
            "affine_forward_squeezed"),
    Mistake("affine_backward", "weight gradient transposed",
            "dw must have the shape of w (D, M): it is x.T @ dout, not dout.T @ x.",
            "affine_backward_dw_transposed"),
    Mistake("affine_backward", "reshape instead of transpose",
            "w.reshape(M, D) keeps the memory order and is not w.T: dx = dout @ w.T.", "affine_backward_dx_reshaped"),
    Mistake("affine_backward", "bias gradient summed over the wrong axis",
            "db has the shape of b (M,): sum dout over the batch axis 0.", "affine_backward_db_wrong_axis"),
    Mistake("affine_backward", "bias gradient from the first row only",
            "b is added to every row, so db sums dout over ALL rows: dout.sum(axis=0).", "affine_backward_db_first_row"),
    Mistake("affine_backward", "bias gradient averaged",
            "b is added to every row, so its gradient is the SUM of dout over the batch, not the mean.",
            "affine_backward_db_mean"),
    Mistake("sigmoid_forward", "exp(x) / (1 + exp(x)) overflows",
            "exp(1e4) is inf and inf/inf is NaN: use exp(-|x|) so that the exponent is never positive.",
            "sigmoid_forward_unstable",
            # sigmoid_backward is graded on this forward's cache, which holds the NaN.
            also_breaks=("sigmoid_backward",)),
    Mistake("sigmoid_forward", "sign flipped", "sigmoid(x) = 1 / (1 + exp(-x)): note the minus sign.",
            "sigmoid_forward_sign_flipped"),
    Mistake("sigmoid_backward", "derivative from the input instead of the output",
            "The derivative is s * (1 - s) with s = sigmoid(x), the forward OUTPUT, not x itself.",
            "sigmoid_backward_from_input"),
    Mistake("sigmoid_backward", "derivative (1 - s) without s",
            "The sigmoid's derivative is s * (1 - s): both factors.", "sigmoid_backward_one_minus_s"),
    Mistake("sigmoid_backward", "sigmoid applied to the cached output",
            "The cache already holds s = sigmoid(x): the derivative is s * (1 - s), without applying sigmoid again.",
            "sigmoid_backward_sigmoid_of_output"),
    Mistake("sigmoid_backward", "upstream gradient ignored",
            "Chain rule: multiply the local derivative s * (1 - s) by dout.", "sigmoid_backward_without_dout"),
    Mistake("sigmoid_backward", "dout modified in place",
            "`dout *= ...` changes the caller's array: compute a new array instead.", "sigmoid_backward_in_place"),
    Mistake("relu_forward", "input modified in place",
            "`x[x < 0] = 0` changes the caller's array: use np.maximum(x, 0), which returns a new one.",
            "relu_forward_in_place"),
    Mistake("relu_forward", "absolute value instead of ReLU",
            "ReLU zeroes the negative entries: np.maximum(x, 0), not np.abs(x).", "relu_forward_absolute"),
    Mistake("relu_forward", "mask instead of values",
            "ReLU returns max(x, 0), the values themselves, not the 0/1 mask x > 0 (keep the mask for the backward).",
            "relu_forward_mask"),
    Mistake("relu_forward", "np.max instead of np.maximum",
            "np.max(x, 0) is the maximum along axis 0; the elementwise max(x, 0) is np.maximum(x, 0).",
            "relu_forward_np_max"),
    Mistake("relu_backward", "masked by dout instead of x",
            "The ReLU lets the gradient through where its INPUT x was positive (the cache), whatever the sign of dout.",
            "relu_backward_dout_mask"),
    Mistake("relu_backward", "ReLU mask forgotten",
            "dx is dout only where x > 0 and 0 elsewhere: your dx lets the whole of dout through (a mask such as "
            "out >= 0 is true everywhere, since ReLU's output is never negative).", "relu_backward_unmasked"),
    Mistake("relu_backward", "leaky ReLU gradient",
            "The ReLU passes NO gradient where x <= 0 (0, not 0.01 * dout): that slope belongs to a leaky ReLU.",
            "relu_backward_leaky"),
    Mistake("relu_backward", "gradient 1 at x == 0",
            "The ReLU gradient is 0 where x == 0: use x > 0, not x >= 0.", "relu_backward_one_at_zero"),
    Mistake("relu_backward", "upstream gradient ignored",
            "Chain rule: dx is dout where x > 0 (and 0 elsewhere), not the 0/1 mask itself.",
            "relu_backward_without_dout"),
    Mistake("relu_backward", "dout modified in place",
            "`dout[x <= 0] = 0` changes the caller's array: build dx as a new array.", "relu_backward_in_place"),
    Mistake("linear_regression_loss", "sum instead of mean",
            "The loss is the MEAN squared error over the N samples, and its gradient carries the 1/N.",
            "linear_regression_sum"),
    Mistake("linear_regression_loss", "factor 2 missing",
            "d/dŷ of mean((ŷ - y)²) is 2 (ŷ - y) / N: keep the 2.", "linear_regression_no_factor_two"),
    Mistake("linear_regression_loss", "predictions of shape (N, 1)",
            "ŷ of shape (N, 1) minus y of shape (N,) broadcasts to (N, N): keep ŷ = X @ w + b of shape (N,).",
            "linear_regression_column_prediction"),
    Mistake("linear_regression_loss", "bias gradient missing",
            "b shifts every prediction, so its gradient is the sum over the batch of d loss / d ŷ = 2 (ŷ - y) / N, not 0.",
            "linear_regression_no_bias_gradient"),
    Mistake("linear_regression_loss", "gradient sign flipped",
            "The gradient is taken of (ŷ - y)², so it is 2 (ŷ - y) / N, not 2 (y - ŷ) / N.",
            "linear_regression_sign_flipped"),
    Mistake("linear_regression_loss", "bias gradient from the wrong entry",
            "db is the sum over the batch of d loss / d ŷ = 2 (ŷ - y) / N; your db equals the first weight's "
            "gradient: with a column of ones appended to X, the bias is the LAST entry of the stacked gradient.",
            "linear_regression_db_from_first_weight"),
    Mistake("two_layer_linear_loss", "factor 2 missing",
            "d/dŷ of mean((ŷ - y)²) is 2 (ŷ - y) / N: keep the 2.", "two_layer_linear_no_factor_two"),
    Mistake("two_layer_linear_loss", "W1 gradient transposed",
            "dW1 must have the shape of W1 (D, H): it is X.T @ dhidden.", "two_layer_linear_dW1_transposed"),
    Mistake("two_layer_linear_loss", "b1 left out of the hidden layer in the w2 gradient",
            "dw2 = hidden.T @ dŷ with the hidden layer the forward used, X @ W1 + b1 (b1 included).",
            "two_layer_linear_w2_without_b1"),
    Mistake("two_layer_linear_loss", "b1 gradient averaged",
            "b1 is added to every row, so its gradient is the SUM of dhidden over the batch.",
            "two_layer_linear_db1_mean"),
    Mistake("two_layer_sigmoid_loss", "sigmoid derivative from the pre-activation",
            "The sigmoid's derivative is s * (1 - s) with s = sigmoid(X @ W1 + b1), not the pre-activation.",
            "two_layer_sigmoid_derivative_from_pre_activation"),
    Mistake("two_layer_sigmoid_loss", "tanh derivative",
            "1 - s**2 is the derivative of tanh; the sigmoid's is s * (1 - s).",
            "two_layer_sigmoid_tanh_derivative"),
    Mistake("two_layer_sigmoid_loss", "sigmoid derivative missing in b1",
            "b1 enters before the sigmoid like W1: its gradient is the sum over rows of dhidden * s * (1 - s).",
            "two_layer_sigmoid_b1_without_derivative"),
    Mistake("two_layer_sigmoid_loss", "sigmoid derivative forgotten",
            "Backpropagating into W1 and b1 passes through the sigmoid: multiply by s * (1 - s).",
            "two_layer_sigmoid_derivative_forgotten"),
    Mistake("two_layer_sigmoid_loss", "factor 2 missing",
            "d/dŷ of mean((ŷ - y)²) is 2 (ŷ - y) / N: keep the 2.", "two_layer_sigmoid_no_factor_two"),
    Mistake("two_layer_sigmoid_loss", "pre-activation instead of activation",
            "dw2 = hidden.T @ dŷ with hidden = sigmoid(X @ W1 + b1), the layer's OUTPUT, not its pre-activation "
            "X @ W1 + b1.",
            "two_layer_sigmoid_w2_from_pre_activation"),
    Mistake("logistic_regression_loss", "cross-entropy from probabilities",
            "log(sigmoid(z)) is log(0) = -inf for z = -1e4: compute the loss from the logits, "
            "max(z, 0) - z*y + log1p(exp(-|z|)).",
            "logistic_regression_from_probabilities"),
    Mistake("logistic_regression_loss", "probabilities clipped",
            "Clipping sigmoid(z) caps the loss and is wrong for confident mistakes: compute the loss from the "
            "logits, max(z, 0) - z*y + log1p(exp(-|z|)).",
            "logistic_regression_clipped", match="pattern"),
    Mistake("logistic_regression_loss", "gradient sign flipped",
            "The gradient of the loss w.r.t. the logits is (sigmoid(z) - y) / N, not (y - sigmoid(z)) / N.",
            "logistic_regression_sign_flipped"),
    Mistake("logistic_regression_loss", "gradient not divided by N",
            "The loss is a mean over N samples, so its gradient carries a 1/N.",
            "logistic_regression_not_averaged"),
    Mistake("mlp_loss", "ReLU gradient 1 at 0",
            "The ReLU passes no gradient where its input is exactly 0: mask with pre > 0, not >= 0.",
            "mlp_relu_gradient_one_at_zero"),
    Mistake("mlp_loss", "pre-activation instead of activation",
            "dW2 = hidden.T @ dscores with hidden = relu(X @ W1 + b1), the layer's OUTPUT, not its pre-activation.",
            "mlp_dW2_from_pre_activation"),
    Mistake("mlp_loss", "log-sum-exp without max subtraction",
            "log(sum(exp(scores))) overflows for scores near 1e4: subtract each row's max before exponentiating "
            "and add it back.", "mlp_log_sum_exp_unshifted"),
    Mistake("mlp_loss", "ReLU mask forgotten",
            "Backpropagate through the ReLU: the gradient reaches W1 and b1 only where X @ W1 + b1 > 0.",
            "mlp_relu_mask_forgotten"),
    Mistake("mlp_loss", "softmax without max subtraction",
            "exp(1e4) overflows to inf: subtract each row's max score before exponentiating.",
            "mlp_softmax_without_max_subtraction"),
    Mistake("mlp_loss", "log of softmax instead of log-sum-exp",
            "A probability that underflows to 0 gives log(0) = -inf: compute "
            "scores - max - log(sum(exp(scores - max))) instead.",
            "mlp_log_of_softmax"),
    Mistake("mlp_loss", "epsilon added inside the log",
            "log(p + eps) caps the loss near -log eps and is wrong for confident mistakes: compute "
            "scores - max - log(sum(exp(scores - max))) instead.",
            "mlp_epsilon_in_log", match="pattern"),
    Mistake("mlp_loss", "bias gradient summed over the wrong axis",
            "b2 is added to every row, so db2 has the shape of b2 (C,): sum dscores over the batch axis 0.",
            "mlp_bias_gradient_wrong_axis"),
    Mistake("mlp_loss", "b1 gradient summed over the wrong axis",
            "b1 is added to every row, so db1 has the shape of b1 (H,): sum dhidden over the batch axis 0.",
            "mlp_b1_gradient_wrong_axis"),
    Mistake("mlp_loss", "gradient not divided by N",
            "The loss is a mean over N rows, so the score gradient is (softmax - onehot) / N.",
            "mlp_not_averaged"),
    Mistake("mlp_loss", "b1 gradient taken before the ReLU mask",
            "b1 enters before the ReLU like W1: db1 sums over rows the gradient AFTER the mask, "
            "dpre = dhidden * (pre > 0), the same dpre that gives dW1 = X.T @ dpre.",
            "mlp_b1_gradient_before_relu_mask"),
]

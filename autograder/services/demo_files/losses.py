"""A demo student's losses.py: written from the contract, not the reference (demo accounts are public)."""

import numpy as np


def mse(y_pred, y_true):
    """Return the mean squared error as a NumPy scalar."""
    return np.mean((y_pred - y_true) ** 2)


def mse_grad(y_pred, y_true):
    """Return the gradient of mse with respect to y_pred."""
    return 2 * (y_pred - y_true) / y_pred.size


def _log_sum_exp(z):
    return np.logaddexp.reduce(z, axis=1)


def softmax(z):
    """Return exp(z - logsumexp(z)) row by row."""
    return np.exp(z - _log_sum_exp(z)[:, None])


def cross_entropy(logits, labels):
    """Return the mean of logsumexp(row) minus the label's logit."""
    picked = logits[np.arange(logits.shape[0]), labels]
    return np.mean(_log_sum_exp(logits) - picked)


def cross_entropy_grad(logits, labels):
    """Return (softmax - onehot) / N with a one-hot matrix."""
    n, c = logits.shape
    onehot = np.eye(c)[labels]
    return (softmax(logits) - onehot) / n


def sigmoid(x):
    """Return exp(-log(1 + exp(-x))): never overflows."""
    return np.exp(-np.logaddexp(0.0, -x))


def binary_cross_entropy(logits, targets):
    """Return the mean of softplus(z) - t*z."""
    return np.mean(np.logaddexp(0.0, logits) - targets * logits)


def binary_cross_entropy_grad(logits, targets):
    """Return (sigmoid(z) - t) / N."""
    return (sigmoid(logits) - targets) / logits.shape[0]

# losses.py -- homework 2
# Broadcasting instead of indexing: the one-hot matrix is `classes == labels[:, None]`,
# sigmoid is exp(min(x, 0)) / (1 + exp(-|x|)) (no branch overflows), MSE goes through the norm.
import numpy as np


def mse(y_pred, y_true):
    err = np.linalg.norm((y_pred - y_true).ravel())
    return err * err / np.size(y_pred)


def mse_grad(y_pred, y_true):
    return np.multiply(2.0 / np.size(y_pred), y_pred - y_true)


def _lse(z):
    m = np.max(z, axis=1, keepdims=True)
    return m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))


def softmax(z):
    return np.exp(z - _lse(z))


def _onehot(labels, n_classes):
    return np.arange(n_classes)[None, :] == np.asarray(labels)[:, None]


def cross_entropy(logits, labels):
    hot = _onehot(labels, logits.shape[1])
    nll = _lse(logits)[:, 0] - np.sum(np.where(hot, logits, 0.0), axis=1)
    return np.mean(nll)


def cross_entropy_grad(logits, labels):
    p = softmax(logits)
    hot = _onehot(labels, logits.shape[1])
    return np.where(hot, p - 1.0, p) / logits.shape[0]


def sigmoid(x):
    return np.exp(np.minimum(x, 0)) / (1.0 + np.exp(-np.abs(x)))


def binary_cross_entropy(logits, targets):
    with np.errstate(over="ignore"):
        per_example = np.where(logits >= 0,
                               logits - targets * logits + np.log1p(np.exp(-logits)),
                               -targets * logits + np.log1p(np.exp(logits)))
    return per_example.sum() / per_example.shape[0]


def binary_cross_entropy_grad(logits, targets):
    return (sigmoid(logits) - targets) / np.shape(logits)[0]

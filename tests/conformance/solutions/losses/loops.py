"""Losses written with explicit Python loops over rows and entries; scalars returned as Python floats."""

import math

import numpy as np


def mse(y_pred, y_true):
    """Return the mean over all elements of the squared difference."""
    total = 0.0
    count = 0
    for predicted, target in zip(np.ravel(y_pred), np.ravel(y_true)):
        total += (predicted - target) ** 2
        count += 1
    return float(total / count)


def mse_grad(y_pred, y_true):
    """Return 2 * (y_pred - y_true) / size, entry by entry."""
    grad = np.empty(np.shape(y_pred))
    size = grad.size
    for index in np.ndindex(grad.shape):
        grad[index] = 2.0 * (y_pred[index] - y_true[index]) / size
    return grad


def _row_softmax(row):
    biggest = max(row)
    exps = [math.exp(value - biggest) for value in row]
    total = sum(exps)
    return [value / total for value in exps]


def softmax(z):
    """Return the row-wise softmax, shifting every row by its maximum."""
    out = np.empty(z.shape)
    for i in range(z.shape[0]):
        out[i] = _row_softmax(z[i])
    return out


def cross_entropy(logits, labels):
    """Return the mean over rows of logsumexp(row) - row[label]."""
    total = 0.0
    for row, label in zip(logits, labels):
        biggest = max(row)
        log_sum = biggest + math.log(sum(math.exp(value - biggest) for value in row))
        total += log_sum - row[label]
    return float(total / len(labels))


def cross_entropy_grad(logits, labels):
    """Return (softmax - onehot) / N, row by row."""
    n = logits.shape[0]
    grad = np.empty(logits.shape)
    for i in range(n):
        probs = _row_softmax(logits[i])
        for j, p in enumerate(probs):
            grad[i, j] = (p - (1.0 if j == labels[i] else 0.0)) / n
    return grad


def _scalar_sigmoid(value):
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


def sigmoid(x):
    """Return the logistic sigmoid entry by entry, piecewise so exp never overflows."""
    x = np.asarray(x)
    out = np.empty(x.shape)
    for index in np.ndindex(x.shape):
        out[index] = _scalar_sigmoid(float(x[index]))
    return out


def binary_cross_entropy(logits, targets):
    """Return the mean of max(z, 0) - t*z + log(1 + exp(-|z|))."""
    total = 0.0
    for z, t in zip(logits, targets):
        total += max(z, 0.0) - t * z + math.log1p(math.exp(-abs(z)))
    return float(total / len(logits))


def binary_cross_entropy_grad(logits, targets):
    """Return (sigmoid(z) - t) / N entry by entry."""
    n = len(logits)
    grad = np.empty(n)
    for i in range(n):
        grad[i] = (_scalar_sigmoid(float(logits[i])) - targets[i]) / n
    return grad


if __name__ == "__main__":
    print("mse", mse(np.array([1.0, 2.0]), np.array([1.0, 0.0])))
    print("softmax", softmax(np.array([[1e4, -1e4, 0.0]])))

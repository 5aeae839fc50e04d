"""A demo student's losses.py, written from the contract (never the reference: demo passwords are public)."""

import numpy as np


def mse(y_pred, y_true):
    return np.mean((y_pred - y_true) ** 2)


def mse_grad(y_pred, y_true):
    return 2.0 * (y_pred - y_true) / y_pred.size


def softmax(z):
    rows = []
    for row in z:
        e = np.exp(row - row.max())
        rows.append(e / e.sum())
    return np.array(rows)


def cross_entropy(logits, labels):
    total = 0.0
    for row, label in zip(logits, labels):
        top = row.max()
        total += top + np.log(np.sum(np.exp(row - top))) - row[label]
    return total / len(labels)


def cross_entropy_grad(logits, labels):
    grad = softmax(logits)
    grad[np.arange(len(labels)), labels] -= 1.0
    return grad / len(labels)


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def binary_cross_entropy(logits, targets):
    # log(1 + exp(z)) - t*z, written so that exp never overflows
    losses = np.maximum(logits, 0) - targets * logits + np.log1p(np.exp(-np.abs(logits)))
    return losses.mean()


def binary_cross_entropy_grad(logits, targets):
    return (sigmoid(logits) - targets) / logits.shape[0]

# -*- coding: utf-8 -*-
"""Losses with np.vectorize, np.apply_along_axis and np.add.at (a row at a time)."""
import math

import numpy as np


def _scalar_sigmoid(value):
    # σ(x) = 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) otherwise: the exponent is never positive.
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    e = math.exp(value)
    return e / (1.0 + e)


_sigmoid_elementwise = np.vectorize(_scalar_sigmoid, otypes=[np.float64])


def _softmax_row(row):
    e = np.exp(row - row.max())
    return e / e.sum()


def _logsumexp_row(row):
    m = row.max()
    return m + math.log(np.exp(row - m).sum())


def mse(y_pred, y_true):
    return np.square(y_pred - y_true).mean()


def mse_grad(y_pred, y_true):
    return (y_pred - y_true) * (2.0 / y_pred.size)


def softmax(z):
    return np.apply_along_axis(_softmax_row, 1, z)


def cross_entropy(logits, labels):
    lse = np.apply_along_axis(_logsumexp_row, 1, logits)
    correct = logits[np.arange(len(labels)), labels]
    return np.mean(lse - correct)


def cross_entropy_grad(logits, labels):
    g = softmax(logits)
    np.add.at(g, (np.arange(len(labels)), labels), -1.0)
    return g / len(labels)


def sigmoid(x):
    return _sigmoid_elementwise(x)


def binary_cross_entropy(logits, targets):
    # log(1 + e^z) written per sign; np.where evaluates both sides, the overflowing side is dropped.
    with np.errstate(over="ignore"):
        softplus = np.where(logits > 0, logits + np.log1p(np.exp(-logits)), np.log1p(np.exp(logits)))
    return np.mean(softplus - targets * logits)


def binary_cross_entropy_grad(logits, targets):
    return (sigmoid(logits) - targets) / len(targets)

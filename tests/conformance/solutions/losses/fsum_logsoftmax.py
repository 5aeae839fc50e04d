"""Losses through log-softmax and softplus, sums taken with math.fsum (exactly rounded)."""

import math

import numpy as np


def _fsum_mean(values):
    flat = np.asarray(values, dtype=np.float64).ravel()
    return math.fsum(flat.tolist()) / flat.size


def mse(y_pred, y_true):
    diff = np.subtract(y_pred, y_true, dtype=np.float64)
    return _fsum_mean(diff * diff)


def mse_grad(y_pred, y_true):
    return (np.subtract(y_pred, y_true) * 2.0) / np.size(y_pred)


def _log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    shift = z.max(axis=1, keepdims=True)
    shifted = z - shift
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted - lse


def softmax(z):
    return np.exp(_log_softmax(z))


def cross_entropy(logits, labels):
    logp = _log_softmax(logits)
    rows = np.arange(logp.shape[0])
    picked = logp[rows, np.asarray(labels, dtype=np.int64)]
    return -_fsum_mean(picked)


def cross_entropy_grad(logits, labels):
    probs = softmax(logits)
    n = probs.shape[0]
    onehot = np.eye(probs.shape[1])[np.asarray(labels)]
    return (probs - onehot) / n


def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softplus(z):
    # log(1 + exp(z)) without overflow
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def binary_cross_entropy(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    # -log sigma(z) = softplus(-z), -log(1 - sigma(z)) = softplus(z)
    terms = t * _softplus(-z) + (1.0 - t) * _softplus(z)
    return _fsum_mean(terms)


def binary_cross_entropy_grad(logits, targets):
    z = np.asarray(logits, dtype=np.float64)
    return (sigmoid(z) - targets) / z.shape[0]

"""Caches as dataclass / NamedTuple instances, (out, cache) as a NamedTuple, grads as OrderedDict, NumPy-scalar b grads."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np


@dataclass
class AffineCache:
    x: np.ndarray
    w: np.ndarray


class ReluCache(NamedTuple):
    x: np.ndarray


class Forward(NamedTuple):
    out: np.ndarray
    cache: object


def affine_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    return Forward(np.matmul(x, w) + b, AffineCache(x=x, w=w))


def affine_backward(dout, cache: AffineCache):
    return dout @ cache.w.T, cache.x.T @ dout, np.sum(dout, axis=0)


def sigmoid_forward(x):
    out = np.exp(-np.logaddexp(0.0, -x))       # sigma(x) = exp(-softplus(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def relu_forward(x):
    return np.clip(x, 0.0, None), ReluCache(x)


def relu_backward(dout, cache: ReluCache):
    return dout * (cache.x > 0)


def linear_regression_loss(params, X, y):
    err = X.dot(params["w"]) + params["b"] - y
    g = err * (2.0 / len(y))
    return err.dot(err) / len(y), OrderedDict([("w", X.T.dot(g)), ("b", np.float64(g.sum()))])


def two_layer_linear_loss(params, X, y):
    H = X @ params["W1"] + params["b1"]
    err = H @ params["w2"] + params["b2"] - y
    g = err * (2.0 / len(y))
    dH = g[:, None] * params["w2"][None, :]
    return (err ** 2).mean(), OrderedDict(
        W1=X.T @ dH, b1=dH.sum(0), w2=H.T @ g, b2=np.float64(g.sum()))


def two_layer_sigmoid_loss(params, X, y):
    A = np.exp(-np.logaddexp(0.0, -(X @ params["W1"] + params["b1"])))
    err = A @ params["w2"] + params["b2"] - y
    g = err * (2.0 / len(y))
    dZ = g[:, None] * params["w2"][None, :] * A * (1 - A)
    return (err ** 2).mean(), OrderedDict(
        W1=X.T @ dZ, b1=dZ.sum(0), w2=A.T @ g, b2=np.float64(g.sum()))


def logistic_regression_loss(params, X, y):
    z = X @ params["w"] + params["b"]
    loss = np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z))
    g = (np.exp(-np.logaddexp(0.0, -z)) - y) / len(y)
    return loss, OrderedDict(w=X.T @ g, b=g.sum())


def mlp_loss(params, X, y):
    Z = X @ params["W1"] + params["b1"]
    Hh = np.clip(Z, 0.0, None)
    S = Hh @ params["W2"] + params["b2"]
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    n = len(y)
    rows = np.arange(n)
    loss = np.mean(np.log(np.exp(S).sum(axis=1)) - S[rows, y])
    dS = P.copy()
    dS[rows, y] -= 1
    dS /= n
    dZ = (dS @ params["W2"].T) * (Z > 0)
    return loss, OrderedDict(W1=X.T @ dZ, b1=dZ.sum(0), W2=Hh.T @ dS, b2=dS.sum(0))

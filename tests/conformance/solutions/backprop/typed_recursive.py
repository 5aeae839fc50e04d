"""Backprop, typed: Protocols, TypedDicts, generics; networks as a recursively walked layer stack."""

from __future__ import annotations

from typing import Any, Callable, Final, Generic, NamedTuple, Protocol, TypedDict, TypeVar

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
C = TypeVar("C")

ZERO: Final[float] = 0.0


class Layer(Protocol[C]):
    def forward(self, x: Array) -> tuple[Array, C]: ...

    def backward(self, dout: Array, cache: C) -> Array: ...


class AffineCache(NamedTuple):
    x: Array
    w: Array


class RegressionParams(TypedDict):
    W1: Array
    b1: Array
    w2: Array
    b2: Array


class Grads(TypedDict, total=False):
    w: Array
    b: Array


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, AffineCache]:
    assert x.shape[1] == w.shape[0] and b.shape == (w.shape[1],)
    return x @ w + b, AffineCache(x, w)


def affine_backward(dout: Array, cache: AffineCache) -> tuple[Array, Array, Array]:
    return dout @ cache.w.T, cache.x.T @ dout, dout.sum(axis=0)


def sigmoid_forward(x: Array) -> tuple[Array, Array]:
    # exp of a non-positive number only: no overflow at ±1e4
    e = np.exp(-np.abs(x))
    out = np.where(x >= ZERO, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout: Array, cache: Array) -> Array:
    return dout * cache * (1 - cache)


def relu_forward(x: Array) -> tuple[Array, NDArray[np.bool_]]:
    positive = x > ZERO
    return x * positive, positive


def relu_backward(dout: Array, cache: NDArray[np.bool_]) -> Array:
    return np.where(cache, dout, ZERO)


class Step(Generic[C]):
    """One node of a computation: forward function, backward function, and its name."""

    def __init__(self, forward: Callable[[Array], tuple[Array, C]], backward: Callable[[Array, C], Array]):
        self.forward = forward
        self.backward = backward


def _run(steps: list[Step[Any]], x: Array, head: Callable[[Array], tuple[Any, Array]]) -> tuple[Any, Array]:
    """Forward through steps[0], recurse on the rest, backward through steps[0] on the way out."""
    if not steps:
        return head(x)
    out, cache = steps[0].forward(x)
    loss, dout = _run(steps[1:], out, head)
    return loss, steps[0].backward(dout, cache)


def _mse_head(y: Array) -> Callable[[Array], tuple[Any, Array]]:
    def head(pred: Array) -> tuple[Any, Array]:
        r = pred - y
        return np.mean(r**2), 2 * r / r.size

    return head


def linear_regression_loss(params: dict[str, Array], X: Array, y: Array) -> tuple[float, Grads]:
    grads: Grads = {}

    def forward(x: Array) -> tuple[Array, None]:
        return x @ params["w"] + params["b"], None

    def backward(dpred: Array, _: None) -> Array:
        grads["w"] = X.T @ dpred
        grads["b"] = np.asarray(dpred.sum())
        return dpred

    loss, _ = _run([Step(forward, backward)], X, _mse_head(y))
    return loss, grads


def _two_layer(params: RegressionParams, X: Array, y: Array, hidden: Step[Any] | None) -> tuple[float, dict[str, Array]]:
    grads: dict[str, Array] = {}
    keep: dict[str, Array] = {}

    def first(x: Array) -> tuple[Array, AffineCache]:
        return affine_forward(x, params["W1"], params["b1"])

    def first_back(dout: Array, cache: AffineCache) -> Array:
        dx, grads["W1"], grads["b1"] = affine_backward(dout, cache)
        return dx

    def second(a: Array) -> tuple[Array, None]:
        keep["a"] = a
        return a @ params["w2"] + params["b2"], None

    def second_back(dpred: Array, _: None) -> Array:
        grads["w2"] = keep["a"].T @ dpred
        grads["b2"] = dpred.sum()
        return np.outer(dpred, params["w2"])

    steps: list[Step[Any]] = [Step(first, first_back)]
    if hidden is not None:
        steps.append(hidden)
    steps.append(Step(second, second_back))
    loss, _ = _run(steps, X, _mse_head(y))
    return loss, {key: grads[key] for key in ("W1", "b1", "w2", "b2")}


def two_layer_linear_loss(params: RegressionParams, X: Array, y: Array) -> tuple[float, dict[str, Array]]:
    return _two_layer(params, X, y, None)


def two_layer_sigmoid_loss(params: RegressionParams, X: Array, y: Array) -> tuple[float, dict[str, Array]]:
    return _two_layer(params, X, y, Step(sigmoid_forward, sigmoid_backward))


def logistic_regression_loss(params: dict[str, Array], X: Array, y: Array) -> tuple[float, Grads]:
    z = X @ params["w"] + params["b"]
    loss = float(np.mean(np.logaddexp(0.0, z) - y * z))
    p, _ = sigmoid_forward(z)
    dz = (p - y) / y.shape[0]
    return loss, {"w": X.T @ dz, "b": float(dz.sum())}


def mlp_loss(params: dict[str, Array], X: Array, y: NDArray[np.integer[Any]]) -> tuple[float, dict[str, Array]]:
    grads: dict[str, Array] = {}

    def ce_head(scores: Array) -> tuple[float, Array]:
        n = scores.shape[0]
        shifted = scores - scores.max(axis=1, keepdims=True)
        lse = np.log(np.exp(shifted).sum(axis=1))
        loss = float(np.mean(lse - shifted[np.arange(n), y]))
        probs = np.exp(shifted - lse[:, None])
        probs[np.arange(n), y] -= 1
        return loss, probs / n

    def layer(wk: str, bk: str) -> Step[AffineCache]:
        def back(dout: Array, cache: AffineCache) -> Array:
            dx, grads[wk], grads[bk] = affine_backward(dout, cache)
            return dx

        return Step(lambda x: affine_forward(x, params[wk], params[bk]), back)

    loss, _ = _run([layer("W1", "b1"), Step(relu_forward, relu_backward), layer("W2", "b2")], X, ce_head)
    return loss, grads

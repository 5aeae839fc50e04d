"""Backpropagation by hand: layers and small networks in NumPy.

Submit this file as ``backprop.py``. Replace every ``raise NotImplementedError`` with
your code. Do not modify any argument you are given: return new arrays instead.
"""

import numpy as np


# ---------------------------------------------------------------- layers


def affine_forward(x, w, b):
    """Compute the affine layer ``out = x @ w + b``.

    x: (N, D) inputs, w: (D, M) weights, b: (M,) bias.
    Return ``(out, cache)``: ``out`` of shape (N, M) and a ``cache`` holding whatever
    ``affine_backward`` needs (for example ``(x, w, b)``).
    """
    raise NotImplementedError


def affine_backward(dout, cache):
    """Backpropagate ``dout`` (N, M), the gradient of the loss w.r.t. ``out``, through the affine layer.

    ``cache`` is what your ``affine_forward`` returned.
    Return ``(dx, dw, db)`` with the shapes of x (N, D), w (D, M) and b (M,).
    """
    raise NotImplementedError


def sigmoid_forward(x):
    """Compute ``out = 1 / (1 + exp(-x))`` elementwise.

    x: an array of any shape. ``out`` has the shape of x and must be finite (no NaN,
    no overflow problem) for entries as large as +-1e4.
    Return ``(out, cache)``.
    """
    raise NotImplementedError


def sigmoid_backward(dout, cache):
    """Backpropagate ``dout`` (shape of x) through the sigmoid.

    ``cache`` is what your ``sigmoid_forward`` returned.
    Return ``dx`` of the shape of x.
    """
    raise NotImplementedError


def relu_forward(x):
    """Compute ``out = max(x, 0)`` elementwise.

    x: an array of any shape. Return ``(out, cache)`` with ``out`` of the shape of x.
    """
    raise NotImplementedError


def relu_backward(dout, cache):
    """Backpropagate ``dout`` (shape of x) through the ReLU.

    ``cache`` is what your ``relu_forward`` returned. The gradient where x == 0 is 0.
    Return ``dx`` of the shape of x.
    """
    raise NotImplementedError


# ---------------------------------------------------------------- networks
# Each returns (loss, grads): loss a float, grads a dict with exactly the keys of
# params, each gradient of its parameter's shape. A parameter of shape () is a 0-d
# array; its gradient may be a float or a 0-d array.


def linear_regression_loss(params, X, y):
    """Return ``(loss, grads)`` of linear regression.

    params: ``w`` (D,), ``b`` (); X: (N, D); y: (N,).
    Prediction ``X @ w + b`` (N,); loss = mean over N of the squared error.
    """
    raise NotImplementedError


def two_layer_linear_loss(params, X, y):
    """Return ``(loss, grads)`` of a two-layer linear network.

    params: ``W1`` (D, H), ``b1`` (H,), ``w2`` (H,), ``b2`` (); X: (N, D); y: (N,).
    Prediction ``(X @ W1 + b1) @ w2 + b2`` (N,); loss = mean squared error.
    """
    raise NotImplementedError


def two_layer_sigmoid_loss(params, X, y):
    """Return ``(loss, grads)`` of a two-layer network with a sigmoid hidden layer.

    params: ``W1`` (D, H), ``b1`` (H,), ``w2`` (H,), ``b2`` (); X: (N, D); y: (N,).
    Prediction ``sigmoid(X @ W1 + b1) @ w2 + b2`` (N,); loss = mean squared error.
    """
    raise NotImplementedError


def logistic_regression_loss(params, X, y):
    """Return ``(loss, grads)`` of logistic regression.

    params: ``w`` (D,), ``b`` (); X: (N, D); y: (N,) of 0. and 1.
    Logits ``X @ w + b`` (N,); loss = mean binary cross-entropy, computed from the
    logits so that it stays finite for logits as large as +-1e4.
    """
    raise NotImplementedError


def mlp_loss(params, X, y):
    """Return ``(loss, grads)`` of a one-hidden-layer ReLU network with softmax cross-entropy.

    params: ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,); X: (N, D);
    y: (N,) int64 labels in [0, C).
    Scores ``max(X @ W1 + b1, 0) @ W2 + b2`` (N, C); loss = mean over rows of
    ``-log softmax(scores)[i, y[i]]``, finite for scores as large as +-1e4.
    """
    raise NotImplementedError

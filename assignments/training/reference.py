"""Reference solutions for the `training` exercise (never shown to students)."""

import copy

import numpy as np


def _batch_indices(n, batch_size, rng):
    """Return the row indices of each batch of one epoch, in the order of one ``rng.permutation(n)``."""
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def iterate_minibatches(X, y, batch_size, rng):
    """Yield ``(X_batch, y_batch)`` for one epoch of shuffled mini-batches; the last may be smaller."""
    for rows in _batch_indices(X.shape[0], batch_size, rng):
        yield X[rows], y[rows]


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Return ``x`` after ``num_steps`` steps ``x = x - learning_rate * grad_fn(x)``; ``x0`` unchanged."""
    x = np.array(x0, dtype=np.float64, copy=True)
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """Return ``(params, losses)`` after mini-batch training, one optimizer state per parameter."""
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses

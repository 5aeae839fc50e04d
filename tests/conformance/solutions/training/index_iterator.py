"""Training with an iterator built from zip and np.array_split, an in-place x on a copy, copy.copy configs."""

import copy

import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    """Return a zip iterator over the batches of one permutation."""
    n = X.shape[0]
    order = rng.permutation(n)
    boundaries = np.arange(batch_size, n, batch_size)
    index_groups = np.split(order, boundaries)
    return zip((np.take(X, rows, axis=0) for rows in index_groups),
               (np.take(y, rows, axis=0) for rows in index_groups))


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Return the final x, updating a private copy of x0 in place."""
    x = x0.astype(np.float64, copy=True)
    for _ in range(num_steps):
        x -= learning_rate * np.asarray(grad_fn(x))
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """Return (params, losses) with one shallow config copy per parameter, losses as NumPy scalars."""
    new_params = {key: value for key, value in params.items()}
    optimizer_states = {key: copy.copy(config) for key in new_params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(new_params, X_batch, y_batch)
            losses.append(np.float64(loss))
            updated = {}
            for key, value in new_params.items():
                updated[key], optimizer_states[key] = update(value, grads[key], optimizer_states[key])
            new_params = updated
    return new_params, losses

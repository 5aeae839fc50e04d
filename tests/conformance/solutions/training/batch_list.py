"""Training that builds the list of batches up front, rebinds x without copying, shallow-copies configs."""

import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    """Return the list of (X_batch, y_batch) of one shuffled epoch."""
    n = len(X)
    order = rng.permutation(n)
    X_shuffled, y_shuffled = X[order], y[order]
    batches = []
    start = 0
    while start < n:
        stop = min(start + batch_size, n)
        batches.append((X_shuffled[start:stop], y_shuffled[start:stop]))
        start = stop
    return batches


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Return the final x; x0 is never written to (x is rebound to new arrays)."""
    x = x0
    step = 0
    while step < num_steps:
        x = x - learning_rate * grad_fn(x)
        step += 1
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """Return (params, losses); each parameter gets a shallow copy of config."""
    current = dict(params)
    states = {key: dict(config or {}) for key in current}
    losses = []
    for epoch in range(epochs):
        batches = iterate_minibatches(X, y, batch_size, rng)
        for X_batch, y_batch in batches:
            loss, grads = loss_and_grads(current, X_batch, y_batch)
            losses.append(float(loss))
            for key in list(current):
                current[key], states[key] = update(current[key], grads[key], states[key])
    return current, losses

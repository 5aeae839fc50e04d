"""Training as generators: train drains a generator of (loss, params) steps; gradient_descent
handles num_steps = 0 by a loop that never runs and returns a copy; configs keep extra keys."""
import copy
import itertools

import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    return [(X[order[i:i + batch_size]], y[order[i:i + batch_size]]) for i in range(0, len(X), batch_size)]


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64, copy=True)
    for _ in itertools.repeat(None, num_steps):
        x = x - learning_rate * grad_fn(x)
    return x


def _steps(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    states = {k: copy.deepcopy(config) for k in params}
    for k in states:
        states[k]["owner"] = k  # an extra key of this file's own
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, Xb, yb)
            params = dict(params)
            for k in params:
                params[k], states[k] = update(params[k], grads[k], states[k])
            yield loss, params


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    losses = []
    final = dict(params)
    for loss, final in _steps(loss_and_grads, dict(params), X, y, update, config, batch_size, epochs, rng):
        losses.append(loss)
    return final, losses

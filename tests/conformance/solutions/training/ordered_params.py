"""Batches as an iterator class, a while loop over the steps, and the new params returned as an OrderedDict."""

from collections import OrderedDict

import numpy as np


class _Batches:
    """One epoch of mini-batches in the order of a single rng.permutation(N)."""

    def __init__(self, X, y, size, rng):
        self.X, self.y, self.size = X, y, size
        self.order = rng.permutation(len(X))
        self.at = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.at >= len(self.order):
            raise StopIteration
        chosen = self.order[self.at:self.at + self.size]
        self.at += self.size
        return self.X[chosen], self.y[chosen]


def iterate_minibatches(X, y, batch_size, rng):
    return _Batches(X, y, batch_size, rng)


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    steps_left = num_steps
    current = x0
    while steps_left > 0:
        current = current - learning_rate * np.asarray(grad_fn(current), dtype=np.float64)
        steps_left -= 1
    return np.array(current, dtype=np.float64)


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    state = OrderedDict((key, [np.copy(params[key]), dict(config)]) for key in params)
    history = []
    epoch = 0
    while epoch < epochs:
        for inputs, targets in iterate_minibatches(X, y, batch_size, rng):
            current = {key: entry[0] for key, entry in state.items()}
            value, gradients = loss_and_grads(current, inputs, targets)
            history.append(value)
            for key, entry in state.items():
                entry[0], entry[1] = update(entry[0], gradients[key], entry[1])
        epoch += 1
    return OrderedDict((key, entry[0]) for key, entry in state.items()), history

"""Training with rng.shuffle on an index array, itertools.islice batches and a while loop.

``rng.shuffle(np.arange(N))`` leaves the indices in the order ``rng.permutation(N)`` gives (the
same draw). Batches are cut by islice over an iterator of indices; X and y are taken with
np.take. gradient_descent counts down with a while loop on its own copy, updated with out=.
"""
import copy
from itertools import islice

import numpy as np


class MiniBatches:
    """One epoch of mini-batches; the order is drawn when the object is made."""

    def __init__(self, X, y, batch_size, rng):
        self.X, self.y, self.batch_size = X, y, int(batch_size)
        self.order = np.arange(len(X))
        rng.shuffle(self.order)

    def __iter__(self):
        indices = iter(self.order)
        while True:
            chunk = list(islice(indices, self.batch_size))
            if not chunk:
                return
            chunk = np.array(chunk, dtype=np.intp)
            yield np.take(self.X, chunk, axis=0), np.take(self.y, chunk, axis=0)


def iterate_minibatches(X, y, batch_size, rng):
    return iter(MiniBatches(X, y, batch_size, rng))


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64, copy=True)
    remaining = num_steps
    while remaining > 0:
        step = learning_rate * grad_fn(x)
        np.subtract(x, step, out=x)
        remaining -= 1
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in current}
    history = []
    epoch = 0
    while epoch < epochs:
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            history.append(loss)
            for name in list(current):
                current[name], configs[name] = update(current[name], grads[name], configs[name])
        epoch += 1
    return current, history

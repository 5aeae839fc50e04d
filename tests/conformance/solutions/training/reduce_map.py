"""Training with functools.reduce, map iterators and a Trainer helper class."""

import copy
from functools import reduce

import numpy as np


def _batch_slices(n, batch_size):
    return [slice(start, start + batch_size) for start in range(0, n, batch_size)]


def iterate_minibatches(X, y, batch_size, rng):
    assert batch_size >= 1, "batch_size must be positive"
    assert len(X) == len(y)
    order = rng.permutation(X.shape[0])
    return map(lambda s: (X[order[s]], y[order[s]]), _batch_slices(len(order), batch_size))


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    return reduce(lambda x, _: x - learning_rate * grad_fn(x), range(num_steps), x0)


class _Trainer:
    def __init__(self, loss_and_grads, update, config, params):
        self.loss_and_grads = loss_and_grads
        self.update = update
        self.params = dict(params)
        self.configs = {name: copy.deepcopy(config) for name in params}
        self.losses = []

    def step(self, Xb, yb):
        loss, grads = self.loss_and_grads(self.params, Xb, yb)
        self.losses.append(loss)
        for name in self.params:
            self.params[name], self.configs[name] = self.update(self.params[name], grads[name], self.configs[name])


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    trainer = _Trainer(loss_and_grads, update, config, params)
    for _epoch in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            trainer.step(Xb, yb)
    return trainer.params, tuple(trainer.losses)

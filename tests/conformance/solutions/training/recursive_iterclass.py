"""Training: an iterator class for the batches, recursion for gradient descent, array losses."""

from __future__ import annotations

import sys
from typing import Callable, Iterator

import numpy as np

Array = np.ndarray


class MiniBatches:
    """Iterator over one epoch; the permutation is drawn when the object is created."""

    def __init__(self, X: Array, y: Array, batch_size: int, rng: np.random.Generator) -> None:
        self.X, self.y, self.batch_size = X, y, int(batch_size)
        self.order = rng.permutation(len(X))
        self.position = 0

    def __iter__(self) -> Iterator[tuple[Array, Array]]:
        return self

    def __next__(self) -> tuple[Array, Array]:
        if self.position >= len(self.order):
            raise StopIteration
        rows = self.order[self.position : self.position + self.batch_size]
        self.position += self.batch_size
        return self.X[rows], self.y[rows]

    def __len__(self) -> int:
        return -(-len(self.order) // self.batch_size)


def iterate_minibatches(X: Array, y: Array, batch_size: int, rng: np.random.Generator) -> MiniBatches:
    return MiniBatches(X, y, batch_size, rng)


def _descend(grad_fn: Callable[[Array], Array], x: Array, lr: float, steps_left: int) -> Array:
    if steps_left == 0:
        return x
    return _descend(grad_fn, x - lr * grad_fn(x), lr, steps_left - 1)


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    if num_steps + 50 > sys.getrecursionlimit():
        sys.setrecursionlimit(num_steps + 100)
    return _descend(grad_fn, np.array(x0, dtype=np.float64), learning_rate, num_steps)


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    current = {k: v for k, v in params.items()}
    states = {k: {**config} for k in params}
    losses = np.zeros(0)
    for epoch in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(current, Xb, yb)
            losses = np.append(losses, loss)
            for k in current:
                current[k], states[k] = update(current[k], grads[k], states[k])
    return current, losses

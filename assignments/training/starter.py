"""Training: shuffled mini-batches, full-batch gradient descent and a mini-batch training loop.

Fill in every function below. Arrays are NumPy float64 (class labels int64), batch first.
Do not modify an argument you are given (arrays, dicts): this is graded.
"""

import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    """Return an iterator over one epoch of shuffled mini-batches ``(X_batch, y_batch)``.

    X: (N, D) inputs; y: (N,) targets (float64 or int64 labels).
    batch_size: rows per batch; the last batch has the remaining rows and may be smaller
        (batch_size may also be >= N: then there is one batch).
    rng: a numpy.random.Generator. Draw ONE order = rng.permutation(N) and take the rows in
        that order: batch 0 is rows order[0:batch_size], and so on; every row exactly once.
    A generator function (using ``yield``) is a fine way to write it.
    """
    raise NotImplementedError


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Return the final x after ``num_steps`` full-batch steps ``x = x - learning_rate * grad_fn(x)``.

    grad_fn: a function returning the gradient at x (an array of x's shape).
    x0: the starting point, an array of any shape; it must stay unchanged.
    num_steps: an int >= 0 (0 steps returns an array equal to x0).
    """
    raise NotImplementedError


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """Return ``(params, losses)`` after ``epochs`` epochs of mini-batch training.

    loss_and_grads(params, X_batch, y_batch) -> (loss, grads): grads has params' keys.
    params: dict name -> array; return a NEW dict, the given one must stay unchanged.
    update(w, dw, config) -> (next_w, config): an optimizer step (the signature of the
        optimizers exercise). Each parameter keeps its OWN config, each starting from a copy
        of ``config``, and passes back the config that update returned on its next step.
    Each epoch walks iterate_minibatches(X, y, batch_size, rng) with the same rng; for each
    batch: compute (loss, grads) with the current params, append loss to losses, then update
    every parameter. losses has one entry per step (per batch, over all epochs).
    """
    raise NotImplementedError

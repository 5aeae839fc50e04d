"""Generator batches, deep-copied configs, and the new params returned as a collections.OrderedDict."""
from collections import OrderedDict
import copy
import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64, copy=True)
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = {k: np.array(v, copy=True) for k, v in params.items()}
    configs = {k: copy.deepcopy(config) for k in params}
    losses = []
    for _ in range(epochs):
        for Xb, yb in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, Xb, yb)
            losses.append(loss)
            for k in params:
                params[k], configs[k] = update(params[k], grads[k], configs[k])
    return OrderedDict(params), losses

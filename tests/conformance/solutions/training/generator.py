"""Training with a generator of mini-batches, a copied x0, deep-copied configs and leftover debug prints."""

import copy

import numpy as np


def iterate_minibatches(X, y, batch_size, rng):
    """Yield (X_batch, y_batch) in the order of one rng.permutation(N)."""
    order = rng.permutation(X.shape[0])
    for start in range(0, len(order), batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Return x after num_steps steps x = x - lr * grad_fn(x), starting from a copy of x0."""
    x = np.array(x0, dtype=np.float64, copy=True)
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
    return x


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    """Return (new params, losses) after mini-batch training with one optimizer state per parameter."""
    params = {name: np.array(value, copy=True) for name, value in params.items()}
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for X_batch, y_batch in iterate_minibatches(X, y, batch_size, rng):
            loss, grads = loss_and_grads(params, X_batch, y_batch)
            losses.append(loss)
            print(f"step {len(losses)}: loss {loss:.6f}")  # debug output students leave in
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


if __name__ == "__main__":
    generator = np.random.default_rng(0)
    for X_batch, y_batch in iterate_minibatches(np.arange(10.0).reshape(5, 2), np.arange(5.0), 2, generator):
        print(X_batch, y_batch)

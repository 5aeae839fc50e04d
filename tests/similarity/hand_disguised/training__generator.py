import numpy as np
import copy


def train(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
  # copy everything first so the caller's arrays are untouched
  weights = {key: np.array(val, copy=True) for key, val in params.items()}
  states = {key: copy.deepcopy(config) for key in weights}
  history = []
  for _ in range(epochs):
    for xb, yb in iterate_minibatches(X, y, batch_size, rng):
      l, g = loss_and_grads(weights, xb, yb)
      history.append(l)
      print(f"iteration {len(history)} -> {l:.4f}")
      for key in weights:
        weights[key], states[key] = update(weights[key], g[key], states[key],)
  return (weights, history)


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
  point = np.array(x0, dtype=np.float64, copy=True)
  for _ in range(num_steps):
    point = point - learning_rate * grad_fn(point)
  return point


def iterate_minibatches(X, y, batch_size, rng):
  """Shuffle once, then yield slices."""
  perm = rng.permutation(X.shape[0])
  for lo in range(0, len(perm), batch_size):
    idx = perm[lo:lo + batch_size]
    yield X[idx], y[idx]

"""Classic wrong variants of the `training` functions (mutation tests and hints).

Executed in a namespace that already holds reference.py's globals (``np``, ``copy``,
``_batch_indices``).
"""

from autograder.grading.mistakes import Mistake


def iterate_minibatches_x_only_shuffled(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        yield X[order[start:start + batch_size]], y[start:start + batch_size]


def iterate_minibatches_y_only_shuffled(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        yield X[start:start + batch_size], y[order[start:start + batch_size]]


def iterate_minibatches_small_last_merged(X, y, batch_size, rng):
    # A last batch under half of batch_size joins the one before it (a batch larger than batch_size).
    order = rng.permutation(X.shape[0])
    starts = list(range(0, X.shape[0], batch_size))
    if len(starts) > 1 and X.shape[0] - starts[-1] < batch_size // 2:
        starts.pop()
    for position, start in enumerate(starts):
        rows = order[start:starts[position + 1]] if position + 1 < len(starts) else order[start:]
        yield X[rows], y[rows]


def iterate_minibatches_labels_as_floats(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    targets = np.asarray(y, dtype=np.float64)  # int64 labels become floats
    for start in range(0, X.shape[0], batch_size):
        yield X[order[start:start + batch_size]], targets[order[start:start + batch_size]]


def iterate_minibatches_drops_last(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0] - batch_size + 1, batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]


def iterate_minibatches_unshuffled(X, y, batch_size, rng):
    for start in range(0, X.shape[0], batch_size):
        yield X[start:start + batch_size], y[start:start + batch_size]


def iterate_minibatches_two_permutations(X, y, batch_size, rng):
    X_shuffled = X[rng.permutation(X.shape[0])]
    y_shuffled = y[rng.permutation(X.shape[0])]
    for start in range(0, X.shape[0], batch_size):
        yield X_shuffled[start:start + batch_size], y_shuffled[start:start + batch_size]


def iterate_minibatches_shuffles_in_place(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    X[:] = X[order]
    y[:] = y[order]
    for start in range(0, X.shape[0], batch_size):
        yield X[start:start + batch_size].copy(), y[start:start + batch_size].copy()


def iterate_minibatches_sorted_batches(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        rows = np.sort(order[start:start + batch_size])
        yield X[rows], y[rows]


def iterate_minibatches_array_split(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for rows in np.array_split(order, max(1, X.shape[0] // batch_size)):
        yield X[rows], y[rows]


def iterate_minibatches_permutation_per_batch(X, y, batch_size, rng):
    for start in range(0, X.shape[0], batch_size):
        rows = rng.permutation(X.shape[0])[start:start + batch_size]
        yield X[rows], y[rows]


def gradient_descent_from_x0(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps):
        x = x0 - learning_rate * grad_fn(x)
    return x


def iterate_minibatches_overlapping(X, y, batch_size, rng):
    order = rng.permutation(X.shape[0])
    for start in range(0, X.shape[0], batch_size):
        rows = order[start:start + batch_size + 1]
        yield X[rows], y[rows]


def gradient_descent_one_step_too_few(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps - 1):
        x = x - learning_rate * grad_fn(x)
    return x


def gradient_descent_ascent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps):
        x = x + learning_rate * grad_fn(x)
    return x


def gradient_descent_extra_step(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps + 1):
        x = x - learning_rate * grad_fn(x)
    return x


def gradient_descent_in_place(grad_fn, x0, learning_rate, num_steps):
    x = x0
    for _ in range(num_steps):
        x -= learning_rate * grad_fn(x)
    return x.copy()


def gradient_descent_gradient_once(grad_fn, x0, learning_rate, num_steps):
    direction = grad_fn(x0)
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps):
        x = x - learning_rate * direction
    return x


def gradient_descent_stops_early(grad_fn, x0, learning_rate, num_steps):
    # Stands for any stopping rule on a small gradient (its threshold varies): matched by pattern.
    x = np.array(x0, dtype=np.float64)
    for _ in range(num_steps):
        gradient = grad_fn(x)
        if np.linalg.norm(gradient) < 1e-2:
            break
        x = x - learning_rate * gradient
    return x


def train_shared_state(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    shared = copy.deepcopy(config)
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], shared = update(params[name], grads[name], shared)
    return params, losses


def train_state_reset(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], _ = update(params[name], grads[name], copy.deepcopy(config))
    return params, losses


def train_config_not_copied(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: config for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_drops_last_batch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            if len(rows) < batch_size:
                continue
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_losses_float32(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    # Losses collected into a float32 array: each keeps only about 7 significant digits.
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = np.zeros(0, dtype=np.float32)
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses = np.append(losses, np.float32(loss))
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_one_permutation(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    batches = _batch_indices(X.shape[0], batch_size, rng)
    for _ in range(epochs):
        for rows in batches:
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_loss_per_epoch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        epoch_losses = []
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            epoch_losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
        losses.append(float(np.mean(epoch_losses)))
    return params, losses


def train_loss_after_update(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            _, grads = loss_and_grads(params, X[rows], y[rows])
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
            losses.append(loss_and_grads(params, X[rows], y[rows])[0])
    return params, losses


def train_state_reset_every_epoch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    losses = []
    for _ in range(epochs):
        configs = {name: copy.deepcopy(config) for name in params}
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_rng_ignored(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    # Stands for every generator but the one given (np.random, a new default_rng): matched by pattern.
    other = np.random.default_rng(20261205)
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, other):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_extra_epoch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs + 1):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_first_gradients_reused(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    first = None
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            first = grads if first is None else first
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], first[name], configs[name])
    return params, losses


def train_one_generator(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    batches = (rows for rows in _batch_indices(X.shape[0], batch_size, rng))
    for _ in range(epochs):
        for rows in batches:
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


def train_last_loss_per_epoch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
        losses.append(loss)
    return params, losses


def train_one_update_per_epoch(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        total = {name: np.zeros(np.shape(value)) for name, value in params.items()}
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                total[name] = total[name] + grads[name]
        for name in params:
            params[name], configs[name] = update(params[name], total[name], configs[name])
    return params, losses


def train_returned_config_ignored(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], _ = update(params[name], grads[name], configs[name])
    return params, losses


def train_modifies_params(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            loss, grads = loss_and_grads(params, X[rows], y[rows])
            losses.append(loss)
            for name in params:
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return dict(params), losses


def train_gradients_per_parameter(loss_and_grads, params, X, y, update, config, batch_size, epochs, rng):
    params = dict(params)
    configs = {name: copy.deepcopy(config) for name in params}
    losses = []
    for _ in range(epochs):
        for rows in _batch_indices(X.shape[0], batch_size, rng):
            for position, name in enumerate(params):
                # loss_and_grads called again for each parameter, after the previous ones were updated
                loss, grads = loss_and_grads(params, X[rows], y[rows])
                if position == 0:
                    losses.append(loss)
                params[name], configs[name] = update(params[name], grads[name], configs[name])
    return params, losses


MISTAKES = [
    Mistake("iterate_minibatches", "shuffled X but not y",
            "Index X and y with the same permuted rows, or each input is paired with another row's target.",
            "iterate_minibatches_x_only_shuffled"),
    Mistake("iterate_minibatches", "shuffled y but not X",
            "Index X and y with the same permuted rows: X taken in its stored order pairs each input with another "
            "row's target.", "iterate_minibatches_y_only_shuffled"),
    Mistake("iterate_minibatches", "small last batch merged",
            "Every batch holds exactly batch_size rows except the last, which may hold fewer, even a single row: do "
            "not merge a small remainder into the batch before it.", "iterate_minibatches_small_last_merged"),
    Mistake("iterate_minibatches", "labels cast to float",
            "Take the rows of y as they are: int64 class labels turned into floats hold the same numbers but no "
            "longer index (log_probs[np.arange(n), y_batch] raises).", "iterate_minibatches_labels_as_floats"),
    Mistake("iterate_minibatches", "last batch dropped",
            "When batch_size does not divide N, yield the remaining rows as a smaller last batch: every row "
            "appears exactly once per epoch.", "iterate_minibatches_drops_last"),
    Mistake("iterate_minibatches", "rows not shuffled",
            "Take the rows in the order of one rng.permutation(N), not in their stored order.",
            "iterate_minibatches_unshuffled"),
    Mistake("iterate_minibatches", "separate permutations for X and y",
            "Draw ONE permutation and use it for both X and y; two draws pair rows with the wrong targets.",
            "iterate_minibatches_two_permutations"),
    Mistake("iterate_minibatches", "inputs shuffled in place",
            "Do not reorder X and y themselves (X[:] = X[order] changes the caller's data); index them "
            "with the permutation instead.", "iterate_minibatches_shuffles_in_place"),
    Mistake("iterate_minibatches", "batches of the wrong sizes",
            "np.array_split(order, N // batch_size) makes batches of about equal sizes: take consecutive slices "
            "order[start:start + batch_size], so every batch but the last has exactly batch_size rows.",
            "iterate_minibatches_array_split"),
    Mistake("iterate_minibatches", "overlapping batches",
            "Slice order[start:start + batch_size]: a slice end of start + batch_size + 1 repeats each batch's last "
            "row in the next one.", "iterate_minibatches_overlapping"),
    Mistake("iterate_minibatches", "permutation drawn per batch",
            "Draw ONE permutation per epoch and slice it: a new permutation for each batch repeats some rows and "
            "skips others.", "iterate_minibatches_permutation_per_batch"),
    Mistake("iterate_minibatches", "batch indices sorted",
            "Keep the rows of each batch in the order of the permutation: sorting a batch's indices changes the "
            "order of its rows.", "iterate_minibatches_sorted_batches"),
    Mistake("gradient_descent", "every step taken from x0",
            "Each step starts from the CURRENT x: x = x - learning_rate * grad_fn(x), not x0 - ....",
            "gradient_descent_from_x0"),
    Mistake("gradient_descent", "one step too few",
            "Take exactly num_steps steps: range(num_steps), not range(num_steps - 1).",
            "gradient_descent_one_step_too_few"),
    Mistake("gradient_descent", "moves up the gradient",
            "Step against the gradient: x = x - learning_rate * grad_fn(x).", "gradient_descent_ascent"),
    Mistake("gradient_descent", "one step too many",
            "Take exactly num_steps steps (num_steps=0 returns x0's values).", "gradient_descent_extra_step"),
    Mistake("gradient_descent", "x0 updated in place",
            "x -= ... on x = x0 changes the caller's x0; start from a copy (x = x0.copy()) or use x = x - ....",
            "gradient_descent_in_place"),
    Mistake("gradient_descent", "gradient evaluated only at x0",
            "Evaluate grad_fn at the current x on every step.", "gradient_descent_gradient_once"),
    Mistake("gradient_descent", "stops early",
            "Take all num_steps steps: the contract has no stopping rule, so a loop that breaks when the gradient "
            "is small returns x too soon.", "gradient_descent_stops_early", match="pattern"),
    Mistake("train", "losses kept in float32",
            "Keep each loss as the float64 number loss_and_grads returns (a list of floats): a float32 array "
            "keeps only about 7 significant digits of every loss.", "train_losses_float32"),
    Mistake("train", "one optimizer state shared by all parameters",
            "Keep a separate config per parameter (e.g. a dict name -> config, each a copy of config): a "
            "momentum or step count must not mix parameters.", "train_shared_state"),
    Mistake("train", "optimizer state reset every step",
            "Keep the config that update returns and pass it back in on the parameter's next step.",
            "train_state_reset"),
    Mistake("train", "config not copied",
            "Start each parameter's state from its own copy of config (copy.deepcopy(config)); passing the "
            "same dict to every parameter shares state and changes the caller's config.",
            "train_config_not_copied"),
    Mistake("train", "last batch dropped",
            "Train on every batch of the epoch, including a smaller last one.", "train_drops_last_batch"),
    Mistake("train", "same shuffle every epoch",
            "Walk a fresh iterate_minibatches(X, y, batch_size, rng) each epoch: each epoch draws a new "
            "permutation from rng.", "train_one_permutation"),
    Mistake("train", "one loss per epoch",
            "Append the loss of every step (every batch), not one value per epoch.", "train_loss_per_epoch"),
    Mistake("train", "loss recorded after the update",
            "Append the loss that loss_and_grads returns BEFORE the update (the one whose gradients you step "
            "with); do not evaluate it again after updating.", "train_loss_after_update"),
    Mistake("train", "gradients recomputed after each parameter's update",
            "Call loss_and_grads ONCE per step, then update every parameter with those gradients: calling it again "
            "for each parameter takes the later parameters' gradients at the partly updated params.",
            "train_gradients_per_parameter"),
    Mistake("train", "optimizer state reset every epoch",
            "Create each parameter's copy of config once, before the first epoch: the optimizer state carries "
            "over from one epoch to the next.", "train_state_reset_every_epoch"),
    Mistake("train", "rng given not used",
            "Shuffle with the rng you are given (walk iterate_minibatches(X, y, batch_size, rng) each epoch), not "
            "np.random or a new generator: your losses are right only where the order of the rows cannot matter.",
            "train_rng_ignored", match="pattern"),
    Mistake("train", "last loss of each epoch only",
            "Append the loss of EVERY step (every batch) inside the loop, not once per epoch after it.",
            "train_last_loss_per_epoch"),
    Mistake("train", "one update per epoch",
            "Update the parameters after EVERY batch (mini-batch training), not once per epoch with summed gradients.",
            "train_one_update_per_epoch"),
    Mistake("train", "returned config ignored",
            "Keep the config update returns (params[k], configs[k] = update(...)): a step rule that returns a NEW "
            "dict otherwise starts from the same state at every step.", "train_returned_config_ignored"),
    Mistake("train", "one generator for all epochs",
            "A generator is exhausted after one pass: call iterate_minibatches(X, y, batch_size, rng) again at the "
            "start of every epoch (later epochs otherwise train on nothing).", "train_one_generator"),
    Mistake("train", "one epoch too many", "Walk exactly `epochs` epochs: range(epochs), not range(epochs + 1).",
            "train_extra_epoch"),
    Mistake("train", "gradients of the first batch reused",
            "Step with the gradients loss_and_grads returns for the CURRENT batch and parameters, at every step.",
            "train_first_gradients_reused"),
    Mistake("train", "given params modified",
            "Work on a new dict (params = dict(params)) so the caller's params stay unchanged.",
            "train_modifies_params"),
]

"""Classic wrong variants of the `gradient_check` functions (mutation tests and hints).

Executed in a namespace that already holds reference.py's globals (``np``, private helpers).
"""

from autograder.grading.mistakes import Mistake


def _forward_differences(f, x, h):
    grad = np.zeros(x.shape)
    f_here = f(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        grad[index] = (f(x) - f_here) / h
        x[index] = original
    return grad


def _backward_differences(f, x, h):
    grad = np.zeros(x.shape)
    f_here = f(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original - h
        grad[index] = (f_here - f(x)) / h
        x[index] = original
    return grad


def numerical_gradient_backward(f, x, h=1e-5):
    return _backward_differences(f, x, h)


def gradient_check_of_norms(f, grad_f, x, h=1e-5):
    analytic = np.array(grad_f(x))
    numeric = _centred_differences(f, x, h)
    return float(np.linalg.norm(analytic - numeric) / max(1e-8, np.linalg.norm(analytic) + np.linalg.norm(numeric)))


def numerical_gradient_forward(f, x, h=1e-5):
    return _forward_differences(f, x, h)


def numerical_gradient_over_h(f, x, h=1e-5):
    return _centred_differences(f, x, h) * 2


def numerical_gradient_not_restored(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        grad[index] = (f_plus - f(x)) / (2 * h)
    return grad


def numerical_gradient_perturbs_copy(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    flat = x.flatten()  # a copy: f never sees the perturbation
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        f_plus = f(x)
        flat[i] = original - h
        f_minus = f(x)
        flat[i] = original
        grad.flat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def numerical_gradient_fixed_h(f, x, h=1e-5):
    return _centred_differences(f, x, 1e-5)


def numerical_gradient_basis_not_reshaped(f, x, h=1e-5):
    # Rows of np.eye(x.size) are flat: added to an x of more than one axis they broadcast wrongly or fail.
    basis = np.eye(x.size)
    grad = np.zeros(x.size)
    for i in range(x.size):
        grad[i] = (f(x + h * basis[i]) - f(x - h * basis[i])) / (2 * h)
    return grad.reshape(x.shape)


def numerical_gradient_array_ignores_df(f, x, df, h=1e-5):
    return _centred_differences(lambda z: np.sum(f(z)), x, h)


def numerical_gradient_array_df_outside(f, x, df, h=1e-5):
    return _centred_differences(lambda z: np.sum(f(z)), x, h) * df


def numerical_gradient_array_forward(f, x, df, h=1e-5):
    return _forward_differences(lambda z: np.sum(f(z) * df), x, h)


def numerical_gradient_array_fixed_h(f, x, df, h=1e-5):
    return _centred_differences(lambda z: np.sum(f(z) * df), x, 1e-5)


def numerical_gradient_all_at_once(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        grad[index] = (f(x + h) - f(x - h)) / (2 * h)
    return grad


def relative_error_without_max(a, b):
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def numerical_gradient_precedence(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + h
        f_plus = f(x)
        x[index] = original - h
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / 2 * h
    return grad


def relative_error_ratio_of_maxima(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient_relative_step(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        step = h * max(1.0, abs(original))
        x[index] = original + step
        f_plus = f(x)
        x[index] = original - step
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error_abs_of_sum(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))


def relative_error_no_floor(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))


def relative_error_max_denominator(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))))


def relative_error_mean(a, b):
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def relative_error_floor_added(a, b):
    return float(np.max(np.abs(a - b) / (1e-8 + np.abs(a) + np.abs(b))))


def relative_error_of_norms(a, b):
    return float(np.linalg.norm(a - b) / max(1e-8, np.linalg.norm(a) + np.linalg.norm(b)))


def gradient_check_forward(f, grad_f, x, h=1e-5):
    return _relative_error(np.array(grad_f(x)), _forward_differences(f, x, h))


def gradient_check_fixed_h(f, grad_f, x, h=1e-5):
    return _relative_error(np.array(grad_f(x)), _centred_differences(f, x, 1e-5))


def gradient_check_no_floor(f, grad_f, x, h=1e-5):
    analytic = np.array(grad_f(x))
    numeric = _centred_differences(f, x, h)
    return float(np.max(np.abs(analytic - numeric) / (np.abs(analytic) + np.abs(numeric))))


def gradient_check_mean(f, grad_f, x, h=1e-5):
    analytic = np.array(grad_f(x))
    numeric = _centred_differences(f, x, h)
    return float(np.mean(np.abs(analytic - numeric) / np.maximum(1e-8, np.abs(analytic) + np.abs(numeric))))


# A step of the student's own instead of h: 1e-5 ("step size h ignored": right whenever h is left out)
# and 1e-4 (also wrong at the default h, by about 1.5e-6 relative on the steep exponential).
def numerical_gradient_fixed_h_1e4(f, x, h=1e-5):
    return _centred_differences(f, x, 1e-4)


def numerical_gradient_array_fixed_h_1e4(f, x, df, h=1e-5):
    return _centred_differences(lambda z: np.sum(f(z) * df), x, 1e-4)


def gradient_check_fixed_h_1e4(f, grad_f, x, h=1e-5):
    return _relative_error(np.array(grad_f(x)), _centred_differences(f, x, 1e-4))


def numerical_gradient_array_mean(f, x, df, h=1e-5):
    return _centred_differences(lambda z: np.mean(f(z) * df), x, h)


def numerical_gradient_array_matrix_product(f, x, df, h=1e-5):
    # np.dot(out, df.T) equals the elementwise sum only for 1-D outputs: on (N, M) it mixes rows.
    return _centred_differences(lambda z: np.sum(np.dot(f(z), np.transpose(df))), x, h)


MISTAKES = [
    Mistake("numerical_gradient", "forward differences",
            "Use centred differences (f(x+h) - f(x-h)) / 2h: forward differences (f(x+h) - f(x)) / h are "
            "only first-order accurate.", "numerical_gradient_forward"),
    Mistake("numerical_gradient", "backward differences",
            "Use centred differences (f(x+h) - f(x-h)) / 2h: one-sided differences (f(x) - f(x-h)) / h are "
            "only first-order accurate.", "numerical_gradient_backward"),
    Mistake("numerical_gradient", "every entry perturbed at once",
            "x + h adds h to EVERY entry: perturb one entry at a time (x[i] += h, evaluate, restore) so that each "
            "difference measures one partial derivative.", "numerical_gradient_all_at_once"),
    Mistake("numerical_gradient", "step relative to x",
            "Perturb each entry by exactly h (x[i] + h and x[i] - h) and divide by 2*h: a step scaled by |x[i]| "
            "must also be the step you divide by.", "numerical_gradient_relative_step"),
    Mistake("numerical_gradient", "2*h without parentheses",
            "(f_plus - f_minus) / 2 * h divides by 2 and then MULTIPLIES by h: write / (2 * h).",
            "numerical_gradient_precedence"),
    Mistake("numerical_gradient", "divided by h instead of 2h",
            "The two evaluations are 2h apart, so divide their difference by 2*h.", "numerical_gradient_over_h"),
    Mistake("numerical_gradient", "x not restored",
            "Put each entry of x back to its original value after the two evaluations; otherwise later "
            "entries are differentiated at a shifted point and the caller's x is changed.",
            "numerical_gradient_not_restored"),
    Mistake("numerical_gradient", "perturbed a copy of x",
            "x.flatten() returns a copy, so f never sees your perturbation and every difference is 0. "
            "Perturb x itself (np.nditer / np.ndindex, or x.reshape(-1) on a contiguous x).",
            "numerical_gradient_perturbs_copy"),
    Mistake("numerical_gradient", "step size h ignored",
            "Use the h you are given instead of a fixed 1e-5.", "numerical_gradient_fixed_h"),
    Mistake("numerical_gradient", "fixed step 1e-4 instead of h",
            "Use the h you are given (by keyword, by position, or its default 1e-5) instead of a fixed step of your "
            "own: with 1e-4 even the default step case is off by more than the tolerance.", "numerical_gradient_fixed_h_1e4"),
    Mistake("numerical_gradient", "basis vector not reshaped",
            "np.eye(x.size)[i] is flat (x.size,): added to an x of shape (m, n) it broadcasts wrongly or fails. "
            "Reshape it to x.shape (np.eye(x.size)[i].reshape(x.shape)), or perturb x[index] in place over "
            "np.ndindex(x.shape).", "numerical_gradient_basis_not_reshaped", also_breaks=("gradient_check",)),
    Mistake("numerical_gradient_array", "upstream gradient df ignored",
            "Differentiate sum(f(x) * df), not sum(f(x)): weight each output by df before summing.",
            "numerical_gradient_array_ignores_df"),
    Mistake("numerical_gradient_array", "df applied after differentiating",
            "Multiply f(x) by df inside the difference, before summing; multiplying the result by df "
            "only works for elementwise f with outputs the shape of x.", "numerical_gradient_array_df_outside"),
    Mistake("numerical_gradient_array", "mean instead of sum",
            "Differentiate sum(f(x) * df): np.mean divides every entry of the gradient by the number of outputs.",
            "numerical_gradient_array_mean"),
    Mistake("numerical_gradient_array", "matrix product instead of elementwise",
            "Weight each output by its own entry of df: sum(f(x) * df), elementwise. np.dot(out, df.T) is a matrix "
            "product, which mixes rows of out with other rows of df once out has two axes.",
            "numerical_gradient_array_matrix_product"),
    Mistake("numerical_gradient_array", "forward differences",
            "Use centred differences (g(x+h) - g(x-h)) / 2h with g = sum(f(x) * df).",
            "numerical_gradient_array_forward"),
    Mistake("numerical_gradient_array", "step size h ignored",
            "Use the h you are given instead of a fixed 1e-5.", "numerical_gradient_array_fixed_h"),
    Mistake("numerical_gradient_array", "fixed step 1e-4 instead of h",
            "Use the h you are given (by keyword, by position, or its default 1e-5) instead of a fixed step of your "
            "own: with 1e-4 even the default step case is off by more than the tolerance.", "numerical_gradient_array_fixed_h_1e4"),
    Mistake("relative_error", "no 1e-8 floor",
            "Divide by maximum(1e-8, |a|+|b|): where both entries are 0 the plain ratio is 0/0 = NaN.",
            "relative_error_no_floor"),
    Mistake("relative_error", "max(|a|, |b|) as denominator",
            "The denominator is |a| + |b| (floored at 1e-8), not the larger of the two.",
            "relative_error_max_denominator"),
    Mistake("relative_error", "|a + b| instead of |a| + |b|",
            "The denominator is |a| + |b|: |a + b| is 0 when a = -b, exactly when the two disagree most.",
            "relative_error_abs_of_sum"),
    Mistake("relative_error", "ratio of maxima",
            "Take the max of the entrywise ratios |a-b| / max(1e-8, |a|+|b|), not max|a-b| over max(|a|+|b|): a small "
            "entry that is wrong must show.", "relative_error_ratio_of_maxima"),
    Mistake("relative_error", "max missing",
            "Return one number, the largest entrywise relative error: take np.max of the array of ratios.",
            "relative_error_without_max"),
    Mistake("relative_error", "mean instead of max",
            "Return the largest entrywise relative error, not their mean: one wrong entry must show.",
            "relative_error_mean"),
    Mistake("relative_error", "1e-8 added instead of used as a floor",
            "Use maximum(1e-8, |a|+|b|), not |a|+|b|+1e-8: the two differ for tiny values.",
            "relative_error_floor_added"),
    Mistake("relative_error", "relative error of norms",
            "Compute the relative error entry by entry and take the max, not a ratio of norms.",
            "relative_error_of_norms"),
    Mistake("gradient_check", "forward differences",
            "Compare grad_f(x) with centred differences (f(x+h) - f(x-h)) / 2h.", "gradient_check_forward"),
    Mistake("gradient_check", "step size h ignored",
            "Pass your h to the numerical gradient instead of a fixed 1e-5.", "gradient_check_fixed_h"),
    Mistake("gradient_check", "fixed step 1e-4 instead of h",
            "Pass your h to the numerical gradient instead of a fixed step of your own (1e-4 here).",
            "gradient_check_fixed_h_1e4"),
    Mistake("gradient_check", "no 1e-8 floor",
            "Where both gradients are 0 the plain ratio is 0/0 = NaN: divide by maximum(1e-8, |a|+|b|).",
            "gradient_check_no_floor"),
    Mistake("gradient_check", "relative error of norms",
            "Compute the relative error entry by entry and take the max, not a ratio of norms: one wrong entry "
            "among many correct ones must show.", "gradient_check_of_norms"),
    Mistake("gradient_check", "mean instead of max",
            "Report the largest entrywise relative error: a gradient wrong in one entry must not pass.",
            "gradient_check_mean"),
]

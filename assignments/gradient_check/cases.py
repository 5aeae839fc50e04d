"""Case generators for the `gradient_check` exercise (named in spec.toml).

``f`` and ``grad_f`` are grader probes (probes.py). Data-bound probes are built by a setup
call that sends nothing back; the graded calls receive the closures through ``Ref``.
"""

import numpy as np

from autograder.grading.cases import Call, Case, Probe, Ref, call

# x may be perturbed while numerical_gradient / numerical_gradient_array work, if restored.
X_RESTORED = frozenset({"1"})
# gradient_check(f, grad_f, x, h): x is the third argument.
GC_X_RESTORED = frozenset({"2"})


def _distinct(rng, count, low=2, high=8):
    """Return ``count`` distinct ints in [low, high) so a transposed result cannot hide."""
    return [int(size) for size in rng.choice(np.arange(low, high), size=count, replace=False)]


def _setup(probe, *args):
    """Return the call that builds a data-bound probe; its result stays in the sandbox."""
    return Call(function=f"probe:{probe}", args=args, send_result=False, send_args=False)


def _least_squares_problem(rng, n, d, k=None):
    A = rng.normal(size=(n, d))
    b = rng.normal(size=(n,) if k is None else (n, k))
    x = rng.normal(size=(d,) if k is None else (d, k))
    return A, b, x


def _least_squares_case(function, rng, n, d, k=None, label="", restored=X_RESTORED, **kwargs):
    """A case whose first call builds the least-squares (f, grad_f) pair."""
    A, b, x = _least_squares_problem(rng, n, d, k)
    return Case(
        [_setup("least_squares", A, b), call(function, Ref(0, (0,)), x, **kwargs)],
        label=label,
        restored=restored,
    )


# numerical_gradient --------------------------------------------------------------------------


def numerical_gradient_random_shapes(rng):
    """Least squares in a vector and a matrix of distinct sizes, and log-sum-exp (couples entries)."""
    n, d, k = _distinct(rng, 3)
    return [
        _least_squares_case("numerical_gradient", rng, n, d, label=f"least squares, A ({n}, {d}), x ({d},)"),
        _least_squares_case("numerical_gradient", rng, n, d, k, label=f"least squares, A ({n}, {d}), x ({d}, {k})"),
        Case([call("numerical_gradient", Probe("log_sum_exp"), rng.normal(size=(k, d)))],
             label=f"log-sum-exp, x ({k}, {d})", restored=X_RESTORED),
    ]


def numerical_gradient_edge_cases(rng):
    """One-entry x, a single data row, exact zeros in x and a 3-D x."""
    n, d = _distinct(rng, 2)
    zeros_3d = rng.normal(size=(2, 3, 2))
    zeros_3d[0, 1, :] = 0.0
    zeros_3d[1, 2, 1] = 0.0
    return [
        _least_squares_case("numerical_gradient", rng, n, 1, label=f"least squares, x (1,), N={n}"),
        _least_squares_case("numerical_gradient", rng, 1, d, label=f"least squares, N=1, x ({d},)"),
        Case([call("numerical_gradient", Probe("sum_of_squares"), zeros_3d)],
             label="sum of squares, 3-D x (2, 3, 2) with exact zeros", restored=X_RESTORED),
        Case([call("numerical_gradient", Probe("log_sum_exp"), rng.normal(size=(3, 2, 2)))],
             label="log-sum-exp, 3-D x (3, 2, 2)", restored=X_RESTORED),
    ]


def _steep_x(rng, *shape, width=0.1):
    """Points where the steep exponential probes stay moderate (see probes.STEEPNESS)."""
    return rng.uniform(-width, width, size=shape)


# gradient_check's steep exponential at the default h: its relative error (1.5e-8 / 2) must be
# known to 1e-2, but rounding of f (a sum over every entry) over 2h misses the smallest entries'
# differences by eps * f / (h * exp(30 x_i) / 30): at x in [-0.1, 0.1] that moves the error by up
# to 5%, so a right file perturbing x by +h, -2h, +h (a last-bit different point) lost the check on
# 3% of draws (hidden seed 101). At x in [-0.02, 0.02] it moves by < 0.1%; the centred differences'
# error does not depend on x, and a default h of 2e-5, 5e-6 or 1e-6 to 1e-8 stays off by > 19%.
CONDITIONED_STEEP_WIDTH = 0.02


def numerical_gradient_step_size(rng):
    """The default h (on a steep function, where h=1e-3 would be off by 1e-4) and large steps h
    (by keyword and by position), where forward and centred differences part ways."""
    n, d = _distinct(rng, 2)
    return [
        Case([call("numerical_gradient", Probe("steep_exponential"), _steep_x(rng, n))],
             label=f"steep exponential, x ({n},), default h", restored=X_RESTORED),
        Case([call("numerical_gradient", Probe("sum_of_cubes"), rng.uniform(0.1, 1.0, size=(n,)), h=1e-2)],
             label=f"sum of cubes, x ({n},), h=1e-2", restored=X_RESTORED),
        Case([call("numerical_gradient", Probe("log_sum_exp"), rng.normal(size=(d, n)), 1e-3)],
             label=f"log-sum-exp, x ({d}, {n}), h=1e-3 passed by position", restored=X_RESTORED),
        _least_squares_case("numerical_gradient", rng, n, d, h=1e-3,
                            label=f"least squares, A ({n}, {d}), h=1e-3"),
    ]


# numerical_gradient_array --------------------------------------------------------------------


def _affine_case(rng, n, d, m, label, **kwargs):
    W = rng.normal(size=(d, m))
    c = rng.normal(size=(m,))
    x = rng.normal(size=(n, d))
    df = rng.normal(size=(n, m))
    return Case([_setup("affine_map", W, c), call("numerical_gradient_array", Ref(0), x, df, **kwargs)],
                label=label, restored=X_RESTORED)


def numerical_gradient_array_random_shapes(rng):
    """An affine map (N, D) -> (N, M) of distinct sizes, a row softmax and an elementwise tanh."""
    n, d, m = _distinct(rng, 3)
    return [
        _affine_case(rng, n, d, m, f"x @ W + c, x ({n}, {d}), df ({n}, {m})"),
        Case([call("numerical_gradient_array", Probe("row_softmax"), rng.normal(size=(n, d)),
                   rng.normal(size=(n, d)))],
             label=f"row softmax, x ({n}, {d})", restored=X_RESTORED),
        Case([call("numerical_gradient_array", Probe("elementwise_tanh"), rng.normal(size=(d, n)),
                   rng.normal(size=(d, n)))],
             label=f"tanh, x ({d}, {n})", restored=X_RESTORED),
    ]


def numerical_gradient_array_edge_cases(rng):
    """N = 1 and D = 1 affine maps, a 3-D tanh, the default h on a steep function and large steps h
    (keyword and position)."""
    n, d, m = _distinct(rng, 3)
    return [
        Case([call("numerical_gradient_array", Probe("elementwise_steep_exponential"), _steep_x(rng, d, n),
                   rng.normal(size=(d, n)))],
             label=f"steep exponential, x ({d}, {n}), default h", restored=X_RESTORED),
        _affine_case(rng, 1, d, m, f"x @ W + c, N=1, D={d}, M={m}"),
        _affine_case(rng, n, 1, m, f"x @ W + c, N={n}, D=1, M={m}"),
        Case([call("numerical_gradient_array", Probe("elementwise_tanh"), rng.normal(size=(2, 3, 2)),
                   rng.normal(size=(2, 3, 2)))],
             label="tanh, 3-D x (2, 3, 2)", restored=X_RESTORED),
        Case([call("numerical_gradient_array", Probe("elementwise_tanh"), rng.normal(size=(n,)),
                   rng.normal(size=(n,)), h=1e-2)],
             label=f"tanh, x ({n},), h=1e-2", restored=X_RESTORED),
        Case([call("numerical_gradient_array", Probe("row_softmax"), rng.normal(size=(m, n)),
                   rng.normal(size=(m, n)), 1e-3)],
             label=f"row softmax, x ({m}, {n}), h=1e-3 passed by position", restored=X_RESTORED),
    ]


# relative_error ------------------------------------------------------------------------------


def relative_error_random_arrays(rng):
    """Nearly equal and unrelated arrays, 1-D to 3-D."""
    n, d, k = _distinct(rng, 3)
    close = rng.normal(size=(n, d))
    cases = [
        Case([call("relative_error", close, close * (1 + 1e-4 * rng.normal(size=(n, d))))],
             label=f"nearly equal ({n}, {d})"),
        Case([call("relative_error", rng.normal(size=(k,)), rng.normal(size=(k,)))], label=f"unrelated ({k},)"),
        Case([call("relative_error", rng.normal(size=(2, k, 3)), rng.normal(size=(2, k, 3)))],
             label=f"unrelated 3-D (2, {k}, 3)"),
    ]
    return cases


def relative_error_zeros_and_tiny(rng):
    """Exact zeros on both sides, values below the 1e-8 floor, opposite signs and one-entry arrays."""
    n = _distinct(rng, 1, 4, 9)[0]
    a = rng.normal(size=(n,))
    b = a + 1e-7 * rng.normal(size=(n,))
    a[0] = b[0] = 0.0
    a[1], b[1] = 3e-9, -2e-9
    tiny_a = 1e-10 * rng.uniform(1.0, 5.0, size=(2, n))
    return [
        Case([call("relative_error", np.zeros((2, n)), np.zeros((2, n)))], label="both zero"),
        Case([call("relative_error", a, b)], label="zeros and values below 1e-8 among close values"),
        Case([call("relative_error", tiny_a, np.zeros((2, n)))], label="tiny values against zeros"),
        Case([call("relative_error", np.array([2.0]), np.array([-1.0]))], label="opposite signs, shape (1,)"),
    ]


# gradient_check ------------------------------------------------------------------------------


def _least_squares_check(rng, n, d, k=None, wrong=None, label="", **kwargs):
    """Least squares with its right gradient, or one with ``wrong = (flat_indices, offsets)`` added."""
    A, b, x = _least_squares_problem(rng, n, d, k)
    calls = [_setup("least_squares", A, b)]
    gradient = Ref(0, (1,))
    if wrong is not None:
        calls.append(_setup("with_wrong_entries", gradient, *wrong))
        gradient = Ref(1)
    calls.append(call("gradient_check", Ref(0, (0,)), gradient, x, **kwargs))
    return Case(calls, label=label, restored=GC_X_RESTORED)


# The relative error of a steep exponential's right gradient is the centred differences' own
# error, known to well within 1e-2 (see CONDITIONED_STEEP_WIDTH): compared relatively, so that
# returning 0.0 cannot pass for it.
STEEP = {"rtol": 1e-2, "atol": 0.0}


def gradient_check_right_gradients(rng):
    """Right analytic gradients: the relative error is tiny (compared with atol=1e-7), or, on a
    steep exponential, exactly the error of centred differences at that h (compared relatively)."""
    n, d, k = _distinct(rng, 3)
    zeros = rng.normal(size=(d, k))
    zeros[0, :] = 0.0
    return [
        Case([call("gradient_check", Probe("steep_exponential"), Probe("steep_exponential_gradient"),
                   _steep_x(rng, d), h=1e-3)],
             label=f"steep exponential, x ({d},), h=1e-3", restored=GC_X_RESTORED, **STEEP),
        _least_squares_check(rng, n, d, label=f"least squares, x ({d},)"),
        _least_squares_check(rng, n, d, k, label=f"least squares, x ({d}, {k})"),
        _least_squares_check(rng, n, d, h=1e-3, label=f"least squares, x ({d},), h=1e-3"),
        Case([call("gradient_check", Probe("log_sum_exp"), Probe("log_sum_exp_gradient"), rng.normal(size=(k, n)))],
             label=f"log-sum-exp, x ({k}, {n})", restored=GC_X_RESTORED),
        Case([call("gradient_check", Probe("sum_of_squares"), Probe("sum_of_squares_gradient"), zeros)],
             label=f"sum of squares, x ({d}, {k}) with a row of exact zeros (gradient 0 there)",
             restored=GC_X_RESTORED),
    ]


def gradient_check_wrong_entries(rng):
    """Analytic gradients wrong in a few entries: the error is that of the worst entry."""
    n, d, k = _distinct(rng, 3)
    return [
        _least_squares_check(rng, n, d, wrong=([0, d - 1], np.array([0.5, -0.05])),
                             label=f"least squares, x ({d},), 2 wrong entries"),
        _least_squares_check(rng, n, d, k, wrong=([1], np.array([1e-3])),
                             label=f"least squares, x ({d}, {k}), 1 slightly wrong entry"),
    ]


def gradient_check_step_size(rng):
    """The default h on a steep exponential (h=1e-3 would give 1e4 times its error) and a large
    step h on a cubic, where centred differences are off by exactly h**2 per entry."""
    n = _distinct(rng, 1, 3, 8)[0]
    return [
        Case([call("gradient_check", Probe("steep_exponential"), Probe("steep_exponential_gradient"),
                   _steep_x(rng, 2, n, width=CONDITIONED_STEEP_WIDTH))],
             label=f"steep exponential, x (2, {n}), default h", restored=GC_X_RESTORED, **STEEP),
        Case([call("gradient_check", Probe("sum_of_cubes"), Probe("sum_of_cubes_gradient"),
                   rng.uniform(0.2, 1.0, size=(n,)), h=1e-2)],
             label=f"sum of cubes, x ({n},), h=1e-2", restored=GC_X_RESTORED),
        Case([call("gradient_check", Probe("sum_of_cubes"), Probe("sum_of_cubes_gradient"),
                   rng.uniform(-1.0, -0.2, size=(2, n)), 1e-3)],
             label=f"sum of cubes, x (2, {n}), h=1e-3 passed by position", restored=GC_X_RESTORED),
    ]

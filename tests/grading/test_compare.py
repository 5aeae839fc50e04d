"""Comparison of returned values: structure, exact shapes, dtypes, non-finite values, tolerances."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.grading.compare import compare_values, unchanged_difference
from autograder.sandbox.codec import Unsupported

RTOL, ATOL = 1e-6, 1e-9


@pytest.mark.parametrize("got", [1.5, np.float64(1.5), np.array(1.5), 1.5 + 1e-9, 2 - 0.5])
def test_scalar_accepts_float_numpy_scalar_and_0d(got):
    assert compare_values(1.5, got, RTOL, ATOL) is None


@pytest.mark.parametrize("got", [np.float32(1.5), np.array(1.5, dtype=np.float32), np.array([1.5], dtype=np.float16)[0],
                                 np.ones(3, dtype=np.float32)])
def test_low_precision_result_fails_where_float64_is_expected(got):
    expected = 1.5 if np.ndim(got) == 0 else np.ones(3)
    mismatch = compare_values(expected, got, RTOL, ATOL)
    assert mismatch is not None and mismatch.reason.startswith(f"returned {got.dtype}: compute in float64")
    assert mismatch.hidden_text() == f"returned {got.dtype}: compute in float64"


def test_low_precision_rule_needs_float64_expected():
    assert compare_values(np.ones(2, dtype=np.float32), np.ones(2, dtype=np.float32), RTOL, ATOL) is None


@pytest.mark.parametrize("got", [[1.0, 2.0, 3.0], (1.0, 2.0, 3.0), np.array([1.0, 2.0, 3.0]),
                                 [np.float64(1.0), 2.0, np.array(3.0)]])
def test_sequence_of_numbers_may_be_list_tuple_or_1d_array(got):
    assert compare_values([1.0, 2.0, 3.0], got, RTOL, ATOL, names=()) is None


@pytest.mark.parametrize("got, reason", [
    (np.array([1.0, 2.0]), "expected 3 values"), (np.ones((3, 1)), "expected a sequence"),
    (np.array([1.0, 2.0, 4.0]), "wrong values"), (np.array([1.0, 2.0, 3.0], dtype=np.float32), "float32"),
])
def test_sequence_rule_still_checks_length_values_and_dtype(got, reason):
    assert reason in compare_values([1.0, 2.0, 3.0], got, RTOL, ATOL).reason


def test_entries_are_named_by_the_contract():
    mismatch = compare_values((np.ones(2), np.ones(3), 0.0), (np.ones(2), np.zeros(3), 0.0), RTOL, ATOL,
                              names=("dx", "dw", "db"))
    assert mismatch.reason == "wrong values in dw"
    nested = compare_values((1.0, {"v": np.ones(2)}), (1.0, {"v": np.zeros(2)}), RTOL, ATOL, names=("next_w", "config"))
    assert nested.reason == "wrong values in config['v']"


def test_values_printing_alike_at_six_digits_are_shown_with_more():
    mismatch = compare_values(1.1284513, 1.1284527, RTOL, ATOL)
    assert mismatch.details[:2] == ["expected: 1.1284513", "got:      1.1284527"]
    array = compare_values(np.array([2.0, 1.1284513]), np.array([2.0, 1.1284527]), RTOL, ATOL)
    assert "expected 1.1284513, got 1.1284527" in array.details[2]


def test_expected_zero_reports_absolute_error():
    text = "\n".join(compare_values(np.zeros(3), np.array([0.0, 1e-3, 0.0]), RTOL, ATOL).details)
    assert "max absolute error 0.001 where 0 is expected" in text and "relative" not in text
    mixed = "\n".join(compare_values(np.array([0.0, 2.0]), np.array([1.0, 2.0]), RTOL, ATOL).details)
    assert "e+" not in mixed and "where the expected value is not 0" in mixed


@pytest.mark.parametrize("got, reason", [
    (np.array([1.5]), "wrong shape"),
    ([1.5], "expected a number"),
    (True, "bool"),
    (np.array(1.5 + 0j), "dtype complex128"),
    (np.array("1.5"), "dtype <U3"),
    (None, "got None"),
])
def test_scalar_rejects_other_kinds(got, reason):
    mismatch = compare_values(1.5, got, RTOL, ATOL)
    assert mismatch is not None and reason in mismatch.reason


def test_shape_is_exact_not_broadcastable():
    expected = np.arange(4.0)
    assert "expected shape (4,), got shape (4, 1)" in compare_values(expected, expected[:, None], RTOL, ATOL).reason
    assert "got shape (0,)" in compare_values(expected, np.zeros(0), RTOL, ATOL).reason
    assert "wrong shape" in compare_values(expected, np.float64(1.0), RTOL, ATOL).reason


def test_bool_array_rejected_even_with_equal_values():
    mismatch = compare_values(np.array([1.0, 0.0]), np.array([True, False]), RTOL, ATOL)
    assert "dtype bool" in mismatch.reason


def test_unsupported_value_reports_its_description():
    mismatch = compare_values(np.zeros(2), Unsupported("array of dtype object and shape (2,)"), RTOL, ATOL)
    assert "object" in mismatch.reason


def test_nan_where_reference_is_finite_fails_with_positions():
    got = np.array([[1.0, np.nan], [np.inf, 4.0]])
    mismatch = compare_values(np.array([[1.0, 2.0], [3.0, 4.0]]), got, RTOL, ATOL)
    assert "NaN/inf" in mismatch.reason and "2 of 4" in mismatch.reason
    assert "(0, 1), (1, 0)" in mismatch.details[0]


def test_values_report_worst_index_and_errors():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = expected.copy()
    got[1, 0] = 3.5
    mismatch = compare_values(expected, got, RTOL, ATOL)
    text = "\n".join([mismatch.reason, *mismatch.details])
    assert "1 of 4 elements differ" in text and "index (1, 0)" in text
    assert "max absolute error 0.5" in text


def test_tolerances_apply():
    assert compare_values(1.0, 1.0 + 5e-7, RTOL, ATOL) is None
    assert compare_values(1.0, 1.0 + 5e-6, RTOL, ATOL) is not None
    assert compare_values(1.0, 1.0 + 5e-6, 1e-4, ATOL) is None


def test_structure_length_and_dict_keys():
    assert "expected 2 values" in compare_values((1.0, 2.0), (1.0,), RTOL, ATOL).reason
    assert compare_values((np.ones(2), 1.0), [np.ones(2), 1.0], RTOL, ATOL) is None
    mismatch = compare_values({"w": np.ones(2), "b": 0.0}, {"w": np.ones(2), "c": 0.0}, RTOL, ATOL)
    assert "missing key(s) 'b'" in mismatch.reason and "unexpected key(s) 'c'" in mismatch.reason
    nested = compare_values({"w": np.ones(2)}, {"w": np.zeros(2)}, RTOL, ATOL)
    assert "['w']" in nested.reason


def test_hidden_comparison_does_not_show_values():
    mismatch = compare_values(np.array([1.25, 2.5]), np.array([9.75, 2.5]), RTOL, ATOL, show_values=False)
    text = "\n".join([mismatch.reason, *mismatch.details])
    assert "1.25" not in text and "9.75" not in text and "1 of 2" not in text and "relative" not in text
    assert mismatch.hidden_text() == "wrong values"
    shape = compare_values(np.ones((3, 2)), np.ones((2, 3)), RTOL, ATOL, show_values=False)
    assert shape.hidden_text() == "wrong shape"
    nonfinite = compare_values(np.ones(5), np.array([1.0, np.nan, 1, 1, 1]), RTOL, ATOL, show_values=False)
    assert "(" not in nonfinite.reason and "NaN" in nonfinite.hidden_text()


def test_unchanged_difference_exact_and_restored():
    original = np.array([1.0, 2.0, 3.0])
    assert unchanged_difference(original, original.copy(), restored=False) is None
    changed = original.copy()
    changed[2] = 0.0
    assert "index (2,)" in unchanged_difference(original, changed, restored=False, path="x")
    nearly = original * (1 + 1e-14)
    assert unchanged_difference(original, nearly, restored=True) is None
    assert unchanged_difference(original, nearly, restored=False) is not None
    assert "keys added: 'v'" in unchanged_difference({"lr": 0.1}, {"lr": 0.1, "v": 1.0}, restored=False)


@pytest.mark.parametrize("original", [
    np.array([[1.0, np.nan], [-0.0, np.inf]]), np.array([1 + 2j, complex(np.nan, 1.0)]), np.arange(4, dtype=np.int32),
    np.array(2.5), np.array([True, False]), np.array([1.0, 2.0], dtype=">f8")[::-1],
])
def test_an_argument_sent_back_bit_for_bit_is_judged_as_without_the_shortcut(original):
    """The byte comparison that spares the usual case gives what the element-wise rules give."""
    from autograder.grading import compare

    after = np.array(original, order="C")  # a copy, as one decoded from the child
    got = unchanged_difference(original, after, restored=False)
    if original.dtype.kind == "b":
        assert got is not None  # not a number: the element-wise rule counts every element as changed
    else:
        assert got is None
    assert unchanged_difference(original, after, restored=True) == compare._unchanged_difference(
        original, after, True, "")


@pytest.mark.parametrize("have, want", [
    ([1.0, 2.0], [1.0, 2.0 + 1e-7]), ([1.0, 2.0], [1.0, 2.1]), ([np.inf, 1.0], [np.inf, 1.0]),
    ([np.inf], [-np.inf]), ([np.nan], [np.nan]), ([np.nan], [1.0]), ([0.0], [1e-10]), ([0.0], [1e-8]),
    ([1e300], [-1e300]), ([5.0], [np.inf]),
])
def test_all_close_agrees_with_numpy(have, want):
    from autograder.grading.compare import all_close

    have, want = np.array(have), np.array(want)
    assert all_close(have, want, 1e-6, 1e-9) == np.allclose(have, want, rtol=1e-6, atol=1e-9, equal_nan=True)


def test_float32_precision_converted_to_float64_is_named():
    expected = np.sin(np.linspace(0.1, 2.0, 6))
    converted = np.sin(np.linspace(0.1, 2.0, 6).astype(np.float32)).astype(np.float64)
    mismatch = compare_values(expected, converted, RTOL, ATOL)
    assert mismatch is not None and mismatch.reason.startswith("returned float32 precision: compute in float64")
    scalar = compare_values(float(expected[2]), float(np.float32(expected[2])), RTOL, ATOL)
    assert scalar is not None and scalar.kind == "dtype"


@pytest.mark.parametrize("got", [np.array([0.5, 0.0, 1.25]), np.array([0.5, 1e-17, 1.25]), 0.25])
def test_short_binary_numbers_are_not_mistaken_for_float32(got):
    expected = np.array([0.5, 1e-17, 1.25]) if np.ndim(got) else 0.25 + 1e-12
    assert compare_values(expected, got, RTOL, ATOL) is None


def test_an_honest_float64_result_short_in_binary_is_not_float32():
    # 19999.5 fits float32 exactly; the reference's last-bit difference is float64 rounding, not float32.
    assert compare_values(19999.5 + 2 * np.spacing(19999.5), 19999.5, RTOL, ATOL) is None


def test_a_cancellation_short_in_binary_is_not_mistaken_for_float32():
    # cross_entropy_grad of the row [-3899.00417159, -3873.35776512] with label 1 (a hidden draw of
    # losses, seed 100): softmax - 1 cancels to exactly -2**-37, and /8 keeps it a power of two. The
    # reference, computed another way, differs by 3e-17 (float64 rounding of a cancellation, far
    # below atol): a float64 result, not a float32 one. 2**-40 fits float32 but not float16's range.
    expected = np.array([[0.125, -0.125], [9.09530369e-13, -9.09522457e-13]])
    got = np.array([[0.125, -0.125], [9.09530369e-13, -2.0**-40]])
    assert compare_values(expected, got, RTOL, ATOL) is None
    # A cancellation keeps up to 24 bits in general (1 - p is a multiple of 2**-53): still float64.
    got[1, 1] = -65535 * 2.0**-53 / 8
    assert compare_values(expected, got, RTOL, ATOL) is None
    # An honest power of two far from 1, as a scalar, is not float32 either.
    assert compare_values(2.0**-40 * (1 + 1e-9), 2.0**-40, RTOL, ATOL) is None


def test_float32_precision_of_small_entries_beside_exact_ones_is_still_named():
    # Exact entries (0.25) agree; the rest computed in float32 differ far beyond float64 rounding.
    expected = np.array([0.25, -0.25, *np.sin(np.linspace(0.1, 2.0, 6))])
    converted = expected.astype(np.float32).astype(np.float64)
    mismatch = compare_values(expected, converted, RTOL, ATOL)
    assert mismatch is not None and mismatch.reason.startswith("returned float32 precision: compute in float64")


def test_integer_labels_returned_as_floats_fail_on_dtype():
    # iterate_minibatches with int64 labels: y_batch.astype(float) holds the same numbers, but labels that
    # are floats no longer index (log_probs[np.arange(n), y] raises). Found by conformance round 9.
    labels = np.array([2, 0, 1], dtype=np.int64)
    mismatch = compare_values(labels, labels.astype(np.float64), 1e-6, 1e-9)
    assert mismatch is not None and "integer" in mismatch.reason
    assert compare_values(labels, labels.copy(), 1e-6, 1e-9) is None
    assert compare_values(labels, labels.astype(np.int32), 1e-6, 1e-9) is None  # any integers are labels
    # Where floats are expected, integers keep being read as numbers.
    assert compare_values(np.array([1.0, 2.0]), np.array([1, 2]), 1e-6, 1e-9) is None

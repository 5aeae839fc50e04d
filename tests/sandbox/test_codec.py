"""The wire format: what round-trips, and what a hostile frame cannot make the grader accept."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from autograder.sandbox import codec


def _frame(header: object, *blobs: bytes) -> bytes:
    text = json.dumps(header).encode()
    body = struct.pack("<I", len(text)) + text
    for blob in blobs:
        body += struct.pack("<Q", len(blob)) + blob
    return struct.pack("<Q", len(body)) + body


@pytest.mark.parametrize("value", [
    np.array(1.5), np.float64(2.0), np.int64(-3), np.arange(6.0).reshape(2, 3).T, np.zeros((0, 4)),
    np.array([True, False]), np.array(["ab", "c"]), np.complex128(1 + 2j), float("nan"), float("-inf"),
    (1, [2.5, None], {"m": np.ones(2), "t": 3}), "text", 2**62,
])
def test_plain_values_round_trip(value):
    decoded = codec.decode(codec.encode(value))
    if isinstance(value, (np.ndarray, np.generic)):
        assert type(decoded) is type(value) and decoded.dtype == value.dtype and decoded.shape == value.shape
        np.testing.assert_array_equal(decoded, value)
    elif isinstance(value, float):
        assert repr(decoded) == repr(value)
    elif isinstance(value, tuple):
        assert decoded[0] == 1 and decoded[1] == [2.5, None] and decoded[2]["t"] == 3
        np.testing.assert_array_equal(decoded[2]["m"], np.ones(2))
    else:
        assert decoded == value


def test_decoded_arrays_are_writeable_copies():
    decoded = codec.decode(codec.encode(np.arange(3.0)))
    decoded[0] = 7.0
    assert decoded.flags.writeable


class Lying(np.ndarray):
    def __eq__(self, other):  # pragma: no cover - never called on the trusted side
        return True


@pytest.mark.parametrize("value, described", [
    (np.array([object()], dtype=object), "dtype object"),
    (lambda: None, "function"),
    ({1: 2}, "non-string keys"),
    (2**70, "too large"),
    (np.zeros(2, dtype=[("a", "f8")]), "dtype"),
])
def test_unsupported_values_arrive_as_descriptions(value, described):
    decoded = codec.decode(codec.encode(value))
    assert isinstance(decoded, codec.Unsupported) and described in decoded.description


def test_ndarray_subclass_arrives_as_plain_array():
    decoded = codec.decode(codec.encode(np.arange(3.0).view(Lying)))
    assert type(decoded) is np.ndarray


@pytest.mark.parametrize("header, blobs, problem", [
    ({"$array": [0, "|O", [1]]}, [b"\0" * 8], "not accepted"),
    ({"$array": [0, "i4,O", [1]]}, [b"\0" * 12], "dtype"),
    ({"$array": [0, "<f8", [3]]}, [b"\0" * 8], "size does not match"),
    ({"$array": [0, "<f8", [-1]]}, [b""], "malformed shape"),
    ({"$array": [1, "<f8", [1]]}, [b"\0" * 8], "bad array reference"),
    ({"$tuple": [{"$array": [0, "<f8", [1]]}, {"$array": [0, "<f8", [1]]}]}, [b"\0" * 8], "bad array reference"),
    ({"$array": [0, "not a dtype", [1]]}, [b"\0" * 8], "dtype"),
    ({"$pickle": "gASVAAAAAAAAAA=="}, [], "unknown tag"),
    ({"$float": "1e999"}, [], "malformed float"),
])
def test_hostile_frames_are_rejected(header, blobs, problem):
    with pytest.raises(codec.CodecError, match=problem):
        codec.decode(_frame(header, *blobs))


def test_size_limit_is_checked_before_reading():
    frame = codec.encode(np.zeros(1000))
    with pytest.raises(codec.CodecError, match="exceeds the limit"):
        codec.decode(frame, max_bytes=100)

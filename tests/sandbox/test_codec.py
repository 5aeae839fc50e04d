"""The wire format: what round-trips, and what a hostile frame cannot make the grader accept."""

from __future__ import annotations

import collections
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


@pytest.mark.parametrize("index", [0, 7, 163, 2**40])
@pytest.mark.parametrize("outcome", [
    {"ok": True, "seconds": 8.6e-05, "value": 3.1011556380144083,
     "args_after": {"0": np.arange(6.0).reshape(2, 3), "1": np.ones((2, 3), dtype=np.float32).T}},
    {"ok": True, "seconds": 0.0, "console_end": 12, "value": (np.float64("nan"), [1, {"k": np.zeros(0)}])},
    {"ok": False, "seconds": 1e-3, "error_type": "ValueError", "error_message": "bad \u00e9\n", "traceback": ["x"]},
    {"ok": True, "seconds": 0.1, "value": np.array([1, "a"], dtype=object), "args_after": {1: 2}},
    {"ok": True, "seconds": float("inf"), "value": collections.OrderedDict(a=2**63)},
])
def test_a_call_frame_is_the_generic_encoding_byte_for_byte(index, outcome):
    # The child writes its call frames with encode_call; the grader must read exactly what encode would make.
    assert codec.encode_call(index, outcome) == codec.encode({"kind": "call", "index": index, "outcome": outcome})


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


class LyingDict(dict):
    def items(self):
        return [("forged", 1.0)]

    def keys(self):
        return ["forged"]

    def __getitem__(self, key):
        return 1.0

    def __iter__(self):
        return iter(["forged"])


class LyingList(list):
    def __iter__(self):
        return iter([99])

    def __getitem__(self, index):
        return 99


class LyingTuple(tuple):
    def __iter__(self):
        return iter([99])

    def __getitem__(self, index):
        return 99


def test_subclassed_containers_arrive_as_plain_containers_of_what_they_hold():
    Pair = collections.namedtuple("Pair", "out cache")
    value = collections.OrderedDict(w=np.ones(2), pair=Pair(1.0, [2]), counts=collections.defaultdict(int, a=3))
    decoded = codec.decode(codec.encode(value))
    assert type(decoded) is dict and list(decoded) == ["w", "pair", "counts"]
    assert type(decoded["pair"]) is tuple and decoded["pair"] == (1.0, [2])
    assert type(decoded["counts"]) is dict and decoded["counts"] == {"a": 3}
    # Read with the base type's own methods: what the container holds, not what it says.
    assert codec.decode(codec.encode(LyingDict(real=2.0))) == {"real": 2.0}
    assert codec.decode(codec.encode(LyingList([1, 2]))) == [1, 2]
    assert codec.decode(codec.encode(LyingTuple((1, 2)))) == (1, 2)
    assert isinstance(codec.decode(codec.encode(LyingDict({1: 2}))), codec.Unsupported)


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


# --- Hostile frames: only the codec's own error, and bounded memory -------------------------------

def _raw_frame(header_text: bytes, blobs: list[bytes]) -> bytes:
    body = struct.pack("<I", len(header_text)) + header_text
    for blob in blobs:
        body += struct.pack("<Q", len(blob)) + blob
    return struct.pack("<Q", len(body)) + body


def _array_frame(dtype: str, shape: list[int], blob: bytes = b"") -> bytes:
    return _frame({"$array": [0, dtype, shape]}, blob)


@pytest.mark.parametrize("frame", [
    _array_frame("|S0", [2**40, 2**40]),
    _array_frame("<U0", [2**26]),
    _array_frame("|V0", [5]),
    _array_frame("<f8", [0, 2**62, 8]),
    _array_frame("<f8", [2**27]),
    _array_frame("<f8", [-1]),
    _raw_frame(b"1" + b"0" * 5000, []),
    _frame(2**64),
    _frame(-(2**63) - 1),
    _frame([1.0, float("nan")]),
    _frame({"$float": "1e999"}),
    struct.pack("<Q", 12) + struct.pack("<I", 2**31) + b"{}",
], ids=["S0 huge", "U0", "V0", "zero beside huge", "too many elements", "negative dim", "5000 digits",
        "past int64", "below int64", "NaN literal", "bad float tag", "header longer than frame"])
def test_hostile_frames_raise_only_the_codec_error(frame):
    with pytest.raises(codec.CodecError):
        codec.decode(frame)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-32"])
def test_an_integer_past_int64_is_refused_in_every_encoding_json_reads(encoding):
    # The 19-digit check reads UTF-8 headers as bytes, the others as text: both must see the run.
    for text in ("[18446744073709551616]", '{"$dict":{"n":-9223372036854775809}}'):
        with pytest.raises(codec.CodecError, match="integer out of range"):
            codec.decode(_raw_frame(text.encode(encoding), []))
    assert codec.decode(_raw_frame("[9223372036854775807]".encode(encoding), [])) == [2**63 - 1]


def test_integers_at_the_edges_of_int64_still_cross():
    assert codec.decode(_frame([2**63 - 1, -(2**63)])) == [2**63 - 1, -(2**63)]


def test_a_header_past_the_cap_is_refused_before_it_is_parsed():
    body = codec.encode({"names": ["a"] * 300_000})[8:]
    with pytest.raises(codec.CodecError, match="header"):
        codec.decode_body(body, max_header_bytes=1 << 20)


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
_tags = st.sampled_from(["$array", "$scalar", "$tuple", "$dict", "$float", "$unsupported", "$ref", "$probe", "$rng",
                         "$other"])
_dtypes = st.sampled_from(["<f8", "<f4", "|S0", "<U0", "|V0", "|V8", "<U2", "|b1", "<c16", "O", "<M8", "f8,f8", "x"])
_shapes = st.lists(st.one_of(st.integers(-2, 4), st.integers(0, 2**64)), max_size=5)


@st.composite
def _hostile_headers(draw):
    tag = draw(_tags)
    if tag in ("$array", "$scalar"):
        payload = [draw(st.integers(-1, 2)), draw(_dtypes), draw(_shapes)]
    else:
        payload = draw(_json_values)
    return {tag: payload}


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(header=st.one_of(_hostile_headers(), _json_values), blobs=st.lists(st.binary(max_size=64), max_size=3))
def test_fuzzed_structured_frames_raise_only_the_codec_error(header, blobs):
    try:
        codec.decode(_raw_frame(json.dumps(header).encode(), blobs))
    except codec.CodecError:
        pass


@_FUZZ
@given(data=st.data())
def test_mutated_real_frames_raise_only_the_codec_error(data):
    value = data.draw(st.sampled_from([
        {"kind": "call", "index": 0, "outcome": {"ok": True, "value": np.arange(6.0).reshape(2, 3)}},
        {"kind": "loaded", "names": ["mse", "softmax"]},
        (np.ones(3, dtype=np.float32), [1, 2.5, "x"], {"v": np.zeros((2, 2))}),
    ]))
    frame = bytearray(codec.encode(value))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(frame) - 1))
        action = data.draw(st.sampled_from(["flip", "insert", "delete", "digits"]))
        if action == "flip":
            frame[position] = data.draw(st.integers(0, 255))
        elif action == "insert":
            frame[position:position] = data.draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del frame[position:position + data.draw(st.integers(1, 16))]
        else:
            frame[position:position] = b"9" * data.draw(st.integers(1, 6000))
    try:
        decoded = codec.decode(bytes(frame))
    except codec.CodecError:
        return
    # Whatever decodes is small: the frame itself bounds it.
    assert _size(decoded) <= 4 * len(frame) + 1024


def _size(value) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(_size(item) for item in value) + 8 * len(value)
    if isinstance(value, dict):
        return sum(_size(item) + len(key) for key, item in value.items())
    return 8

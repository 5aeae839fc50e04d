"""Plain-data wire format between the trusted grader and sandboxed student code.

A message is a JSON header plus raw array buffers (dtype and shape in the header; the
bytes are read back with ``np.frombuffer``, never unpickled).
Only these values cross: None, bool, int, float (NaN/inf allowed), str, list, tuple,
dict with str keys (a subclass of these three as its base container), NumPy arrays and
scalars of non-object dtype. Anything else is
encoded as an ``Unsupported`` marker that says what it was, so the trusted side can
fail the check with a clear message instead of trusting or unpickling it.

Frame layout (all integers little-endian unsigned)::

    u64 total_length | u32 header_length | header JSON | (u64 blob_length | blob)*

The decoder is strict: it checks every length against the frame and a size limit,
loads arrays with ``allow_pickle=False`` and rejects unknown tags.
"""

from __future__ import annotations

import json
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DEPTH = 32
MAX_DIMENSIONS = 32
MAX_ELEMENTS = 1 << 26  # per array: more than any case needs, far less than the grader's memory
MAX_HEADER_BYTES = 1 << 20
ALLOWED_KINDS = "biufcUS"
_INT64_DIGITS = 19
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
# Bound before any student code loads in the child, so that patching json, math or NumPy at
# module level cannot take down the frames of the functions that did nothing wrong.
# No check for cycles: TreeEncoder builds a new tree of containers, never one holding itself.
_dump_json = json.JSONEncoder(allow_nan=False, separators=(",", ":"), check_circular=False).encode
_isfinite = math.isfinite
_ndarray = np.ndarray
_generic = np.generic
_asarray = np.asarray
_array = np.array
_isinstance = isinstance
_issubclass = issubclass
# Plain copies of a subclassed container, read in C from what it holds: none of its own methods
# (__iter__, keys, __getitem__...) runs.
_dict = dict
_dict_items = dict.items
_list_copy = list.copy
_tuple_slice = tuple.__getitem__
_WHOLE = slice(None)
_type = type
_len = len


class EncodeError(ValueError):
    """A strict encoder met a value the format cannot carry."""


class CodecError(ValueError):
    """Raised when a message is malformed, too large or holds a forbidden value."""


@dataclass(frozen=True)
class Unsupported:
    """Stands for a value that cannot cross the boundary (e.g. an object array)."""

    description: str


# Markers used inside call programs (see autograder.sandbox.program).
@dataclass(frozen=True)
class Ref:
    """The result of an earlier call in the same program, optionally indexed by ``path``."""

    call: int
    path: tuple[int | str, ...] = ()


@dataclass(frozen=True)
class Probe:
    """A grader-supplied test function, looked up by name in the assignment's probes module."""

    name: str


@dataclass(frozen=True)
class Rng:
    """A fresh ``numpy.random.default_rng(seed)`` built on the receiving side."""

    seed: int


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of dtype {value.dtype} and shape {value.shape}"
    return f"object of type {type(value).__module__}.{type(value).__qualname__}"


class TreeEncoder:
    """Turn a value into a tree of JSON values with tagged nodes ("$array", "$tuple", "$ref"...).

    The one tagged format of the project: frames on the wire (arrays as blobs, below) and the
    stored suites of starter kits (grading/fixtures.py: arrays in a .npz, dataclass records)
    extend it through :meth:`array_blob` and :meth:`other`. Not strict (the child's side), a
    value it cannot carry becomes an Unsupported marker; strict, it raises EncodeError.
    """

    def __init__(self, strict: bool = False) -> None:
        self.blobs: list[bytes] = []
        self.strict = strict

    def unsupported(self, description: str) -> dict[str, str]:
        if self.strict:
            raise EncodeError(f"cannot store {description}")
        return {"$unsupported": description}

    def other(self, value: Any, depth: int) -> Any:
        """Encode a value of a type the format does not know (extensions override this)."""
        return self.unsupported(_describe(value))

    def array_blob(self, array: np.ndarray) -> list[Any]:
        """Store the raw bytes of ``array``; the header keeps [blob index, dtype, shape]."""
        # ascontiguousarray would turn a 0-d array into shape (1,)
        contiguous = _asarray(array, order="C")
        self.blobs.append(contiguous.tobytes())
        return [len(self.blobs) - 1, contiguous.dtype.str, list(contiguous.shape)]

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            return self.unsupported("value nested too deeply")
        # Exact type checks: subclasses of int/float/str/ndarray are untrusted shapes. The exact
        # types come first, the most frequent in a result frame first (they exclude one another).
        kind = _type(value)
        if kind is str or kind is bool or value is None:
            return value
        if kind is float:
            if _isfinite(value):
                return value
            return {"$float": repr(value)}
        if kind is dict:
            for key in value:
                if _type(key) is not str:
                    return self.unsupported("dict with non-string keys")
            depth += 1
            return {"$dict": {key: self.encode(item, depth) for key, item in value.items()}}
        if kind is _ndarray:
            dtype = value.dtype
            if dtype.hasobject or dtype.kind not in ALLOWED_KINDS or dtype.fields is not None:
                return self.unsupported(_describe(value))
            return {"$array": self.array_blob(value)}
        if kind is int:
            if not -(2**63) <= value < 2**63:
                return self.unsupported("integer too large")
            return value
        if _isinstance(value, _ndarray) or _isinstance(value, _generic):
            array = _asarray(value)
            if _type(value) is not _ndarray and not _isinstance(value, _generic):
                array = _array(value, copy=True, subok=False)
            if array.dtype.hasobject or array.dtype.kind not in ALLOWED_KINDS or array.dtype.fields is not None:
                return self.unsupported(_describe(array))
            tag = "$scalar" if isinstance(value, np.generic) else "$array"
            return {tag: self.array_blob(array)}
        if kind is list:
            return [self.encode(item, depth + 1) for item in value]
        if kind is tuple:
            return {"$tuple": [self.encode(item, depth + 1) for item in value]}
        # A container of a subclass (OrderedDict, defaultdict, a namedtuple) is what the contract
        # asks for: it crosses as its base container, read with the base type's own methods.
        if _issubclass(kind, dict):
            return self.encode(_dict(_dict_items(value)), depth)
        if _issubclass(kind, tuple):
            return self.encode(_tuple_slice(value, _WHOLE), depth)
        if _issubclass(kind, list):
            return self.encode(_list_copy(value), depth)
        if kind is Unsupported:
            return {"$unsupported": value.description}
        if kind is Ref:
            return {"$ref": [value.call, list(value.path)]}
        if kind is Probe:
            return {"$probe": value.name}
        if kind is Rng:
            return {"$rng": int(value.seed)}
        return self.other(value, depth)


def encode(value: Any) -> bytes:
    """Encode a plain-data value as one frame (including its length prefix)."""
    encoder = TreeEncoder()
    return _frame(_dump_json(encoder.encode(value)).encode(), encoder)


def encode_call(index: int, outcome: dict[str, Any]) -> bytes:
    """``encode({"kind": "call", "index": index, "outcome": outcome})``, byte for byte, for an int ``index``.

    The child sends one such frame per call: the skeleton is fixed text, only the outcome is encoded.
    """
    encoder = TreeEncoder()
    tree = _dump_json(encoder.encode(outcome, 1)).encode()
    return _frame(b'{"$dict":{"kind":"call","index":%d,"outcome":%s}}' % (index, tree), encoder)


def _frame(header: bytes, encoder: TreeEncoder) -> bytes:
    parts = [_U32.pack(len(header)), header]
    for blob in encoder.blobs:
        parts.append(_U64.pack(len(blob)))
        parts.append(blob)
    body = b"".join(parts)
    return _U64.pack(len(body)) + body


class TreeDecoder:
    """Rebuild a value from a tree made by :class:`TreeEncoder`; raises CodecError for anything else.

    Extensions override :meth:`array` (where arrays are kept) and :meth:`other_tag` (their own tags).
    """

    def __init__(self, blobs: list[bytes]) -> None:
        self.blobs = blobs
        self.used: set[int] = set()

    def other_tag(self, tag: str, payload: Any, depth: int) -> Any:
        raise CodecError(f"unknown tag {tag[:20]!r}")

    def array(self, spec: Any) -> np.ndarray:
        if type(spec) is not list or len(spec) != 3:
            raise CodecError("malformed array")
        index, dtype_text, shape = spec
        if type(index) is not int or not 0 <= index < len(self.blobs) or index in self.used:
            raise CodecError("bad array reference")
        self.used.add(index)
        if type(dtype_text) is not str or len(dtype_text) > 16:
            raise CodecError("malformed dtype")
        if type(shape) is not list or len(shape) > MAX_DIMENSIONS:
            raise CodecError("malformed shape")
        for size in shape:
            if type(size) is not int or not 0 <= size <= MAX_ELEMENTS:
                raise CodecError("malformed shape")
        count = math.prod(shape)
        if count > MAX_ELEMENTS:
            raise CodecError("array has too many elements")
        dtype = _accepted_dtype(dtype_text)
        blob = self.blobs[index]
        if count * dtype.itemsize != len(blob):
            raise CodecError("array size does not match its shape")
        # A read-only view of the blob in its shape, copied: writeable, aligned, owning its data.
        return _ndarray(shape, dtype, blob).copy()

    def decode(self, node: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH + 1:
            raise CodecError("value nested too deeply")
        kind = type(node)
        if kind in _LEAF_TYPES:
            return node
        depth += 1
        if kind is list:
            if depth > MAX_DEPTH + 1:  # a leaf item would be too deep: let decode() say so
                return [self.decode(item, depth) for item in node]
            return [item if type(item) in _LEAF_TYPES else self.decode(item, depth) for item in node]
        if kind is not dict or len(node) != 1:
            raise CodecError("malformed value")
        (tag, payload), = node.items()
        # The tags in the order a result frame holds them most.
        if tag == "$dict" and type(payload) is dict:
            if depth > MAX_DEPTH + 1:
                return {str(key): self.decode(item, depth) for key, item in payload.items()}
            return {str(key): item if type(item) in _LEAF_TYPES else self.decode(item, depth)
                    for key, item in payload.items()}
        if tag == "$array":
            return self.array(payload)
        if tag == "$tuple" and type(payload) is list:
            return tuple(self.decode(item, depth) for item in payload)
        if tag == "$scalar":
            array = self.array(payload)
            if array.shape != ():
                raise CodecError("scalar blob is not 0-d")
            return array[()]
        if tag == "$float":
            if payload not in ("nan", "inf", "-inf"):
                raise CodecError("malformed float")
            return float(payload)
        if tag == "$unsupported" and type(payload) is str:
            return Unsupported(payload[:200])
        if tag == "$ref" and type(payload) is list and len(payload) == 2:
            call, path = payload
            if type(call) is not int or type(path) is not list:
                raise CodecError("malformed reference")
            if not all(type(step) in (int, str) for step in path):
                raise CodecError("malformed reference path")
            return Ref(call, tuple(path))
        if tag == "$probe" and type(payload) is str:
            return Probe(payload)
        if tag == "$rng" and type(payload) is int:
            return Rng(payload)
        return self.other_tag(tag, payload, depth - 1)


# JSON values that decode to themselves (NaN and infinities arrive as "$float" nodes).
_LEAF_TYPES = frozenset({type(None), bool, int, float, str})
_DTYPES: dict[str, np.dtype] = {}  # dtype texts already accepted (a frame's arrays share a handful)
_DTYPES_KEPT = 256


def _accepted_dtype(text: str) -> np.dtype:
    """The dtype ``text`` names when the format accepts it; raises CodecError otherwise."""
    dtype = _DTYPES.get(text)
    if dtype is not None:
        return dtype
    try:
        dtype = np.dtype(text)
    except (TypeError, ValueError):
        raise CodecError("malformed dtype") from None
    # Plain numbers, bools and fixed-width strings only: no objects, no records.
    if dtype.hasobject or dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype:
        raise CodecError(f"dtype {text!r} is not accepted")
    if dtype.itemsize == 0:
        raise CodecError("dtype with items of size 0")
    if len(_DTYPES) < _DTYPES_KEPT:
        _DTYPES[text] = dtype
    return dtype


def _parse_int(text: str) -> int:
    # Checked before conversion: a 5000-digit literal must cost nothing and raise our error.
    if len(text.lstrip("-")) > _INT64_DIGITS:
        raise CodecError("integer out of range")
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise CodecError("integer out of range")
    return value


def _reject_constant(text: str) -> Any:
    raise CodecError(f"non-finite number {text[:10]!r} in header")


_parse_checked = json.JSONDecoder(parse_int=_parse_int, parse_constant=_reject_constant).decode
_parse_plain = json.JSONDecoder(parse_constant=_reject_constant).decode
_LONG_DIGITS = re.compile(f"[0-9]{{{_INT64_DIGITS}}}")
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_DIGIT_BYTES = b"0" * _INT64_DIGITS


def decode_body(body: bytes | memoryview, max_header_bytes: int = MAX_HEADER_BYTES) -> Any:
    """Decode a frame body (without its u64 length prefix).

    Raises CodecError, and nothing else, for any body: hostile frames must not be able to
    raise an exception the caller does not expect.
    """
    try:
        return _decode_body(memoryview(body), max_header_bytes)
    except CodecError:
        raise
    except Exception as error:  # MemoryError, ValueError from NumPy, anything: the frame is bad
        raise CodecError(f"malformed frame ({type(error).__name__})") from None


def _decode_body(view: memoryview, max_header_bytes: int) -> Any:
    if len(view) < _U32.size:
        raise CodecError("truncated frame")
    (header_length,) = _U32.unpack_from(view, 0)
    offset = _U32.size
    if header_length > len(view) - offset:
        raise CodecError("header longer than frame")
    if header_length > max_header_bytes:
        raise CodecError(f"header of {header_length} bytes exceeds {max_header_bytes}")
    try:
        # What json.loads does with bytes, without building a decoder per frame.
        raw = bytes(view[offset : offset + header_length])
        encoding = json.detect_encoding(raw)
        text = raw.decode(encoding, "surrogatepass")
        # No run of 19 digits: every integer has at most 18 and fits in int64, so the checked
        # (per-integer, Python-level) parser is only needed when one is present. In UTF-8 a digit
        # is its ASCII byte and no other byte decodes to one: the bytes are searched (8x faster).
        if encoding == "utf-8" or encoding == "utf-8-sig":
            long_digits = _LONG_DIGIT_BYTES in raw.translate(_DIGITS_AS_ZERO)
        else:
            long_digits = _LONG_DIGITS.search(text) is not None
        header = (_parse_checked if long_digits else _parse_plain)(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise CodecError("malformed header") from None
    offset += header_length
    blobs: list[bytes] = []
    while offset < len(view):
        if len(view) - offset < _U64.size:
            raise CodecError("truncated blob length")
        (blob_length,) = _U64.unpack_from(view, offset)
        offset += _U64.size
        if blob_length > len(view) - offset:
            raise CodecError("blob longer than frame")
        blobs.append(bytes(view[offset : offset + blob_length]))
        offset += blob_length
    decoder = TreeDecoder(blobs)
    try:
        return decoder.decode(header)
    except RecursionError:
        raise CodecError("value nested too deeply") from None


def decode(frame: bytes, max_bytes: int | None = None) -> Any:
    """Decode one whole frame, as produced by :func:`encode`."""
    if len(frame) < _U64.size:
        raise CodecError("truncated frame")
    (length,) = _U64.unpack_from(frame, 0)
    if max_bytes is not None and length > max_bytes:
        raise CodecError(f"message of {length} bytes exceeds the limit of {max_bytes}")
    if length != len(frame) - _U64.size:
        raise CodecError("frame length does not match")
    return decode_body(memoryview(frame)[_U64.size :], max_header_bytes=max(MAX_HEADER_BYTES, length))


def read_frame(stream: Any, max_bytes: int) -> Any:
    """Read and decode one frame from a binary stream; None at a clean end of stream."""
    prefix = stream.read(_U64.size)
    if not prefix:
        return None
    if len(prefix) != _U64.size:
        raise CodecError("truncated frame length")
    (length,) = _U64.unpack(prefix)
    if length > max_bytes:
        raise CodecError(f"message of {length} bytes exceeds the limit of {max_bytes}")
    body = stream.read(length)
    if len(body) != length:
        raise CodecError("truncated frame")
    return decode_body(body)

"""Store a prepared suite as a pickle-free ``.npz``: a JSON manifest (as uint8) plus arrays.

Only the record types listed in ``_RECORDS`` can be rebuilt, so a tampered file can at worst
fail to load; ``np.load(allow_pickle=False)`` reads it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from autograder.grading.suite import (
    ArgWatch,
    CaseNotes,
    CheckDiagnosis,
    CheckVariant,
    GradCase,
    GradEntry,
    PreparedCheck,
    PreparedFunction,
    PreparedSuite,
    ValueCase,
    VariantCase,
    VariantWatch,
)
from autograder.sandbox.codec import Probe, Ref, Rng, Unsupported
from autograder.sandbox.program import Call

FORMAT = "autograder-suite/1"
MANIFEST_KEY = "manifest"
_RECORDS: dict[str, type] = {cls.__name__: cls for cls in (
    PreparedSuite, PreparedFunction, PreparedCheck, ValueCase, ArgWatch, GradCase, GradEntry,
    Call, Ref, Probe, Rng, Unsupported, CheckDiagnosis, CheckVariant, VariantCase, VariantWatch, CaseNotes)}


class FixtureError(ValueError):
    """Raised when a fixtures file is malformed or of an unknown format."""


class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if value is None or kind in (bool, int, str):
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
            if array.dtype.hasobject:
                raise FixtureError(f"cannot store an object array ({array.shape})")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = array
            return {"$scalar" if isinstance(value, np.generic) else "$array": key}
        if kind is list:
            return [self.encode(item) for item in value]
        if kind is tuple:
            return {"$tuple": [self.encode(item) for item in value]}
        if kind is dict:
            return {"$dict": [[key, self.encode(item)] for key, item in value.items()]}
        if kind is frozenset:
            return {"$frozenset": sorted(value)}
        if kind.__name__ in _RECORDS and _RECORDS[kind.__name__] is kind:
            fields = {field.name: self.encode(getattr(value, field.name))
                      for field in dataclasses.fields(value) if field.init}
            return {"$record": kind.__name__, "fields": fields}
        raise FixtureError(f"cannot store a value of type {kind.__name__}")


class _Reader:
    def __init__(self, arrays: Any) -> None:
        self.arrays = arrays

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(item) for item in node]
        if type(node) is not dict:
            raise FixtureError("malformed manifest node")
        if "$record" in node:
            cls = _RECORDS.get(node["$record"])
            if cls is None or type(node.get("fields")) is not dict:
                raise FixtureError(f"unknown record {node.get('$record')!r}")
            fields = {name: self.decode(item) for name, item in node["fields"].items()}
            try:
                return cls(**fields)
            except TypeError as error:
                raise FixtureError(f"bad fields for {cls.__name__}: {error}") from None
        (tag, payload), = node.items()
        if tag in ("$array", "$scalar"):
            if type(payload) is not str or payload not in self.arrays:
                raise FixtureError("bad array reference")
            array = self.arrays[payload]
            return array[()] if tag == "$scalar" else array
        if tag == "$float" and payload in ("nan", "inf", "-inf"):
            return float(payload)
        if tag == "$tuple" and type(payload) is list:
            return tuple(self.decode(item) for item in payload)
        if tag == "$dict" and type(payload) is list:
            return {str(key): self.decode(item) for key, item in payload}
        if tag == "$frozenset" and type(payload) is list:
            return frozenset(payload)
        raise FixtureError(f"unknown tag {tag!r}")


def write_suite(suite: PreparedSuite, path: Path, **metadata: Any) -> None:
    """Write ``suite`` (and JSON-able ``metadata``) to ``path`` as a pickle-free .npz."""
    writer = _Writer()
    manifest = {"format": FORMAT, "metadata": metadata, "suite": writer.encode(suite)}
    encoded = json.dumps(manifest, separators=(",", ":"), allow_nan=False).encode()
    arrays: dict[str, Any] = dict(writer.arrays)
    arrays[MANIFEST_KEY] = np.frombuffer(encoded, dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def read_suite(path: Path, cache: Path | None = None) -> tuple[PreparedSuite, dict[str, Any]]:
    """Read a suite written by write_suite. Returns (suite, metadata); raises FixtureError.

    With ``cache`` (a folder), the arrays and manifest are also kept there in one flat file
    named after the .npz's sha256, which later calls read in one go instead of unzipping
    hundreds of small members (`grade` on a starter kit: see bench/grade_startup_bench.py).
    """
    content = _read_bytes(path)
    cached = _cache_file(cache, content)
    loaded = _read_cache(cached) if cached is not None else None
    if loaded is None:
        arrays, manifest = _read_npz(path, content)
        if cached is not None:
            _write_cache(cached, arrays, manifest)
    else:
        arrays, manifest = loaded
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FixtureError(f"{path}: unknown fixtures format")
    suite = _Reader(arrays).decode(manifest.get("suite"))
    if not isinstance(suite, PreparedSuite):
        raise FixtureError(f"{path}: the manifest does not hold a suite")
    return suite, dict(manifest.get("metadata") or {})


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise FixtureError(f"{path}: not a readable .npz: {error}") from None


def _read_npz(path: Path, content: bytes) -> tuple[dict[str, np.ndarray], Any]:
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise FixtureError(f"{path}: not a readable .npz: {error}") from None
    if MANIFEST_KEY not in arrays:
        raise FixtureError(f"{path}: no manifest")
    try:
        manifest = json.loads(arrays.pop(MANIFEST_KEY).tobytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FixtureError(f"{path}: malformed manifest: {error}") from None
    return arrays, manifest


# The cache file: magic, an 8-byte little-endian header length, a JSON header (the manifest and,
# per array, dtype, shape and offset), then the arrays' bytes. Like the .npz it holds no pickle;
# anything malformed is ignored and the .npz is read instead.
_CACHE_MAGIC = b"AGSUITE1"
_CACHE_ALIGN = 64


def _cache_file(cache: Path | None, content: bytes) -> Path | None:
    if cache is None:
        return None
    digest = hashlib.sha256(FORMAT.encode() + b"\0" + content).hexdigest()
    return cache / f"{digest}.suite"


def _read_cache(file: Path) -> tuple[dict[str, np.ndarray], Any] | None:
    try:
        data = bytearray(file.read_bytes())  # writable, so the arrays are too
    except OSError:
        return None
    try:
        if data[:len(_CACHE_MAGIC)] != _CACHE_MAGIC:
            return None
        start = len(_CACHE_MAGIC) + 8
        length = int.from_bytes(data[len(_CACHE_MAGIC):start], "little")
        header = json.loads(bytes(data[start:start + length]))
        body = start + length
        arrays = {}
        for key, (dtype_text, shape, offset, size) in header["arrays"].items():
            dtype = np.dtype(dtype_text)
            count = math.prod(shape)
            if dtype.hasobject or dtype.fields is not None or size != count * dtype.itemsize \
                    or body + offset + size > len(data):
                return None
            arrays[str(key)] = np.frombuffer(data, dtype=dtype, count=count, offset=body + offset).reshape(shape)
        return arrays, header["manifest"]
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None


def _write_cache(file: Path, arrays: dict[str, np.ndarray], manifest: Any) -> None:
    entries, chunks, offset = {}, [], 0
    for key, array in arrays.items():
        if array.dtype.hasobject or array.dtype.fields is not None:
            return
        raw = np.ascontiguousarray(array).tobytes()
        padding = -offset % _CACHE_ALIGN
        chunks.append(b"\0" * padding + raw)
        offset += padding
        entries[key] = [array.dtype.str, list(array.shape), offset, len(raw)]
        offset += len(raw)
    header = json.dumps({"manifest": manifest, "arrays": entries}, separators=(",", ":")).encode()
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=file.parent, prefix=".partial-", delete=False) as handle:
            handle.write(_CACHE_MAGIC + len(header).to_bytes(8, "little") + header + b"".join(chunks))
        os.replace(handle.name, file)
    except OSError:
        # A read-only home only makes the next run slower.
        try:
            os.unlink(handle.name)
        except (OSError, NameError):
            pass

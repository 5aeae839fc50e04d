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
from autograder.sandbox.codec import (ALLOWED_KINDS, CodecError, EncodeError, Probe, Ref, Rng, TreeDecoder,
                                      TreeEncoder, Unsupported)
from autograder.sandbox.program import Call

# 2: the codec's tagged tree (sandbox/codec.py) with records, instead of a format of its own.
FORMAT = "autograder-suite/2"
MANIFEST_KEY = "manifest"
_RECORDS: dict[str, type] = {cls.__name__: cls for cls in (
    PreparedSuite, PreparedFunction, PreparedCheck, ValueCase, ArgWatch, GradCase, GradEntry,
    Call, CheckDiagnosis, CheckVariant, VariantCase, VariantWatch, CaseNotes)}
# Carried by the codec's own tags ($ref, $probe, $rng, $unsupported), never as records.
_CODEC_TYPES = (Ref, Probe, Rng, Unsupported)


class FixtureError(ValueError):
    """Raised when a fixtures file is malformed or of an unknown format."""


class _Writer(TreeEncoder):
    """The codec's tagged tree, strict, with arrays kept for the .npz and the suite's records."""

    def __init__(self) -> None:
        super().__init__(strict=True)
        self.arrays: dict[str, np.ndarray] = {}

    def array_blob(self, array: np.ndarray) -> Any:
        key = f"a{len(self.arrays)}"
        self.arrays[key] = np.asarray(array, order="C")
        return key

    def other(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is frozenset:
            return {"$frozenset": sorted(value)}
        if _RECORDS.get(kind.__name__) is kind:
            fields = {field.name: self.encode(getattr(value, field.name), depth + 1)
                      for field in dataclasses.fields(value) if field.init}
            return {"$record": [kind.__name__, fields]}
        return super().other(value, depth)


class _Reader(TreeDecoder):
    """Rebuild what _Writer stored: arrays from the .npz, records of the known types only."""

    def __init__(self, arrays: Any) -> None:
        super().__init__([])
        self.arrays = arrays

    def array(self, spec: Any) -> np.ndarray:
        if type(spec) is not str or spec not in self.arrays:
            raise CodecError("bad array reference")
        array = self.arrays[spec]
        if array.dtype.hasobject or array.dtype.kind not in ALLOWED_KINDS or array.dtype.fields is not None:
            raise CodecError(f"dtype {array.dtype} is not accepted")
        return array

    def other_tag(self, tag: str, payload: Any, depth: int) -> Any:
        if tag == "$frozenset" and type(payload) is list:
            return frozenset(payload)
        if tag == "$record" and type(payload) is list and len(payload) == 2 and type(payload[1]) is dict:
            name, stored = payload
            cls = _RECORDS.get(name) if type(name) is str else None
            if cls is None or cls in _CODEC_TYPES:
                raise CodecError(f"unknown record {str(name)[:40]!r}")
            fields = {str(key): self.decode(item, depth + 1) for key, item in stored.items()}
            try:
                return cls(**fields)
            except TypeError as error:
                raise CodecError(f"bad fields for {cls.__name__}: {error}") from None
        return super().other_tag(tag, payload, depth)


def write_suite(suite: PreparedSuite, path: Path, **metadata: Any) -> None:
    """Write ``suite`` (and JSON-able ``metadata``) to ``path`` as a pickle-free .npz."""
    writer = _Writer()
    try:
        manifest = {"format": FORMAT, "metadata": metadata, "suite": writer.encode(suite)}
    except EncodeError as error:
        raise FixtureError(str(error)) from None
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
    try:
        suite = _Reader(arrays).decode(manifest.get("suite"))
    except (CodecError, RecursionError) as error:
        raise FixtureError(f"{path}: malformed manifest: {error}") from None
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

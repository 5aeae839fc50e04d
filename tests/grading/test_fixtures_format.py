"""Stored suites use the codec's tagged tree (one format), strict on writing and on reading."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.fixtures import FORMAT, MANIFEST_KEY, FixtureError, read_suite, write_suite
from autograder.grading.suite import PreparedFunction, PreparedSuite
from autograder.sandbox.codec import Rng
from autograder.sandbox.program import Call


def _suite(*args: object) -> PreparedSuite:
    call = Call("f", args=tuple(args), kwargs={"rng": Rng(7)})
    return PreparedSuite("toy", "v1", "public", [PreparedFunction("f", 1.0, [call], [], [])])


def _write_manifest(path: Path, suite_node: object, arrays: dict[str, np.ndarray] | None = None) -> None:
    manifest = json.dumps({"format": FORMAT, "metadata": {}, "suite": suite_node}).encode()
    buffer = io.BytesIO()
    np.savez(buffer, **(arrays or {}), **{MANIFEST_KEY: np.frombuffer(manifest, dtype=np.uint8)})
    path.write_bytes(buffer.getvalue())


def test_a_suite_round_trips_with_arrays_scalars_and_codec_markers(tmp_path: Path) -> None:
    suite = _suite(np.arange(6.0).reshape(2, 3), np.float32(1.5), (1, "a"), float("nan"))
    write_suite(suite, tmp_path / "s.npz")
    loaded, _ = read_suite(tmp_path / "s.npz")
    (array, scalar, pair, nan), kwargs = loaded.functions[0].calls[0].args, loaded.functions[0].calls[0].kwargs
    assert np.array_equal(array, np.arange(6.0).reshape(2, 3)) and array.dtype == np.float64
    assert scalar == np.float32(1.5) and type(scalar) is np.float32
    assert pair == (1, "a") and nan != nan and kwargs == {"rng": Rng(7)}


def test_writing_what_the_format_cannot_carry_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="cannot store"):
        write_suite(_suite(object()), tmp_path / "s.npz")
    with pytest.raises(FixtureError, match="cannot store"):
        write_suite(_suite({1: "not a string key"}), tmp_path / "s.npz")


@pytest.mark.parametrize("node", [
    {"$record": ["Ref", {"call": 0, "path": []}]},  # codec types never travel as records
    {"$record": ["Path", {}]},  # only the suite's own record types
    {"$record": ["PreparedSuite", {"not_a_field": 1}]},
    {"$array": "a9"},
    {"$pickle": "gASV"},
    {"$tuple": [1], "$dict": {}},
])
def test_a_tampered_manifest_is_refused(tmp_path: Path, node: object) -> None:
    _write_manifest(tmp_path / "bad.npz", node)
    with pytest.raises(FixtureError):
        read_suite(tmp_path / "bad.npz")


def test_an_object_array_in_the_archive_is_refused(tmp_path: Path) -> None:
    _write_manifest(tmp_path / "bad.npz", {"$array": "a0"}, {"a0": np.array(["x"], dtype="U1").astype("V4")})
    with pytest.raises(FixtureError):
        read_suite(tmp_path / "bad.npz")

"""Winnowed k-gram fingerprints of normalised tokens (Schleimer, Wilkerson and Aiken's MOSS method).

Each unit (function, method, module rest) is fingerprinted on its own, so k-grams never span
two functions and reordering functions changes nothing. Every k-gram of the assignment's
starter file is removed: code every student was given is not evidence.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from autograder.similarity.tokens import Token, Unit, normalise

K = 8  # tokens per k-gram: shorter matches than this are noise
WINDOW = 4  # winnowing window: any match of K + WINDOW - 1 tokens is always detected
# k-grams are hashed with Python's tuple hash: the check value changes if an interpreter hashes differently.
_TUPLE_HASH_CHECK = hash((K, WINDOW, 1 << 40, -3)) & 0xFFFFFF
# "nb": notebooks fingerprinted by their code cells (earlier, by their JSON); "bom": files with a
# byte-order mark function by function (earlier, as one crude unit). Changed: everything is indexed again.
ENGINE_VERSION = f"tokens2nb-bom-k{K}-w{WINDOW}-t{_TUPLE_HASH_CHECK:06x}"

_MODULUS = (1 << 61) - 1  # a Mersenne prime: the polynomial hash modulus
_BASE = 1_000_003
_HASH_MASK = (1 << 63) - 1  # fits a signed 64-bit database column


class Fingerprint(NamedTuple):
    """One selected k-gram hash and the lines of the original source it covers."""

    hash: int
    start_line: int
    end_line: int


@dataclass
class UnitPrint:
    """The fingerprints of one unit; a hash appears in at most one unit of a file."""

    name: str
    start_line: int
    end_line: int
    fingerprints: list[Fingerprint] = field(default_factory=list)

    @functools.cached_property
    def hashes(self) -> frozenset[int]:
        return frozenset(fp.hash for fp in self.fingerprints)


@dataclass
class FilePrint:
    """A file's fingerprints, unit by unit; ``to_json``/``from_json`` for storage (plain data)."""

    units: list[UnitPrint]
    version: str = ENGINE_VERSION

    @functools.cached_property
    def hashes(self) -> frozenset[int]:
        return frozenset().union(*(unit.hashes for unit in self.units))

    @functools.cached_property
    def size(self) -> int:
        return len(self.hashes)

    @functools.cached_property
    def unit_of_hash(self) -> dict[int, int]:
        """Map each hash to the index of the one unit holding it."""
        return {value: index for index, unit in enumerate(self.units) for value in unit.hashes}

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "units": [
                {
                    "name": unit.name,
                    "start": unit.start_line,
                    "end": unit.end_line,
                    "fingerprints": [[fp.hash, fp.start_line, fp.end_line] for fp in unit.fingerprints],
                }
                for unit in self.units
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FilePrint:
        return cls(
            [
                UnitPrint(
                    str(unit["name"]),
                    int(unit["start"]),
                    int(unit["end"]),
                    [Fingerprint(int(h), int(a), int(b)) for h, a, b in unit["fingerprints"]],
                )
                for unit in data["units"]
            ],
            str(data.get("version", "")),
        )


_TOKEN_IDS: dict[str, int] = {}


def _token_id(text: str) -> int:
    found = _TOKEN_IDS.get(text)
    if found is None:
        found = int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(), "big")
        found %= _MODULUS
        if len(_TOKEN_IDS) < 1_000_000:  # names are abstracted: the vocabulary is small
            _TOKEN_IDS[text] = found
    return found


def _kgram_values(tokens: Sequence[Token], k: int) -> list[int]:
    """Return the 64-bit hash of every k-gram of ``tokens``, in order.

    Python's hash of the k-gram's tuple of token ids: computed in C, no Python loop per token
    (ENGINE_VERSION carries a check of it, so another interpreter's tuple hash recomputes everything).
    """
    if len(tokens) < k:
        return []
    known = _TOKEN_IDS.get
    ids = [known(token.text) or _token_id(token.text) for token in tokens]
    return list(map(hash, zip(*[ids[offset:] for offset in range(k)])))


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[Fingerprint]:
    """Return the hash of every k-gram of ``tokens`` (none when there are fewer than k), in order."""
    return [
        Fingerprint(value, tokens[start].line, tokens[start + k - 1].end_line)
        for start, value in enumerate(_kgram_values(tokens, k))
    ]


def winnow(kgrams: Sequence[Fingerprint], window: int = WINDOW) -> list[Fingerprint]:
    """Select the rightmost minimal hash of every window of ``window`` k-grams (robust winnowing)."""
    return [kgrams[index] for index in _winnowed([fp.hash for fp in kgrams], window)]


def _winnowed(values: Sequence[int], window: int) -> list[int]:
    """Return the positions robust winnowing selects: the rightmost minimum of each window, once each."""
    if not values:
        return []
    if len(values) <= window:
        low = min(values)
        return [len(values) - 1 - values[::-1].index(low)]
    selected: list[int] = []
    last = -1
    # The minimum of every window at C speed; the position is searched only when the selection moves.
    for start, low in enumerate(map(min, zip(*[values[offset:] for offset in range(window)]))):
        end = start + window - 1
        if last >= start and values[last] == low and (values[end] != low or end == last):
            continue  # the selected hash is still the window's rightmost minimum
        best = end
        while values[best] != low:
            best -= 1
        if best != last:
            selected.append(best)
            last = best
    return selected


def _unit_fingerprints(tokens: Sequence[Token], starter: frozenset[int]) -> list[Fingerprint]:
    values = _kgram_values(tokens, K)
    return [
        Fingerprint(values[index], tokens[index].line, tokens[index + K - 1].end_line)
        for index in _winnowed(values, WINDOW)
        if values[index] not in starter
    ]


def starter_hashes(starter_source: str) -> frozenset[int]:
    """Return every k-gram hash of the starter file (all of them, not only the winnowed ones)."""
    return frozenset(value for unit in normalise(starter_source) for value in _kgram_values(unit.tokens, K))


def fingerprint_units(units: Iterable[Unit], starter: frozenset[int] = frozenset()) -> FilePrint:
    """Fingerprint normalised units, leaving out the starter's hashes and repeats across units."""
    prints = []
    for unit in units:
        prints.append(UnitPrint(unit.name, unit.start_line, unit.end_line, _unit_fingerprints(unit.tokens, starter)))
    # A hash repeated in two units is kept in one only, chosen by content (not by position, which
    # a reordering changes): then no shared hash counts twice in a score.
    claimed: set[int] = set()
    for unit in sorted(prints, key=lambda u: (min(u.hashes, default=0), len(u.fingerprints))):
        unique, seen = [], set()
        for fp in unit.fingerprints:
            if fp.hash not in claimed and fp.hash not in seen:
                unique.append(fp)
                seen.add(fp.hash)
        claimed |= seen
        unit.fingerprints = unique
        unit.__dict__.pop("hashes", None)
    return FilePrint([unit for unit in prints if unit.fingerprints])


def fingerprint_source(source: str, starter: frozenset[int] = frozenset()) -> FilePrint:
    """Return the fingerprints of a Python source text (never raises for any text)."""
    return fingerprint_units(normalise(source), starter)

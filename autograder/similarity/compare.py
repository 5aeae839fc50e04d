"""Scores between two fingerprinted files: per file, per function, and the matched regions.

``file_score`` is the Jaccard index of the two files' fingerprint sets. ``function_score``
matches each unit with its most similar unit of the other file (names are ignored, so renamed
helpers and reordered functions still match) and averages those best matches weighted by unit
size, over the units of both files. ``score`` is the larger of the two: a whole copied file
raises both, a file assembled from copied functions raises the second.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.similarity.fingerprints import K, FilePrint, Fingerprint, kgram_hashes
from autograder.similarity.tokens import Token, normalise

FUNCTION_MATCH_SHOWN = 0.5  # unit pairs at least this similar are listed with a comparison
_REGION_GAP = 3  # lines between two matched runs that still make one region


@dataclass(frozen=True)
class FunctionMatch:
    """A unit of file A, its most similar unit of file B, and their Jaccard index."""

    a: str
    b: str
    score: float


@dataclass(frozen=True)
class Comparison:
    """How similar two files are; every score is in [0, 1]."""

    score: float
    file_score: float
    function_score: float
    shared: int  # fingerprints in common
    functions: tuple[FunctionMatch, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "score": round(self.score, 4),
            "file_score": round(self.file_score, 4),
            "function_score": round(self.function_score, 4),
            "shared": self.shared,
            "functions": [{"a": m.a, "b": m.b, "score": round(m.score, 4)} for m in self.functions],
        }


def _best_matches(
    overlaps: dict[tuple[int, int], int], sizes: Sequence[int], other_sizes: Sequence[int], side: int
) -> list[tuple[int, float]]:
    """For each unit (of side 0 or 1 of the keys), the most similar unit of the other file and their Jaccard index."""
    best: list[tuple[int, float]] = [(-1, 0.0)] * len(sizes)
    for key, common in overlaps.items():
        mine, theirs = key[side], key[1 - side]
        score = common / (sizes[mine] + other_sizes[theirs] - common)
        if score > best[mine][1]:
            best[mine] = (theirs, score)
    return best


def compare(a: FilePrint, b: FilePrint) -> Comparison:
    """Compare two files' fingerprints (symmetric in its scores)."""
    common_hashes = a.hashes & b.hashes
    shared = len(common_hashes)
    if not shared:
        return Comparison(0.0, 0.0, 0.0, 0)
    file_score = shared / (a.size + b.size - shared)
    # Shared hashes per (unit of A, unit of B): each hash lies in one unit on each side.
    overlaps: Counter[tuple[int, int]] = Counter()
    unit_a, unit_b = a.unit_of_hash, b.unit_of_hash
    for value in common_hashes:
        overlaps[unit_a[value], unit_b[value]] += 1
    sizes_a, sizes_b = [len(u.hashes) for u in a.units], [len(u.hashes) for u in b.units]
    forward = _best_matches(overlaps, sizes_a, sizes_b, 0)
    backward = _best_matches(overlaps, sizes_b, sizes_a, 1)
    matched = sum(size * score for size, (_, score) in zip(sizes_a, forward)) + sum(
        size * score for size, (_, score) in zip(sizes_b, backward)
    )
    function_score = matched / (sum(sizes_a) + sum(sizes_b))
    functions = tuple(
        FunctionMatch(a.units[index].name, b.units[partner].name, score)
        for index, (partner, score) in enumerate(forward)
        if score >= FUNCTION_MATCH_SHOWN
    )
    return Comparison(max(file_score, function_score), file_score, function_score, shared, functions)


def upper_bound(shared: int, size_a: int, size_b: int) -> float:
    """Return the highest score two files with these set sizes and ``shared`` hashes could get.

    Each hash lies in one unit only, so a unit's best Jaccard is at most its shared hashes over
    its size: the weighted function score is at most 2*shared/(size_a+size_b), the file score
    at most shared/max(size). Used to skip candidates that cannot reach a threshold.
    """
    if not size_a or not size_b:
        return 0.0
    return min(1.0, 2 * shared / (size_a + size_b))


@dataclass(frozen=True)
class Region:
    """A matched stretch of code: lines of file A and the matching lines of file B (1-based, inclusive)."""

    number: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int


def matched_regions(source_a: str, source_b: str, starter: frozenset[int] = frozenset()) -> list[Region]:
    """Return the regions of A whose k-grams also occur in B (starter code left out), in A's order.

    Each unit of A is matched with the unit of B it shares most k-grams with, as the function
    score does, so a common idiom elsewhere in B does not light up. Uses every k-gram, not only
    the winnowed ones, so the highlighted lines are exact.
    """
    units_a = [_highlightable(unit.tokens, starter) for unit in normalise(source_a)]
    units_b = [_highlightable(unit.tokens, starter) for unit in normalise(source_b)]
    sets_b = [{fp.hash for fp in kgrams} for kgrams in units_b]
    runs: list[list[int]] = []  # [a_start, a_end, b_start, b_end] in lines
    for kgrams in units_a:
        hashes = {fp.hash for fp in kgrams}
        shared = [len(hashes & other) for other in sets_b]
        if not shared or max(shared) == 0:
            continue
        partner = units_b[shared.index(max(shared))]
        positions: dict[int, list[int]] = defaultdict(list)
        for index, fp in enumerate(partner):
            positions[fp.hash].append(index)
        previous: int | None = None
        for fp in kgrams:
            places = positions.get(fp.hash)
            if not places:
                previous = None
                continue
            follows = previous is not None and previous + 1 in places
            place = previous + 1 if follows and previous is not None else places[0]
            match = partner[place]
            if follows:
                run = runs[-1]
                run[1], run[3] = max(run[1], fp.end_line), max(run[3], match.end_line)
                run[2] = min(run[2], match.start_line)
            else:
                runs.append([fp.start_line, fp.end_line, match.start_line, match.end_line])
            previous = place
    runs.sort()
    merged: list[list[int]] = []
    for run in runs:
        last = merged[-1] if merged else None
        # Nearby runs on both sides are one region: a changed line inside a copied block does not split it.
        if last and run[0] <= last[1] + _REGION_GAP and last[2] - _REGION_GAP <= run[2] <= last[3] + _REGION_GAP:
            last[1], last[2], last[3] = max(last[1], run[1]), min(last[2], run[2]), max(last[3], run[3])
        else:
            merged.append(list(run))
    return [Region(number, *run) for number, run in enumerate(merged, start=1)]


def _highlightable(tokens: Sequence[Token], starter: frozenset[int]) -> list[Fingerprint]:
    # A k-gram of the module's rest may join statements far apart (imports, a __main__ block):
    # it counts for the score but would highlight everything between them.
    return [fp for fp in kgram_hashes(tokens) if fp.hash not in starter and fp.end_line - fp.start_line <= K]


__all__ = ["Comparison", "FunctionMatch", "Region", "compare", "matched_regions", "upper_bound"]

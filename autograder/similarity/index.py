"""An inverted index over fingerprints, and the ranking of pairs of students built from it.

Adding a file compares it only with the files that share enough fingerprints with it to
possibly reach the threshold (``compare.upper_bound``), instead of with every file: the
incremental cost of a submission is proportional to the files it resembles.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from itertools import chain

from autograder.similarity.compare import Comparison, compare
from autograder.similarity.fingerprints import FilePrint


@dataclass(frozen=True)
class Document:
    """One fingerprinted file: ``key`` names it (a submission), ``owner`` its author."""

    key: Hashable
    owner: Hashable
    print: FilePrint


@dataclass(frozen=True)
class PairScore:
    """Two authors, their most similar documents and how similar those are."""

    a: Hashable
    b: Hashable
    a_key: Hashable
    b_key: Hashable
    comparison: Comparison

    @property
    def score(self) -> float:
        return self.comparison.score


class FingerprintIndex:
    """Fingerprint hash -> documents holding it; documents of the same owner are never compared."""

    def __init__(self) -> None:
        self._postings: dict[int, list[int]] = {}
        self._documents: list[Document] = []

    def __len__(self) -> int:
        return len(self._documents)

    def candidates(self, fingerprints: FilePrint, owner: Hashable, min_score: float) -> list[tuple[Document, int]]:
        """Return the indexed documents of other owners that could score at least ``min_score``, with shared counts."""
        postings = self._postings
        shared = Counter(chain.from_iterable(postings[value] for value in fingerprints.hashes if value in postings))
        found = []
        size, documents = fingerprints.size, self._documents
        for position, count in shared.items():
            document = documents[position]
            # compare.upper_bound(count, size, other size) >= min_score, inlined: this runs for most pairs.
            if document.owner != owner and 2 * count >= min_score * (size + document.print.size):
                found.append((document, count))
        return found

    def add(self, document: Document, min_score: float = 0.0) -> list[tuple[Document, Comparison]]:
        """Index a document; return its comparisons with earlier documents scoring at least ``min_score``."""
        matches = []
        for other, _ in self.candidates(document.print, document.owner, min_score):
            comparison = compare(document.print, other.print)
            if comparison.score >= min_score and comparison.score > 0:
                matches.append((other, comparison))
        self.insert(document)
        return matches

    def insert(self, document: Document) -> None:
        """Index a document without comparing it (the caller compared it with ``candidates``)."""
        position = len(self._documents)
        self._documents.append(document)
        postings = self._postings
        for value in document.print.hashes:
            found = postings.get(value)
            if found is None:
                postings[value] = [position]
            else:
                found.append(position)


def best_per_pair(pairs: Iterable[PairScore]) -> list[PairScore]:
    """Keep, for each pair of owners, its most similar pair of documents; most similar first."""
    best: dict[tuple[Hashable, Hashable], PairScore] = {}
    for pair in pairs:
        if pair.a == pair.b:
            continue
        if _sort_key(pair.b) < _sort_key(pair.a):
            pair = PairScore(pair.b, pair.a, pair.b_key, pair.a_key, pair.comparison)
        current = best.get((pair.a, pair.b))
        if current is None or pair.score > current.score:
            best[(pair.a, pair.b)] = pair
    return sorted(best.values(), key=lambda p: (-p.score, -p.comparison.shared, _sort_key(p.a), _sort_key(p.b)))


def _sort_key(value: Hashable) -> str:
    return str(value)


def rank(documents: Iterable[Document], min_score: float = 0.0) -> list[PairScore]:
    """Rank pairs of owners by the similarity of their most similar documents (through the index)."""
    index = FingerprintIndex()
    pairs = []
    for document in documents:
        for other, comparison in index.add(document, min_score):
            pairs.append(PairScore(document.owner, other.owner, document.key, other.key, comparison))
    return best_per_pair(pairs)

"""Similarity between students' submissions: indexed after grading, ranked per assignment.

Each graded submission is fingerprinted once (``autograder.similarity``) and stored with its
rows in the inverted index (``FingerprintHash``). Indexing compares it only with the
submissions of other students that share enough fingerprints to possibly reach
``STORED_MIN_SCORE`` and stores those pairs, so the ranking page reads stored pairs instead of
comparing everyone with everyone. Scores are evidence for staff to review, never a verdict.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select

from autograder.extensions import db
from autograder.models import (
    CourseAssignment, FingerprintHash, SimilarityPair, Submission, SubmissionFingerprint, SubmissionStatus, User,
)
from autograder.services.courses import students_of
from autograder.services.errors import NotFound
from autograder.similarity.compare import Comparison, Region, compare, matched_regions, upper_bound
from autograder.similarity.fingerprints import ENGINE_VERSION, FilePrint, fingerprint_source, starter_hashes

log = logging.getLogger(__name__)

STORED_MIN_SCORE = 0.2  # pairs below this are not stored nor listed: independent work lands there
_QUERY_CHUNK = 500  # hashes per IN (...) query, well under every database's parameter limit


@dataclass(frozen=True)
class Starter:
    """The fingerprints of an assignment's starter file, left out of every submission's."""

    digest: str
    hashes: frozenset[int]


def starter_for(assignment_name: str) -> Starter:
    """Return the starter of the assignment (empty when the folder has none)."""
    from autograder.grading.assignment import assignments_root

    path = assignments_root() / assignment_name / "starter.py"
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        source = ""
    return _starter(source)


@functools.lru_cache(maxsize=64)
def _starter(source: str) -> Starter:
    return Starter(hashlib.sha256(source.encode("utf-8")).hexdigest(), starter_hashes(source))


def index_after_grading(submission_id: int) -> None:
    """Index a freshly graded submission; any failure is logged and never reaches the grade."""
    try:
        index_submission(submission_id)
    except Exception:  # noqa: BLE001  (similarity is an extra: the grade is already stored)
        log.exception("similarity indexing of submission %s failed", submission_id)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the database itself may be away)
            log.warning("could not roll back after similarity indexing failed", exc_info=True)


def index_submission(submission_id: int) -> int:
    """Fingerprint a graded submission and store its pairs with other students' submissions.

    Idempotent: a submission already indexed with the current engine and starter is left as
    is. Returns the number of pairs stored (0 when skipped). Raises NotFound for an unknown id.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    if submission.status != SubmissionStatus.DONE:
        return 0
    course_assignment = submission.course_assignment
    starter = starter_for(course_assignment.assignment.name)
    existing = db.session.scalar(select(SubmissionFingerprint).where(
        SubmissionFingerprint.submission_id == submission_id))
    if existing is not None and existing.engine_version == ENGINE_VERSION and existing.starter_digest == starter.digest:
        return 0
    prints = fingerprint_source(submission.source, starter.hashes)
    # One indexer per course assignment at a time (a row lock on PostgreSQL; SQLite serialises
    # writers), so of two submissions indexed at once the second always sees the first.
    db.session.execute(select(CourseAssignment.id).where(CourseAssignment.id == course_assignment.id)
                       .with_for_update())
    if existing is not None:
        _forget(submission_id)
    db.session.add(SubmissionFingerprint(
        submission_id=submission_id, course_assignment_id=course_assignment.id, user_id=submission.user_id,
        engine_version=ENGINE_VERSION, starter_digest=starter.digest, size=prints.size,
        data=json.dumps(prints.to_json(), separators=(",", ":"))))
    hashes = sorted(prints.hashes)
    if hashes:
        # Core executemany: hundreds of rows per submission, no ORM objects needed.
        db.session.execute(insert(FingerprintHash.__table__), [
            {"course_assignment_id": course_assignment.id, "hash": value, "submission_id": submission_id,
             "user_id": submission.user_id} for value in hashes])
    pairs = _pairs_with_others(submission, prints, starter.digest, hashes)
    if pairs:
        db.session.execute(insert(SimilarityPair.__table__), pairs)
    db.session.commit()
    return len(pairs)


def _forget(submission_id: int) -> None:
    db.session.execute(delete(SimilarityPair).where(or_(SimilarityPair.submission_a_id == submission_id,
                                                        SimilarityPair.submission_b_id == submission_id)))
    db.session.execute(delete(FingerprintHash).where(FingerprintHash.submission_id == submission_id))
    db.session.execute(delete(SubmissionFingerprint).where(SubmissionFingerprint.submission_id == submission_id))


# Expanding parameters: the hundreds of values of an IN list are bound, not compiled one by one.
_SHARED_COUNTS = (
    select(FingerprintHash.submission_id, func.count())
    .where(FingerprintHash.course_assignment_id == bindparam("ca"),
           FingerprintHash.hash.in_(bindparam("hashes", expanding=True)),
           FingerprintHash.user_id != bindparam("user"))
    .group_by(FingerprintHash.submission_id)
    .having(func.count() >= bindparam("at_least")))
_SIZES = (
    select(SubmissionFingerprint.submission_id, SubmissionFingerprint.size)
    .where(SubmissionFingerprint.submission_id.in_(bindparam("ids", expanding=True)),
           SubmissionFingerprint.engine_version == bindparam("version"),
           SubmissionFingerprint.starter_digest == bindparam("digest")))
_DATA = (
    select(SubmissionFingerprint.submission_id, SubmissionFingerprint.user_id, SubmissionFingerprint.data)
    .where(SubmissionFingerprint.submission_id.in_(bindparam("ids", expanding=True))))


def _shared_counts(course_assignment_id: int, user_id: int, hashes: list[int]) -> Counter[int]:
    shared: Counter[int] = Counter()
    # Reaching STORED_MIN_SCORE needs shared >= min_score * (size + other size) / 2 > min_score * size / 2
    # (compare.upper_bound): in one query the database can drop the others; over several, counts add up.
    at_least = math.ceil(STORED_MIN_SCORE * len(hashes) / 2) if len(hashes) <= _QUERY_CHUNK else 1
    for start in range(0, len(hashes), _QUERY_CHUNK):
        rows = db.session.execute(_SHARED_COUNTS, {"ca": course_assignment_id, "user": user_id, "at_least": at_least,
                                                    "hashes": hashes[start:start + _QUERY_CHUNK]})
        for other_id, count in rows:
            shared[other_id] += count
    return shared


def _pairs_with_others(submission: Submission, prints: FilePrint, starter_digest: str,
                       hashes: list[int]) -> list[dict[str, Any]]:
    shared = _shared_counts(submission.course_assignment_id, submission.user_id, hashes)
    if not shared:
        return []
    sizes: dict[int, int] = {}
    others = list(shared)
    for start in range(0, len(others), _QUERY_CHUNK):
        sizes.update(db.session.execute(_SIZES, {"ids": others[start:start + _QUERY_CHUNK], "version": ENGINE_VERSION,
                                                 "digest": starter_digest}).all())
    hopeful = [other for other, count in shared.items()
               if other in sizes and upper_bound(count, prints.size, sizes[other]) >= STORED_MIN_SCORE]
    rows = []
    for start in range(0, len(hopeful), _QUERY_CHUNK):
        for other_id, other_user, data in db.session.execute(_DATA, {"ids": hopeful[start:start + _QUERY_CHUNK]}):
            other = FilePrint.from_json(json.loads(data))
            # Pairs are stored with the older submission first; function names read from its side.
            comparison = compare(other, prints) if other_id < submission.id else compare(prints, other)
            if comparison.score >= STORED_MIN_SCORE:
                rows.append(_pair_row(submission, other_id, other_user, comparison))
    return rows


def _pair_row(submission: Submission, other_id: int, other_user: int, comparison: Comparison) -> dict[str, Any]:
    mine = (submission.id, submission.user_id)
    (a_id, a_user), (b_id, b_user) = sorted([mine, (other_id, other_user)])
    return {"course_assignment_id": submission.course_assignment_id, "submission_a_id": a_id,
            "submission_b_id": b_id, "user_a_id": a_user, "user_b_id": b_user, "score": comparison.score,
            "file_score": comparison.file_score, "function_score": comparison.function_score,
            "shared": comparison.shared,
            "functions": json.dumps([[m.a, m.b, round(m.score, 4)] for m in comparison.functions])}


def _unindexed(course_assignment: CourseAssignment) -> Any:
    starter = starter_for(course_assignment.assignment.name)
    current = select(SubmissionFingerprint.submission_id).where(
        SubmissionFingerprint.course_assignment_id == course_assignment.id,
        SubmissionFingerprint.engine_version == ENGINE_VERSION,
        SubmissionFingerprint.starter_digest == starter.digest)
    return select(Submission.id).where(Submission.course_assignment_id == course_assignment.id,
                                       Submission.status == SubmissionStatus.DONE, Submission.id.not_in(current))


def ensure_indexed(course_assignment: CourseAssignment, limit: int | None = None) -> int:
    """Index the graded submissions of the assignment not yet indexed (or indexed by an older engine).

    Covers submissions graded before this feature existed or while indexing failed, oldest
    first, at most ``limit`` of them (all when None). Returns how many were indexed.
    """
    missing = list(db.session.scalars(_unindexed(course_assignment).order_by(Submission.id).limit(limit)))
    db.session.commit()
    for submission_id in missing:
        index_submission(submission_id)
    return len(missing)


def unindexed_count(course_assignment: CourseAssignment) -> int:
    """Return how many graded submissions of the assignment are not indexed yet."""
    return int(db.session.scalar(select(func.count()).select_from(_unindexed(course_assignment).subquery())) or 0)


@dataclass
class RankedPair:
    """Two students, their most similar pair among each one's latest and best submission."""

    student_a: User
    student_b: User
    submission_a_id: int
    submission_b_id: int
    score: float
    file_score: float
    function_score: float
    shared: int
    functions: list[tuple[str, str, float]] = field(default_factory=list)
    labels_a: tuple[str, ...] = ()  # "latest", "best"
    labels_b: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"a": self.student_a.email, "b": self.student_b.email, "score": round(self.score, 4),
                "file_score": round(self.file_score, 4), "function_score": round(self.function_score, 4),
                "shared_fingerprints": self.shared, "submission_a": self.submission_a_id,
                "submission_b": self.submission_b_id, "a_submission_is": list(self.labels_a),
                "b_submission_is": list(self.labels_b),
                "functions": [{"a": a, "b": b, "score": score} for a, b, score in self.functions]}


@dataclass
class Ranking:
    """The ranked pairs of one assignment, and how many students took part."""

    course_assignment: CourseAssignment
    pairs: list[RankedPair]
    students_compared: int
    min_score: float = STORED_MIN_SCORE

    def to_json(self) -> dict[str, Any]:
        return {"course": self.course_assignment.course.code, "assignment": self.course_assignment.assignment.name,
                "students_compared": self.students_compared, "min_score": self.min_score,
                "engine_version": ENGINE_VERSION, "pairs": [pair.to_json() for pair in self.pairs]}


def compared_submissions(course_assignment: CourseAssignment) -> dict[int, dict[int, tuple[str, ...]]]:
    """Return, per enrolled student, their latest and best graded submission ids with labels."""
    enrolled = {user.id for user in students_of(course_assignment.course)}
    latest: dict[int, int] = {}
    best: dict[int, tuple[float, int]] = {}
    for submission_id, user_id, score in db.session.execute(
            select(Submission.id, Submission.user_id, Submission.final_score)
            .where(Submission.course_assignment_id == course_assignment.id,
                   Submission.status == SubmissionStatus.DONE, Submission.final_score.is_not(None))
            .order_by(Submission.created_at, Submission.id)):
        if user_id not in enrolled:
            continue
        latest[user_id] = submission_id
        if user_id not in best or score > best[user_id][0]:  # the earliest of equal best scores
            best[user_id] = (score, submission_id)
    chosen: dict[int, dict[int, tuple[str, ...]]] = {}
    for user_id, submission_id in latest.items():
        labels: dict[int, tuple[str, ...]] = {submission_id: ("latest",)}
        best_id = best[user_id][1]
        labels[best_id] = labels.get(best_id, ()) + ("best",)
        chosen[user_id] = labels
    return chosen


def ranking(course_assignment: CourseAssignment, limit: int | None = None) -> Ranking:
    """Rank pairs of students by the similarity of their latest and best submissions, most similar first."""
    chosen = compared_submissions(course_assignment)
    labels = {submission_id: (user_id, names) for user_id, ids in chosen.items() for submission_id, names in ids.items()}
    rows = db.session.execute(
        select(SimilarityPair).where(SimilarityPair.course_assignment_id == course_assignment.id)
        .order_by(SimilarityPair.score.desc(), SimilarityPair.id)).scalars()
    best: dict[tuple[int, int], SimilarityPair] = {}
    for row in rows:
        if row.submission_a_id not in labels or row.submission_b_id not in labels:
            continue
        key = (row.user_a_id, row.user_b_id) if row.user_a_id < row.user_b_id else (row.user_b_id, row.user_a_id)
        if key not in best:  # rows come most similar first
            best[key] = row
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(list(chosen))))}
    pairs = []
    for row in sorted(best.values(), key=lambda r: (-r.score, -r.shared, r.id)):
        pairs.append(RankedPair(
            users[row.user_a_id], users[row.user_b_id], row.submission_a_id, row.submission_b_id, row.score,
            row.file_score, row.function_score, row.shared,
            [(str(a), str(b), float(s)) for a, b, s in json.loads(row.functions or "[]")],
            labels[row.submission_a_id][1], labels[row.submission_b_id][1]))
    if limit is not None:
        pairs = pairs[:limit]
    return Ranking(course_assignment, pairs, len(chosen))


@dataclass
class SideBySide:
    """Two submissions, their scores and the matched regions to highlight."""

    submission_a: Submission
    submission_b: Submission
    comparison: Comparison
    regions: list[Region]
    lines_a: list[tuple[int, str, tuple[int, ...]]]  # (number, text, regions covering it)
    lines_b: list[tuple[int, str, tuple[int, ...]]]


def side_by_side(course_assignment: CourseAssignment, submission_a_id: int, submission_b_id: int) -> SideBySide:
    """Compare two submissions of the assignment for display; raise NotFound unless both belong to it."""
    found = {s.id: s for s in db.session.scalars(select(Submission).where(
        Submission.id.in_([submission_a_id, submission_b_id]),
        Submission.course_assignment_id == course_assignment.id))}
    if submission_a_id == submission_b_id or len(found) != 2:
        raise NotFound("no such pair of submissions in this assignment")
    a, b = found[submission_a_id], found[submission_b_id]
    starter = starter_for(course_assignment.assignment.name)
    comparison = compare(fingerprint_source(a.source, starter.hashes), fingerprint_source(b.source, starter.hashes))
    regions = matched_regions(a.source, b.source, starter.hashes)
    return SideBySide(a, b, comparison, regions,
                      _annotated_lines(a.source, ((r.number, r.a_start, r.a_end) for r in regions)),
                      _annotated_lines(b.source, ((r.number, r.b_start, r.b_end) for r in regions)))


def _annotated_lines(source: str, spans: Iterable[tuple[int, int, int]]) -> list[tuple[int, str, tuple[int, ...]]]:
    lines = source.splitlines() or [""]
    covering: dict[int, list[int]] = {}
    for number, start, end in spans:
        for line in range(start, min(end, len(lines)) + 1):
            covering.setdefault(line, []).append(number)
    return [(n, text, tuple(covering.get(n, ()))) for n, text in enumerate(lines, start=1)]

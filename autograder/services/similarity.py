"""Similarity between students' submissions: indexed in batches off the grading path, ranked per assignment.

Each graded submission is fingerprinted once (``autograder.similarity``) and stored with its
rows in the inverted index (``FingerprintHash``). A batch (``index_pending``: every graded
submission of one course assignment not indexed yet, run by a background job after grading,
see ``autograder.jobs.similarity``) compares its submissions only with those of other students
that share enough fingerprints to possibly reach ``STORED_MIN_SCORE`` and stores those pairs,
so the ranking page reads stored pairs instead of comparing everyone with everyone. Scores are
evidence for staff to review, never a verdict.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from itertools import chain
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from autograder.extensions import db
from autograder.models import (
    CourseAssignment, FingerprintHash, SimilarityPair, Submission, SubmissionFingerprint, SubmissionStatus, User,
)
from autograder.models._time import utcnow
from autograder.services.courses import students_of
from autograder.services.errors import NotFound
from autograder.similarity.compare import Comparison, Region, compare, matched_regions
from autograder.similarity.fingerprints import ENGINE_VERSION, FilePrint, fingerprint_source, starter_hashes
from autograder.similarity.index import Document, FingerprintIndex

log = logging.getLogger(__name__)

STORED_MIN_SCORE = 0.2  # pairs below this are not stored nor listed: independent work lands there
BATCH_SIZE = 500  # submissions indexed under one lock and one commit
TIMED_BATCH_SIZE = 10  # under a time budget (a page): a few tens of ms per batch here
# In the background, beside grading: a batch holds its grading process (or thread) until it ends,
# and each file is compared with every indexed one it could match (the whole class, when files are
# near-identical), so batches stay small and the next one waits for the grading queue.
BACKGROUND_BATCH_SIZE = 10
_QUERY_CHUNK = 2000  # values per IN (...) query, under the parameter limits of SQLite (>= 3.32) and PostgreSQL


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


def index_pending_safely(course_assignment_id: int, limit: int = BATCH_SIZE) -> IndexedBatch | None:
    """Index a batch of the assignment's pending submissions for a background job; log failures, never raise.

    What fails stays unindexed and is picked up by the next batch or sweep (nothing is half-written:
    a batch is one transaction).
    """
    try:
        course_assignment = db.session.get(CourseAssignment, course_assignment_id)
        if course_assignment is None:
            return None
        return index_pending(course_assignment, limit=limit)
    except Exception:  # noqa: BLE001  (similarity is an extra: a background job must keep running)
        log.exception("similarity indexing of course assignment %s failed", course_assignment_id)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the database itself may be away)
            log.warning("could not roll back after similarity indexing failed", exc_info=True)
        return None


@dataclass(frozen=True)
class IndexedBatch:
    """What one batch did: submissions indexed, pairs stored, and whether more were pending."""

    indexed: int
    pairs: int
    more: bool


@dataclass
class _Pending:
    """A submission of the batch, fingerprinted before the lock is taken."""

    id: int
    user_id: int
    prints: FilePrint
    hashes: list[int] = field(default_factory=list)
    data: str = ""  # the stored JSON of the fingerprints


def index_pending(course_assignment: CourseAssignment, limit: int = BATCH_SIZE,
                  submission_ids: Iterable[int] | None = None) -> IndexedBatch:
    """Index, in one batch, up to ``limit`` graded submissions of the assignment not yet indexed (oldest first).

    Not yet indexed: never fingerprinted, or by an older engine or starter. ``submission_ids``
    narrows the batch to those. Fingerprinting and comparing the batch with itself run before
    any lock; then one lock of the course assignment, one candidate lookup for the whole batch
    in the stored index, and one commit. Idempotent: what another indexer stored meanwhile is skipped.
    """
    course_assignment_id, starter = course_assignment.id, starter_for(course_assignment.assignment.name)
    module_file = course_assignment.assignment.filename
    query = _unindexed(course_assignment)
    if submission_ids is not None:
        query = query.where(Submission.id.in_(list(submission_ids)))
    rows = db.session.execute(query.with_only_columns(Submission.id, Submission.user_id, Submission.filename,
                                                      Submission.source)
                              .order_by(Submission.id).limit(limit + 1)).all()
    # The batch's members are graded, so which of them the ranking can show is settled (_shown).
    shown = _shown(course_assignment_id)
    db.session.commit()  # end the read: fingerprinting holds no transaction
    more, rows = len(rows) > limit, rows[:limit]
    if not rows:
        return IndexedBatch(0, 0, False)
    batch = [_Pending(row.id, row.user_id, fingerprint_source(graded_code(row.filename, row.source, module_file),
                                                                   starter.hashes))
             for row in rows]
    for pending in batch:
        pending.hashes = sorted(pending.prints.hashes)
        pending.data = json.dumps(pending.prints.to_json(), separators=(",", ":"))
    stored = _store_batch(course_assignment_id, starter.digest, batch, _pairs_within(batch, shown))
    return IndexedBatch(len(batch), stored, more)


def _lock_course_assignment(course_assignment_id: int) -> None:
    # One indexer per course assignment at a time, so of two batches the second always sees the
    # first. PostgreSQL: a row lock. SQLite: a no-op write takes the database's write lock now,
    # before anything is read (a deferred transaction would read first and miss a concurrent batch).
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(CourseAssignment.__table__).where(CourseAssignment.id == course_assignment_id)
                           .values(id=CourseAssignment.id))
    else:
        db.session.execute(select(CourseAssignment.id).where(CourseAssignment.id == course_assignment_id)
                           .with_for_update())


def _store_batch(course_assignment_id: int, starter_digest: str, batch: list[_Pending], within: list[_Pair]) -> int:
    """Under the lock: skip what is already indexed, compare with the index, insert everything, commit.

    ``within`` are the batch's pairs among its own submissions. Returns the pairs stored.
    """
    _lock_course_assignment(course_assignment_id)
    current: set[int] = set()
    stale: list[int] = []
    for chunk in _chunks([pending.id for pending in batch]):
        for submission_id, version, digest in db.session.execute(_STORED_VERSIONS, {"ids": chunk}):
            if version == ENGINE_VERSION and digest == starter_digest:
                current.add(submission_id)
            else:
                stale.append(submission_id)
    batch = [pending for pending in batch if pending.id not in current]
    if stale:
        _forget(stale)
    # A submission another indexer stored meanwhile is compared through the index instead.
    within = [pair for pair in within if pair[0] not in current and pair[2] not in current]
    pairs: list[_Pair] = []
    if batch:
        # Read under the lock: a submission graded and indexed by another batch meanwhile is in it.
        shown = _shown(course_assignment_id)
        shown_batch = [pending for pending in batch if pending.id in shown]
        pairs = [*_pairs_with_indexed(course_assignment_id, starter_digest, shown_batch, shown), *within]
        now = utcnow()
        db.session.execute(insert(SubmissionFingerprint.__table__), [
            {"submission_id": p.id, "course_assignment_id": course_assignment_id, "user_id": p.user_id,
             "engine_version": ENGINE_VERSION, "starter_digest": starter_digest, "size": p.prints.size,
             "data": p.data, "created_at": now}
            for p in batch])
        _insert_index_rows(course_assignment_id, batch)
    if pairs:
        db.session.execute(insert(SimilarityPair.__table__), [_pair_row(course_assignment_id, *pair) for pair in pairs])
    db.session.commit()
    return len(pairs)


def _insert_index_rows(course_assignment_id: int, batch: list[_Pending]) -> None:
    # Hundreds of rows per submission: the driver's executemany with plain tuples, without the
    # per-row parameter processing of a Core insert (most of the cost of a batch's writes).
    table = FingerprintHash.__table__
    connection = db.session.connection()
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    statement = (f"INSERT INTO {table.name} (course_assignment_id, hash, submission_id, user_id) "
                 f"VALUES ({', '.join([placeholder] * 4)})")
    rows = [(course_assignment_id, value, p.id, p.user_id) for p in batch for value in p.hashes]
    if rows:
        connection.exec_driver_sql(statement, rows)


def _chunks(values: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(values), _QUERY_CHUNK):
        yield values[start:start + _QUERY_CHUNK]


def _forget(submission_ids: list[int]) -> None:
    for chunk in _chunks(submission_ids):
        db.session.execute(delete(SimilarityPair).where(or_(SimilarityPair.submission_a_id.in_(chunk),
                                                            SimilarityPair.submission_b_id.in_(chunk))))
        db.session.execute(delete(FingerprintHash).where(FingerprintHash.submission_id.in_(chunk)))
        db.session.execute(delete(SubmissionFingerprint).where(SubmissionFingerprint.submission_id.in_(chunk)))


# Expanding parameters: the hundreds of values of an IN list are bound, not compiled one by one.
_STORED_VERSIONS = (
    select(SubmissionFingerprint.submission_id, SubmissionFingerprint.engine_version,
           SubmissionFingerprint.starter_digest)
    .where(SubmissionFingerprint.submission_id.in_(bindparam("ids", expanding=True))))
_POSTINGS = (
    select(FingerprintHash.hash, FingerprintHash.submission_id, FingerprintHash.user_id)
    .where(FingerprintHash.course_assignment_id == bindparam("ca"),
           FingerprintHash.hash.in_(bindparam("hashes", expanding=True))))
_SHOWN_POSTINGS = _POSTINGS.where(FingerprintHash.submission_id.in_(bindparam("shown", expanding=True)))
_SIZES = (
    select(SubmissionFingerprint.submission_id, SubmissionFingerprint.size)
    .where(SubmissionFingerprint.submission_id.in_(bindparam("ids", expanding=True)),
           SubmissionFingerprint.engine_version == bindparam("version"),
           SubmissionFingerprint.starter_digest == bindparam("digest")))
_DATA = (
    select(SubmissionFingerprint.submission_id, SubmissionFingerprint.data)
    .where(SubmissionFingerprint.submission_id.in_(bindparam("ids", expanding=True))))

# (older submission, its student, newer submission, its student, comparison read from the older side)
_Pair = tuple[int, int, int, int, Comparison]


def _pairs_with_indexed(course_assignment_id: int, starter_digest: str, batch: list[_Pending],
                        shown: set[int]) -> list[_Pair]:
    """Compare the batch with the indexed submissions of other students that could reach STORED_MIN_SCORE.

    Only the submissions the ranking can show (``shown``: each student's latest and best) are
    candidates, so a file is compared with at most two of each other student's, however many
    they sent. One postings lookup for the whole batch (the inverted index in the database),
    counted in memory; only candidates whose shared count allows the threshold
    (compare.upper_bound) are loaded and compared.
    """
    if not batch:
        return []
    wanted = sorted(set().union(*(pending.prints.hashes for pending in batch)))
    postings: dict[int, list[int]] = defaultdict(list)
    owner: dict[int, int] = {}
    # With few enough shown submissions the database leaves the others out (a near-identical class
    # would otherwise send every posting of every hash); with more, they are left out here.
    narrow = len(shown) <= _QUERY_CHUNK
    statement, extra = (_SHOWN_POSTINGS, {"shown": sorted(shown)}) if narrow else (_POSTINGS, {})
    for chunk in _chunks(wanted):
        for value, submission_id, user_id in db.session.execute(statement, {"ca": course_assignment_id,
                                                                            "hashes": chunk, **extra}):
            if submission_id in shown:
                postings[value].append(submission_id)
                owner[submission_id] = user_id
    if not owner:
        return []
    sizes: dict[int, int] = {}
    for chunk in _chunks(sorted(owner)):
        sizes.update(db.session.execute(_SIZES, {"ids": chunk, "version": ENGINE_VERSION,
                                                 "digest": starter_digest}).tuples().all())
    hopeful: dict[int, list[int]] = {}
    for pending in batch:
        shared = Counter(chain.from_iterable(postings[value] for value in pending.hashes if value in postings))
        size = pending.prints.size
        # compare.upper_bound(count, size, other size) >= STORED_MIN_SCORE, inlined: this runs for most pairs.
        hopeful[pending.id] = [other for other, count in shared.items()
                               if owner[other] != pending.user_id and other in sizes
                               and 2 * count >= STORED_MIN_SCORE * (size + sizes[other])]
    loaded: dict[int, FilePrint] = {}
    for chunk in _chunks(sorted(set().union(*hopeful.values()))):
        for submission_id, data in db.session.execute(_DATA, {"ids": chunk}):
            loaded[submission_id] = FilePrint.from_json(json.loads(data))
    pairs: list[_Pair] = []
    for pending in batch:
        for other in hopeful[pending.id]:
            pair = _scored(other, owner[other], loaded[other], pending.id, pending.user_id, pending.prints)
            if pair is not None:
                pairs.append(pair)
    return pairs


def _pairs_within(batch: list[_Pending], shown: set[int]) -> list[_Pair]:
    """Compare the batch's submissions the ranking can show with each other, through an in-memory inverted index."""
    index = FingerprintIndex()
    pairs: list[_Pair] = []
    for pending in sorted((p for p in batch if p.id in shown), key=lambda p: p.id):
        for other, _ in index.candidates(pending.prints, pending.user_id, STORED_MIN_SCORE):
            pair = _scored(cast(int, other.key), cast(int, other.owner), other.print, pending.id, pending.user_id,
                           pending.prints)
            if pair is not None:
                pairs.append(pair)
        index.insert(Document(pending.id, pending.user_id, pending.prints))
    return pairs


def _scored(id_a: int, user_a: int, print_a: FilePrint, id_b: int, user_b: int, print_b: FilePrint) -> _Pair | None:
    # Pairs are stored with the older submission first; function names read from its side.
    if id_b < id_a:
        id_a, user_a, print_a, id_b, user_b, print_b = id_b, user_b, print_b, id_a, user_a, print_a
    comparison = compare(print_a, print_b)
    return (id_a, user_a, id_b, user_b, comparison) if comparison.score >= STORED_MIN_SCORE else None


def _pair_row(course_assignment_id: int, a_id: int, a_user: int, b_id: int, b_user: int,
              comparison: Comparison) -> dict[str, Any]:
    return {"course_assignment_id": course_assignment_id, "submission_a_id": a_id,
            "submission_b_id": b_id, "user_a_id": a_user, "user_b_id": b_user, "score": comparison.score,
            "file_score": comparison.file_score, "function_score": comparison.function_score,
            "shared": comparison.shared,
            "functions": json.dumps([[m.a, m.b, round(m.score, 4)] for m in comparison.functions]),
            "computed_at": utcnow()}


def index_submission(submission_id: int) -> int:
    """Index one graded submission now (a batch of one); return the pairs stored (0 when already indexed).

    Raises NotFound for an unknown id.
    """
    submission = db.session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"no submission {submission_id}")
    return index_pending(submission.course_assignment, limit=1, submission_ids=[submission_id]).pairs


def _unindexed(course_assignment: CourseAssignment) -> Any:
    starter = starter_for(course_assignment.assignment.name)
    current = select(SubmissionFingerprint.submission_id).where(
        SubmissionFingerprint.course_assignment_id == course_assignment.id,
        SubmissionFingerprint.engine_version == ENGINE_VERSION,
        SubmissionFingerprint.starter_digest == starter.digest)
    return select(Submission.id).where(Submission.course_assignment_id == course_assignment.id,
                                       Submission.status == SubmissionStatus.DONE, Submission.id.not_in(current))


def ensure_indexed(course_assignment: CourseAssignment, limit: int | None = None,
                   seconds: float | None = None) -> int:
    """Index the graded submissions of the assignment not yet indexed (or indexed by an older engine).

    Covers whatever the background indexer has not reached yet (or that failed), oldest first,
    in batches, at most ``limit`` of them (all when None) and, with ``seconds``, no new batch
    once that long has passed (a page stays quick over a large backlog; the background indexer
    takes the rest). Returns how many were indexed.
    """
    done = 0
    started = time.monotonic()
    size = BATCH_SIZE if seconds is None else TIMED_BATCH_SIZE
    while limit is None or done < limit:
        batch = index_pending(course_assignment, limit=size if limit is None else min(size, limit - done))
        done += batch.indexed
        if not batch.more or not batch.indexed:
            break
        if seconds is not None and time.monotonic() - started >= seconds:
            break
    return done


def pending_course_assignments() -> list[int]:
    """Return the course assignments with graded submissions never fingerprinted by this engine (for sweeps).

    A changed starter file is noticed per assignment, by ``index_pending`` (the pages and the command).
    """
    current = select(SubmissionFingerprint.submission_id).where(SubmissionFingerprint.engine_version == ENGINE_VERSION)
    return list(db.session.scalars(
        select(Submission.course_assignment_id).where(Submission.status == SubmissionStatus.DONE,
                                                      Submission.id.not_in(current))
        .group_by(Submission.course_assignment_id).order_by(Submission.course_assignment_id)))


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


def _latest_and_best(course_assignment_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """Per student, their latest graded submission and their best (by final score, the earliest of equal ones)."""
    latest: dict[int, int] = {}
    best: dict[int, tuple[float, int]] = {}
    for submission_id, user_id, score in db.session.execute(
            select(Submission.id, Submission.user_id, Submission.final_score)
            .where(Submission.course_assignment_id == course_assignment_id,
                   Submission.status == SubmissionStatus.DONE, Submission.final_score.is_not(None))
            .order_by(Submission.created_at, Submission.id)):
        latest[user_id] = submission_id
        if user_id not in best or score > best[user_id][0]:
            best[user_id] = (score, submission_id)
    return latest, {user_id: submission_id for user_id, (_, submission_id) in best.items()}


def _shown(course_assignment_id: int) -> set[int]:
    """The submissions the ranking can show: each student's latest and best graded one.

    A submission outside this set now stays outside it (a newer one exists, or a better or equal
    earlier one) unless scores change, and a change of scores forgets the student's fingerprints
    (``forget_students``) so that all their submissions are compared again.
    """
    latest, best = _latest_and_best(course_assignment_id)
    return set(latest.values()) | set(best.values())


def forget_students(course_assignment_id: int, user_ids: Iterable[int]) -> None:
    """Drop the students' fingerprints and pairs in the assignment (in the caller's transaction).

    Call it when their scores may change (a regrade, an extension): which of their submissions the
    ranking shows may then change, and indexing compares each file only with the shown ones of
    others. The background indexer indexes them again.
    """
    ids = list(db.session.scalars(select(SubmissionFingerprint.submission_id).where(
        SubmissionFingerprint.course_assignment_id == course_assignment_id,
        SubmissionFingerprint.user_id.in_(list(user_ids)))))
    if ids:
        _forget(ids)


def compared_submissions(course_assignment: CourseAssignment) -> dict[int, dict[int, tuple[str, ...]]]:
    """Return, per enrolled student, their latest and best graded submission ids with labels."""
    enrolled = {user.id for user in students_of(course_assignment.course)}
    latest, best = _latest_and_best(course_assignment.id)
    chosen: dict[int, dict[int, tuple[str, ...]]] = {}
    for user_id, submission_id in latest.items():
        if user_id not in enrolled:
            continue
        labels: dict[int, tuple[str, ...]] = {submission_id: ("latest",)}
        best_id = best[user_id]
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
    module_file = course_assignment.assignment.filename
    code_a, code_b = (graded_code(a.filename, a.source, module_file),
                      graded_code(b.filename, b.source, module_file))
    comparison = compare(fingerprint_source(code_a, starter.hashes), fingerprint_source(code_b, starter.hashes))
    regions = matched_regions(code_a, code_b, starter.hashes)
    return SideBySide(a, b, comparison, regions,
                      _annotated_lines(code_a, ((r.number, r.a_start, r.a_end) for r in regions)),
                      _annotated_lines(code_b, ((r.number, r.b_start, r.b_end) for r in regions)))


def graded_code(filename: str, source: str, module_file: str | None = None) -> str:
    """The Python a submission is graded as: a notebook's code cells, not its JSON (whose strings hide the code).

    ``module_file`` is the assignment's file: a notebook writing it with %%writefile is graded as that code.
    """
    from autograder.grading.notebook import python_source

    return python_source(filename, source, module_file)


def _annotated_lines(source: str, spans: Iterable[tuple[int, int, int]]) -> list[tuple[int, str, tuple[int, ...]]]:
    lines = source.splitlines() or [""]
    covering: dict[int, list[int]] = {}
    for number, start, end in spans:
        for line in range(start, min(end, len(lines)) + 1):
            covering.setdefault(line, []).append(number)
    return [(n, text, tuple(covering.get(n, ()))) for n, text in enumerate(lines, start=1)]

"""Time similarity indexing of a course's submissions and serving its ranking, against naive all-pairs baselines.

Usage: .venv/bin/python bench/similarity_bench.py [--submissions 1000] [--students 300] [--copies 10]

A synthetic course: each student writes a random program of NumPy functions (independent by
construction) and resubmits small edits of it; ``--copies`` students hand in a disguised copy
(renamed, reordered, restyled) of another student's work as their latest submission. Measured:

1. engine: fingerprint every submission and add it to the inverted index (comparing it with the
   candidates the index finds), versus fingerprinting and comparing every pair of students'
   submissions (naive baseline);
2. service: ``index_pending`` batches over every submission, as the background indexer does after
   grading, on a fresh SQLite database built by the migrations (fingerprints, index rows and pairs
   written), versus ``index_submission`` one submission per lock and commit (the former path, timed on
   the first ``--one-by-one`` submissions and extrapolated);
3. ranking: ``similarity.ranking`` (stored pairs) per request, versus computing the ranking on
   request from the students' latest and best sources with all-pairs comparison (naive).

It also checks that the planted copies are the top of the ranking.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import random
import statistics
import tempfile
import time
import tokenize
from pathlib import Path

from autograder.grading.assignment import find_assignment
from autograder.similarity.compare import compare
from autograder.similarity.disguise import disguise
from autograder.similarity.fingerprints import fingerprint_source
from autograder.similarity.index import Document, FingerprintIndex, PairScore

NUMPY_CALLS = [
    "np.sum",
    "np.mean",
    "np.exp",
    "np.log",
    "np.maximum",
    "np.minimum",
    "np.abs",
    "np.sqrt",
    "np.tanh",
    "np.square",
    "np.clip",
    "np.where",
    "np.dot",
    "np.outer",
    "np.cumsum",
    "np.max",
    "np.argmax",
]
AXIS_CALLS = ["np.sum", "np.mean", "np.max", "np.argmax", "np.cumsum"]
METHODS = [".T", ".shape[0]", ".shape[-1]", ".copy()", ".ravel()", ".reshape(-1, 1)", ".size"]
OPERATORS = ["+", "-", "*", "/", "**"]


class ProgramWriter:
    """Random, independent NumPy programs of the size of a student's file."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def expression(self, names: list[str], depth: int = 0) -> str:
        rng = self.rng
        choice = rng.random()
        if depth > 1 or choice < 0.3:
            return rng.choice(names) if rng.random() < 0.8 else repr(round(rng.uniform(-3, 3), rng.randint(0, 3)))
        if choice < 0.5:
            call = rng.choice(NUMPY_CALLS)
            arguments = [
                self.expression(names, depth + 1)
                for _ in range(2 if call in ("np.maximum", "np.minimum", "np.dot", "np.outer") else 1)
            ]
            if call == "np.clip":
                arguments += ["-1.0", "1.0"]
            if call == "np.where":
                arguments = [f"{arguments[0]} > 0", self.expression(names, depth + 1), "0.0"]
            if call in AXIS_CALLS and rng.random() < 0.5:
                arguments.append(f"axis={rng.choice([0, 1, -1])}")
            return f"{call}({', '.join(arguments)})"
        if choice < 0.65:
            return f"{self.expression(names, depth + 1)}{rng.choice(METHODS)}"
        if choice < 0.75:
            return f"{rng.choice(names)}[{rng.choice(['i', ':, None', '0', '1:', '::2', 'mask'])}]"
        return f"({self.expression(names, depth + 1)} {rng.choice(OPERATORS)} {self.expression(names, depth + 1)})"

    def statements(self, names: list[str], indent: str, count: int, depth: int = 0) -> list[str]:
        rng = self.rng
        lines = []
        for _ in range(count):
            kind = rng.random()
            if kind < 0.15 and depth < 2:
                bound = rng.choice(["n", "len(x)", "x.shape[0]", "steps"])
                lines.append(f"{indent}for i in range({bound}):")
                lines += self.statements(names + ["i"], indent + "    ", rng.randint(1, 3), depth + 1)
            elif kind < 0.25 and depth < 2:
                lines.append(f"{indent}if {self.expression(names)} > {rng.choice(['0', 'eps', '1e-8'])}:")
                lines += self.statements(names, indent + "    ", rng.randint(1, 2), depth + 1)
            elif kind < 0.35:
                lines.append(f"{indent}{rng.choice(names)} {rng.choice(['+=', '-=', '*='])} {self.expression(names)}")
            else:
                target = f"t{len(names)}"
                lines.append(f"{indent}{target} = {self.expression(names)}")
                names = names + [target]
        return lines

    def function(self, name: str) -> list[str]:
        parameters = self.rng.sample(
            ["x", "y", "w", "b", "grad", "config", "eps", "mask", "steps", "n"], self.rng.randint(2, 4)
        )
        body = self.statements(list(parameters), "    ", self.rng.randint(2, 6))
        return [f"def {name}({', '.join(parameters)}):", *body, f"    return {self.rng.choice(parameters)}", "", ""]

    def program(self, functions: list[str]) -> str:
        lines = ["import numpy as np", "", ""]
        for name in functions:
            lines += self.function(name)
        return "\n".join(lines)

    def edit(self, source: str) -> str:
        """A resubmission: one function rewritten."""
        blocks = source.split("\n\n\ndef ")
        index = self.rng.randrange(1, len(blocks))
        name = blocks[index].split("(")[0]
        blocks[index] = "\n".join(self.function(name))[4:].rstrip("\n")
        return "\n\n\ndef ".join(blocks)


def synthetic_course(submissions: int, students: int, copies: int, seed: int = 2026):
    """Return [(student, source)] in submission order, and the planted (copier, original) pairs."""
    rng = random.Random(seed)
    writer = ProgramWriter(rng)
    # The contract's names: what the starter fixes and what a disguise keeps.
    functions = [function.name for function in find_assignment("losses").functions]
    latest = {f"student{n:04d}@example.edu": writer.program(functions) for n in range(students)}
    order = [(student, source) for student, source in latest.items()]
    while len(order) < submissions - copies:
        student = rng.choice(list(latest))
        latest[student] = writer.edit(latest[student])
        order.append((student, latest[student]))
    planted = []
    names = list(latest)
    for n in range(copies):
        copier, original = names[2 * n], names[2 * n + 1]
        order.append((copier, disguise(latest[original], keep=functions, seed=n)))
        planted.append(frozenset((copier, original)))
    return order, planted


def timed(function, *args):
    """Return (result, wall seconds, CPU seconds of this process)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - started, time.process_time() - cpu


def engine_index(order):
    index = FingerprintIndex()
    pairs = []
    for key, (student, source) in enumerate(order):
        document = Document(key, student, fingerprint_source(source))
        for other, comparison in index.add(document, 0.2):
            pairs.append(PairScore(student, other.owner, key, other.key, comparison))
    return pairs


def engine_naive(order, sample_pairs: int):
    """All-pairs baseline: fingerprint everything, compare every pair of different students.

    Comparing all ~n²/2 pairs would take minutes, so ``sample_pairs`` random pairs are timed and
    the total is extrapolated (0 means every pair). Returns (pairs compared, pairs total, seconds
    per compared pair, fingerprinting seconds).
    """
    started = time.perf_counter()
    documents = [Document(key, student, fingerprint_source(source)) for key, (student, source) in enumerate(order)]
    fingerprinting = time.perf_counter() - started
    compared, candidates, per_pair = _time_pairs(documents, sample_pairs, seed=1)
    return compared, candidates, per_pair, fingerprinting


def _time_pairs(documents: list[Document], sample_pairs: int, seed: int) -> tuple[int, int, float]:
    """Compare every pair of documents of different owners (or ``sample_pairs`` random ones).

    Returns (pairs compared, pairs in all, seconds per compared pair).
    """
    candidates = [(i, j) for i in range(len(documents)) for j in range(i) if documents[i].owner != documents[j].owner]
    chosen = (
        candidates
        if not sample_pairs or sample_pairs >= len(candidates)
        else random.Random(seed).sample(candidates, sample_pairs)
    )
    started = time.perf_counter()
    for i, j in chosen:
        compare(documents[i].print, documents[j].print)
    return len(chosen), len(candidates), (time.perf_counter() - started) / max(1, len(chosen))


def naive_ranking(course_assignment, sample_pairs: int) -> float:
    """Seconds a page without stored pairs would take: fingerprint the compared submissions, compare all pairs.

    As in engine_naive, the comparisons are timed on ``sample_pairs`` random pairs and extrapolated.
    """
    from autograder.extensions import db
    from autograder.models import Submission
    from autograder.services import similarity

    started = time.perf_counter()
    chosen = similarity.compared_submissions(course_assignment)
    ids = [submission_id for labels in chosen.values() for submission_id in labels]
    starter = similarity.starter_for(course_assignment.assignment.name).hashes
    rows = db.session.query(Submission.id, Submission.user_id, Submission.source).filter(Submission.id.in_(ids))
    documents = [Document(sid, uid, fingerprint_source(source, starter)) for sid, uid, source in rows]
    fingerprinting = time.perf_counter() - started
    _, candidates, per_pair = _time_pairs(documents, sample_pairs, seed=2)
    return fingerprinting + per_pair * candidates


def seeded_course(order):
    """Add the course, its students and their graded submissions (inside an app context); return its id."""
    from autograder.extensions import db
    from autograder.models import (
        CatalogAssignment,
        Course,
        CourseAssignment,
        Enrollment,
        Role,
        Submission,
        SubmissionStatus,
        User,
    )

    assignment = CatalogAssignment(
        name="losses", title="Loss functions", filename="losses.py", version="bench", max_score=35.0
    )
    course = Course(code="BENCH", title="Bench", join_code="BENCH")
    ca = CourseAssignment(course=course, assignment=assignment)
    users = {}
    for student in dict.fromkeys(student for student, _ in order):
        users[student] = User(email=student, role=Role.STUDENT)
        db.session.add(Enrollment(user=users[student], course=course, role=Role.STUDENT))
    rng = random.Random(7)
    rows = [
        Submission(
            user=users[student],
            course_assignment=ca,
            filename="losses.py",
            source=source,
            sha256=hashlib.sha256(source.encode()).hexdigest(),
            status=SubmissionStatus.DONE,
            score=(score := float(rng.randint(0, 35))),
            final_score=score,
            max_score=35.0,
        )
        for student, source in order
    ]
    db.session.add_all(rows)
    db.session.commit()
    ca_id = ca.id
    db.session.remove()  # as in a worker: the session holds nothing else
    return ca_id


def fresh_app(folder: str, name: str):
    from flask_migrate import upgrade

    from autograder.app import create_app
    from autograder.config import TestConfig

    app = create_app(TestConfig(folder, f"sqlite:///{Path(folder) / name}"))
    with app.app_context():
        upgrade()
    return app


def service_bench(order, planted, ranking_runs: int, sample_pairs: int, one_by_one: int) -> None:
    from autograder.extensions import db
    from autograder.models import CourseAssignment, Submission
    from autograder.services import similarity

    with tempfile.TemporaryDirectory() as folder:
        # Baseline: the former after-grading path, one submission per lock and commit (index_submission).
        app = fresh_app(folder, "one-by-one.sqlite3")
        with app.app_context():
            seeded_course(order[:one_by_one])
            ids = list(db.session.scalars(db.select(Submission.id).order_by(Submission.id)))
            _, single, single_cpu = timed(lambda: [similarity.index_submission(i) for i in ids])
            db.engine.dispose()
        per_single = single / max(1, len(ids))
        print(
            f"service baseline: index_submission one at a time (one lock and commit each, the former after-grading "
            f"path), first {len(ids)} submissions: {single:.2f} s wall, {single_cpu:.2f} s CPU, "
            f"{per_single * 1000:.1f} ms each -> {per_single * len(order):.1f} s for {len(order)} (extrapolated)"
        )
        app = fresh_app(folder, "bench.sqlite3")
        with app.app_context():
            ca_id = seeded_course(order)
            ca = db.session.get(CourseAssignment, ca_id)
            # What the background job does: index_pending batches (BATCH_SIZE each, one lock and commit each).
            indexed, indexing, indexing_cpu = timed(lambda: similarity.ensure_indexed(ca))
            stored = db.session.scalar(db.select(db.func.count()).select_from(similarity.SimilarityPair))
            print(
                f"service: index_pending batches of {similarity.BATCH_SIZE} x {indexed} submissions (SQLite; "
                f"fingerprints, index rows and pairs, one lock and commit per batch): {indexing:.2f} s wall, "
                f"{indexing_cpu:.2f} s CPU, {indexing / max(1, indexed) * 1000:.1f} ms each; {stored} pairs stored; "
                f"ratio to one at a time {per_single * len(order) / indexing:.1f}x"
            )
            ranking_times = []
            for _ in range(ranking_runs):
                db.session.expire_all()
                # What the page does per request: index anything missed, then read the stored pairs.
                ranked, seconds, _ = timed(lambda: (similarity.ensure_indexed(ca), similarity.ranking(ca))[1])
                ranking_times.append(seconds)
            db.session.expire_all()
            naive_seconds = naive_ranking(ca, sample_pairs)
            median = statistics.median(ranking_times)
            print(
                f"ranking served (ensure_indexed + stored pairs; {ranked.students_compared} students, {len(ranked.pairs)} pairs): "
                f"median {median * 1000:.1f} ms, max {max(ranking_times) * 1000:.1f} ms over {ranking_runs} requests; "
                f"naive (fingerprint and compare everyone on request{', extrapolated' if sample_pairs else ''}): "
                f"{naive_seconds:.1f} s; ratio {naive_seconds / median:.0f}x"
            )
            top = {frozenset((p.student_a.email, p.student_b.email)) for p in ranked.pairs[: len(planted)]}
            others = [
                round(p.score, 2)
                for p in ranked.pairs
                if frozenset((p.student_a.email, p.student_b.email)) not in planted
            ]
            print(
                f"planted copies in the top {len(planted)}: {len(top & set(planted))}/{len(planted)}; "
                f"their lowest score {min((p.score for p in ranked.pairs[: len(planted)]), default=0):.2f}; "
                f"highest unplanted pair {max(others, default=0):.2f}"
            )
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--ranking-runs", type=int, default=20)
    parser.add_argument(
        "--sample-pairs",
        type=int,
        default=20000,
        help="pairs the naive baselines compare, extrapolated to all pairs (0: compare all)",
    )
    parser.add_argument(
        "--one-by-one", type=int, default=200, help="submissions the one-at-a-time service baseline indexes"
    )
    arguments = parser.parse_args()
    order, planted = synthetic_course(arguments.submissions, arguments.students, arguments.copies)
    lines = sum(source.count("\n") + 1 for _, source in order) / len(order)
    print(
        f"{len(order)} submissions of {arguments.students} students ({lines:.0f} lines each on average), "
        f"{len(planted)} planted disguised copies; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    indexed, index_seconds, index_cpu = timed(engine_index, order)
    (compared, total, per_pair, fingerprinting), _, _ = timed(engine_naive, order, arguments.sample_pairs)
    naive_seconds = fingerprinting + per_pair * total
    print(
        f"engine: fingerprint + inverted index, {len(order)} submissions: {index_seconds:.2f} s wall, "
        f"{index_cpu:.2f} s CPU ({len(indexed)} pairs >= 0.2)"
    )
    print(
        f"engine naive all-pairs: fingerprinting {fingerprinting:.2f} s + {total} pairs x {per_pair * 1e6:.0f} us"
        f"{f' (timed on {compared})' if compared < total else ''} = {naive_seconds:.1f} s; "
        f"ratio {naive_seconds / index_seconds:.1f}x"
    )
    # Same-run baseline of the normalisation's cost: one pass of the standard library's tokenizer.
    _, plain_tokenize, _ = timed(lambda: [list(tokenize.generate_tokens(io.StringIO(s).readline)) for _, s in order])
    print(
        f"baseline: tokenize.generate_tokens alone over the {len(order)} sources: {plain_tokenize:.2f} s; "
        f"fingerprinting them (ast + tokens + winnowing, above): {fingerprinting:.2f} s, "
        f"{fingerprinting / plain_tokenize:.2f}x a plain tokenize pass"
    )
    service_bench(order, planted, arguments.ranking_runs, arguments.sample_pairs, arguments.one_by_one)


if __name__ == "__main__":
    main()

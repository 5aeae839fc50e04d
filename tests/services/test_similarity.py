"""The similarity service: indexed after grading, ranked per assignment, never in the way of a grade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from autograder.extensions import db
from autograder.models import (
    FingerprintHash, Role, SimilarityPair, Submission, SubmissionFingerprint, SubmissionStatus,
)
from autograder.services import similarity
from autograder.services.grading import GradingOutcome, grade_submission
from autograder.similarity.compare import compare
from autograder.similarity.disguise import disguise
from autograder.similarity.fingerprints import fingerprint_source
from autograder.cli.service import similarity as similarity_command
from tests.slots import worker_slot

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "tests" / "conformance" / "solutions" / "losses"
GRADED = ("mse", "mse_grad", "softmax", "cross_entropy", "cross_entropy_grad", "sigmoid",
          "binary_cross_entropy", "binary_cross_entropy_grad")
# Sandbox uids of these tests, away from the slots other suites and workers use.
SIMILARITY_SLOT = worker_slot(785)


def _source(style: str) -> str:
    return (SOLUTIONS / f"{style}.py").read_text()


@pytest.fixture
def four_students(factory):
    """One original, a disguised copy of it, two independent solutions; each graded and indexed."""
    teacher = factory.user(Role.INSTRUCTOR, email="teacher@example.edu")
    names = ("original", "copier", "second", "third")
    students = {name: factory.user(email=f"{name}@example.edu") for name in names}
    course = factory.course(teacher, tuple(students.values()))
    sources = {"original": _source("vectorised"), "copier": disguise(_source("vectorised"), keep=GRADED, seed=4),
               "second": _source("loops"), "third": _source("einsum")}
    submissions = {name: factory.submission(students[name], course, source=sources[name], score=35.0)
                   for name in names}
    for submission in submissions.values():
        similarity.index_submission(submission.id)
    ca = course.course_assignments[0]
    return {"teacher": teacher, "students": students, "course": course, "ca": ca, "sources": sources,
            "submissions": submissions}


def test_four_students_the_disguised_pair_ranks_first(four_students):
    ranking = similarity.ranking(four_students["ca"])
    assert ranking.students_compared == 4
    top = ranking.pairs[0]
    assert {top.student_a.email, top.student_b.email} == {"original@example.edu", "copier@example.edu"}
    assert top.score >= 0.8
    assert all(pair.score < 0.5 for pair in ranking.pairs[1:])
    # Stored scores are the engine's, and every pair the engine puts above the floor is stored.
    starter = similarity.starter_for("losses").hashes
    prints = {name: fingerprint_source(source, starter) for name, source in four_students["sources"].items()}
    listed = {frozenset((p.student_a.email.split("@")[0], p.student_b.email.split("@")[0])): p.score
              for p in ranking.pairs}
    expected = {}
    for i, a in enumerate(prints):
        for b in list(prints)[i + 1:]:
            score = compare(prints[a], prints[b]).score
            assert score < 0.5 or {a, b} == {"original", "copier"}
            if score >= similarity.STORED_MIN_SCORE:
                expected[frozenset((a, b))] = score
    assert listed == pytest.approx(expected)


def test_indexing_is_idempotent_and_fills_the_inverted_index(four_students):
    copier = four_students["submissions"]["copier"]
    pairs = db.session.scalar(select(func.count()).select_from(SimilarityPair))
    assert similarity.index_submission(copier.id) == 0  # already indexed: nothing redone
    assert db.session.scalar(select(func.count()).select_from(SimilarityPair)) == pairs
    row = db.session.scalar(select(SubmissionFingerprint).where(SubmissionFingerprint.submission_id == copier.id))
    hashes = db.session.scalar(select(func.count()).select_from(FingerprintHash)
                               .where(FingerprintHash.submission_id == copier.id))
    assert row.size == hashes > 20
    # An older engine's fingerprints are recomputed, replacing its rows and pairs.
    row.engine_version = "old"
    db.session.commit()
    assert similarity.index_submission(copier.id) >= 1
    assert db.session.scalar(select(func.count()).select_from(SimilarityPair)) == pairs
    assert db.session.scalar(select(func.count()).select_from(FingerprintHash)
                             .where(FingerprintHash.submission_id == copier.id)) == hashes


def test_each_students_latest_and_best_submissions_are_compared(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, bob = factory.user(), factory.user()
    course = factory.course(teacher, (ada, bob))
    copied = disguise(_source("einsum"), keep=GRADED, seed=9)
    factory.submission(ada, course, source=_source("einsum"), score=35.0)
    # Bob's copy is neither his best nor his latest: it is not compared.
    old_copy = factory.submission(bob, course, source=copied, score=10.0)
    factory.submission(bob, course, source=_source("loops"), score=30.0)
    bob_latest = factory.submission(bob, course, source=_source("vectorised"), score=20.0)
    similarity.ensure_indexed(course.course_assignments[0])
    ranking = similarity.ranking(course.course_assignments[0])
    assert all(pair.score < 0.5 for pair in ranking.pairs)
    # Nor indexed against: a file is compared only with the latest and best of each other student.
    assert db.session.scalar(select(func.count()).select_from(SimilarityPair)
                             .where(SimilarityPair.submission_b_id == old_copy.id)) == 0
    # When the copy becomes his best (a regrade or an extension changes scores, and forgets his
    # fingerprints as those services do), it is indexed again and the pair is listed, labelled.
    old_copy.final_score = old_copy.score = 35.0
    similarity.forget_students(course.course_assignments[0].id, [bob.id])
    db.session.commit()
    similarity.ensure_indexed(course.course_assignments[0])
    ranking = similarity.ranking(course.course_assignments[0])
    top = ranking.pairs[0]
    assert top.score >= 0.8 and old_copy.id in (top.submission_a_id, top.submission_b_id)
    assert ("best",) in (top.labels_a, top.labels_b)
    assert bob_latest.id not in (top.submission_a_id, top.submission_b_id)


def test_a_students_own_submissions_and_other_assignments_are_never_paired(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, bob = factory.user(), factory.user()
    course = factory.course(teacher, (ada, bob), assignments=("losses", "training"))
    factory.submission(ada, course, source=_source("loops"), score=1.0)
    factory.submission(ada, course, source=_source("loops"), score=2.0)
    factory.submission(bob, course, source=_source("loops"), score=3.0, assignment="training")
    for ca in course.course_assignments:
        similarity.ensure_indexed(ca)
    assert db.session.scalar(select(func.count()).select_from(SimilarityPair)) == 0


def test_ungraded_submissions_are_not_indexed(factory):
    ada = factory.user()
    course = factory.course(None, (ada,))
    queued = factory.submission(ada, course, source=_source("loops"), status=SubmissionStatus.QUEUED)
    assert similarity.index_submission(queued.id) == 0
    assert db.session.scalar(select(func.count()).select_from(SubmissionFingerprint)) == 0


def test_side_by_side_highlights_the_copied_lines(four_students):
    original, copier = four_students["submissions"]["original"], four_students["submissions"]["copier"]
    view = similarity.side_by_side(four_students["ca"], original.id, copier.id)
    assert view.comparison.score >= 0.8 and view.regions
    marked = sum(1 for _, text, regions in view.lines_a if regions and text.strip())
    code = sum(1 for _, text, _ in view.lines_a if text.strip() and not text.strip().startswith(("#", '"')))
    assert marked >= code * 0.6
    assert any(regions for _, _, regions in view.lines_b)
    from autograder.services.errors import NotFound

    with pytest.raises(NotFound):
        similarity.side_by_side(four_students["ca"], original.id, original.id)


@pytest.fixture(scope="module")
def executor():
    from autograder.sandbox import open_executor

    opened = open_executor(slot=SIMILARITY_SLOT)
    yield opened
    opened.close()


def test_grading_only_requests_indexing_and_one_batch_indexes_the_backlog(factory, executor):
    ada, bob = factory.user(), factory.user()
    course = factory.course(None, (ada, bob))
    ca = course.course_assignments[0]
    first = factory.submission(ada, course, source=_source("vectorised"), status=SubmissionStatus.QUEUED)
    second = factory.submission(bob, course, source=disguise(_source("vectorised"), keep=GRADED, seed=2),
                                status=SubmissionStatus.QUEUED)
    for submission in (first, second):
        assert grade_submission(submission.id, executor=executor, worker="w") == GradingOutcome.GRADED
    # The grading call stored the grade and left similarity to the background batch.
    assert db.session.scalar(select(func.count()).select_from(SubmissionFingerprint)) == 0
    assert similarity.unindexed_count(ca) == 2
    batch = similarity.index_pending(ca)
    assert (batch.indexed, batch.pairs, batch.more) == (2, 1, False)
    pair = db.session.scalar(select(SimilarityPair))
    assert (pair.submission_a_id, pair.submission_b_id) == (first.id, second.id) and pair.score >= 0.8
    assert {name for name, _, _ in json.loads(pair.functions)} >= {"mse", "softmax"}
    assert similarity.index_pending(ca).indexed == 0  # idempotent


def test_a_batch_stores_the_same_pairs_as_one_submission_at_a_time(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    students = [factory.user() for _ in range(5)]
    course = factory.course(teacher, tuple(students))
    sources = [_source("vectorised"), disguise(_source("vectorised"), keep=GRADED, seed=5), _source("loops"),
               disguise(_source("loops"), keep=GRADED, seed=6), _source("einsum"), _source("vectorised")]
    owners = [students[0], students[1], students[2], students[3], students[4], students[0]]
    rows = [factory.submission(owner, course, source=source, score=30.0) for owner, source in zip(owners, sources)]
    ca = course.course_assignments[0]

    def stored() -> dict[tuple[int, int], tuple[float, str]]:
        return {(p.submission_a_id, p.submission_b_id): (round(p.score, 9), p.functions)
                for p in db.session.scalars(select(SimilarityPair))}

    # Half indexed one by one, the rest in one batch (compared with the indexed half and with each other)...
    for row in rows[:3]:
        similarity.index_submission(row.id)
    assert similarity.index_pending(ca, limit=2).more
    assert similarity.ensure_indexed(ca) == 1
    batched = stored()
    # ... gives what indexing everything one at a time gives.
    db.session.execute(delete(SimilarityPair))
    db.session.execute(delete(FingerprintHash))
    db.session.execute(delete(SubmissionFingerprint))
    db.session.commit()
    for row in rows:
        similarity.index_submission(row.id)
    assert stored() == batched
    copies = {(rows[0].id, rows[1].id), (rows[1].id, rows[5].id), (rows[2].id, rows[3].id)}
    assert {key for key, (score, _) in batched.items() if score >= 0.8} == copies
    assert (rows[0].id, rows[5].id) not in batched  # a student's own submissions are never paired


def test_no_failure_of_similarity_reaches_the_grade(factory, executor, monkeypatch, caplog):
    from autograder.jobs import similarity as similarity_jobs

    ada = factory.user()
    course = factory.course(None, (ada,))
    ca = course.course_assignments[0]
    submission = factory.submission(ada, course, source=_source("loops"), status=SubmissionStatus.QUEUED)

    def broken(*args, **kwargs):
        raise RuntimeError("the indexer exploded")

    # Alembic's fileConfig (the migrated test database) disables loggers that existed before it.
    monkeypatch.setattr(similarity_jobs.log, "disabled", False)
    monkeypatch.setattr(similarity.log, "disabled", False)
    # Asking for indexing fails: the grade is stored all the same.
    monkeypatch.setattr(similarity_jobs, "embedded_indexer", broken)
    assert grade_submission(submission.id, executor=executor, worker="w") == GradingOutcome.GRADED
    db.session.expire_all()
    row = db.session.get(Submission, submission.id)
    assert row.status == SubmissionStatus.DONE and row.score == row.max_score
    assert "could not request similarity indexing" in caplog.text
    # The background batch fails: logged, nothing half-written, the next batch indexes it.
    monkeypatch.setattr(similarity, "_store_batch", broken)
    assert similarity.index_pending_safely(ca.id) is None
    assert "similarity indexing of course assignment" in caplog.text
    assert db.session.scalar(select(func.count()).select_from(SubmissionFingerprint)) == 0
    monkeypatch.undo()
    assert similarity.index_pending_safely(ca.id).indexed == 1


def test_command_prints_the_ranking_as_text_and_json(four_students, runner):
    code = four_students["course"].code
    result = runner.invoke(similarity_command, [code, "losses", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    top, rest = data["pairs"][0], data["pairs"][1:]
    assert {top["a"], top["b"]} == {"original@example.edu", "copier@example.edu"} and top["score"] >= 0.8
    assert all(0 <= pair["score"] < 0.5 for pair in rest)
    assert data["students_compared"] == 4
    text = runner.invoke(similarity_command, [code, "losses"])
    assert text.exit_code == 0 and "evidence to review, not a verdict" in text.output
    assert text.output.splitlines()[2].split()[0] == "1" and "copier@example.edu" in text.output.splitlines()[2]
    missing = runner.invoke(similarity_command, [code, "nope"])
    assert missing.exit_code != 0 and "sets no assignment" in missing.output


def test_a_file_is_compared_with_two_submissions_of_each_other_student_at_most(factory, monkeypatch):
    # Identical files, many per student: comparing with all of them grew with the square of the class.
    teacher = factory.user(Role.INSTRUCTOR)
    students = [factory.user() for _ in range(3)]
    course = factory.course(teacher, students)
    for round_ in range(4):
        for student in students:
            factory.submission(student, course, source=_source("einsum"), score=30.0 + round_ % 2)
    compared: list[int] = []
    original = similarity.compare
    monkeypatch.setattr(similarity, "compare", lambda a, b: compared.append(1) or original(a, b))
    similarity.ensure_indexed(course.course_assignments[0])
    # Per student: the latest (round 4) and the best (round 2, the earliest 31): 6 shown files, each
    # compared with the 4 shown of the two others, once per pair.
    assert len(compared) == 6 * 4 // 2
    ranking = similarity.ranking(course.course_assignments[0])
    assert len(ranking.pairs) == 3 and all(pair.score >= 0.99 for pair in ranking.pairs)


def test_a_regrade_and_an_extension_forget_the_students_fingerprints(factory):
    from datetime import timedelta

    from autograder.models._time import utcnow
    from autograder.services import deadline_extensions, regrades

    teacher = factory.user(Role.INSTRUCTOR)
    ada, bob = factory.user(), factory.user()
    course = factory.course(teacher, (ada, bob))
    ca = course.course_assignments[0]
    for student in (ada, bob):
        factory.submission(student, course, source=_source("einsum"), score=35.0)
    similarity.ensure_indexed(ca)

    def fingerprinted(student) -> int:
        return db.session.scalar(select(func.count()).select_from(SubmissionFingerprint)
                                 .where(SubmissionFingerprint.user_id == student.id)) or 0

    assert (fingerprinted(ada), fingerprinted(bob)) == (1, 1)
    deadline_extensions.grant(teacher, bob, ca, utcnow() + timedelta(days=3), "illness")
    assert (fingerprinted(ada), fingerprinted(bob)) == (1, 0)
    similarity.ensure_indexed(ca)
    assert fingerprinted(bob) == 1
    latest = db.session.scalars(select(Submission).where(Submission.user_id == ada.id)).one()
    regrades.regrade_submission(latest, teacher)
    assert fingerprinted(ada) == 0


def test_notebooks_are_compared_by_their_code_cells(factory):
    import nbformat

    from autograder.grading.notebook import notebook_from_source

    def as_notebook(source: str) -> str:
        return nbformat.writes(notebook_from_source(source, "Loss functions"))

    teacher = factory.user(Role.INSTRUCTOR)
    students = [factory.user() for _ in range(4)]
    course = factory.course(teacher, tuple(students))
    handed_in = [("losses.py", _source("vectorised")), ("copy.ipynb", as_notebook(_source("vectorised"))),
                 ("mine.ipynb", as_notebook(_source("loops"))), ("yours.ipynb", as_notebook(_source("einsum")))]
    submissions = []
    for student, (filename, source) in zip(students, handed_in):
        submission = factory.submission(student, course, source=source, score=35.0)
        submission.filename = filename
        submissions.append(submission)
    db.session.commit()
    for submission in submissions:
        similarity.index_submission(submission.id)
    ranking = similarity.ranking(course.course_assignments[0])
    top, *rest = ranking.pairs
    # The notebook copy of a .py is found; honest notebooks are not alike because their JSON is.
    assert {top.student_a.id, top.student_b.id} == {students[0].id, students[1].id} and top.score >= 0.8
    assert all(pair.score < 0.5 for pair in rest)
    view = similarity.side_by_side(course.course_assignments[0], submissions[0].id, submissions[1].id)
    shown = "\n".join(text for _, text, _ in view.lines_b)
    assert "def mse" in shown and '"cell_type"' not in shown

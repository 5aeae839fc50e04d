import csv
import io

import pytest

from autograder.extensions import db
from autograder.models import Role, Submission, SubmissionStatus
from autograder.services import exports, regrades
from autograder.services.regrades import RegradeError

REFERENCE = open(__import__("pathlib").Path(__file__).resolve().parents[2] / "assignments/losses/reference.py").read()


def test_regrade_assignment_reports_how_scores_moved(app, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, alan = factory.user(), factory.user()
    course = factory.course(teacher, (ada, alan))
    ca = course.course_assignments[0]
    # Stored scores that the current grader disagrees with: the reference was recorded low, the stub high.
    low = factory.submission(ada, course, source=REFERENCE, score=5.0)
    high = factory.submission(alan, course, source="def mse(a, b):\n    return 0.0\n", score=30.0)
    low.assignment_version = "older"
    db.session.commit()
    only_outdated = regrades.regrade_assignment(ca, teacher, only_outdated=True)
    assert [entry.submission_id for entry in only_outdated.entries] == [low.id]
    app.extensions["autograder.grading_queue"].join()
    with pytest.raises(RegradeError):
        regrades.regrade_assignment(ca, teacher, only_outdated=True)
    run = regrades.regrade_assignment(ca, teacher)
    app.extensions["autograder.grading_queue"].join()
    db.session.expire_all()
    report = regrades.regrade_report(db.session.merge(run))
    moves = {move.submission.id: move for move in report.moves}
    assert moves[low.id].old == 35.0 and moves[low.id].new == 35.0  # already regraded by the first run
    assert moves[high.id].old == 30.0 and moves[high.id].new < 5 and moves[high.id].delta < -25
    assert report.count("down") == 1 and report.count("same") == 1 and report.count("pending") == 0
    assert db.session.get(Submission, low.id).assignment_version == ca.assignment.version


def test_gradebook_has_one_row_per_student_with_best_scores(app, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada = factory.user(name="Ada")
    evil = factory.user(name="=HYPERLINK(\"http://x\")")
    course = factory.course(teacher, (ada, evil), assignments=("losses", "optimizers"))
    factory.submission(ada, course, score=12)
    factory.submission(ada, course, score=20, late_days=2)
    factory.submission(ada, course, status=SubmissionStatus.ERROR, score=None)
    rows = list(csv.DictReader(io.StringIO(exports.gradebook_csv(course))))
    assert [r["email"] for r in rows] == sorted([ada.email, evil.email])
    by_email = {r["email"]: r for r in rows}
    assert by_email[ada.email]["losses"] == "20" and by_email[ada.email]["optimizers"] == ""
    assert by_email[ada.email]["total"] == "20" and by_email[ada.email]["late_submissions"] == "1"
    assert by_email[evil.email]["name"].startswith("'=")  # no formula injection into spreadsheets


def test_submission_export_includes_source_and_hidden_results(app, factory):
    student = factory.user()
    course = factory.course(students=(student,))
    submission = factory.submission(student, course, results=[("mse", "hidden cases", 1, 1, "passed", "")])
    submission.results[0].visibility = "hidden"
    db.session.commit()
    data = exports.submission_export(submission)
    assert data["source"] == submission.source and data["student"]["email"] == student.email
    assert data["tests"][0]["visibility"] == "hidden"


def test_the_submissions_zip_never_puts_two_students_in_one_folder(app, factory):
    # Folder names keep only safe characters: "a‿b@" (registrable where no mail confirms it) would
    # become a_b@, another student's folder, and their file would be read as that student's work.
    import zipfile

    alice, mallory = factory.user(email="a_b@example.edu"), factory.user(email="a\u203fb@example.edu")
    course = factory.course(factory.user(Role.INSTRUCTOR), (alice, mallory))
    mine = factory.submission(alice, course, source="# alice's own\n")
    theirs = factory.submission(mallory, course, source="# mallory's\n")
    names = zipfile.ZipFile(io.BytesIO(exports.submissions_zip(course.course_assignments[0]))).namelist()
    folders = {name.split("/", 1)[0]: name for name in names if "/" in name}
    assert len(folders) == 2
    assert folders["a_b@example.edu"].endswith(f"/{mine.id}-losses.py")  # an address kept whole keeps its name
    assert theirs.id != mine.id and f"/{theirs.id}-" in next(v for k, v in folders.items() if k != "a_b@example.edu")

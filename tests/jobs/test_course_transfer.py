"""export-course / import-course: a course leaves the embedded SQLite for the real PostgreSQL unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from autograder.app import create_app, enable_migrations
from autograder.cli.service import export_course_command, import_course_command
from autograder.extensions import db
from autograder.models import (
    Course, Extension, Regrade, RegradeEntry, Role, ScoreOverride, Submission, SubmissionStatus, TimeAccommodation,
    TimedStart, User,
)
from autograder.models._time import utcnow
from autograder.models.course import CountedSubmission, HiddenResults, LatePolicy
from autograder.services import accounts, courses
from autograder.services.course_transfer import CourseTransferError, import_course
from autograder.services.exports import gradebook_csv

from tests.conftest import make_config


def _history(course: Course) -> list[tuple]:
    """Every submission with its results, and every regrade entry, in terms that do not depend on row ids."""
    ids = [ca.id for ca in course.course_assignments]
    rows = []
    for submission in db.session.scalars(select(Submission).where(Submission.course_assignment_id.in_(ids))
                                         .order_by(Submission.created_at)):
        rows.append((submission.user.email, submission.course_assignment.assignment.name, submission.status.value,
                     submission.score, submission.final_score, submission.late_days, submission.source,
                     submission.created_at.isoformat(),
                     [(r.position, r.function, r.check, r.score, r.max_score, r.status, r.output, r.mistake)
                      for r in submission.results]))
    for regrade in db.session.scalars(select(Regrade).where(Regrade.course_assignment_id.in_(ids))):
        entries = [(entry.submission.user.email, entry.old_score, entry.old_final_score) for entry in regrade.entries]
        rows.append(("regrade", regrade.requested_by.email, regrade.course_assignment.assignment.name, entries))
    return rows


def _build_course(factory) -> Course:
    instructor = factory.user(Role.INSTRUCTOR, name="Prof")
    students = [factory.user(name=f"Student {n}") for n in range(3)]
    course = factory.course(instructor=instructor, students=tuple(students), assignments=("losses", "optimizers"))
    losses = next(ca for ca in course.course_assignments if ca.assignment.name == "losses")
    courses.set_deadline(losses, utcnow() - timedelta(days=1), LatePolicy.PENALTY, penalty_per_day=0.2)
    failing = [("mse", "random shapes", 0.0, 4.0, "failed", "expected 1.5, got 3.0"),
               ("mse_grad", "random shapes", 4.0, 4.0, "passed", "")]
    first = factory.submission(students[0], course, score=20.0, results=failing,
                               created_at=utcnow() - timedelta(days=2))
    factory.submission(students[0], course, score=35.0, late_days=1, created_at=utcnow() - timedelta(hours=3))
    factory.submission(students[1], course, assignment="optimizers", score=12.5)
    factory.submission(students[2], course, status=SubmissionStatus.QUEUED, score=None)
    regrade = Regrade(course_assignment=losses, requested_by=instructor, assignment_version="v0")
    regrade.entries.append(RegradeEntry(submission=first, old_score=18.0, old_final_score=18.0))
    db.session.add(regrade)
    # The course's settings and the per-student records that change grades and deadlines.
    optimizers = next(ca for ca in course.course_assignments if ca.assignment.name == "optimizers")
    course.time_zone, course.late_day_tokens = "Europe/Paris", 3
    optimizers.counts, optimizers.hidden_results = CountedSubmission.LAST, HiddenResults.AFTER_DUE
    optimizers.release_at, optimizers.time_limit_minutes = utcnow() - timedelta(days=5), 90
    db.session.add_all([
        Extension(user_id=students[2].id, course_assignment_id=losses.id, due_at=utcnow() + timedelta(days=3),
                  reason="illness", granted_by_id=instructor.id),
        ScoreOverride(user_id=students[1].id, course_assignment_id=optimizers.id, score=20.0, comment="regraded by hand",
                      previous_score=12.5, set_by_id=instructor.id, created_at=utcnow() - timedelta(hours=2)),
        ScoreOverride(user_id=students[1].id, course_assignment_id=optimizers.id, score=22.0, comment="second look",
                      previous_score=12.5, set_by_id=instructor.id, created_at=utcnow() - timedelta(hours=1)),
        TimedStart(user_id=students[1].id, course_assignment_id=optimizers.id, started_at=utcnow() - timedelta(days=1)),
        TimeAccommodation(user_id=students[1].id, course_assignment_id=optimizers.id, factor=1.5, extra_minutes=10,
                          reason="accommodation letter", set_by_id=instructor.id),
    ])
    db.session.commit()
    return course


def _settings(course: Course) -> list[tuple]:
    """The course's settings and per-student records, in terms that do not depend on row ids."""
    def email(user_id):
        return db.session.get(User, user_id).email if user_id is not None else None

    ids = {ca.id: ca.assignment.name for ca in course.course_assignments}
    rows: list[tuple] = [(course.time_zone, course.late_day_tokens)]
    for ca in sorted(course.course_assignments, key=lambda ca: ca.assignment.name):
        rows.append((ca.assignment.name, ca.counts, ca.hidden_results, ca.time_limit_minutes,
                     ca.release_at.isoformat() if ca.release_at else None))
    for model, fields in ((Extension, ("due_at", "reason", "granted_by_id")),
                          (ScoreOverride, ("score", "comment", "previous_score", "set_by_id", "created_at")),
                          (TimedStart, ("started_at",)),
                          (TimeAccommodation, ("factor", "extra_minutes", "reason", "set_by_id"))):
        for row in db.session.scalars(select(model).where(model.course_assignment_id.in_(ids)).order_by(model.id)):
            values = [getattr(row, name) for name in fields]
            values = [email(value) if name.endswith("_id") else value for name, value in zip(fields, values)]
            rows.append((model.__name__, email(row.user_id), ids[row.course_assignment_id], *values))
    return rows


@pytest.mark.services
def test_a_course_moves_from_sqlite_to_postgresql_with_the_same_gradebook(app, factory, postgres_url, tmp_path):
    course = _build_course(factory)
    gradebook, history, settings = gradebook_csv(course), _history(course), _settings(course)
    graded_just_now = db.session.scalar(select(Submission).join(Submission.course_assignment).where(
        Submission.course_assignment_id.in_([ca.id for ca in course.course_assignments]),
        Submission.finished_at > utcnow() - timedelta(minutes=5)))
    just_graded = (graded_just_now.user.email, graded_just_now.course_assignment.assignment.name)
    export = tmp_path / "course.json"
    result = app.test_cli_runner().invoke(export_course_command, [course.code, "-o", str(export)])
    assert result.exit_code == 0, result.output
    document = json.loads(export.read_text())
    assert document["format"] == "autograder-course" and len(document["submissions"]) == 4

    target = create_app(make_config(tmp_path, postgres_url))
    enable_migrations(target)
    with target.app_context():
        from flask_migrate import upgrade

        upgrade()
        result = target.test_cli_runner().invoke(import_course_command, [str(export)])
        assert result.exit_code == 0, result.output
        assert "4 submissions, 1 regrades" in result.output
        moved = db.session.scalar(select(Course).where(Course.code == course.code))
        assert gradebook_csv(moved) == gradebook
        assert _history(moved) == history
        assert _settings(moved) == settings
        # A student graded a moment ago is still in their cooldown there.
        from autograder.services.submissions import seconds_until_next_submission

        target.config["SUBMISSION_COOLDOWN_SECONDS"] = 600
        student = db.session.scalar(select(User).where(User.email == just_graded[0]))
        ca = next(ca for ca in moved.course_assignments if ca.assignment.name == just_graded[1])
        assert seconds_until_next_submission(student, ca, utcnow()) > 500
        # The same people sign in as before: their password hashes came along.
        instructor = next(e.user for e in moved.enrollments if e.role == Role.INSTRUCTOR)
        assert instructor.password_hash and instructor.name == "Prof"
        # Importing twice would duplicate the course: refused, nothing written.
        with pytest.raises(CourseTransferError, match="already exists"):
            import_course(document)
        assert db.session.scalar(select(db.func.count()).select_from(Course)) == 1
        db.session.remove()
        db.engine.dispose()


def test_a_version_1_export_still_imports(app, factory):
    from autograder.services.course_transfer import export_course

    course = _build_course(factory)
    document = export_course(course.code)
    for key in ("extensions", "score_overrides", "timed_starts", "time_accommodations"):
        del document[key]
    document["version"] = 1
    document["course"].update(code="OLD", join_code="OLD-JOIN")
    result = import_course(document)
    assert result.course.time_zone == "Europe/Paris" and result.submissions == 4


def test_import_refuses_what_is_not_an_export(app):
    for document in ({"format": "something else"}, [], {"format": "autograder-course", "version": 99}):
        with pytest.raises(CourseTransferError):
            import_course(document)


def test_a_malformed_export_writes_nothing(app, factory):
    course = _build_course(factory)
    from autograder.services.course_transfer import export_course

    document = export_course(course.code)
    document["course"]["code"] = "NEW"
    document["course"]["join_code"] = "NEW-JOIN"
    document["submissions"][-1]["email"] = "stranger@example.edu"  # not among the export's users
    with pytest.raises(CourseTransferError, match="stranger@example.edu"):
        import_course(document)
    assert db.session.scalar(select(Course).where(Course.code == "NEW")) is None


def _crafted() -> dict:
    """A small export as a crafted file would hold it: an instructor, two students, one graded submission."""
    return {
        "format": "autograder-course", "version": 2,
        "course": {"code": "CRAFT", "join_code": "W3KX9QPM7TZA", "time_zone": "UTC"},
        "assignments": [{"name": "losses", "late_policy": "penalty", "max_score": 35.0}],
        "users": [{"email": "prof@uni.edu", "role": "instructor", "password_hash": "", "api_token_hash": None},
                  {"email": "stu@uni.edu", "role": "student", "password_hash": ""},
                  {"email": "climber@uni.edu", "role": "instructor", "password_hash": ""}],
        "enrollments": [{"email": "prof@uni.edu", "role": "instructor"}, {"email": "stu@uni.edu", "role": "student"},
                        {"email": "climber@uni.edu", "role": "ta"}],
        "submissions": [{"ref": 1, "email": "stu@uni.edu", "assignment": "losses", "status": "done",
                         "source": "x = 1\n", "sha256": "0" * 64, "score": 3.0, "final_score": 3.0, "late_days": 0,
                         "results": [{"position": 0, "name": "mse: a", "function": "mse", "check": "a", "score": 3.0,
                                      "max_score": 4.0, "status": "passed"}]}],
        "regrades": [],
        "score_overrides": [{"email": "stu@uni.edu", "assignment": "losses", "score": 2.0, "set_by": "prof@uni.edu"}],
    }


def test_a_crafted_file_gives_the_global_instructor_role_only_to_the_course_s_instructors(app, factory):
    factory.assignment("losses")
    result = import_course(_crafted())
    roles = {user.email: user.role for user in db.session.scalars(select(User))}
    # The TA of the course claimed the global instructor role, which would let it create courses.
    assert roles == {"prof@uni.edu": Role.INSTRUCTOR, "stu@uni.edu": Role.STUDENT, "climber@uni.edu": Role.STUDENT}
    assert result.users_created == 3 and "climber@uni.edu" in result.notes[0]


def test_a_taken_join_code_is_replaced_by_one_students_can_type(app, factory):
    """The replacement was token_urlsafe: lower-case letters, while a typed code is looked up in capitals."""
    factory.assignment("losses")
    factory.course().join_code = "R7WQ2KX9TMPA"
    db.session.commit()
    document = _crafted()
    document["course"]["join_code"] = "R7WQ2KX9TMPA"
    result = import_course(document)
    assert result.course.join_code != "R7WQ2KX9TMPA"
    assert any("taken" in note and result.course.join_code in note for note in result.notes)
    newcomer = factory.user()
    assert courses.join_course(newcomer, result.course.join_code.lower()) == result.course


@pytest.mark.parametrize("weak", ["CRAFT-JOIN", "crafting2026", "1234567890", "AB12AB12AB12", "abc"])
def test_a_join_code_easy_to_guess_is_replaced_as_if_staff_had_chosen_it(app, factory, weak):
    # A file from an older release (or crafted) could bring a code any account can guess in a few tries.
    factory.assignment("losses")
    document = _crafted()
    document["course"]["join_code"] = weak
    result = import_course(document)
    replacement = result.course.join_code
    assert replacement != weak.upper() and courses.kept_join_code(replacement, "CRAFT") == replacement
    assert any("easy to guess" in note and replacement in note for note in result.notes)


# A chosen code that passes the rule; one the service generated without a digit (the rule for
# chosen codes would refuse it, but 60 random bits are not guessable).
@pytest.mark.parametrize("strong", ["q4mx8rtw2kzp", "NSMZNVVJFQAU"])
def test_a_join_code_hard_to_guess_moves_as_it_is_in_capitals(app, factory, strong):
    factory.assignment("losses")
    document = _crafted()
    document["course"]["join_code"] = strong
    result = import_course(document)
    assert result.course.join_code == strong.upper() and not any("join code" in note for note in result.notes)


def test_a_moved_course_keeps_its_hidden_seed_and_an_old_export_the_sites(app, factory):
    """Regrades after the move must draw the hidden cases its submissions were graded with."""
    from autograder.services.course_transfer import export_course

    course = _build_course(factory)
    course.hidden_seed = seed = courses.new_hidden_seed()
    db.session.commit()
    document = export_course(course.code)
    document["course"].update(code="MOVED", join_code="K7QM2XW9PT4R")
    moved = import_course(document).course
    assert moved.hidden_seed == seed
    del document["course"]["hidden_seed"]  # an export from before course seeds
    document["course"].update(code="OLDER", join_code="H3NR8TWQ6VZA")
    assert import_course(document).course.hidden_seed is None
    document["course"].update(code="BAD", join_code="P9XK4MRT2WQE", hidden_seed=2**40)
    with pytest.raises(CourseTransferError, match="hidden_seed"):
        import_course(document)


def test_an_assignment_nobody_submitted_to_moves_with_its_settings(app, factory):
    """Only assignments with a submission reached the new database: the others were never added to the session."""
    from autograder.services.course_transfer import export_course

    course = factory.course(assignments=("losses", "optimizers"))
    next(ca for ca in course.course_assignments if ca.assignment.name == "optimizers").late_policy = LatePolicy.CUTOFF
    db.session.commit()
    document = export_course(course.code)
    document["course"].update(code="EMPTY", join_code="M4QX7TRW2KZP")
    moved = import_course(document).course
    db.session.expire_all()
    policies = {ca.assignment.name: ca.late_policy for ca in db.session.get(Course, moved.id).course_assignments}
    assert policies == {"losses": LatePolicy.PENALTY, "optimizers": LatePolicy.CUTOFF}


def test_a_crafted_file_s_addresses_are_stored_normalised_and_matched(app, factory):
    factory.assignment("losses")
    prof = factory.user(Role.INSTRUCTOR, email="prof@uni.edu")
    document = _crafted()
    document["users"][0]["email"] = document["enrollments"][0]["email"] = "PROF@UNI.EDU"
    document["users"][1]["email"] = "Stu＠Uni.edu"  # a fullwidth at sign; the submission names it "stu@uni.edu"
    result = import_course(document)
    assert result.users_existing == 1 and result.users_created == 2
    assert sorted(user.email for user in db.session.scalars(select(User))) == [
        "climber@uni.edu", "prof@uni.edu", "stu@uni.edu"]
    assert courses.teaches(prof, result.course)


def _set(path: str, value):
    """A change to the crafted document: ``path`` is keys and list indexes separated by dots."""
    def change(document: dict) -> None:
        *parents, last = [int(key) if key.isdigit() else key for key in path.split(".")]
        target = document
        for key in parents:
            target = target[key]
        target[last] = value
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_set("users.1.email", "prоf@uni.edu"), r"users\[1\]: 'prоf@uni.edu': .*looks like"),  # Cyrillic о
    (_set("users.1.email", "stu\u200b@uni.edu"), r"users\[1\]\.email: .*invisible"),
    (_set("users.1.email", "not-an-address"), r"users\[1\]\.email: .*valid e-mail"),
    (_set("users.2.email", "Stu@Uni.Edu"), r"users\[2\]: 'Stu@Uni.Edu' is a second entry for stu@uni.edu"),
    (_set("users.1.role", "admin"), r"users\[1\]\.role: unknown value 'admin'"),
    (_set("users.1.password_hash", "plain$$secret"), r"users\[1\]\.password_hash: not a password hash"),
    (_set("users.1.password_hash", "scrypt:16777216:8:1$salt$" + "0" * 128), r"scrypt parameters"),
    (_set("users.1.password_hash", "pbkdf2:sha256:0$salt$" + "0" * 64), r"pbkdf2 with 0 iterations"),
    (_set("users.1.api_token_hash", "not-a-digest"), r"users\[1\]\.api_token_hash"),
    (_set("enrollments.1.role", "owner"), r"enrollments\[1\]\.role: unknown value 'owner'"),
    (_set("enrollments.2.email", "stu@uni.edu"), r"enrollments\[2\]: stu@uni.edu is enrolled twice"),
    (_set("assignments.0.late_policy", "lenient"), r"assignments\[0\]\.late_policy: unknown value"),
    (_set("assignments.0.penalty_per_day", float("nan")), r"assignments\[0\]\.penalty_per_day: nan is not a finite"),
    (_set("submissions.0.status", "graded"), r"submissions\[0\]\.status: unknown value 'graded'"),
    (_set("submissions.0.score", float("nan")), r"submissions\[0\]\.score: nan is not a finite number"),
    (_set("submissions.0.final_score", "35"), r"submissions\[0\]\.final_score: expected a number, got str"),
    (_set("submissions.0.late_days", 1.5), r"submissions\[0\]\.late_days: expected a whole number"),
    (_set("submissions.0.results.0.score", float("inf")), r"submissions\[0\]\.results\[0\]\.score: inf is not"),
    (_set("submissions.0.results.0.max_score", None), r"submissions\[0\]\.results\[0\]\.max_score: missing"),
    (_set("score_overrides.0.score", float("-inf")), r"score_overrides\[0\]\.score: -inf is not a finite"),
    (_set("course.time_zone", "Mars/Olympus"), r"course\.time_zone: Unknown time zone"),
])
def test_a_crafted_file_is_refused_naming_the_entry_and_writes_nothing(app, factory, change, message):
    factory.assignment("losses")
    factory.user(email="prof@uni.edu")
    document = _crafted()
    change(document)
    with pytest.raises(CourseTransferError, match=message):
        import_course(document)
    assert db.session.scalar(select(Course).where(Course.code == "CRAFT")) is None
    assert [user.email for user in db.session.scalars(select(User))] == ["prof@uni.edu"]


def test_a_moved_account_keeps_whether_its_address_is_confirmed(app, factory):
    """Moving a course must not confirm a squatted address, nor make every student confirm again."""
    from autograder.services.course_transfer import export_course

    course = _build_course(factory)
    unsure = factory.user(email="unsure@example.edu", confirmed=False)
    factory.course(students=(unsure,))
    courses.enroll(unsure, course, Role.STUDENT)
    text = json.dumps(export_course(course.code)).replace("@example.edu", "@moved.edu")
    document = json.loads(text)
    document["course"].update(code="MOVED", join_code="MOVED-JOIN")
    old = json.loads(text.replace("@moved.edu", "@old.edu"))
    old["course"].update(code="OLD", join_code="OLD-JOIN")
    for user in old["users"]:
        del user["email_confirmed_at"]  # an export made before addresses were confirmed
    import_course(document)
    import_course(old)
    assert accounts.find_user("unsure@moved.edu").email_confirmed_at is None
    assert all(user.email_confirmed_at is not None for user in
               (accounts.find_user(item["email"]) for item in document["users"]) if user.email != "unsure@moved.edu")
    assert accounts.find_user("unsure@old.edu").email_confirmed_at is not None  # grandfathered, as by the migration

import sqlite3

import pytest
from werkzeug.security import generate_password_hash

from autograder.extensions import db
from autograder.models import Course, Role
from autograder.services import accounts, courses
from autograder.services.courses import CourseError


def test_create_course_sets_every_synced_assignment(app, factory):
    factory.assignment("losses")
    factory.assignment("optimizers")
    course = courses.create_course("ML-2026", "Machine learning")
    assert sorted(ca.assignment.name for ca in course.course_assignments) == ["losses", "optimizers"]
    # 12 of 32 unambiguous characters (60 bits), well above what a chosen code must have.
    assert len(course.join_code) == 12 and set(course.join_code) <= set(courses.JOIN_ALPHABET)
    with pytest.raises(CourseError, match="already exists"):
        courses.create_course("ML-2026")
    with pytest.raises(CourseError, match="course code"):
        courses.create_course("bad code!")


@pytest.mark.parametrize("chosen", [
    "ML2026", "DEEP2026", "DL101FALL26",  # short, or the course's own code inside
    "AAAAAAAA1111", "ABCDEFGHIJKL", "2026202620", "HELLO WORLD1", "FALL-2026-X",
])
def test_a_weak_chosen_join_code_is_refused(app, chosen):
    with pytest.raises(CourseError, match="join code"):
        courses.create_course("DL101", join_code=chosen)
    assert db.session.query(Course).count() == 0


def test_a_strong_chosen_join_code_is_kept_in_capitals(app):
    assert courses.create_course("DL101", join_code="tq7x4hzm2r").join_code == "TQ7X4HZM2R"


def test_the_command_line_refuses_a_weak_join_code(app, runner):
    result = runner.invoke(args=["create-course", "DL101", "--join-code", "DL101"])
    assert result.exit_code != 0 and "join code" in result.output
    assert db.session.query(Course).count() == 0


def test_every_new_course_gets_a_hidden_seed_of_its_own(app):
    app.config["HIDDEN_SEED"] = 424242
    first, second = courses.create_course("DL101"), courses.create_course("DL102")
    seeds = {first.hidden_seed, second.hidden_seed}
    # Random (not derived from the site's seed, which staff of older courses have seen), in the
    # range a submission's seed column holds.
    assert len(seeds) == 2 and 424242 not in seeds and all(0 < seed < 2**31 for seed in seeds)


def test_join_course_with_code_enrols_once(app, factory):
    course = factory.course()
    student = factory.user()
    assert courses.join_course(student, course.join_code.lower()) == course
    assert courses.studies(student, course)
    with pytest.raises(CourseError, match="already"):
        courses.join_course(student, course.join_code)
    with pytest.raises(CourseError, match="No course"):
        courses.join_course(student, "NOPE1234")


def test_import_roster_creates_accounts_invites_them_and_reports_problems(app, factory):
    instructor = factory.user(Role.INSTRUCTOR, email="prof@example.edu")
    course = factory.course(instructor)
    existing = factory.user(email="old@example.edu")
    roster = (
        "email,name,password\n"
        "new@example.edu,New Student,chosen-password\n"
        "invited@example.edu,Invited Student\n"
        "OLD@example.edu,Old Student\n"
        "not-an-email,Someone\n"
        "prof@example.edu,Prof\n"
        "\n"
    )
    result = courses.import_roster(course, roster)
    assert result.enrolled == ["new@example.edu", "invited@example.edu", "old@example.edu"]
    created = dict(result.created)
    assert created["new@example.edu"] == ""  # the CSV's password is not echoed
    # No password to hand out: the new account waits for its invitation link.
    assert [user.email for user in result.invited] == ["invited@example.edu"]
    assert accounts.find_user("invited@example.edu").password_hash == ""
    assert accounts.authenticate("invited@example.edu", "") is None
    assert accounts.authenticate("new@example.edu", "chosen-password") is not None
    assert len(result.errors) == 2 and "line 5" in result.errors[0] and "instructor of this course" in result.errors[1]
    assert courses.studies(existing, course) and not courses.studies(instructor, course)
    again = courses.import_roster(course, roster)
    assert again.enrolled == [] and len(again.already_enrolled) == 3
    # Not taken up yet, but the account exists now: named, never given a link by an import.
    assert again.invited == [] and again.awaiting_invitation == ["invited@example.edu"]


def test_a_roster_is_hashed_before_its_transaction_so_others_can_write_meanwhile(app, factory, monkeypatch):
    """scrypt costs ~0.1 s a password: hashed inside the import's transaction, a 400-row roster held
    SQLite's write lock for 47 s and every submission meanwhile got 503."""
    course = factory.course()
    factory.user(email="old@example.edu")
    others_could_write: list[bool] = []

    def hash_and_write_elsewhere(password: str, method: str) -> str:
        # Another connection asks for the write lock without waiting: refused while the import holds it.
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            others_could_write.append(True)
        except sqlite3.OperationalError:
            others_could_write.append(False)
        finally:
            other.close()
        return generate_password_hash(password, method="pbkdf2:sha256:1000")  # cheap: the test is not about scrypt

    monkeypatch.setattr(accounts, "generate_password_hash", hash_and_write_elsewhere)
    roster = ("old@example.edu,Old,ignored-password\n"
              "one@example.edu,One,first-password\n"
              "two@example.edu,Two,second-password\n"
              "short@example.edu,Short,short\n"
              "three@example.edu,Three,third-password\n"
              "tw\u043e@example.edu,Twin,twin-password\n")  # a Cyrillic look-alike of a row above
    result = courses.import_roster(course, roster)
    assert others_could_write == [True, True, True]  # one hash per new account with a valid password
    assert result.enrolled == ["old@example.edu", "one@example.edu", "two@example.edu", "three@example.edu"]
    assert result.errors[0] == "line 4: 'short@example.edu': The password must have at least 8 characters."
    assert result.errors[1].startswith("line 6:") and "looks like the one of an existing account" in result.errors[1]
    assert accounts.authenticate("two@example.edu", "second-password") is not None


def test_a_roster_has_at_most_max_roster_rows(app, factory):
    course = factory.course()
    header = "email,name\n\n"  # neither the header nor blank lines count
    fits = header + "".join(f"s{n}@example.edu,S{n}\n" for n in range(5_000))
    with pytest.raises(CourseError, match="at most 5,000 students"):
        courses.import_roster(course, fits + "one-too-many@example.edu\n")
    assert accounts.find_user("s0@example.edu") is None  # refused before anything is written
    with pytest.raises(CourseError, match="Line 2 of the roster is not CSV"):
        courses.import_roster(course, "a@example.edu\n" + "x" * 200_000 + "\n")


def test_a_roster_gives_first_passwords_to_at_most_a_few_hundred(app, factory, monkeypatch):
    # Each is ~0.1 s of scrypt inside the request: a larger class gets invitations instead.
    hashed = []
    monkeypatch.setattr(accounts, "hash_password", lambda password: hashed.append(password) or "x")
    course = factory.course()
    rows = "".join(f"p{n}@example.edu,P{n},password-{n:04d}\n" for n in range(courses.MAX_ROSTER_PASSWORDS + 1))
    with pytest.raises(CourseError, match="first passwords to at most 300 students"):
        courses.import_roster(course, "email,name,password\n" + rows)
    assert hashed == [] and accounts.find_user("p0@example.edu") is None


def test_roles_are_per_course(app, factory):
    person = factory.user(email="both@example.edu")
    teacher = factory.user(Role.INSTRUCTOR)
    taught = factory.course(teacher)
    studied = factory.course(students=(person,))
    courses.add_member(taught, "both@example.edu", Role.TA)
    assert courses.teaches(person, taught) and not courses.manages(person, taught)
    assert courses.studies(person, studied) and not courses.teaches(person, studied)
    assert courses.courses_taught_by(person) == [taught] and courses.courses_studied_by(person) == [studied]
    courses.add_member(taught, "both@example.edu", Role.INSTRUCTOR)
    assert courses.manages(person, taught)
    user, created = courses.add_member(taught, "fresh@example.edu", Role.STUDENT, "Fresh")
    assert created and user.password_hash == "" and courses.studies(user, taught)
    with pytest.raises(CourseError, match="only the site's operator"):
        courses.add_member(taught, teacher.email, Role.TA)  # a colleague may not demote an instructor
    courses.add_member(taught, teacher.email, Role.TA, by_operator=True)
    with pytest.raises(CourseError, match="at least one instructor"):
        courses.add_member(taught, person.email, Role.STUDENT, by_operator=True)  # would leave the course without one
    assert courses.manages(person, taught)
    assert person.staff_since is not None and teacher.staff_since is not None


def test_teaches_requires_instructor_enrolment(app, factory):
    instructor = factory.user(Role.INSTRUCTOR)
    other = factory.user(Role.INSTRUCTOR)
    course = factory.course(instructor)
    assert courses.teaches(instructor, course)
    assert not courses.teaches(other, course)
    assert courses.courses_taught_by(instructor) == [course]

from pathlib import Path

from autograder.extensions import db
from autograder.models import Role, Submission, SubmissionStatus
from autograder.services import accounts, courses


def test_course_user_roster_token_commands(app, runner, tmp_path: Path):
    assert runner.invoke(args=["sync-assignments"]).exit_code == 0
    result = runner.invoke(args=["create-course", "ML1", "--title", "Machine learning", "--join-code", "K4TX9Q2MZB"])
    assert result.exit_code == 0 and "K4TX9Q2MZB" in result.output
    result = runner.invoke(args=["create-user", "prof@example.edu", "--role", "instructor", "--password",
                                 "prof-password", "--course", "ML1"])
    assert result.exit_code == 0, result.output
    course = courses.get_course("ML1")
    assert courses.teaches(accounts.find_user("prof@example.edu"), course)
    assert {ca.assignment.name for ca in course.course_assignments} >= {"losses"}
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name\nstu@example.edu,Stu\n")
    result = runner.invoke(args=["import-roster", "ML1", str(roster)])
    assert result.exit_code == 0 and "1 enrolled" in result.output and "password" not in result.output
    # No password to hand out: the account waits for its invitation link (made on the course page).
    assert accounts.find_user("stu@example.edu").password_hash == ""
    result = runner.invoke(args=["token", "stu@example.edu"])
    assert result.exit_code == 0
    assert accounts.user_for_token(result.output.strip()).email == "stu@example.edu"
    assert runner.invoke(args=["create-course", "ML1"]).exit_code != 0
    assert runner.invoke(args=["token", "nobody@example.edu"]).exit_code != 0


def test_import_roster_command_refuses_a_roster_longer_than_the_cap(app, runner, factory, tmp_path: Path):
    course = factory.course()
    roster = tmp_path / "roster.csv"
    roster.write_text("".join(f"s{n}@example.edu,S{n}\n" for n in range(5_001)))
    result = runner.invoke(args=["import-roster", course.code, str(roster)])
    assert result.exit_code == 1 and "A roster has at most 5,000 students" in result.output
    assert courses.count_students(course) == 0 and accounts.find_user("s0@example.edu") is None


def test_password_link_command_prints_a_link_that_sets_the_password_once(app, client, factory, runner):
    student = factory.user()
    made = runner.invoke(args=["password-link", student.email, "--base-url", "https://grader.example.edu/"])
    assert made.exit_code == 0, made.output
    link = made.output.strip()
    assert link.startswith("https://grader.example.edu/set-password/")
    path = link.removeprefix("https://grader.example.edu")
    page = client.get(path).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    chosen = {"password": "chosen-by-the-owner", "confirm": "chosen-by-the-owner", "csrf_token": token}
    assert client.post(path, data=chosen).status_code == 302
    assert accounts.authenticate(student.email, "chosen-by-the-owner") is not None
    assert client.get(path).status_code == 400  # used once
    assert runner.invoke(args=["password-link", "nobody@example.edu"]).exit_code != 0


def test_demo_is_idempotent_and_grades_its_submissions(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "instructor@example.edu" in first.output and "student-demo" in first.output
    graded = db.session.query(Submission).all()
    assert len(graded) == 4 and all(s.status == SubmissionStatus.DONE for s in graded)
    assert max(s.final_score for s in graded) == 35
    # The demo accounts are public: no reference code may be among their submissions.
    from autograder.grading.assignment import find_assignment

    reference = find_assignment("losses").reference_source
    private_helpers = [line for line in reference.splitlines() if line.startswith("def _")]
    assert private_helpers and not any(line in s.source for s in graded for line in private_helpers)
    named = {result.mistake for s in graded for result in s.results if result.mistake}
    assert {"sum instead of mean", "absolute instead of squared error"} <= named
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "graded demo submission" not in second.output
    assert db.session.query(Submission).count() == 4
    assert accounts.authenticate("instructor@example.edu", "instructor-demo").role == Role.INSTRUCTOR
    # Made-up addresses: confirmed, so the demo students may submit on a site that sends mail too.
    assert accounts.find_user("ada@example.edu").email_confirmed_at is not None


def test_demo_loads_only_into_an_empty_database_or_its_own(app, runner, factory):
    from autograder.models import Course

    factory.course()  # a real course
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "loads only into an empty database" in refused.output
    tolerated = runner.invoke(args=["demo", "--if-empty"])  # scripts/serve's
    assert tolerated.exit_code == 0 and "no demo loaded" in tolerated.output
    assert db.session.query(Course).filter_by(code="DL101").count() == 0
    assert accounts.find_user("instructor@example.edu") is None


def test_demo_never_makes_an_instructor_of_an_account_registered_under_its_address(app, runner):
    # A student registers the demo instructor's address with a password of their own, before any course.
    squatter = accounts.create_user("instructor@example.edu", "the-squatters-own-pw")
    refused = runner.invoke(args=["demo"])
    assert refused.exit_code != 0 and "instructor@example.edu" in refused.output
    db.session.refresh(squatter)
    assert squatter.role == Role.STUDENT and not squatter.enrollments


def test_autograder_entry_point_has_the_operator_commands():
    from autograder.cli import main

    assert {"db", "create-course", "create-user", "import-roster", "token", "sync-assignments", "demo",
            "serve", "kit"} <= set(main.commands)

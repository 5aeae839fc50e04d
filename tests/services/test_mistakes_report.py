"""The named-mistakes section of the instructor dashboard: counts per mistake, examples, the page."""

from __future__ import annotations

from datetime import timedelta

from autograder.extensions import db
from autograder.models import Role
from autograder.models._time import utcnow
from autograder.services.mistakes_report import common_mistakes


def _name(submission, check, mistake):
    result = next(result for result in submission.results if result.check == check)
    result.mistake = mistake
    db.session.commit()


def _class(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, alan, grace = factory.user(), factory.user(), factory.user()
    course = factory.course(teacher, (ada, alan, grace), assignments=("losses", "optimizers"))
    failing = [("mse", "random shapes", 0, 2, "failed", "mse(x)\nwrong values"),
               ("mse", "1-D and 3-D inputs", 0, 1, "failed", "mse(x)\nwrong values"),
               ("sigmoid", "1-D, 2-D and 3-D inputs", 0, 1, "failed", "sigmoid(x)\nwrong values")]
    start = utcnow() - timedelta(hours=3)
    submissions = {}
    for offset, (student, key) in enumerate([(ada, "ada-1"), (ada, "ada-2"), (alan, "alan"), (grace, "grace")]):
        submissions[key] = factory.submission(student, course, score=5, results=failing,
                                              created_at=start + timedelta(minutes=offset))
    for key in ("ada-1", "ada-2", "alan"):
        # Two checks of one submission name the same mistake: it counts once for that submission.
        _name(submissions[key], "random shapes", "sum instead of mean")
        _name(submissions[key], "1-D and 3-D inputs", "sum instead of mean")
    _name(submissions["grace"], "1-D, 2-D and 3-D inputs", "sign flipped")
    _name(submissions["ada-2"], "1-D, 2-D and 3-D inputs", "sign flipped")
    other = factory.submission(grace, course, score=5, assignment="optimizers",
                               results=[("adam", "sequence of steps", 0, 3, "failed", "adam(x)\nwrong values")])
    _name(other, "sequence of steps", "beta1 in the second moment")
    return teacher, course, submissions


def test_common_mistakes_count_students_and_submissions_with_recent_examples(app, factory):
    _, course, submissions = _class(factory)
    losses = next(ca for ca in course.course_assignments if ca.assignment.name == "losses")
    found = common_mistakes(losses)
    assert [(item.function, item.mistake, item.students, item.submissions) for item in found] == [
        ("mse", "sum instead of mean", 2, 3), ("sigmoid", "sign flipped", 2, 2)]
    assert found[0].examples == [submissions["alan"].id, submissions["ada-2"].id, submissions["ada-1"].id]
    assert common_mistakes(losses, limit=1, examples=1)[0].examples == [submissions["alan"].id]
    optimizers = next(ca for ca in course.course_assignments if ca.assignment.name == "optimizers")
    assert [item.mistake for item in common_mistakes(optimizers)] == ["beta1 in the second moment"]


def test_assignment_dashboard_lists_named_mistakes_with_links(client, factory, login):
    teacher, course, submissions = _class(factory)
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    section = page.split('id="named-mistakes"')[1].split("</table>")[0]
    assert "sum instead of mean" in section and "sign flipped" in section
    assert "beta1 in the second moment" not in section
    assert f'href="/instructor/submissions/{submissions["alan"].id}"' in section
    assert section.index("sum instead of mean") < section.index("sign flipped")


def test_dashboard_without_named_mistakes_says_so(client, factory, login):
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher, (factory.user(),))
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    assert "No named mistakes yet." in page


def test_a_graded_submission_stores_the_named_mistake_end_to_end(app, factory):
    from autograder.grading.assignment import find_assignment
    from autograder.grading.mistakes import variant_source
    from autograder.models import Submission
    from autograder.services import submissions

    engine = find_assignment("losses")
    mistake = next(m for m in engine.mistakes if m.function == "cross_entropy" and m.name == "sum instead of mean")
    student = factory.user()
    course = factory.course(students=(student,))
    ca = course.course_assignments[0]
    submitted = submissions.create_submission(student, ca, "losses.py", variant_source(engine, mistake).encode())
    app.extensions["autograder.grading_queue"].join()
    db.session.expire_all()
    graded = db.session.get(Submission, submitted.id)
    named = {(result.function, result.mistake) for result in graded.results if result.mistake}
    assert named == {("cross_entropy", "sum instead of mean")}
    assert "Looks like: sum instead of mean" in next(r.output for r in graded.results if r.mistake)
    found = common_mistakes(ca)
    assert [(item.mistake, item.students, item.examples) for item in found] == [("sum instead of mean", 1, [graded.id])]

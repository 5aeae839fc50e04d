from autograder.grading.assignment import assignment_names, find_assignment
from autograder.models import CatalogAssignment
from autograder.services import catalog, courses
from autograder.extensions import db


def test_sync_adds_then_reports_unchanged_and_updated_versions(app, factory):
    course = factory.course(assignments=())
    changes = catalog.sync_assignments()
    assert [c.name for c in changes] == assignment_names()
    assert {c.kind for c in changes} == {"added"}
    losses = db.session.query(CatalogAssignment).filter_by(name="losses").one()
    engine = find_assignment("losses")
    assert (losses.version, losses.filename, losses.max_score) == (engine.version, engine.file, engine.max_score)
    # Every course now sets every assignment.
    assert sorted(ca.assignment.name for ca in course.course_assignments) == assignment_names()

    losses.version = "an-older-version"
    db.session.commit()
    kinds = {c.name: c for c in catalog.sync_assignments()}
    assert kinds["losses"].kind == "updated" and kinds["losses"].old_version == "an-older-version"
    assert all(c.kind == "unchanged" for name, c in kinds.items() if name != "losses")
    assert courses.course_assignment(course, "losses").assignment.version == engine.version

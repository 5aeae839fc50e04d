from datetime import timedelta

from autograder.models import Role, SubmissionStatus
from autograder.models._time import utcnow
from autograder.services import analytics


def test_histogram_bins_cover_zero_to_max():
    labels, counts = analytics.histogram([0, 3.6, 35, 35, 17.5], 35, bins=10)
    assert len(labels) == 10 and labels[0] == "0–3.5"
    assert counts == [1, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_failure_key_skips_the_call_line_and_blanks_numbers():
    output = "mse(y_pred: (2, 3), y_true: (2, 3))  [case: N=2, D=3]\nwrong values\nexpected 3.1"
    assert analytics.failure_key(output, "mse") == "wrong values"
    assert analytics.failure_key("max error 1.5e-3 at index 4", "mse") == "max error # at index #"
    assert analytics.failure_key("", "mse") == "(no message)"


def test_dashboard_uses_best_for_histogram_and_latest_for_pass_rates(app, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, alan, idle = factory.user(), factory.user(), factory.user()
    course = factory.course(teacher, (ada, alan, idle))
    earlier = utcnow() - timedelta(days=2)
    passing = [("mse", "random shapes", 2, 2, "passed", ""), ("mse_grad", "random shapes", 2, 2, "passed", "")]
    failing = [("mse", "random shapes", 0, 2, "failed", "mse(y)\nwrong values"),
               ("mse_grad", "random shapes", 2, 2, "passed", "")]
    factory.submission(ada, course, score=30, results=passing, created_at=earlier)
    factory.submission(ada, course, score=20, results=failing, late_days=1)
    factory.submission(alan, course, score=35, results=passing)
    factory.submission(alan, course, status=SubmissionStatus.QUEUED, score=None)
    dashboard = analytics.assignment_dashboard(course.course_assignments[0])
    rows = {row.user.email: row for row in dashboard.students}
    assert (rows[ada.email].best, rows[ada.email].latest, rows[ada.email].submissions, rows[ada.email].late) == (30, 20, 2, 1)
    assert (rows[alan.email].best, rows[alan.email].submissions) == (35, 2)
    assert rows[idle.email].best is None
    assert sum(dashboard.histogram_counts) == 2 and dashboard.graded_students == 2
    rates = {r.label: (r.passed, r.total) for r in dashboard.function_pass_rates}
    assert rates == {"mse": (1, 2), "mse_grad": (2, 2)}
    assert dashboard.frequent_failures == [("mse: random shapes", "wrong values", 1)]
    assert dashboard.total_submissions == 4 and dashboard.queued == 1
    assert [count for _, count in dashboard.submissions_per_day] in ([1, 3], [1, 1, 2], [1, 2, 1])
    charts = analytics.chart_data(dashboard)
    assert charts["functions"][0] == {"label": "mse", "percent": 50.0, "passed": 1, "total": 2}


def test_zero_point_gradient_diagnostics_are_reported_apart_from_scored_checks(app, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    students = [factory.user() for _ in range(3)]
    course = factory.course(teacher, tuple(students))
    full_marks_but_diagnostic_failed = [
        ("mse_grad", "matches the reference", 4, 4, "passed", ""),
        ("mse_grad", "agrees with your mse", 0, 0, "failed", "mse_grad(y)\nyour backward disagrees with your forward"),
    ]
    wrong = [("mse_grad", "matches the reference", 0, 4, "failed", "mse_grad(y)\nwrong values"),
             ("mse_grad", "agrees with your mse", 0, 0, "passed", "")]
    factory.submission(students[0], course, score=4, results=full_marks_but_diagnostic_failed)
    factory.submission(students[1], course, score=4, results=full_marks_but_diagnostic_failed)
    factory.submission(students[2], course, score=0, results=wrong)
    dashboard = analytics.assignment_dashboard(course.course_assignments[0])
    # 2 of 3 students have 4/4 on mse_grad: the function's pass rate says so.
    assert [(r.label, r.passed, r.total) for r in dashboard.function_pass_rates] == [("mse_grad", 2, 3)]
    assert [r.label for r in dashboard.check_pass_rates] == ["mse_grad: matches the reference"]
    assert dashboard.frequent_failures == [("mse_grad: matches the reference", "wrong values", 1)]
    assert [(r.label, r.passed, r.total) for r in dashboard.diagnostic_pass_rates] == [
        ("mse_grad: agrees with your mse", 1, 3)]
    assert dashboard.frequent_diagnostic_failures == [
        ("mse_grad: agrees with your mse", "your backward disagrees with your forward", 2)]
    assert analytics.chart_data(dashboard)["diagnostics"][0]["total"] == 3


def test_course_summaries_agree_with_the_dashboards(app, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    ada, alan, idle = factory.user(), factory.user(), factory.user()
    course = factory.course(teacher, (ada, alan, idle), assignments=("losses", "optimizers"))
    factory.submission(ada, course, score=30)
    factory.submission(ada, course, score=20)
    factory.submission(alan, course, score=35)
    factory.submission(alan, course, status=SubmissionStatus.QUEUED, score=None)
    old = factory.submission(idle, course, score=5, assignment="optimizers")
    old.assignment_version = "older"
    from autograder.extensions import db
    db.session.commit()
    summaries = analytics.course_summaries(course.course_assignments)
    for ca in course.course_assignments:
        full, quick = analytics.assignment_dashboard(ca), summaries[ca.id]
        assert (quick.graded_students, quick.total_submissions, quick.queued, quick.outdated) == (
            full.graded_students, full.total_submissions, full.queued, full.outdated)
        assert quick.mean_best == full.mean_best


def test_sql_aggregates_agree_with_a_plain_recount(app, factory):
    """The dashboard's SQL aggregation against a direct count over every row, on a varied class."""
    import random

    from autograder.extensions import db
    from autograder.models import Enrollment, Submission

    rng = random.Random(7)
    teacher = factory.user(Role.INSTRUCTOR)
    students = [factory.user() for _ in range(12)]
    course = factory.course(teacher, tuple(students))
    start = utcnow() - timedelta(days=5)
    for _ in range(60):
        student = rng.choice(students)
        status = rng.choice([SubmissionStatus.DONE] * 4 + [SubmissionStatus.QUEUED, SubmissionStatus.ERROR])
        results = [("mse", f"check {k}", 1, 1 if k != 2 else 0, rng.choice(["passed", "failed"]),
                    f"mse(x)\nmax error {rng.random():.3f}") for k in range(4)]
        # Submission times are not in id order: the latest is by time.
        factory.submission(student, course, status=status, score=float(rng.randint(0, 35)), results=results,
                           late_days=rng.choice([0, 0, 1]), created_at=start + timedelta(hours=rng.randint(0, 100)))
    leaver = students[0]
    db.session.query(Enrollment).filter_by(user_id=leaver.id).delete()
    db.session.commit()
    ca = course.course_assignments[0]
    dashboard = analytics.assignment_dashboard(ca)
    every = db.session.query(Submission).all()
    current = [s for s in students if s.id != leaver.id]
    for student in current:
        mine = [s for s in every if s.user_id == student.id]
        graded = [s for s in mine if s.status == SubmissionStatus.DONE and s.final_score is not None]
        latest = max(graded, key=lambda s: (s.created_at, s.id), default=None)
        row = next(row for row in dashboard.students if row.user.id == student.id)
        assert (row.submissions, row.late, row.best, row.latest_id) == (
            len(mine), sum(1 for s in mine if s.late_days > 0), max((s.final_score for s in graded), default=None),
            latest.id if latest else None)
    assert leaver.id not in {row.user.id for row in dashboard.students}
    assert dashboard.total_submissions == len(every)  # the leaver's work still counts in the totals
    assert dashboard.queued == sum(1 for s in every if s.status == SubmissionStatus.QUEUED)
    latest_ids = {row.latest_id for row in dashboard.students if row.latest_id is not None}
    counted = [r for s in every if s.id in latest_ids for r in s.results]
    scored = [r for r in counted if r.max_score]
    for rate in dashboard.check_pass_rates:
        mine = [r for r in scored if r.name == rate.label]
        assert (rate.passed, rate.total) == (sum(r.status == "passed" for r in mine), len(mine))
    assert [r.label for r in dashboard.diagnostic_pass_rates] == ["mse: check 2"]
    assert dashboard.function_pass_rates[0].total == len(latest_ids)
    assert dashboard.function_pass_rates[0].passed == sum(
        all(r.status == "passed" for r in s.results if r.max_score) for s in every if s.id in latest_ids)
    # Outputs that differ only in their numbers are one failure message.
    failed = sum(1 for r in scored if r.status != "passed")
    assert sum(count for _, _, count in dashboard.frequent_failures) == failed
    assert {message for _, message, _ in dashboard.frequent_failures} == {"max error #"}
    assert sum(count for _, count in dashboard.submissions_per_day) == len(every)

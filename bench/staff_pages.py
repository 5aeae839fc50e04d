"""Time the staff pages on a seeded course: 1,000 students and 20,000 graded submissions by default.

Usage: .venv/bin/python bench/staff_pages.py [--students 1000] [--submissions 20000] [--results 25] [--runs 5]

Builds a throwaway SQLite database through the migrations, seeds it with bulk inserts (one
assignment, every submission graded with ``--results`` check results), signs an instructor in
through the real form and times each staff page with Flask's test client (no network). Prints
the median and worst time per page and its ratio to the (light) account page measured in the same run;
the goal is every staff page in 300 ms or less.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from werkzeug.security import generate_password_hash

from autograder.app import create_app
from autograder.config import TestConfig
from autograder.extensions import db
from autograder.models import (
    CatalogAssignment,
    CheckResult,
    Course,
    CourseAssignment,
    Enrollment,
    Role,
    Submission,
    SubmissionStatus,
    User,
)
from autograder.models._time import utcnow

PASSWORD = "bench-password"
GOAL_MS = 300


def seed(students: int, submissions: int, results: int) -> tuple[str, int, int]:
    """Fill the database; return the course code, a student id and a submission id to visit."""
    from autograder.grading.assignment import find_assignment

    engine = find_assignment("losses")
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    assignment = CatalogAssignment(
        name="losses",
        title=engine.title,
        filename=engine.file,
        version=engine.version,
        max_score=float(engine.max_score),
    )
    course = Course(code="BENCH", title="Bench course", join_code="BENCH001")
    teacher = User(email="teacher@bench.example", name="Teacher", role=Role.INSTRUCTOR, password_hash=password_hash)
    db.session.add_all([assignment, course, teacher])
    db.session.flush()
    ca = CourseAssignment(course=course, assignment=assignment, due_at=utcnow())
    db.session.add_all([ca, Enrollment(user=teacher, course=course, role=Role.INSTRUCTOR)])
    db.session.flush()
    db.session.execute(
        User.__table__.insert(),
        [
            {
                "email": f"s{n:05d}@bench.example",
                "email_skeleton": f"s{n:05d}@bench.example",
                "name": f"Student {n}",
                "role": "STUDENT",
                "password_hash": password_hash,
                "created_at": utcnow(),
            }
            for n in range(students)
        ],
    )
    student_ids = [
        row[0] for row in db.session.execute(db.select(User.id).where(User.role == Role.STUDENT).order_by(User.id))
    ]
    db.session.execute(
        Enrollment.__table__.insert(),
        [
            {"user_id": user_id, "course_id": course.id, "role": "STUDENT", "created_at": utcnow()}
            for user_id in student_ids
        ],
    )
    start = utcnow() - timedelta(days=14)
    functions = [f.name for f in engine.functions]
    rows = []
    for n in range(submissions):
        score = float(n % 36)
        rows.append(
            {
                "user_id": student_ids[n % len(student_ids)],
                "course_assignment_id": ca.id,
                "filename": "losses.py",
                "source": f"# submission {n}\n",
                "sha256": hashlib.sha256(str(n).encode()).hexdigest(),
                "status": SubmissionStatus.DONE.name,
                "score": score,
                "max_score": 35.0,
                "late_days": 0,
                "late_tokens": 0,
                "final_score": score,
                "created_at": start + timedelta(seconds=60 * n),
                "attempts": 1,
                "worker": "bench",
                "grader_version": "bench",
                "assignment_version": engine.version,
                "error_message": "",
            }
        )
    db.session.execute(Submission.__table__.insert(), rows)
    submission_ids = [row[0] for row in db.session.execute(db.select(Submission.id).order_by(Submission.id))]
    batch = []
    for submission_id in submission_ids:
        for k in range(results):
            function = functions[k % len(functions)]
            passed = (submission_id + k) % 3 != 0
            batch.append(
                {
                    "submission_id": submission_id,
                    "position": k,
                    "name": f"{function}: check {k}",
                    "function": function,
                    "check": f"check {k}",
                    "score": 1.0 if passed else 0.0,
                    "max_score": 0.0 if k % 7 == 6 else 1.0,
                    "status": "passed" if passed else "failed",
                    "output": "" if passed else f"{function}(x: (2, 3))\nwrong values: max error 0.{k}",
                    "visibility": "visible",
                }
            )
        if len(batch) > 50_000:
            db.session.execute(CheckResult.__table__.insert(), batch)
            batch = []
    if batch:
        db.session.execute(CheckResult.__table__.insert(), batch)
    db.session.commit()
    return course.code, student_ids[0], submission_ids[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--results", type=int, default=25, help="check results per submission")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        from flask_migrate import upgrade

        config = TestConfig(Path(scratch), f"sqlite:///{Path(scratch) / 'bench.sqlite3'}")
        config.EMBEDDED_WORKERS = 1
        app = create_app(config)
        with app.app_context():
            upgrade()
            began = time.perf_counter()
            code, student_id, submission_id = seed(options.students, options.submissions, options.results)
            print(
                f"seeded {options.students} students, {options.submissions} submissions, "
                f"{options.submissions * options.results} check results in {time.perf_counter() - began:.1f} s"
            )
            db.session.remove()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert (
            client.post(
                "/login", data={"email": "teacher@bench.example", "password": PASSWORD, "csrf_token": token}
            ).status_code
            == 302
        )
        pages = [
            ("account page (baseline)", "/account"),
            ("courses", "/instructor/"),
            ("course", f"/instructor/courses/{code}"),
            ("dashboard", f"/instructor/courses/{code}/losses"),
            ("student", f"/instructor/courses/{code}/students/{student_id}"),
            ("submission", f"/instructor/submissions/{submission_id}"),
            ("gradebook CSV", f"/instructor/courses/{code}/gradebook.csv"),
            ("Canvas CSV", f"/instructor/courses/{code}/gradebook-canvas.csv"),
        ]
        baseline = None
        print(f"{'page':<26}{'median ms':>10}{'worst ms':>10}{'x baseline':>12}  goal {GOAL_MS} ms")
        for label, path in pages:
            times = []
            for _ in range(options.runs + 1):
                began = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            times = times[1:]  # the first run warms caches
            median = statistics.median(times)
            baseline = baseline or median
            verdict = "" if label.endswith("(baseline)") else ("ok" if max(times) <= GOAL_MS else "OVER")
            print(f"{label:<26}{median:>10.0f}{max(times):>10.0f}{median / baseline:>12.1f}  {verdict}")


if __name__ == "__main__":
    main()

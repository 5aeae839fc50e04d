"""Time the staff pages on a seeded course: 1,000 students and 20,000 graded submissions by default.

Usage: .venv/bin/python bench/staff_pages.py [--students 1000] [--submissions 20000] [--results 25] [--runs 5]

Builds a throwaway SQLite database through the migrations, seeds it with bulk inserts (one
assignment, every submission graded with ``--results`` check results, a regrade of all of them),
signs an instructor and a TA in through the real form and times each staff page (first pages,
searched, filtered and far pages of the big tables, the exports) with Flask's test client (no
network). Prints the median and worst time per page and its ratio to the (light) account page
measured in the same run; the goal is every staff page in 300 ms or less (worst of the runs).
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
    Regrade,
    RegradeEntry,
    Role,
    Submission,
    SubmissionStatus,
    User,
)
from autograder.models._time import utcnow

PASSWORD = "bench-password"
GOAL_MS = 300


def seed(students: int, submissions: int, results: int) -> tuple[str, int, int, int]:
    """Fill the database; return the course code, a student id, a submission id and a regrade id to visit."""
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
    assistant = User(email="ta@bench.example", name="Assistant", role=Role.STUDENT, password_hash=password_hash)
    db.session.add_all([assignment, course, teacher, assistant])
    db.session.flush()
    ca = CourseAssignment(course=course, assignment=assignment, due_at=utcnow())
    db.session.add_all(
        [
            ca,
            Enrollment(user=teacher, course=course, role=Role.INSTRUCTOR),
            Enrollment(user=assistant, course=course, role=Role.TA),
        ]
    )
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
        row[0]
        for row in db.session.execute(
            db.select(User.id).where(User.role == Role.STUDENT, User.email.like("s%@bench.example")).order_by(User.id)
        )
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
    # A regrade of every submission: a third went up, a third down, a third unchanged.
    run = Regrade(course_assignment_id=ca.id, requested_by_id=teacher.id, assignment_version=engine.version)
    db.session.add(run)
    db.session.flush()
    db.session.execute(
        RegradeEntry.__table__.insert(),
        [
            {
                "regrade_id": run.id,
                "submission_id": submission_id,
                "old_score": float(n % 36) + (n % 3 - 1),
                "old_final_score": float(n % 36) + (n % 3 - 1),
                "old_assignment_version": "older",
            }
            for n, submission_id in enumerate(submission_ids)
        ],
    )
    db.session.commit()
    return course.code, student_ids[0], submission_ids[-1], run.id


def signed_in(app, email: str):
    """Return a test client signed in as ``email`` through the real login form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, (email, response.status_code)
    return client


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
            code, student_id, submission_id, regrade_id = seed(options.students, options.submissions, options.results)
            print(
                f"seeded {options.students} students, {options.submissions} submissions, "
                f"{options.submissions * options.results} check results in {time.perf_counter() - began:.1f} s"
            )
            db.session.remove()
        instructor, assistant = signed_in(app, "teacher@bench.example"), signed_in(app, "ta@bench.example")
        course, dashboard = f"/instructor/courses/{code}", f"/instructor/courses/{code}/losses"
        pages = [
            ("account page (baseline)", instructor, "/account"),
            ("courses", instructor, "/instructor/"),
            ("course + people p1", instructor, course),
            ("people search+role p3", instructor, f"{course}?q=student+1&role=student&sort=name&page=3"),
            ("people last page", instructor, f"{course}?per_page=200&page=5"),
            ("dashboard", instructor, dashboard),
            ("dashboard students p7", instructor, f"{dashboard}?sort=counted&show=graded&page=7"),
            ("dashboard JSON", instructor, f"{dashboard}/dashboard.json"),
            ("submissions p1", instructor, f"{dashboard}/submissions"),
            ("submissions last page", instructor, f"{dashboard}/submissions?per_page=200&page=100"),
            ("submissions search", instructor, f"{dashboard}/submissions?q=s0099&status=done&sort=score_high"),
            ("gradebook page", instructor, f"{course}/gradebook?sort=total&page=4"),
            ("gradebook CSV", instructor, f"{course}/gradebook.csv"),
            ("gradebook JSON", instructor, f"{course}/gradebook.json"),
            ("Canvas CSV", instructor, f"{course}/gradebook-canvas.csv"),
            ("student", instructor, f"{course}/students/{student_id}"),
            ("submission", instructor, f"/instructor/submissions/{submission_id}"),
            ("submission JSON", instructor, f"/instructor/submissions/{submission_id}.json"),
            ("latest submissions zip", instructor, f"{dashboard}/submissions.zip"),
            ("new course form", instructor, "/instructor/courses/new"),
            ("regrade report", instructor, f"/instructor/regrades/{regrade_id}"),
            ("regrade report down p9", instructor, f"/instructor/regrades/{regrade_id}?show=down&page=9"),
            ("TA: course", assistant, course),
            ("TA: dashboard", assistant, dashboard),
            ("TA: submissions", assistant, f"{dashboard}/submissions?flag=late"),
            ("TA: gradebook page", assistant, f"{course}/gradebook"),
            ("TA: student", assistant, f"{course}/students/{student_id}"),
            # Last: its first request indexes every submission in the background, which would load
            # the machine while the pages after it are timed.
            ("similarity ranking", instructor, f"{dashboard}/similarity"),
        ]
        baseline = None
        print(f"{'page':<26}{'median ms':>10}{'worst ms':>10}{'x baseline':>12}  goal {GOAL_MS} ms")
        for label, client, path in pages:
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

"""The big staff tables page, search, filter and sort on the server, and say what they show."""

import json
import re
from datetime import timedelta

import pytest

from autograder.models import Role
from autograder.models._time import utcnow
from autograder.services import courses


@pytest.fixture
def world(factory):
    teacher = factory.user(Role.INSTRUCTOR, email="teacher@example.edu")
    students = [factory.user(email=f"student{n:02d}@example.edu", name=f"Student {n:02d}") for n in range(30)]
    course = factory.course(teacher, tuple(students))
    ta = factory.user(email="ta@example.edu")
    courses.add_member(course, ta.email, Role.TA)
    start = utcnow() - timedelta(days=1)
    for n, student in enumerate(students[:12]):
        factory.submission(student, course, score=float(n), created_at=start + timedelta(minutes=n),
                           late_days=1 if n % 4 == 0 else 0)
    return teacher, ta, students, course


def _emails(html: str) -> list[str]:
    return re.findall(r"<td>(student\d+@example\.edu)</td>", html)


def test_assignment_students_are_paged_on_the_server(client, login, world):
    teacher, _, students, course = world
    login(teacher)
    html = client.get(f"/instructor/courses/{course.code}/losses?per_page=25").get_data(as_text=True)
    assert _emails(html) == [s.email for s in students[:25]]
    assert "Showing 1–25 of 30 students" in html
    second = client.get(f"/instructor/courses/{course.code}/losses?per_page=25&page=2").get_data(as_text=True)
    assert _emails(second) == [s.email for s in students[25:]]
    assert "Showing 26–30 of 30 students" in second
    # A page past the end shows the last one.
    assert _emails(client.get(f"/instructor/courses/{course.code}/losses?per_page=25&page=99")
                   .get_data(as_text=True)) == [s.email for s in students[25:]]


def test_assignment_students_filter_search_and_sort(client, login, world):
    teacher, _, students, course = world
    login(teacher)
    best = client.get(f"/instructor/courses/{course.code}/losses?show=graded&sort=best").get_data(as_text=True)
    assert _emails(best) == [s.email for s in reversed(students[:12])]
    assert "Showing 1–12 of 12 students" in best
    late = client.get(f"/instructor/courses/{course.code}/losses?show=late").get_data(as_text=True)
    assert _emails(late) == [students[n].email for n in (0, 4, 8)]
    found = client.get(f"/instructor/courses/{course.code}/losses?q=STUDENT+07").get_data(as_text=True)
    assert _emails(found) == [students[7].email] and "matching “STUDENT 07”" in found


def test_page_links_keep_the_other_parameters(client, login, world):
    teacher, _, _, course = world
    login(teacher)
    html = client.get(f"/instructor/courses/{course.code}/losses?per_page=25&sort=name&show=all&q=student")
    links = re.findall(r'href="([^"]*page=2[^"]*)"', html.get_data(as_text=True))
    assert links and all("sort=name" in link and "q=student" in link and "per_page=25" in link for link in links)


def test_unknown_parameters_fall_back_to_defaults(client, login, world):
    teacher, _, students, course = world
    login(teacher)
    response = client.get(f"/instructor/courses/{course.code}/losses?page=-3&per_page=7&sort=drop&show=evil")
    assert response.status_code == 200
    assert _emails(response.get_data(as_text=True)) == [s.email for s in students]


def test_search_text_is_escaped(client, login, world):
    teacher, _, _, course = world
    login(teacher)
    probe = '"><script>alert(1)</script>'
    for path in ("", "/losses", "/losses/submissions", "/gradebook"):
        html = client.get(f"/instructor/courses/{course.code}{path}", query_string={"q": probe}).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_people_are_paged_searched_and_filtered(client, login, world):
    teacher, ta, students, course = world
    login(teacher)
    first = client.get(f"/instructor/courses/{course.code}?per_page=25").get_data(as_text=True)
    assert "Showing 1–25 of 32 people" in first
    assert first.index("teacher@example.edu") < first.index("ta@example.edu") < first.index(students[0].email)
    staff = client.get(f"/instructor/courses/{course.code}?role=ta").get_data(as_text=True)
    assert "Showing 1–1 of 1 people" in staff and students[0].email not in staff
    # % and _ are searched literally, not as wildcards.
    assert "Showing 0–0 of 0 people" in client.get(f"/instructor/courses/{course.code}?q=%25").get_data(as_text=True)


def test_submissions_list_filters_and_pages_in_sql(client, login, world):
    teacher, ta, students, course = world
    login(ta)  # TAs see the list too
    html = client.get(f"/instructor/courses/{course.code}/losses/submissions?per_page=25").get_data(as_text=True)
    assert "Showing 1–12 of 12 submissions" in html
    # Newest first: the last student's submission heads the list.
    assert html.index(students[11].email) < html.index(students[0].email + "<")
    late = client.get(f"/instructor/courses/{course.code}/losses/submissions?flag=late&sort=oldest").get_data(as_text=True)
    assert "Showing 1–3 of 3 submissions" in late
    lowest = client.get(f"/instructor/courses/{course.code}/losses/submissions?sort=score_low&per_page=25&q=student0")
    assert "Showing 1–10 of 10 submissions" in lowest.get_data(as_text=True)
    queued = client.get(f"/instructor/courses/{course.code}/losses/submissions?status=queued").get_data(as_text=True)
    assert "No submission matches." in queued


def test_gradebook_page_and_json_agree_with_the_csv(client, login, world):
    teacher, _, students, course = world
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/gradebook?sort=total&per_page=25").get_data(as_text=True)
    assert _emails(page)[:3] == [students[11].email, students[10].email, students[9].email]
    assert "Showing 1–25 of 30 students" in page
    data = json.loads(client.get(f"/instructor/courses/{course.code}/gradebook.json").get_data(as_text=True))
    csv_rows = client.get(f"/instructor/courses/{course.code}/gradebook.csv").get_data(as_text=True).splitlines()[1:]
    assert [row["email"] for row in data["students"]] == [line.split(",")[0] for line in csv_rows]
    by_email = {row["email"]: row for row in data["students"]}
    assert by_email[students[5].email]["scores"] == {"losses": 5.0} and by_email[students[20].email]["total"] == 0


def test_regrade_report_counts_and_pages_in_sql(app, client, login, world):
    from autograder.extensions import db
    from autograder.models import Regrade, RegradeEntry, Submission

    teacher, _, students, course = world
    ca = course.course_assignments[0]
    run = Regrade(course_assignment_id=ca.id, requested_by_id=teacher.id, assignment_version="v")
    db.session.add(run)
    db.session.flush()
    graded = db.session.query(Submission).order_by(Submission.id).all()  # final scores 0..11
    for n, submission in enumerate(graded):
        db.session.add(RegradeEntry(regrade_id=run.id, submission_id=submission.id,
                                    old_final_score=submission.final_score + (n % 3 - 1)))
    db.session.commit()
    login(teacher)
    page = client.get(f"/instructor/regrades/{run.id}?per_page=25").get_data(as_text=True)
    # n % 3 == 0: the old score was 1 higher (went down); 2: 1 lower (went up); 1: unchanged.
    assert '<div class="value" id="moved-down">4</div>' in page and '<div class="value" id="moved-up">4</div>' in page
    assert "Showing 1–12 of 12 submissions" in page
    down = client.get(f"/instructor/regrades/{run.id}?show=down").get_data(as_text=True)
    assert "Showing 1–4 of 4 submissions" in down and "-1.00" in down and "+1.00" not in down
    # The dashboard lists the run with its size, counted in SQL.
    assert "· 12 submissions</li>" in client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)

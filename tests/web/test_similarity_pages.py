"""The similarity pages: ranked pairs with the evidence-not-verdict statement, side by side with marked regions."""

from __future__ import annotations

import re
from pathlib import Path

from autograder.models import Role
from autograder.similarity.disguise import disguise

SOLUTIONS = Path(__file__).resolve().parents[1] / "conformance" / "solutions" / "losses"
GRADED = ("mse", "mse_grad", "softmax", "cross_entropy", "cross_entropy_grad", "sigmoid",
          "binary_cross_entropy", "binary_cross_entropy_grad")


def _four_students(factory):
    teacher = factory.user(Role.INSTRUCTOR)
    names = ("original", "copier", "second", "third")
    students = {name: factory.user(email=f"{name}.{factory.user().id}@example.edu") for name in names}
    course = factory.course(teacher, tuple(students.values()))
    original = (SOLUTIONS / "loops.py").read_text()
    sources = {"original": original,
               "copier": disguise(original, keep=GRADED, seed=21) + "\n# <script>alert(1)</script>\n",
               "second": (SOLUTIONS / "vectorised.py").read_text(), "third": (SOLUTIONS / "einsum.py").read_text()}
    submissions = {name: factory.submission(students[name], course, source=sources[name], score=30.0)
                   for name in names}
    return teacher, students, course, submissions


def _rows(html: str) -> list[tuple[list[str], int]]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        emails = re.findall(r"[\w.]+@example\.edu", row)
        score = int(re.search(r'class="similarity-score[^"]*">(\d+)%', row).group(1))
        rows.append((emails, score))
    return rows


def test_ranking_page_puts_the_disguised_pair_first(client, factory, login):
    teacher, students, course, _ = _four_students(factory)
    login(teacher)
    response = client.get(f"/instructor/courses/{course.code}/losses/similarity")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Similarity is evidence to review, not a verdict." in html
    rows = _rows(html)
    assert set(rows[0][0]) == {students["original"].email, students["copier"].email} and rows[0][1] >= 80
    assert all(score < 50 for _, score in rows[1:])
    # The dashboard links here; the JSON says the same.
    dashboard = client.get(f"/instructor/courses/{course.code}/losses").get_data(as_text=True)
    assert f"/instructor/courses/{course.code}/losses/similarity" in dashboard
    data = client.get(f"/instructor/courses/{course.code}/losses/similarity.json").get_json()
    assert {data["pairs"][0]["a"], data["pairs"][0]["b"]} == set(rows[0][0]) and data["pairs"][0]["score"] >= 0.8
    assert all(pair["score"] < 0.5 for pair in data["pairs"][1:])


def test_side_by_side_marks_the_matched_lines_and_escapes_code(client, factory, login):
    teacher, students, course, submissions = _four_students(factory)
    login(teacher)
    page = client.get(f"/instructor/courses/{course.code}/losses/similarity").get_data(as_text=True)
    link = re.search(r'href="(/instructor/courses/[^"]+/similarity/\d+/\d+)"', page).group(1)
    html = client.get(link).get_data(as_text=True)
    assert "Similarity is evidence to review, not a verdict." in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('class="matched"') > 40
    assert re.search(r'Region 1:\s*<a href="#a-L\d+">lines \d+–\d+ of', html)
    # Every region link points at a line that exists on its side.
    for side, line in re.findall(r'href="#([ab])-L(\d+)"', html):
        assert f'id="{side}-L{line}"' in html
    # Code panes are labelled, keyboard-focusable regions.
    assert html.count('class="code-pane" role="region" tabindex="0" aria-label="Code of') == 2


def test_an_assignment_without_graded_work_says_so(client, factory, login):
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher, (factory.user(),))
    login(teacher)
    html = client.get(f"/instructor/courses/{course.code}/losses/similarity").get_data(as_text=True)
    assert "No pair of students reaches 20%." in html
    assert client.get(f"/instructor/courses/{course.code}/training/similarity").status_code == 404


def test_a_backlog_is_indexed_a_slice_per_load_and_said(client, factory, login, monkeypatch):
    from autograder.services import similarity
    from autograder.web import similarity as pages

    # One batch of two per load: the time budget is spent after the first batch.
    monkeypatch.setattr(pages, "INDEXING_SECONDS_PER_REQUEST", 0.0)
    monkeypatch.setattr(similarity, "TIMED_BATCH_SIZE", 2)
    teacher, students, course, _ = _four_students(factory)
    login(teacher)
    url = f"/instructor/courses/{course.code}/losses/similarity"
    first = client.get(url).get_data(as_text=True)
    assert "2 graded submissions are not compared yet" in first
    assert client.get(url + ".json").get_json()["submissions_not_yet_indexed"] == 0
    second = client.get(url).get_data(as_text=True)
    assert "not compared yet" not in second
    assert set(_rows(second)[0][0]) == {students["original"].email, students["copier"].email}

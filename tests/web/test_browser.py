"""A student uploads through the real form in Chromium and watches it graded; the instructor sees it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from autograder.models import Role

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required in CI and missing at {CHROMIUM} (scripts/test installs it)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_student_submits_and_instructor_sees_it(browser, live_server, factory, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    teacher = factory.user(Role.INSTRUCTOR, email="teacher@example.edu", name="Dr. Teacher")
    student = factory.user(email="ada@example.edu", name="Ada Lovelace")
    course = factory.course(teacher, (student,))
    solution = tmp_path / "losses.py"
    solution.write_bytes((REPOSITORY / "assignments" / "losses" / "reference.py").read_bytes())

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, live_server, student.email)
    assert "My assignments" in page.content()
    page.click(f"text={course.course_assignments[0].assignment.title}")
    page.set_input_files("#file", str(solution))
    page.screenshot(path=str(ARTIFACTS / "student-assignment.png"), full_page=True)
    page.click("#submit-button")
    page.wait_for_url("**/submissions/*")
    # Marks this page load: if the result arrived by reloading, the mark would be gone.
    page.evaluate("window.__sameLoad = true")
    page.wait_for_selector("#status [data-status=done]", timeout=60_000)
    assert page.evaluate("window.__sameLoad") is True
    assert page.inner_text("#score").startswith("35")
    assert page.locator("#results-body tr").count() > 20
    page.screenshot(path=str(ARTIFACTS / "student-result.png"), full_page=True)
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, live_server, teacher.email)
    page.click(f"text={course.title}")
    page.click(f"text={course.course_assignments[0].assignment.title}")
    row = page.locator("#students-table tr", has_text=student.email)
    assert row.locator("td").nth(2).inner_text() == "35"
    page.wait_for_function("document.querySelector('#chart-histogram').width > 0")
    page.screenshot(path=str(ARTIFACTS / "instructor-dashboard.png"), full_page=True)
    context.close()
    assert errors == []

"""Chromium walks the service as an instructor, a TA and two students, at 1280 and 375 px.

Every page is checked with axe-core (vendored, served by the app itself: nothing loads from the
internet) for critical and serious violations, and at 375 px for anything reaching past the right
edge of the screen. A page with a problem is photographed into test-artifacts/ (every page with
AUTOGRADER_TEST_SCREENSHOTS=1: a full-page PNG costs about as much CPU as the audit itself).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.models import Role
from autograder.services import courses, password_links, time_limits

# One worker runs this module's tests, in one Chromium (the `browser` fixture is per module).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
PASSWORD = "correct-horse-battery"
WIDTHS = (1280, 375)
EVERY_SCREENSHOT = os.environ.get("AUTOGRADER_TEST_SCREENSHOTS") == "1"

# Elements whose right edge is past the viewport, unless a scrolling ancestor (a code box, a
# statement table) keeps them inside itself and is itself inside the viewport.
OVERFLOW_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > width + 1) out.push("page scrolls sideways: " + document.documentElement.scrollWidth);
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let clipped = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (/(auto|scroll|hidden)/.test(style.overflowX) && p.getBoundingClientRect().right <= width + 1) { clipped = true; break; }
    }
    if (!clipped && !el.closest(".visually-hidden, .skip-link")) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + el.className + " right=" + Math.round(box.right));
  }
  return out.slice(0, 10);
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter(v => v.impact === "critical" || v.impact === "serious")
    .map(v => v.impact + " " + v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""


class Walker:
    """One person's browser at one width: signs in, visits pages, audits each one."""

    def __init__(self, browser, base: str, who: str, width: int, problems: list[str]) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.base, self.who, self.width, self.problems = base, who, width, problems
        self.page.on("pageerror", lambda error: problems.append(f"{who}@{width}: script error {error}"))

    def sign_in(self, email: str) -> None:
        self.page.goto(f"{self.base}/login")
        self.page.fill("#email", email)
        self.page.fill("#password", PASSWORD)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()

    def visit(self, path: str, name: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state()
        self.audit(name)

    def audit(self, name: str) -> None:
        label = f"{self.who}-{name}-{self.width}"
        known = len(self.problems)
        self.page.add_script_tag(url=f"{self.base}/static/vendor/axe-core/axe.min.js")
        for violation in self.page.evaluate(AXE_RUN):
            self.problems.append(f"{label}: {violation}")
        if self.width < 600:
            for element in self.page.evaluate(OVERFLOW_PROBE):
                self.problems.append(f"{label}: past the right edge: {element}")
        if EVERY_SCREENSHOT or len(self.problems) > known:
            self.page.screenshot(path=str(ARTIFACTS / f"{label}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def _wait_until(page, expression: str, seconds: float = 30) -> None:
    # page.evaluate goes through the debugging protocol; wait_for_function would need 'unsafe-eval',
    # which the pages' Content-Security-Policy rightly forbids.
    for _ in range(int(seconds * 5)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def _world(factory):
    teacher = factory.user(Role.INSTRUCTOR, email="teacher@example.edu", name="Dr. Teacher")
    ada = factory.user(email="ada@example.edu", name="Ada Lovelace")
    alan = factory.user(email="alan@example.edu", name="Alan Turing")
    course = factory.course(teacher, (ada, alan), assignments=("losses", "optimizers"))
    ta = factory.user(email="ta@example.edu", name="Grace Hopper")
    courses.add_member(course, ta.email, Role.TA)
    long_output = (
        "mse(y_pred: (2, 3), y_true: (2, 3))\nwrong values: expected 0.3333333333333333 got "
        + "0.123456789" * 12
        + "\nLooks like: sum instead of mean"
    )
    graded = factory.submission(
        alan,
        course,
        score=12,
        late_days=1,
        results=[
            ("mse", "random shapes", 0, 2, "failed", long_output),
            ("mse", "arguments unchanged", 1, 1, "passed", ""),
            ("mse_grad", "matches the reference", 4, 4, "passed", ""),
            ("mse_grad", "agrees with your mse", 0, 0, "failed", "your backward disagrees with your forward"),
        ],
    )
    # A timed assignment, with extra time for Alan.
    timed = courses.course_assignment(course, "optimizers")
    time_limits.set_time_limit(timed, 45)
    time_limits.set_accommodation(teacher, alan, timed, 1.5, 0, "letter on file")
    return teacher, ta, ada, alan, course, graded


def test_a_student_submits_through_the_form_and_watches_the_result_fill_in(
    app, browser, live_server, factory, tmp_path
):
    ARTIFACTS.mkdir(exist_ok=True)
    _, _, ada, _, course, _ = _world(factory)
    solution = tmp_path / "losses.py"
    solution.write_bytes((REPOSITORY / "assignments" / "losses" / "reference.py").read_bytes())
    problems: list[str] = []

    # Ada submits through the real form and watches the result fill in without a reload.
    ada_view = Walker(browser, live_server, "student1", 1280, problems)
    ada_view.sign_in(ada.email)
    assert "My assignments" in ada_view.page.content()
    ada_view.audit("index")
    ada_view.page.click("text=Loss functions")
    ada_view.page.set_input_files("#file", str(solution))
    ada_view.audit("assignment")
    ada_view.page.click("#submit-button")
    ada_view.page.wait_for_url("**/submissions/*")
    ada_view.page.evaluate("window.__sameLoad = true")
    ada_view.page.wait_for_selector("#status [data-status=done]", timeout=60_000)
    assert ada_view.page.evaluate("window.__sameLoad") is True
    assert ada_view.page.inner_text("#score").startswith("35")
    assert ada_view.page.locator("#results-body tr").count() > 20
    # The live page's header is complete without a reload.
    assert ada_view.page.inner_text("#grader-version") not in ("", "not graded yet")
    assert ada_view.page.inner_text("#checks-passed") != "—"
    ada_view.audit("live-result")
    # During the cooldown the form keeps the chosen file and the countdown ticks down to an enabled button.
    # A cooldown ending 2-3 s from now, however long the grading above took.
    from autograder.extensions import db
    from autograder.models import Submission
    from autograder.models._time import utcnow

    last = max(s.created_at for s in db.session.query(Submission).filter_by(user_id=ada.id))
    app.config["SUBMISSION_COOLDOWN_SECONDS"] = int((utcnow() - last).total_seconds()) + 3
    ada_view.page.goto(f"{live_server}/courses/{course.code}/losses")
    ada_view.page.set_input_files("#file", str(solution))
    assert ada_view.page.is_disabled("#submit-button")
    first = int(ada_view.page.inner_text("#cooldown-seconds"))
    _wait_until(ada_view.page, f"Number(document.getElementById('cooldown-seconds').textContent) < {first}")
    _wait_until(ada_view.page, "!document.getElementById('submit-button').disabled")
    assert ada_view.page.evaluate("document.getElementById('file').files.length") == 1
    ada_view.close()
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_and_students_walk_every_page_axe_clean(app, browser, live_server, factory, width):
    ARTIFACTS.mkdir(exist_ok=True)
    teacher, ta, ada, alan, course, graded = _world(factory)
    # Ada's full marks, as the form above earns them.
    full_marks = factory.submission(
        ada,
        course,
        source=(REPOSITORY / "assignments" / "losses" / "reference.py").read_text(),
        score=35,
        results=[("mse", "random shapes", 2, 2, "passed", "")],
    )
    own_submission = f"/submissions/{full_marks.id}"
    invitation = password_links.make_token(
        factory.user(email="invited@example.edu"), password_links.LinkPurpose.INVITATION
    )
    problems: list[str] = []
    student = Walker(browser, live_server, "student1", width, problems)
    student.sign_in(ada.email)
    for path, name in [
        ("/", "index"),
        (f"/courses/{course.code}/losses", "assignment"),
        (own_submission, "result"),
        ("/account", "account"),
    ]:
        student.visit(path, name)
    student.close()

    other = Walker(browser, live_server, "student2", width, problems)
    other.sign_in(alan.email)
    other.visit(f"/submissions/{graded.id}", "result-with-failures")
    other.visit(f"/courses/{course.code}/optimizers", "timed-assignment")
    if other.page.locator("#start-button").count():
        assert "67.5 minutes" in other.page.inner_text("#timer")  # 45 min × 1.5
        with other.page.expect_navigation():
            other.page.click("#start-button")
    assert "your time ends at" in other.page.inner_text("#timer")
    other.audit("timed-assignment-started")
    other.visit(f"/submissions/{graded.id + 1000}", "not-found")
    other.close()

    staff = Walker(browser, live_server, "instructor", width, problems)
    staff.sign_in(teacher.email)
    for path, name in [
        ("/instructor/", "courses"),
        (f"/instructor/courses/{course.code}", "course"),
        (f"/instructor/courses/{course.code}/losses", "dashboard"),
        (f"/instructor/courses/{course.code}/optimizers", "empty-dashboard"),
        (f"/instructor/courses/{course.code}/students/{alan.id}", "student"),
        (f"/instructor/submissions/{graded.id}", "submission"),
        (f"/instructor/courses/{course.code}/gradebook", "gradebook"),
        (f"/instructor/courses/{course.code}/losses/submissions", "submissions"),
        ("/instructor/courses/new", "new-course"),
        ("/account", "account"),
    ]:
        staff.visit(path, name)
    # A reset link for a student: the page that shows it.
    staff.page.goto(f"{live_server}/instructor/courses/{course.code}")
    staff.page.click(f"#people-table tr:has-text('{alan.email}') button")
    staff.page.wait_for_load_state()
    assert "/set-password/" in staff.page.inner_text("#password-links")
    staff.audit("reset-link")
    # A manual score with a comment, then the audit trail on the student's page.
    staff.page.goto(f"{live_server}/instructor/courses/{course.code}/students/{alan.id}")
    ca_id = graded.course_assignment_id
    staff.page.fill(f"#ovr{ca_id}-score", "20")
    staff.page.fill(f"#ovr{ca_id}-comment", f"Partial credit at {width} px")
    staff.page.click("#assignment-losses form:has(#ovr" + str(ca_id) + "-score) button[type=submit]")
    staff.page.wait_for_load_state()
    assert f"Partial credit at {width} px" in staff.page.content()
    staff.audit("student-with-override")
    if width == 1280:
        staff.page.goto(f"{live_server}/instructor/courses/{course.code}/losses")
        row = staff.page.locator("#students-table tr", has_text=ada.email)
        assert row.locator("td").nth(2).inner_text() == "35"
        # The order is chosen server-side with the keyboard: a labelled select, then Enter submits.
        staff.page.select_option("#students-sort", "best")
        staff.page.focus("#students-q")
        with staff.page.expect_navigation():
            staff.page.keyboard.press("Enter")
        assert "sort=best" in staff.page.url
        assert staff.page.locator("#students-table tbody tr").first.locator("td").nth(1).inner_text() == ada.email
    staff.close()

    assistant = Walker(browser, live_server, "ta", width, problems)
    assistant.sign_in(ta.email)
    assert assistant.page.url.endswith("/instructor/")
    for path, name in [
        ("/instructor/", "courses"),
        (f"/instructor/courses/{course.code}", "course"),
        (f"/instructor/courses/{course.code}/losses", "dashboard"),
        (f"/instructor/courses/{course.code}/students/{ada.id}", "student"),
    ]:
        assistant.visit(path, name)
    assert "Deadline and late policy" not in assistant.page.content()
    # Search the students table (on the server: the page says how many match of how many).
    assistant.page.goto(f"{live_server}/instructor/courses/{course.code}/losses")
    assistant.page.fill("#students-q", "lovelace")
    with assistant.page.expect_navigation():
        assistant.page.keyboard.press("Enter")
    assert assistant.page.locator("#students-table tbody tr").count() == 1
    assert "Showing 1–1 of 1 students" in assistant.page.inner_text("#students .pager")
    assistant.audit("dashboard-searched")
    assistant.close()

    anonymous = Walker(browser, live_server, "visitor", width, problems)
    anonymous.visit("/login", "login")
    anonymous.visit("/register", "register")
    anonymous.visit(f"/set-password/{invitation}", "invitation")
    anonymous.close()

    assert problems == [], "\n".join(problems)

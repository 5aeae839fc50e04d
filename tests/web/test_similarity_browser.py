"""The similarity pages in Chromium: usable with the keyboard alone, no sideways scrolling on a 375 px phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.models import Role
from autograder.similarity.disguise import disguise

# One worker runs this module's tests, in one Chromium (the `browser` fixture is per module).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("similarity-browser")]

REPOSITORY = Path(__file__).resolve().parents[2]
ARTIFACTS = REPOSITORY / "test-artifacts"
SOLUTIONS = REPOSITORY / "tests" / "conformance" / "solutions" / "losses"
PASSWORD = "correct-horse-battery"
GRADED = ("mse", "mse_grad", "softmax", "cross_entropy", "cross_entropy_grad", "sigmoid",
          "binary_cross_entropy", "binary_cross_entropy_grad")



def _overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def _tab_to(page, predicate: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element with {predicate}")


@pytest.mark.parametrize("width", [375, 1280])
def test_similarity_pages_by_keyboard_without_overflow(browser, live_server, factory, width):
    ARTIFACTS.mkdir(exist_ok=True)
    teacher = factory.user(Role.INSTRUCTOR, email=f"teacher{width}@example.edu")
    original = (SOLUTIONS / "loops.py").read_text()
    students = [factory.user(email=f"student.with.a.rather.long.address.{n}.{width}@example.edu") for n in range(4)]
    course = factory.course(teacher, tuple(students))
    sources = [original, disguise(original, keep=GRADED, seed=5) + "\n" + "x = 1  # " + "w" * 300 + "\n",
               (SOLUTIONS / "vectorised.py").read_text(), (SOLUTIONS / "einsum.py").read_text()]
    for student, source in zip(students, sources):
        factory.submission(student, course, source=source, score=30.0)

    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.fill("#email", teacher.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.goto(f"{live_server}/instructor/courses/{course.code}/losses/similarity")
    assert "evidence to review, not a verdict" in page.inner_text("main")
    assert _overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / f"similarity-ranking-{width}.png"), full_page=True)

    _tab_to(page, "el.matches('a[aria-label^=\"Compare\"]')")
    label = page.evaluate("document.activeElement.getAttribute('aria-label')")
    assert students[0].email in label and students[1].email in label  # the first pair: the copy
    page.keyboard.press("Enter")
    page.wait_for_url("**/similarity/*/*")
    assert _overflow(page) <= 0
    page.screenshot(path=str(ARTIFACTS / f"similarity-side-by-side-{width}.png"), full_page=True)

    _tab_to(page, "el.matches('.region-list a')")
    target = page.evaluate("document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_function(f"location.hash === {target!r}")
    assert page.locator(f"{target}.matched").count() == 1
    _tab_to(page, "el.matches('.code-pane')")
    before = page.evaluate("document.activeElement.scrollLeft")
    page.keyboard.press("End")
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    wide = page.evaluate("document.activeElement.scrollWidth > document.activeElement.clientWidth")
    if wide:  # the long line scrolls inside its pane, by keyboard, not the page
        assert page.evaluate("document.activeElement.scrollLeft") > before
    assert _overflow(page) <= 0
    context.close()

"""One inbox gets at most 3 mails an hour from the site, whichever flows ask for them.

Counted per flow, "Forgot your password?", registration and "Send it again" let strangers send
one address about 9 mails an hour (and an instructor's links more).
"""

from __future__ import annotations

import re

from autograder.extensions import db
from autograder.models import Course, Enrollment, Role, User
from autograder.services import accounts

INBOX = "dora@uni.edu"


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _register(email: str, app) -> None:
    client = app.test_client()
    client.post("/register", data={"email": email, "password": "dora-password", "confirm": "dora-password",
                                   "csrf_token": _token(client, "/register")}).close()


def _forgot(email: str, app) -> None:
    client = app.test_client()
    client.post("/forgot-password", data={"email": email, "csrf_token": _token(client, "/forgot-password")}).close()


def _mails_to(received, email: str) -> list:
    return [message for recipients, message in received if recipients == [email]]


def _mailed_app(make_app, port):
    return make_app(RATELIMIT_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")


def test_every_flow_spends_from_one_budget_per_inbox(make_app, smtp_server):
    port, received = smtp_server
    app = _mailed_app(make_app, port)
    _register(INBOX, app)  # 1: the confirmation link
    _forgot(INBOX, app)  # 2: a reset link
    owner = app.test_client()
    owner.post("/login", data={"email": INBOX, "password": "dora-password", "csrf_token": _token(owner, "/login")})
    sent = owner.post("/confirm-email/send", data={"csrf_token": _token(owner, "/"), "next": "/account"},
                      follow_redirects=True)  # 3: "Send it again"
    assert "we sent a link" in sent.get_data(as_text=True)
    assert len(_mails_to(received, INBOX)) == 3
    # Past the budget, no flow mails this inbox this hour: a stranger's registration and reset ...
    _register(INBOX, app)
    _forgot(INBOX.upper(), app)
    assert len(_mails_to(received, INBOX)) == 3
    # ... and the owner's own "Send it again", which says why instead of pretending.
    again = owner.post("/confirm-email/send", data={"csrf_token": _token(owner, "/"), "next": "/account"},
                       follow_redirects=True)
    assert again.status_code == 200 and "3 mails to dora@uni.edu in the last hour" in again.get_data(as_text=True)
    assert len(_mails_to(received, INBOX)) == 3
    # Another inbox is untouched.
    _register("erin@uni.edu", app)
    assert len(_mails_to(received, "erin@uni.edu")) == 1


def test_an_instructors_link_past_the_budget_is_shown_and_not_mailed(make_app, smtp_server):
    port, received = smtp_server
    app = _mailed_app(make_app, port)
    with app.app_context():
        student = accounts.create_user("sam@uni.edu", "sams-password")
        prof = accounts.create_user("prof@uni.edu", "profs-password", Role.INSTRUCTOR)
        course = Course(code="DL1", title="Deep learning", join_code="K7QM2XW9PT4R")
        db.session.add_all([course, Enrollment(user=student, course=course, role=Role.STUDENT),
                            Enrollment(user=prof, course=course, role=Role.INSTRUCTOR)])
        db.session.commit()
        student_id = student.id
    for _ in range(3):
        _forgot("sam@uni.edu", app)
    assert len(_mails_to(received, "sam@uni.edu")) == 3
    staff = app.test_client()
    staff.post("/login", data={"email": "prof@uni.edu", "password": "profs-password",
                               "csrf_token": _token(staff, "/login")})
    page = staff.post(f"/instructor/courses/DL1/people/{student_id}/reset-link",
                      data={"csrf_token": _token(staff, "/instructor/courses/DL1")})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "/set-password/" in text
    assert "already got 3 mails from this site in the last hour" in text
    assert len(_mails_to(received, "sam@uni.edu")) == 3
    with app.app_context():
        assert db.session.get(User, student_id).email == "sam@uni.edu"

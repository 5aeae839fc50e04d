"""Accounts run by course staff: password change, one-time reset and invitation links (by e-mail
through a real local SMTP server), people added with per-course roles, TAs who cannot change settings."""

from __future__ import annotations

import io
import re

import pytest

from autograder.models import Role
from autograder.services import accounts, courses, password_links

PASSWORD = "correct-horse-battery"


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _links(html: str) -> list[str]:
    return re.findall(r"<code class=\"token\" data-link>([^<]+)</code>", html)


def _set_password_through(client, url: str, password: str):
    path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post("/" + path, data={"password": password, "confirm": password,
                                         "csrf_token": _token(client, "/" + path)})


def test_password_change_needs_the_current_password(client, factory, login):
    student = factory.user()
    login(student)
    wrong = client.post("/account/password", data={"current": "not-it-at-all", "new": "a-brand-new-pw",
                                                   "confirm": "a-brand-new-pw", "csrf_token": _token(client, "/account")})
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    done = client.post("/account/password", data={"current": PASSWORD, "new": "a-brand-new-pw",
                                                  "confirm": "a-brand-new-pw", "csrf_token": _token(client, "/account")})
    assert done.status_code == 302
    assert accounts.authenticate(student.email, "a-brand-new-pw") is not None
    assert accounts.authenticate(student.email, PASSWORD) is None


def test_instructor_reset_link_works_once(client, factory, login):
    teacher = factory.user(Role.INSTRUCTOR)
    student = factory.user()
    course = factory.course(teacher, (student,))
    login(teacher)
    course_page = client.get(f"/instructor/courses/{course.code}").get_data(as_text=True)
    assert "Password reset link" in course_page
    made = client.post(f"/instructor/courses/{course.code}/people/{student.id}/reset-link",
                       data={"csrf_token": _token(client, f"/instructor/courses/{course.code}")})
    (url,) = _links(made.get_data(as_text=True))
    client.delete_cookie("session")
    assert _set_password_through(client, url, "chosen-by-student").status_code == 302
    assert accounts.authenticate(student.email, "chosen-by-student") is not None
    # Spent: the same link cannot set it again.
    client.delete_cookie("session")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    again = client.get(path)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)
    assert client.get("/set-password/forged-token").status_code == 400


def test_reset_links_are_for_students_of_ones_own_course_only(app, factory):
    teacher, colleague, other_teacher = (factory.user(Role.INSTRUCTOR) for _ in range(3))
    student, ta = factory.user(), factory.user()
    course = factory.course(teacher, (student,))
    courses.add_member(course, ta.email, Role.TA)
    courses.add_member(course, colleague.email, Role.INSTRUCTOR)
    factory.course(other_teacher)
    assert password_links.may_issue_reset(teacher, student, course)
    assert not password_links.may_issue_reset(teacher, ta, course)  # staff accounts are their owners' alone
    assert not password_links.may_issue_reset(teacher, colleague, course)  # instructors cannot take over each other
    assert not password_links.may_issue_reset(ta, student, course)  # TAs do not manage people
    assert not password_links.may_issue_reset(other_teacher, student, course)


def test_expired_and_changed_password_links_are_refused(app, factory, monkeypatch):
    student = factory.user()
    token = password_links.make_token(student, password_links.LinkPurpose.RESET)
    assert password_links.holder_of(token).user.id == student.id
    monkeypatch.setitem(password_links.MAX_AGE_SECONDS, password_links.LinkPurpose.RESET, -1)
    with pytest.raises(password_links.LinkError, match="expired"):
        password_links.holder_of(token)
    monkeypatch.undo()
    accounts.set_password(student, "changed-meanwhile")
    with pytest.raises(password_links.LinkError, match="already used"):
        password_links.holder_of(token)


def test_roster_invitations_are_emailed_and_let_students_choose_a_password(app, client, factory, login, smtp_server):
    port, received = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    login(teacher)
    response = client.post(f"/instructor/courses/{course.code}/roster", content_type="multipart/form-data", data={
        "roster": (io.BytesIO(b"email,name\nnew1@example.edu,New One\nnew2@example.edu,New Two\n"), "roster.csv"),
        "csrf_token": _token(client, f"/instructor/courses/{course.code}")})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "They were sent by e-mail" in page
    assert "First password" not in page  # no passwords to hand out any more
    assert sorted(rcpt[0] for rcpt, _ in received) == ["new1@example.edu", "new2@example.edu"]
    recipients, message = next(item for item in received if item[0] == ["new1@example.edu"])
    assert message["From"] == "grader@example.edu" and course.title in message["Subject"]
    (url,) = re.findall(r"http://\S+/set-password/\S+", message.get_payload(decode=True).decode())
    client.delete_cookie("session")
    assert _set_password_through(client, url, "my-own-password").status_code == 302
    assert accounts.authenticate("new1@example.edu", "my-own-password") is not None
    assert courses.studies(accounts.find_user("new1@example.edu"), course)


def test_without_smtp_the_links_are_shown_to_hand_out(app, client, factory, login):
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    login(teacher)
    response = client.post(f"/instructor/courses/{course.code}/people", data={
        "email": "newta@example.edu", "name": "New TA", "role": "ta",
        "csrf_token": _token(client, f"/instructor/courses/{course.code}")})
    page = response.get_data(as_text=True)
    assert "No e-mail server is configured" in page and len(_links(page)) == 1
    assert courses.role_in(accounts.find_user("newta@example.edu"), course) == Role.TA


def test_an_existing_user_is_added_with_a_role(client, factory, login, csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    other_teacher = factory.user(Role.INSTRUCTOR, email="other@example.edu")
    course = factory.course(teacher)
    login(teacher)
    response = client.post(f"/instructor/courses/{course.code}/people", data={
        "email": "OTHER@example.edu", "role": "student", "csrf_token": csrf_token(f"/instructor/courses/{course.code}")})
    assert response.status_code == 302
    # An instructor account can be a student in someone else's course.
    assert courses.studies(other_teacher, course)


def test_a_ta_views_and_grades_but_cannot_change_settings_or_people(app, client, factory, login, csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    ta, student = factory.user(email="ta@example.edu"), factory.user()
    course = factory.course(teacher, (student,))
    courses.add_member(course, ta.email, Role.TA)
    submission = factory.submission(student, course)
    login(ta)
    assert client.get("/").headers["Location"].endswith("/instructor/")
    base = f"/instructor/courses/{course.code}"
    assert client.get(base).status_code == 200
    dashboard = client.get(f"{base}/losses").get_data(as_text=True)
    assert "Deadline and late policy" not in dashboard and "Regrade" in dashboard
    assert client.get(f"/instructor/submissions/{submission.id}").status_code == 200
    assert client.get(f"{base}/gradebook.csv").status_code == 200
    token = csrf_token(base)
    assert client.post(f"{base}/losses", data={"late_policy": "none", "csrf_token": token}).status_code == 403
    assert client.post(f"{base}/people", data={"email": "x@example.edu", "role": "instructor",
                                               "csrf_token": token}).status_code == 403
    assert client.post(f"{base}/people/{student.id}/reset-link", data={"csrf_token": token}).status_code == 403
    assert client.post(f"{base}/roster", data={"csrf_token": token}).status_code == 403
    # Another course's pages stay invisible.
    elsewhere = factory.course(teacher)
    assert client.get(f"/instructor/courses/{elsewhere.code}").status_code == 404


def test_reset_targets_agree_with_may_issue_reset(app, factory):
    teacher, colleague = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    student, ta, teaching_elsewhere = factory.user(), factory.user(), factory.user()
    course = factory.course(teacher, (student,))
    courses.add_member(course, ta.email, Role.TA)
    courses.add_member(course, colleague.email, Role.INSTRUCTOR)
    courses.add_member(course, teaching_elsewhere.email, Role.STUDENT)
    factory.course(teaching_elsewhere)  # instructor of another course: not to be taken over
    courses.add_member(courses.courses_taught_by(teaching_elsewhere)[0], teaching_elsewhere.email, Role.INSTRUCTOR)
    people = [teacher, colleague, student, ta, teaching_elsewhere]
    expected = {p.id for p in people if password_links.may_issue_reset(teacher, p, course)}
    assert password_links.reset_targets(teacher, course) == expected == {student.id}
    assert password_links.reset_targets(ta, course) == set()


def test_a_password_change_ends_every_other_session_and_remember_cookie(app, client, factory):
    student = factory.user()
    elsewhere, here = app.test_client(), client  # `client` makes every test client forget the last request
    for browser in (elsewhere, here):
        page = browser.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        signed_in = browser.post("/login", data={"email": student.email, "password": PASSWORD, "remember": "y",
                                                 "csrf_token": token})
        assert signed_in.status_code == 302
    stolen_remember = elsewhere.get_cookie("remember_token").value
    assert elsewhere.get("/account").status_code == 200
    changed = here.post("/account/password", data={"current": PASSWORD, "new": "a-brand-new-pw",
                                                  "confirm": "a-brand-new-pw", "csrf_token": _token(here, "/account")})
    assert changed.status_code == 302
    assert here.get("/account").status_code == 200  # the browser that changed it stays signed in
    assert elsewhere.get("/account").status_code == 302  # the other session ended
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen_remember)
    assert thief.get("/account").status_code == 302  # and so did its remember-me cookie


def test_a_token_made_with_a_stolen_session_dies_with_the_password_change(app, client, factory):
    # Someone finds the student signed in on a lab computer and makes an API token; the student
    # notices and changes the password ("signed out everywhere else"). The token must not keep
    # reading their results and submitting in their name.
    student = factory.user()
    factory.course(students=(student,))
    thief, owner = app.test_client(), client
    for browser in (thief, owner):
        page = browser.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        assert browser.post("/login", data={"email": student.email, "password": PASSWORD,
                                            "csrf_token": token}).status_code == 302
    made = thief.post("/account", data={"csrf_token": _token(thief, "/account")}).get_data(as_text=True)
    api_token = re.search(r'<p class="token" id="api-token">([^<]+)</p>', made).group(1)
    assert thief.get("/api/v1/assignments", headers={"Authorization": f"Bearer {api_token}"}).status_code == 200
    changed = owner.post("/account/password", data={"current": PASSWORD, "new": "a-brand-new-pw",
                                                   "confirm": "a-brand-new-pw", "csrf_token": _token(owner, "/account")},
                         follow_redirects=True)
    assert "your API token is revoked" in changed.get_data(as_text=True)  # the page says the token went too
    assert thief.get("/api/v1/assignments", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401


def test_an_instructor_cannot_take_over_a_student_of_someone_elses_course(client, factory, login, csrf_token):
    """The red team's path: prof2 adds ada (a student of prof1's course only) to CS2, then asks for her reset link."""
    prof1, prof2 = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    ada = factory.user(email="ada@example.edu")
    factory.course(prof1, (ada,))
    cs2 = factory.course(prof2)
    login(prof2)
    base = f"/instructor/courses/{cs2.code}"
    added = client.post(f"{base}/people", data={"email": ada.email, "role": "student", "csrf_token": csrf_token(base)})
    assert added.status_code == 302 and courses.studies(ada, cs2)  # joining a second course still works
    assert "Password reset link" not in client.get(base).get_data(as_text=True)
    refused = client.post(f"{base}/people/{ada.id}/reset-link", data={"csrf_token": csrf_token(base)})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 403 and _links(page) == [] and "courses you do not teach" in page
    assert not password_links.may_issue_reset(prof2, ada, cs2)
    assert password_links.reset_targets(prof2, cs2) == set()
    # Someone outside the course: refused without naming them (user ids can be tried one by one).
    outsider = factory.user(email="outsider@example.edu")
    refused = client.post(f"{base}/people/{outsider.id}/reset-link", data={"csrf_token": csrf_token(base)})
    assert refused.status_code == 403 and "outsider@" not in refused.get_data(as_text=True)


def test_reset_links_are_only_for_accounts_within_the_instructors_own_courses(app, factory):
    teacher, stranger_teacher = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    mine_only, in_two_of_mine, also_elsewhere, ta_elsewhere, my_ta = (factory.user() for _ in range(5))
    course = factory.course(teacher, (mine_only, in_two_of_mine, also_elsewhere, ta_elsewhere))
    factory.course(teacher, (in_two_of_mine,))  # another course of the same instructor: still theirs alone
    elsewhere = factory.course(stranger_teacher, (also_elsewhere,))
    courses.add_member(elsewhere, ta_elsewhere.email, Role.TA)
    courses.add_member(course, my_ta.email, Role.TA)
    allowed = {mine_only.id, in_two_of_mine.id}  # not my_ta: staff accounts are their owners' alone
    for person in (mine_only, in_two_of_mine, also_elsewhere, ta_elsewhere, my_ta):
        assert password_links.may_issue_reset(teacher, person, course) == (person.id in allowed), person.email
    assert password_links.reset_targets(teacher, course) == allowed
    reason = password_links.reset_refusal(teacher, also_elsewhere, course)
    assert "courses you do not teach" in reason
    # A TA of the other course is not "their own": teaching is managing here (TAs make no links).
    courses.add_member(elsewhere, teacher.email, Role.TA)
    assert not password_links.may_issue_reset(teacher, also_elsewhere, course)


def test_a_roster_import_hands_over_no_link_for_an_existing_account(client, factory, login, csrf_token):
    """An account invited by another course's roster, not yet taken up: re-importing it elsewhere gives no link."""
    prof1, prof2 = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    dl101, cs2 = factory.course(prof1), factory.course(prof2)
    invited = courses.import_roster(dl101, "waiting@example.edu,Waiting\n").invited
    assert [user.email for user in invited] == ["waiting@example.edu"]
    login(prof2)
    base = f"/instructor/courses/{cs2.code}"
    response = client.post(f"{base}/roster", content_type="multipart/form-data", data={
        "roster": (io.BytesIO(b"email,name\nwaiting@example.edu,Waiting\nfresh@example.edu,Fresh\n"), "roster.csv"),
        "csrf_token": csrf_token(base)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    holders = [password_links.holder_of(url.rsplit("/", 1)[1]).user.email for url in _links(page)]
    assert holders == ["fresh@example.edu"]  # the new account only
    assert "waiting@example.edu" in page  # named as waiting, without its link
    assert courses.studies(accounts.find_user("waiting@example.edu"), cs2)


def test_a_line_break_in_the_course_title_still_sends_the_invitation(app, factory, smtp_server):
    from autograder.services import mailer

    port, received = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    with app.test_request_context():
        assert mailer.send_mail("new@example.edu", "Your account for Deep\r\nBcc: everyone@example.edu", "link")
    ((recipients, message),) = received
    assert recipients == ["new@example.edu"] and message["Subject"] == "Your account for Deep Bcc: everyone@example.edu"
    assert message["Bcc"] is None


def _ask_for_a_link(client, email: str, close: bool = True):
    answer = client.post("/forgot-password", data={"email": email, "csrf_token": _token(client, "/forgot-password")})
    if close:
        answer.close()  # as a server does once the answer is out: the mail goes then
    return answer


def _without_csrf_tokens(html: str) -> str:
    # Each client's token differs, and so does its signing second (a loaded machine crosses one).
    return re.sub(r'(name="csrf[-_]token" (?:type="hidden" )?(?:value|content)=")[^"]+"', r'\1…"', html)


def _comparable(answer) -> tuple:
    cookies = sorted(header.split("=", 1)[0] for header in answer.headers.getlist("Set-Cookie"))
    return answer.status_code, answer.headers.get("Location"), answer.get_data(as_text=True), cookies


def test_a_forgotten_password_is_reset_by_a_link_mailed_to_the_owner_only(app, client, factory, smtp_server):
    port, received = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    student = factory.user()
    assert "Forgot your password?" in client.get("/login").get_data(as_text=True)
    asked = _ask_for_a_link(client, student.email.upper())
    unknown = _ask_for_a_link(client, "nobody@example.edu")
    # The same answer whether or not the account exists; mail only to the owner's address.
    assert asked.status_code == unknown.status_code == 302
    assert [recipients for recipients, _ in received] == [[student.email]]
    (url,) = re.findall(r"http://\S+/set-password/\S+", received[0][1].get_payload(decode=True).decode())
    assert _set_password_through(client, url, "chosen-after-forgetting").status_code == 302
    assert accounts.authenticate(student.email, "chosen-after-forgetting") is not None
    assert client.get("/" + url.split("://", 1)[1].split("/", 1)[1]).status_code == 400  # used once


def test_known_and_unknown_addresses_get_the_same_answer_and_the_mail_goes_after_it(make_app, smtp_server):
    port, received = smtp_server
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    with app.app_context():  # requests outside it: each has its own g (its own CSRF token)
        email = accounts.create_user("known@example.edu", "long-enough-pw").email
    known, unknown = app.test_client(), app.test_client()
    asked = _ask_for_a_link(known, email, close=False)
    nobody = _ask_for_a_link(unknown, "nobody@example.edu", close=False)
    assert _comparable(asked) == _comparable(nobody)
    # The same page after the redirect too (the flashed message).
    followed = [_without_csrf_tokens(client.get(answer.headers["Location"]).get_data(as_text=True))
                for client, answer in ((known, asked), (unknown, nobody))]
    assert followed[0] == followed[1]
    assert "If an account uses that address" in followed[0]
    # Nothing was sent while the request ran (smtplib waits for the server's 250, so a mail sent
    # inside the request would be here already); the owner's arrives once the answer is closed.
    assert received == []
    nobody.close()
    assert received == []
    asked.close()
    assert [recipients for recipients, _ in received] == [[email]]
    assert received[0][1]["Subject"] == "Choose a new password for the autograder"


def test_one_address_gets_at_most_three_links_an_hour(make_app, smtp_server):
    port, received = smtp_server
    app = make_app(RATELIMIT_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    with app.app_context():
        email = accounts.create_user("often@example.edu", "long-enough-pw").email
        client = app.test_client()
        # The same inbox in other spellings is the same inbox.
        answers = [_ask_for_a_link(client, spelling).status_code
                   for spelling in (email, email.upper(), f" {email} ", email.replace("@", "\uff20"))]
    # The same answer every time; past the inbox's budget (mail_budget) the mail is just not sent.
    assert answers == [302, 302, 302, 302]
    assert len(received) == 3


def test_without_mail_the_page_says_whom_to_ask(client):
    page = client.get("/forgot-password").get_data(as_text=True)
    assert "This site sends no e-mail" in page and "<form" not in page


def _link_path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_an_invitation_held_back_opens_no_account_another_course_enrolled_since(client, factory, login, csrf_token):
    """prof1 keeps the invitation their roster showed; prof2's roster enrols the same address; prof1's link is dead."""
    prof1, prof2 = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    dl101, cs2 = factory.course(prof1), factory.course(prof2)
    login(prof1)
    base = f"/instructor/courses/{dl101.code}"
    page = client.post(f"{base}/roster", content_type="multipart/form-data", data={
        "roster": (io.BytesIO(b"email,name\nwaiting@example.edu,Waiting\n"), "roster.csv"),
        "csrf_token": csrf_token(base)}).get_data(as_text=True)
    (url,) = _links(page)
    assert client.get(_link_path(url)).status_code == 200  # a good link while the account is prof1's alone
    courses.import_roster(cs2, "waiting@example.edu,Waiting\n")
    client.delete_cookie("session")
    refused = _set_password_through_refused(client, _link_path(url), "prof1-took-it")
    assert refused.status_code == 400 and "no longer works" in refused.get_data(as_text=True)
    assert accounts.find_user("waiting@example.edu").password_hash == ""


def test_a_reset_link_dies_when_its_student_joins_a_course_its_maker_does_not_teach(client, factory, login,
                                                                                     csrf_token):
    prof1, prof2 = factory.user(Role.INSTRUCTOR), factory.user(Role.INSTRUCTOR)
    student = factory.user()
    dl101, cs2 = factory.course(prof1, (student,)), factory.course(prof2)
    login(prof1)
    base = f"/instructor/courses/{dl101.code}"
    made = client.post(f"{base}/people/{student.id}/reset-link", data={"csrf_token": csrf_token(base)})
    (url,) = _links(made.get_data(as_text=True))
    courses.join_course(student, cs2.join_code)  # the next morning, with the join code of prof2's course
    client.delete_cookie("session")
    refused = _set_password_through_refused(client, _link_path(url), "prof1-took-it")
    assert refused.status_code == 400 and "no longer works" in refused.get_data(as_text=True)
    assert accounts.authenticate(student.email, "prof1-took-it") is None
    assert accounts.authenticate(student.email, PASSWORD) is not None
    # A link mailed to the owner (Forgot your password?) or printed by the operator is not an instructor's: it works.
    own = password_links.make_token(student, password_links.LinkPurpose.RESET)
    assert password_links.set_password_with(own, "chosen-by-the-owner").id == student.id


def _set_password_through_refused(client, path: str, password: str):
    """Post a new password to a link whose page is refused (no form, so no CSRF token of its own)."""
    page = client.get(path)
    assert page.status_code == 400, page.get_data(as_text=True)
    return client.post(path, data={"password": password, "confirm": password,
                                   "csrf_token": _token(client, "/login")})


def test_taking_an_account_back_through_a_link_ends_its_api_token(app, client, factory, csrf_token):
    """Someone registered a student's address first and made an API token; the student resets the password."""
    squatter = app.test_client()
    squatter.post("/register", data={"email": "late@example.edu", "password": "squatter-pw", "confirm": "squatter-pw",
                                     "csrf_token": _token(squatter, "/register")})
    squatter_page = squatter.post("/account", data={"csrf_token": _token(squatter, "/account")}).get_data(as_text=True)
    api_token = squatter_page.split('id="api-token">')[1].split("<")[0]
    owner = accounts.find_user("late@example.edu")
    assert accounts.user_for_token(api_token).id == owner.id
    link = password_links.make_token(owner, password_links.LinkPurpose.RESET)  # what "Forgot your password?" mails
    assert _set_password_through(client, f"http://localhost/set-password/{link}", "the-real-owner").status_code == 302
    assert accounts.user_for_token(api_token) is None
    answer = squatter.get("/api/v1/assignments", headers={"Authorization": f"Bearer {api_token}"})
    assert answer.status_code == 401


@pytest.mark.parametrize("form, email, route", [
    ("/forgot-password", "alice@example.edu", "set-password"),   # a reset link for Alice's account
    ("/register", "bob@example.edu", "confirm-email"),           # the confirmation of an address someone registers
    ("/register", "alice@example.edu", "forgot-password"),       # "someone tried to register with your address"
])
def test_a_forged_host_header_does_not_put_the_askers_server_into_a_mailed_link(make_app, smtp_server, form, email,
                                                                                route):
    # Anyone may ask for these mails. Built from the request's Host header, the mail from the real
    # site would point at the asker's server: the mail scanner (or the owner) opens it, and the asker
    # has the token that sets Alice's password, or that confirms an address they registered as hers.
    port, received = smtp_server
    app = make_app(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu",
                   PUBLIC_URL="https://grader.example.edu")
    with app.app_context():
        accounts.create_user("alice@example.edu", "long-enough-pw")
    asker = app.test_client()
    page = asker.get(form, base_url="http://attacker.example").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    asker.post(form, data={"email": email, "password": "the-askers-pw", "confirm": "the-askers-pw",
                           "csrf_token": token}, base_url="http://attacker.example").close()
    ((recipients, message),) = received
    text = message.get_payload(decode=True).decode()
    assert recipients == [email] and "attacker.example" not in text
    assert re.search(rf"https://grader\.example\.edu/{route}\b", text)


def test_a_site_that_mails_links_must_say_its_address(tmp_path):
    from autograder.config import Config, SettingsError

    mail = {"AUTOGRADER_SECRET_KEY": "k", "AUTOGRADER_SMTP_HOST": "mail.example.edu"}
    with pytest.raises(SettingsError, match="AUTOGRADER_PUBLIC_URL"):
        Config(tmp_path, mail)
    with pytest.raises(SettingsError, match="AUTOGRADER_PUBLIC_URL"):
        Config(tmp_path, {**mail, "AUTOGRADER_PUBLIC_URL": "grader.example.edu"})
    assert Config(tmp_path, {**mail, "AUTOGRADER_PUBLIC_URL": "https://grader.example.edu/"}).PUBLIC_URL == \
        "https://grader.example.edu"
    assert Config(tmp_path, {"AUTOGRADER_SECRET_KEY": "k"}).PUBLIC_URL == ""


def test_an_instructor_cannot_demote_a_co_instructor_to_take_them_over(client, factory, login, csrf_token):
    """The path that was open: "Add a person" with the co-instructor's address and the role student, then a link."""
    prof = factory.user(Role.INSTRUCTOR)
    colleague = factory.user(email="colleague@example.edu")  # not an instructor account: instructor of this course
    course = factory.course(prof)
    courses.add_member(course, colleague.email, Role.INSTRUCTOR)
    login(prof)
    base = f"/instructor/courses/{course.code}"
    for role in ("student", "ta"):
        answer = client.post(f"{base}/people", data={"email": colleague.email, "role": role,
                                                     "csrf_token": csrf_token(base)}, follow_redirects=True)
        assert "is an instructor of" in answer.get_data(as_text=True)
        assert "(autograder set-role)" in answer.get_data(as_text=True)
        assert courses.role_in(colleague, course) == Role.INSTRUCTOR
    refused = client.post(f"{base}/people/{colleague.id}/reset-link", data={"csrf_token": csrf_token(base)})
    assert refused.status_code == 403 and _links(refused.get_data(as_text=True)) == []


@pytest.mark.parametrize("first_role", [Role.INSTRUCTOR, Role.TA])
def test_no_password_link_for_anyone_who_is_or_was_staff(app, runner, factory, first_role):
    """A demotion (by the operator, or of a TA by the instructor) must not make a staff account the instructor's to take."""
    prof = factory.user(Role.INSTRUCTOR)
    person = factory.user(email="was-staff@example.edu")
    course = factory.course(prof)
    courses.add_member(course, person.email, first_role)
    assert not password_links.may_issue_reset(prof, person, course)  # staff now: no link
    result = runner.invoke(args=["set-role", course.code, person.email, "student"])
    assert result.exit_code == 0, result.output
    assert courses.role_in(person, course) == Role.STUDENT
    reason = password_links.reset_refusal(prof, person, course)
    assert reason is not None and "staff" in reason
    assert person.id not in password_links.reset_targets(prof, course)
    # A link made before the demotion dies too (checked again when used).
    token = password_links.make_token(person, password_links.LinkPurpose.RESET, made_by=prof)
    with pytest.raises(password_links.LinkError, match="staff"):
        password_links.holder_of(token)


def test_the_operator_changes_an_instructors_role_and_not_the_last_ones(app, runner, factory):
    prof, colleague = factory.user(Role.INSTRUCTOR), factory.user()
    course = factory.course(prof)
    courses.add_member(course, colleague.email, Role.INSTRUCTOR)
    assert runner.invoke(args=["set-role", course.code, colleague.email, "ta"]).exit_code == 0
    assert courses.role_in(colleague, course) == Role.TA
    last = runner.invoke(args=["set-role", course.code, prof.email, "student"])
    assert last.exit_code != 0 and "at least one instructor" in last.output
    assert runner.invoke(args=["set-role", course.code, "nobody@example.edu", "ta"]).exit_code != 0

"""E-mail confirmation: a self-registered address proves it reads its mail before it joins, submits or makes a token.

The threat: a classmate registers alice@uni.edu before Alice does, joins her course with its public
join code and submits in her name; the instructor's roster then enrols that account as Alice.
"""

from __future__ import annotations

import io
import re

import pytest

from autograder.models import Role, Submission, TimedStart
from autograder.extensions import db
from autograder.services import accounts, courses, email_confirmation, password_links, time_limits

ALICE = "alice@uni.edu"


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _mail(app, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")


def _register(client, email: str, password: str, join_code: str = ""):
    answer = client.post("/register", data={"email": email, "password": password, "confirm": password,
                                            "join_code": join_code, "csrf_token": _token(client, "/register")},
                         follow_redirects=True)
    answer.close()  # as a server does once the answer is out: a registration mails after its response
    return answer


def _sign_in(client, email: str, password: str):
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _token(client, "/login")},
                       follow_redirects=True)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _link_in(message, route: str) -> str:
    (url,) = re.findall(rf"http://\S+/{route}/\S+", message.get_payload(decode=True).decode())
    return _path(url)


def _mails_to(received, email: str) -> list:
    return [message for recipients, message in received if recipients == [email]]


def _submit_page(client, course) -> object:
    url = f"/courses/{course.code}/losses"
    return client.post(url, content_type="multipart/form-data", data={
        "file": (io.BytesIO(b"import numpy as np\n\ndef mse(a, b):\n    return np.mean((a - b) ** 2)\n"), "losses.py"),
        "csrf_token": _token(client, url)})


def _api_submit(client, api_token: str):
    return client.post("/api/v1/assignments/losses/submissions", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(b"def mse(a, b):\n    return 0\n"), "losses.py")},
                       headers={"Authorization": f"Bearer {api_token}"})


def test_a_squatter_cannot_use_an_address_they_do_not_read_and_its_owner_takes_it_back(app, factory, login,
                                                                                       csrf_token, client,
                                                                                       smtp_server):
    port, received = smtp_server
    _mail(app, port)
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    squatter = app.test_client()

    # The squatter registers Alice's address with the course's join code: the account exists, the course is not joined.
    page = _register(squatter, ALICE, "squatter-pw", course.join_code).get_data(as_text=True)
    account = accounts.find_user(ALICE)
    assert account is not None and account.email_confirmed_at is None
    assert not courses.studies(account, course)
    assert f"We sent a link to <strong>{ALICE}</strong>" in page
    assert len(_mails_to(received, ALICE)) == 1  # the confirmation link went to Alice, not to the squatter
    # Signed in with the password they chose, they are asked to confirm first.
    page = _sign_in(squatter, ALICE, "squatter-pw").get_data(as_text=True)
    assert "Confirm your address: we sent a link to" in page and "Send it again" in page

    # Joining, making an API token: refused, each saying why.
    joined = squatter.post("/join", data={"join_code": course.join_code, "csrf_token": _token(squatter, "/")},
                           follow_redirects=True)
    assert "before you join a course" in joined.get_data(as_text=True) and not courses.studies(account, course)
    made = squatter.post("/account", data={"csrf_token": _token(squatter, "/account")})
    assert made.status_code == 403 and "before you create an API token" in made.get_data(as_text=True)
    assert 'id="api-token"' not in made.get_data(as_text=True) and account.api_token_hash is None

    # The instructor imports the roster: the squatted account is enrolled as Alice, and the summary says so.
    login(teacher)
    summary = client.post(f"/instructor/courses/{course.code}/roster", content_type="multipart/form-data", data={
        "roster": (io.BytesIO(f"email,name\n{ALICE},Alice\n".encode()), "roster.csv"),
        "csrf_token": csrf_token(f"/instructor/courses/{course.code}")}).get_data(as_text=True)
    assert 'id="unconfirmed-accounts"' in summary and ALICE in summary.split('id="unconfirmed-accounts"')[1]
    assert courses.studies(account, course)

    # Enrolled, the squatter still cannot submit: not on the web, not through the API.
    refused = _submit_page(squatter, course)
    assert refused.status_code == 403 and "before you submit" in refused.get_data(as_text=True)
    smtp_host = app.config.pop("SMTP_HOST")
    old_token = accounts.issue_api_token(account)  # made before the site sent mail
    app.config["SMTP_HOST"] = smtp_host
    answer = _api_submit(squatter, old_token)
    assert answer.status_code == 403
    assert answer.get_json()["reason"] == "email_not_confirmed" and "confirm your e-mail" in answer.get_json()["error"]
    assert db.session.query(Submission).count() == 0

    # Alice registers: the page answers as for anyone, and she is mailed that her address has an account.
    alice = app.test_client()
    _register(alice, ALICE, "alice-first-try")
    (told,) = [mail for mail in _mails_to(received, ALICE) if mail["Subject"].startswith("Someone tried")]
    assert "/forgot-password" in told.get_payload(decode=True).decode()
    assert accounts.authenticate(ALICE, "alice-first-try") is None  # nothing changed
    # She uses "Forgot your password?": the mailed link gives her the account and confirms it.
    alice.post("/forgot-password", data={"email": ALICE, "csrf_token": _token(alice, "/forgot-password")}).close()
    reset = _link_in(_mails_to(received, ALICE)[-1], "set-password")
    done = alice.post(reset, data={"password": "alice-own-pw", "confirm": "alice-own-pw",
                                   "csrf_token": _token(alice, reset)})
    assert done.status_code == 302
    db.session.refresh(account)
    assert account.email_confirmed_at is not None and accounts.authenticate(ALICE, "alice-own-pw") is not None
    assert squatter.get("/account").status_code == 302  # the squatter's session ended
    assert accounts.user_for_token(old_token) is None
    assert "Confirm your address" not in alice.get("/account").get_data(as_text=True)
    assert 'id="api-token"' in alice.post("/account", data={"csrf_token": _token(alice, "/account")}).get_data(
        as_text=True)


def test_registration_mails_a_confirmation_link_that_works_once_and_expires(app, client, smtp_server, monkeypatch):
    port, received = smtp_server
    _mail(app, port)
    student = app.test_client()
    _register(student, "bob@uni.edu", "bob-password")
    (message,) = _mails_to(received, "bob@uni.edu")
    assert message["Subject"] == "Confirm your e-mail address for the autograder"
    link = _link_in(message, "confirm-email")
    bob = accounts.find_user("bob@uni.edu")

    # Opening the link (a mail scanner does) confirms nothing: the person says the account is theirs.
    page = student.get(link)
    assert page.status_code == 200 and "Confirm only if you created it yourself" in page.get_data(as_text=True)
    db.session.refresh(bob)
    assert bob.email_confirmed_at is None
    # A confirmation link sets no password, and a password link does not confirm here.
    assert student.get(link.replace("/confirm-email/", "/set-password/")).status_code == 400
    reset = password_links.make_token(bob, password_links.LinkPurpose.RESET)
    assert student.get(f"/confirm-email/{reset}").status_code == 400

    confirmed = student.post(link, data={"csrf_token": _token(student, link)})
    assert confirmed.status_code == 302
    db.session.refresh(bob)
    assert bob.email_confirmed_at is not None
    assert "Confirm your address" not in student.get("/").get_data(as_text=True)
    again = student.get(link)
    assert again.status_code == 400 and "already used" in again.get_data(as_text=True)

    # A link older than three days is refused.
    _register(app.test_client(), "carol@uni.edu", "carol-password")
    link = _link_in(_mails_to(received, "carol@uni.edu")[0], "confirm-email")
    monkeypatch.setitem(password_links.MAX_AGE_SECONDS, password_links.LinkPurpose.CONFIRMATION, -1)
    expired = student.get(link)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)


def test_send_it_again_mails_a_new_link_within_the_inboxs_three_an_hour(make_app, smtp_server):
    port, received = smtp_server
    app = make_app(RATELIMIT_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    with app.app_context():
        client = app.test_client()
        _register(client, "dora@uni.edu", "dora-password")
        _sign_in(client, "dora@uni.edu", "dora-password")
        answers = [client.post("/confirm-email/send", data={"csrf_token": _token(client, "/"), "next": "/account"})
                   for _ in range(3)]
        assert [answer.status_code for answer in answers] == [302, 302, 302]
        assert answers[0].headers["Location"] == "/account"
        # The registration's link and two more: the inbox's budget (tests/web/test_mail_budget.py).
        assert len(received) == 1 + 2
        assert "We already sent 3 mails to dora@uni.edu" in client.get("/account").get_data(as_text=True)


def test_without_mail_a_registered_account_stays_usable_but_is_marked_unconfirmed(app, client, factory, login,
                                                                                 csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    student = app.test_client()
    page = _register(student, "eve@uni.edu", "eve-password", course.join_code).get_data(as_text=True)
    eve = accounts.find_user("eve@uni.edu")
    assert courses.studies(eve, course) and eve.email_confirmed_at is None
    assert "Confirm your address" not in page  # nothing could confirm it
    assert 'id="api-token"' in student.post("/account", data={"csrf_token": _token(student, "/account")}).get_data(
        as_text=True)
    login(teacher)
    people = client.get(f"/instructor/courses/{course.code}").get_data(as_text=True)
    row = next(line for line in people.split("<tr>") if "eve@uni.edu" in line)
    assert "address not confirmed" in row


def test_staff_see_which_addresses_are_not_confirmed(app, client, factory, login):
    teacher = factory.user(Role.INSTRUCTOR)
    sure, unsure = factory.user(email="sure@uni.edu"), factory.user(email="unsure@uni.edu", confirmed=False)
    course = factory.course(teacher, (sure, unsure))
    login(teacher)
    for path in (f"/instructor/courses/{course.code}", f"/instructor/courses/{course.code}/losses",
                 f"/instructor/courses/{course.code}/gradebook"):
        rows = client.get(path).get_data(as_text=True).split("<tr>")
        assert "address not confirmed" in next(row for row in rows if "unsure@uni.edu" in row), path
        assert "address not confirmed" not in next(row for row in rows if "sure@uni.edu" in row
                                                   and "unsure" not in row), path
    assert "address not confirmed" in client.get(f"/instructor/courses/{course.code}/students/{unsure.id}").get_data(
        as_text=True)
    assert "address not confirmed" not in client.get(f"/instructor/courses/{course.code}/students/{sure.id}").get_data(
        as_text=True)


def test_adding_an_unconfirmed_account_says_so(app, client, factory, login, csrf_token):
    teacher = factory.user(Role.INSTRUCTOR)
    factory.user(email="someone@uni.edu", confirmed=False)
    course = factory.course(teacher)
    login(teacher)
    page = client.post(f"/instructor/courses/{course.code}/people", follow_redirects=True, data={
        "email": "someone@uni.edu", "role": "student",
        "csrf_token": csrf_token(f"/instructor/courses/{course.code}")}).get_data(as_text=True)
    assert "The address of someone@uni.edu is not confirmed" in page


def test_accounts_made_for_people_are_confirmed_by_their_invitation(app, client, factory):
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    created = accounts.create_user("operator-made@uni.edu", "some-password")  # the CLI and the demo
    result = courses.import_roster(course, "invited@uni.edu,Invited\nwithpw@uni.edu,With,first-password\n")
    assert created.email_confirmed_at is None and result.unconfirmed == []
    invited = accounts.find_user("invited@uni.edu")
    assert invited.email_confirmed_at is None and accounts.find_user("withpw@uni.edu").email_confirmed_at is None
    link = password_links.make_token(invited, password_links.LinkPurpose.INVITATION, made_by=teacher)
    password_links.set_password_with(link, "chosen-by-invited")
    assert invited.email_confirmed_at is not None


@pytest.mark.parametrize("purpose", [password_links.LinkPurpose.RESET, password_links.LinkPurpose.INVITATION])
def test_a_confirmation_does_not_spend_a_password_link(app, factory, purpose):
    person = factory.user(confirmed=False)
    link = password_links.make_token(person, purpose)
    email_confirmation.confirm_with(password_links.make_token(person, password_links.LinkPurpose.CONFIRMATION))
    assert password_links.holder_of(link).user.id == person.id


def test_an_enrolled_squatter_cannot_start_the_owners_timed_assignment(app, factory, smtp_server):
    # Enrolled by the roster as Alice, the squatter could not submit, but pressed Start on her timed
    # assignment: her time ran out before she took the account back.
    port, _ = smtp_server
    _mail(app, port)
    teacher = factory.user(Role.INSTRUCTOR)
    course = factory.course(teacher)
    squatter = app.test_client()
    _register(squatter, ALICE, "squatter-pw")
    _sign_in(squatter, ALICE, "squatter-pw")
    courses.import_roster(course, f"{ALICE},Alice\n")
    ca = course.course_assignments[0]
    time_limits.set_time_limit(ca, 30)
    url = f"/courses/{course.code}/losses"
    page = squatter.get(url).get_data(as_text=True)
    assert 'id="start-button"' not in page and "before you start" in page
    refused = squatter.post(f"{url}/start", data={"csrf_token": _token(squatter, url)}, follow_redirects=True)
    assert "before you start" in refused.get_data(as_text=True)
    assert db.session.query(TimedStart).count() == 0


def _web_join(client, runner, person, course):
    answer = client.post("/join", data={"join_code": course.join_code, "csrf_token": _token(client, "/")},
                         follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def _web_submit(client, runner, person, course):
    answer = _submit_page(client, course)
    return answer.status_code, answer.get_data(as_text=True)


def _web_start(client, runner, person, course):
    url = f"/courses/{course.code}/losses"
    answer = client.post(f"{url}/start", data={"csrf_token": _token(client, url)}, follow_redirects=True)
    return answer.status_code, answer.get_data(as_text=True)


def _web_token(client, runner, person, course):
    answer = client.post("/account", data={"csrf_token": _token(client, "/account")})
    return answer.status_code, answer.get_data(as_text=True)


def _api_submission(client, runner, person, course):
    smtp_host = client.application.config.pop("SMTP_HOST")
    api_token = accounts.issue_api_token(person)  # made before the site sent mail (or before a squatter lost it)
    client.application.config["SMTP_HOST"] = smtp_host
    answer = _api_submit(client, api_token)
    assert answer.get_json()["reason"] == "email_not_confirmed"
    return answer.status_code, answer.get_json()["error"]


def _cli_token(client, runner, person, course):
    result = runner.invoke(args=["token", person.email])
    assert "password-link" in result.output
    return (403 if result.exit_code == 1 else 200), result.output


# Each entry point of each refused action: the service refuses, the entry point only says so.
ENTRY_POINTS = {
    "web join": (_web_join, 200, "before you join a course"),
    "web submit": (_web_submit, 403, "before you submit"),
    "web start": (_web_start, 200, "before you start a timed assignment"),
    "web API token": (_web_token, 403, "before you create an API token"),
    "API submit": (_api_submission, 403, "before you submit"),
    "command-line API token": (_cli_token, 403, "has not confirmed its address"),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_every_entry_point_is_held_to_the_services_rule(app, client, runner, factory, login, entry):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # a mail site; nothing is sent by these
    person = factory.user(confirmed=False)
    course = factory.course(factory.user(Role.INSTRUCTOR), students=() if entry == "web join" else (person,))
    time_limits.set_time_limit(course.course_assignments[0], 30 if entry == "web start" else None)
    login(person)
    call, status, message = ENTRY_POINTS[entry]
    got_status, text = call(client, runner, person, course)
    assert (got_status, message in text) == (status, True)
    db.session.expire_all()
    assert courses.studies(person, course) == (entry != "web join")
    assert db.session.query(Submission).count() == 0 and db.session.query(TimedStart).count() == 0
    if entry != "API submit":
        assert db.session.get(type(person), person.id).api_token_hash is None

"""Registration on a site with mail answers the same whatever the address, and mails the address instead.

Otherwise anyone could learn who has an account by trying to register them, whatever
"Forgot your password?" is careful not to say.
"""

from __future__ import annotations

import re

import pytest

from autograder.extensions import db
from autograder.models import Role, User
from autograder.services import accounts, courses

OWNER = "alice@uni.edu"
LOOK_ALIKE = "\u0430lice@uni.edu"  # Cyrillic 'а'
CSRF = re.compile(r'(name="csrf[-_]token" (?:type="hidden" )?(?:value|content)=")[^"]+"')


def _token(client, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _mail(app, port: int) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")


def _register(client, email: str, password: str = "a-long-password", join_code: str = ""):
    answer = client.post("/register", data={"email": email, "password": password, "confirm": password,
                                            "join_code": join_code, "csrf_token": _token(client, "/register")})
    answer.close()  # as a server does once the answer is out: the mail goes then
    return answer


def _mails_to(received, email: str) -> list:
    return [message for recipients, message in received if recipients == [email]]


def _link_in(message, route: str) -> str:
    (url,) = re.findall(rf"http://\S+(/{route}/\S+)", message.get_payload(decode=True).decode())
    return url


def _comparable(answer, address: str) -> tuple:
    body = CSRF.sub(r'\1TOKEN"', answer.get_data(as_text=True)).replace(address, "ADDRESS")
    cookies = sorted(header.split("=", 1)[0] for header in answer.headers.getlist("Set-Cookie"))
    return answer.status_code, body, cookies


def test_new_taken_and_look_alike_addresses_get_the_same_answer(app, client, factory, smtp_server):
    port, received = smtp_server
    _mail(app, port)
    owner = factory.user(email=OWNER)
    before = (owner.password_hash, owner.name, owner.email_confirmed_at)
    answers = {address: _comparable(_register(app.test_client(), address), address)
               for address in ("bob@uni.edu", OWNER, LOOK_ALIKE)}
    new, taken, look_alike = answers.values()
    assert new == taken == look_alike
    assert new[0] == 200 and "We sent a link to <strong>ADDRESS</strong>" in new[1]
    # Nobody is signed in by registering: the answer sets no session with a user in it.
    assert db.session.query(User).count() == 2  # the owner and bob, not the look-alike
    db.session.refresh(owner)
    assert (owner.password_hash, owner.name, owner.email_confirmed_at) == before


def test_the_owner_of_a_taken_address_is_told_someone_tried(app, client, factory, smtp_server):
    port, received = smtp_server
    _mail(app, port)
    factory.user(email=OWNER)
    _register(app.test_client(), OWNER)
    _register(app.test_client(), LOOK_ALIKE)
    told = _mails_to(received, OWNER)
    assert len(told) == 2 and len(received) == 2  # nothing to the look-alike address
    for message in told:
        assert message["Subject"] == "Someone tried to register with your address on the autograder"
        text = message.get_payload(decode=True).decode()
        assert "nothing was created or changed" in text
        assert "/login" in text and "/forgot-password" in text and "/confirm-email/" not in text


def test_a_registration_is_finished_by_its_link_which_joins_the_course_then_the_password_signs_in(
        app, client, factory, smtp_server):
    port, received = smtp_server
    _mail(app, port)
    course = factory.course(factory.user(Role.INSTRUCTOR))
    browser = app.test_client()
    _register(browser, "bob@uni.edu", join_code=course.join_code.lower())
    bob = accounts.find_user("bob@uni.edu")
    assert bob.email_confirmed_at is None and not courses.studies(bob, course)
    assert browser.get("/account").status_code == 302  # not signed in by registering

    link = _link_in(_mails_to(received, "bob@uni.edu")[0], "confirm-email")
    reader = app.test_client()  # the link may be opened in another browser (the phone with the mail)
    question = reader.get(link).get_data(as_text=True)
    assert course.join_code in question and "Then sign in with your password" in question
    db.session.refresh(bob)
    assert bob.email_confirmed_at is None  # opening is not confirming (mail scanners open links)

    done = reader.post(link, data={"csrf_token": _token(reader, link)}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "bob@uni.edu is confirmed" in page and f"Welcome to {course.title}!" in page
    assert done.request.path == "/login" and 'value="bob@uni.edu"' in page  # the sign-in page, address filled in
    db.session.refresh(bob)
    assert bob.email_confirmed_at is not None and courses.studies(bob, course)
    # The link proves the address, not the password: this browser is not signed in to anyone.
    assert reader.get("/account").status_code == 302
    signed_in = reader.post("/login", data={"email": "bob@uni.edu", "password": "a-long-password",
                                            "csrf_token": _token(reader, "/login")}, follow_redirects=True)
    assert signed_in.status_code == 200 and course.title in signed_in.get_data(as_text=True)
    assert "bob@uni.edu" in reader.get("/account").get_data(as_text=True)


def test_someone_elses_link_confirmed_in_a_signed_out_browser_does_not_sign_it_in_to_their_account(
        app, client, smtp_server):
    """Mallory sends her own link "to confirm your address": Alice's browser must not become Mallory's."""
    port, received = smtp_server
    _mail(app, port)
    _register(app.test_client(), "mallory@uni.edu", password="mallorys-password")
    link = _link_in(_mails_to(received, "mallory@uni.edu")[0], "confirm-email")
    alices_browser = app.test_client()
    confirmed = alices_browser.post(link, data={"csrf_token": _token(alices_browser, link)})
    assert confirmed.status_code == 302 and accounts.find_user("mallory@uni.edu").email_confirmed_at is not None
    assert alices_browser.get("/account").status_code == 302
    assert "mallory@uni.edu" not in alices_browser.get("/").get_data(as_text=True)


def test_a_forged_join_code_cannot_be_slipped_into_a_link(app, client, factory, smtp_server):
    port, received = smtp_server
    _mail(app, port)
    _register(app.test_client(), "bob@uni.edu")
    link = _link_in(_mails_to(received, "bob@uni.edu")[0], "confirm-email")
    token = link.rsplit("/", 1)[1]
    payload, _, signature = token.partition(".")
    assert app.test_client().get(f"/confirm-email/{payload}x.{signature}").status_code == 400


def test_registration_mails_are_limited_per_address_and_per_client(make_app, smtp_server):
    port, received = smtp_server
    app = make_app(RATELIMIT_ENABLED=True, SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="grader@example.edu")
    # Requests outside the test's app context: each has its own (its own CSRF token in g).
    # One address: its confirmation and then two "someone tried", whoever asks, then nothing.
    answers = [_comparable(_register(app.test_client(), "bob@uni.edu"), "bob@uni.edu") for _ in range(5)]
    assert all(answer == answers[0] for answer in answers)
    assert len(_mails_to(received, "bob@uni.edu")) == 3
    # One client, many taken addresses: ten "someone tried" an hour.
    received.clear()
    with app.app_context():
        owners = [accounts.create_user(f"owner{n}@uni.edu", "owners-password").email for n in range(12)]
    answers = [_comparable(_register(app.test_client(), owner), owner) for owner in owners]  # all from 127.0.0.1
    assert all(answer == answers[0] for answer in answers)
    assert len(received) == 10 - 2  # the two "someone tried" about bob came from the same client


def test_an_invalid_address_is_still_refused_on_the_form(app, client, smtp_server):
    port, received = smtp_server
    _mail(app, port)
    answer = _register(app.test_client(), "bob\u200b@uni.edu")
    assert answer.status_code == 200 and "We sent a link" not in answer.get_data(as_text=True)
    assert accounts.find_user("bob@uni.edu") is None and received == []


@pytest.mark.parametrize("route", ["confirm-email", "set-password"])
def test_a_link_for_someone_elses_account_does_not_switch_a_signed_in_browser_to_it(app, client, factory, login,
                                                                                    smtp_server, route):
    # Mallory registers an address of hers with Alice's name (and course), then sends Alice the link:
    # "confirm your address". Clicked in Alice's signed-in browser, the page would sign it in as
    # Mallory's account, shown as "Alice": Alice's next uploads would be Mallory's to read.
    port, received = smtp_server
    _mail(app, port)
    alice = factory.user(email=OWNER)
    if route == "confirm-email":
        _register(app.test_client(), "mallory@uni.edu", password="mallorys-pw")
    else:
        accounts.create_user("mallory@uni.edu", "mallorys-pw")
        asker = app.test_client()
        asker.post("/forgot-password", data={"email": "mallory@uni.edu",
                                             "csrf_token": _token(asker, "/forgot-password")}).close()
    link = _link_in(_mails_to(received, "mallory@uni.edu")[-1], route)
    login(alice)
    page = client.get(link).get_data(as_text=True)
    assert "signed in as" in page and "<form class=\"stacked\"" not in page
    sent = client.post(link, data={"password": "chosen-by-alice", "confirm": "chosen-by-alice",
                                   "csrf_token": _token(client, "/account")})
    assert sent.status_code == 409
    mallory = accounts.find_user("mallory@uni.edu")
    assert mallory.email_confirmed_at is None and accounts.authenticate("mallory@uni.edu", "mallorys-pw")
    assert alice.email in client.get("/account").get_data(as_text=True)  # still Alice's browser
    # Signed out, the same link works as before (the person it was mailed to may share the computer).
    client.post("/logout", data={"csrf_token": _token(client, "/account")})
    assert "signed in as" not in client.get(link).get_data(as_text=True)

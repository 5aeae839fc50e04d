"""Sign-in throttling: failures per account and per address, successes free, proxies opt-in, shared in Redis."""

from __future__ import annotations

import io
import threading
import re
import uuid

import pytest
from werkzeug.security import generate_password_hash

from autograder.config import Config
from autograder.extensions import db
from autograder.models import Role
from autograder.services import accounts
PASSWORD = "correct-horse-battery"

CLASSROOM = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


def _client(app):
    # These apps have no app context pushed by a fixture, so every request gets a fresh one.
    return app.test_client()


# What the throttle is tested against is how many failures it counted, not what a check costs: the
# accounts store a cheap hash (as tests/conftest.py's factory does), and the dozens of sign-ins a
# test makes skip scrypt's ~0.1 s each. Unknown accounts pay the dummy check with the same method.
CHEAP_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def _users(app, *emails: str) -> list[str]:
    """Add student accounts (addresses checked and stored as the service does) whose password is PASSWORD."""
    with app.app_context():
        users = [accounts.unsaved_user(accounts.check_new_email(email), Role.STUDENT, "", CHEAP_HASH)
                 for email in emails]
        db.session.add_all(users)
        db.session.commit()
        return [user.email for user in users]


def _sign_in(client, email: str, password: str, address: str = CLASSROOM, headers: dict | None = None):
    client.delete_cookie("session")
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address}, headers=headers or {})


@pytest.fixture
def throttled(make_app):
    """An app with throttling on (the test config turns limits off), and a factory on it."""
    def build(**overrides):
        app = make_app(RATELIMIT_ENABLED=True, **overrides)
        return app, _client(app)
    return build


def test_twelve_wrong_passwords_do_not_keep_a_classmate_out(throttled):
    app, client = throttled()
    guessed, classmate = _users(app, "guessed@example.edu", "classmate@example.edu")
    statuses = [_sign_in(client, guessed, "wrong-password").status_code for _ in range(12)]
    # Ten failures are answered normally, then the account is throttled for this quarter-hour.
    assert statuses[:10] == [200] * 10 and statuses[10:] == [429, 429]
    blocked = _sign_in(client, guessed, PASSWORD)
    assert blocked.status_code == 429 and "Too many failed sign-ins for this account" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    # Same classroom address, another account: signs in at once.
    assert _sign_in(client, classmate, PASSWORD).status_code == 302


def test_a_classmate_spending_the_accounts_failures_does_not_lock_the_owner_out_of_their_own_browser(throttled):
    """Ten wrong passwords from anyone used to keep the owner out everywhere (again and again before a deadline)."""
    app, owner_browser = throttled()
    (victim,) = _users(app, "victim@example.edu")
    assert _sign_in(owner_browser, victim, PASSWORD).status_code == 302  # last week, on their laptop
    owner_browser.post("/logout")
    classmate = _client(app)
    assert [_sign_in(classmate, victim, "wrong-password", ELSEWHERE).status_code for _ in range(11)][-1] == 429
    assert _sign_in(_client(app), victim, PASSWORD, ELSEWHERE).status_code == 429  # any other browser: still throttled
    assert _sign_in(owner_browser, victim, PASSWORD).status_code == 302
    # A known browser has a budget of its own: it is throttled after its own ten failures.
    statuses = [_sign_in(owner_browser, victim, "wrong-password").status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429
    # The mark is signed and names the account: copied onto another account, or forged, it counts for nothing.
    (other,) = _users(app, "other@example.edu")
    for _ in range(10):
        _sign_in(classmate, other, "wrong-password", ELSEWHERE)
    owner_browser.set_cookie("autograder_device", owner_browser.get_cookie("autograder_device").value)
    assert _sign_in(owner_browser, other, PASSWORD).status_code == 429
    for _ in range(10):  # (the owner's sign-in cleared the account's failures)
        _sign_in(classmate, victim, "wrong-password", ELSEWHERE)
    owner_browser.set_cookie("autograder_device", "forged")
    assert _sign_in(owner_browser, victim, PASSWORD).status_code == 429


def test_successes_never_count_and_clear_the_accounts_failures(throttled):
    app, client = throttled(LOGIN_FAILURES_PER_ACCOUNT="3 per hour", LOGIN_FAILURES_PER_ADDRESS="3 per hour")
    students = _users(app, *(f"lab{n}@example.edu" for n in range(5)))
    # A whole lab behind one address signs in, more often than any failure budget.
    for student in students:
        assert _sign_in(client, student, PASSWORD).status_code == 302
    assert _sign_in(client, students[0], "typo-password").status_code == 200
    assert _sign_in(client, students[0], "typo-password").status_code == 200
    assert _sign_in(client, students[0], PASSWORD).status_code == 302
    # The success forgot the account's two failures: two more typos are still answered.
    assert _sign_in(client, students[0], "typo-password").status_code == 200


def test_the_address_cap_counts_failures_over_every_account(throttled):
    app, client = throttled(LOGIN_FAILURES_PER_ADDRESS="5 per hour")
    (victim,) = _users(app, "victim@example.edu")
    for n in range(5):
        assert _sign_in(client, f"guess{n}@example.edu", "password-spray").status_code == 200
    sprayed = _sign_in(client, victim, PASSWORD)
    assert sprayed.status_code == 429 and "your network" in sprayed.get_data(as_text=True)
    # Another network is not affected, and the unknown accounts were counted like real ones.
    assert _sign_in(client, victim, PASSWORD, address=ELSEWHERE).status_code == 302


def test_spellings_of_one_address_share_the_account_budget(throttled):
    app, client = throttled(LOGIN_FAILURES_PER_ACCOUNT="2 per hour")
    (user,) = _users(app, "ada@example.edu")
    assert _sign_in(client, "ADA@example.edu", "nope-nope").status_code == 200
    assert _sign_in(client, " ada＠example.edu", "nope-nope").status_code == 200
    assert _sign_in(client, user, PASSWORD).status_code == 429


def test_forwarded_for_is_ignored_unless_proxies_are_trusted(throttled):
    app, client = throttled(LOGIN_FAILURES_PER_ADDRESS="2 per hour")
    for n in range(2):
        _sign_in(client, f"x{n}@example.edu", "password-spray", headers={"X-Forwarded-For": f"10.0.0.{n}"})
    # A client cannot pick a fresh address by sending the header itself.
    spoofed = _sign_in(client, "y@example.edu", "password-spray", headers={"X-Forwarded-For": "10.9.9.9"})
    assert spoofed.status_code == 429

    app, client = throttled(LOGIN_FAILURES_PER_ADDRESS="2 per hour", TRUSTED_PROXIES=1)
    (student,) = _users(app, "behind-proxy@example.edu")
    for n in range(2):
        _sign_in(client, f"x{n}@example.edu", "password-spray", headers={"X-Forwarded-For": "192.0.2.1"})
    # Behind the trusted proxy (one address for everybody), the students' own addresses count.
    assert _sign_in(client, "z@example.edu", "password-spray", headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 429
    assert _sign_in(client, student, PASSWORD, headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 302


def test_api_upload_limit_is_keyed_on_the_user_not_the_header_text(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_SUBMISSIONS_PER_USER="3 per minute")
    client = _client(app)
    with app.app_context():
        token = accounts.issue_api_token(accounts.find_user(_users(app, "api@example.edu")[0]))
    statuses = []
    # Characters str.strip() removes: each padding used to be a fresh budget.
    for padding in ("", "\x0b", "\x0c", "\x1c\x1d", "\x1e\x1f", "\x85", "\xa0"):
        response = client.post("/api/v1/assignments/no_such_assignment/submissions",
                               data={"file": (io.BytesIO(b"x = 1\n"), "losses.py")},
                               headers={"Authorization": f"Bearer {token}{padding}"})
        statuses.append(response.status_code)
    assert statuses[:3] == [404, 404, 404] and set(statuses[3:]) == {429}


def test_limits_live_in_redis_in_the_distributed_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("AUTOGRADER_QUEUE", "celery")
    monkeypatch.setenv("REDIS_URL", "redis://redis.internal:6379/2")
    assert Config(tmp_path).RATELIMIT_STORAGE_URI == "redis://redis.internal:6379/2"
    monkeypatch.setenv("AUTOGRADER_QUEUE", "embedded")
    assert Config(tmp_path).RATELIMIT_STORAGE_URI == "memory://"


@pytest.mark.services
def test_two_web_processes_share_failures_through_redis(make_app, redis_url):
    import redis

    url = redis_url
    connection = redis.Redis.from_url(url)  # to remove this test's keys afterwards
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    settings = dict(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix,
                    LOGIN_FAILURES_PER_ACCOUNT="4 per hour")
    first, second = make_app(**settings), make_app(**settings)
    try:
        _users(first, "shared@example.edu")
        first_client, second_client = _client(first), _client(second)
        for n in range(4):
            assert _sign_in((first_client, second_client)[n % 2], "shared@example.edu", "wrong-one").status_code == 200
        # Both "gunicorn processes" now refuse: the count is in Redis, not in either process.
        assert _sign_in(first_client, "shared@example.edu", "wrong-one").status_code == 429
        assert _sign_in(second_client, "shared@example.edu", "wrong-one").status_code == 429
    finally:
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        if keys:
            connection.delete(*keys)


def test_a_browser_that_knew_an_old_password_has_no_budget_of_its_own_after_it_changed(throttled):
    """Someone who once knew the password (a squatter, a friend it was shared with) signed in from many
    fresh browsers: each kept its own ten failures a quarter-hour, after the owner took the account back too."""
    app, _ = throttled()
    (victim,) = _users(app, "taken-back@example.edu")
    knower = [_client(app) for _ in range(3)]
    for browser in knower:
        assert _sign_in(browser, victim, PASSWORD, ELSEWHERE).status_code == 302
    owner = _client(app)
    assert _sign_in(owner, victim, PASSWORD).status_code == 302
    page = owner.get("/account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    changed = owner.post("/account/password", data={"current": PASSWORD, "new": "owners-new-password",
                                                    "confirm": "owners-new-password", "csrf_token": token})
    assert changed.status_code == 302
    classmate = _client(app)
    assert [_sign_in(classmate, victim, "wrong-password", ELSEWHERE).status_code for _ in range(11)][-1] == 429
    for browser in knower:  # the account's budget is spent, and theirs is the account's
        assert _sign_in(browser, victim, "guess-new-password", ELSEWHERE).status_code == 429
    # The browser that changed the password is known with the new one.
    owner.post("/logout")
    assert _sign_in(owner, victim, "owners-new-password").status_code == 302


def test_parallel_wrong_passwords_get_no_more_than_the_accounts_budget(throttled, monkeypatch):
    """Each sign-in was checked against the failures recorded so far, then spent ~0.1 s hashing before its
    own was recorded: a burst of parallel guesses all passed the check (as many as the server's threads)."""
    app, _ = throttled(LOGIN_FAILURES_PER_ACCOUNT="10 per 15 minutes")
    (victim,) = _users(app, "burst@example.edu")
    burst = 14
    lock, inside, done, everyone_there = threading.Lock(), [0], [0], threading.Event()

    def arrived(counter):
        with lock:
            counter[0] += 1
            if inside[0] + done[0] == burst:
                everyone_there.set()

    real = accounts.authenticate

    def slow_authenticate(email, password):
        arrived(inside)
        everyone_there.wait(10)  # every request of the burst is in flight before any failure is recorded
        return real(email, password)

    monkeypatch.setattr(accounts, "authenticate", slow_authenticate)
    prepared = []
    for _ in range(burst):
        client = _client(app)
        page = client.get("/login", environ_base={"REMOTE_ADDR": ELSEWHERE}).get_data(as_text=True)
        prepared.append((client, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)))
    statuses = []

    def guess(client, token):
        answer = client.post("/login", data={"email": victim, "password": "parallel-guess", "csrf_token": token},
                             environ_base={"REMOTE_ADDR": ELSEWHERE})
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            arrived(done)

    threads = [threading.Thread(target=guess, args=pair) for pair in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(statuses) == [200] * 10 + [429] * (burst - 10)


def _change_password(client, current: str, new: str = "a-brand-new-password"):
    page = client.get("/account", environ_base={"REMOTE_ADDR": ELSEWHERE}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/account/password", data={"current": current, "new": new, "confirm": new,
                                                   "csrf_token": token}, environ_base={"REMOTE_ADDR": ELSEWHERE})


def test_the_password_change_form_is_no_way_around_the_sign_in_throttle(throttled):
    # Whoever finds Alice still signed in on a lab computer must not get unlimited guesses at her
    # password through "current password" (then keep the account once she signs that browser out).
    app, owner = throttled()
    (alice,) = _users(app, "alice@example.edu")
    assert _sign_in(owner, alice, PASSWORD).status_code == 302
    found = app.test_client()
    assert _sign_in(found, alice, PASSWORD).status_code == 302
    statuses = [_change_password(found, f"guess-number-{n}").status_code for n in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[10:] == [429, 429]
    refused = _change_password(found, PASSWORD)  # the right one is not even checked now
    assert refused.status_code == 429 and "Too many wrong passwords" in refused.get_data(as_text=True)
    with app.app_context():
        assert accounts.authenticate(alice, PASSWORD) is not None
    # Counted as sign-in failures are (this browser signed in to the account: its own budget), so
    # the owner's own browser is not locked out by them.
    assert _sign_in(owner, alice, PASSWORD).status_code == 302

"""Join codes cannot be guessed: wrong codes are counted per account and per client address.

A join code is all that keeps any account out of a course's roster. Without a limit a script could
try codes as fast as the site answers (and staff-chosen codes were as short as they liked).
"""

from __future__ import annotations

import re
import uuid

import pytest

from autograder.extensions import db
from autograder.models import Course, Role
from autograder.services import courses

CLASSROOM = "203.0.113.7"
ELSEWHERE = "198.51.100.9"


@pytest.fixture
def throttled(make_app):
    """An app with rate limits on (the test config turns them off), with one course to join."""
    def build(**overrides):
        app = make_app(RATELIMIT_ENABLED=True, **overrides)
        with app.app_context():
            db.session.add(Course(code="DL1", title="Deep learning", join_code="K7QM2XW9PT4R"))
            db.session.commit()
        return app
    return build


def _student(app, email: str, address: str = CLASSROOM):
    """Return a test client signed in as a new student (made with the test factory's cheap hash)."""
    from tests.conftest import Factory

    with app.app_context():
        Factory(app).user(Role.STUDENT, email=email)
    client = app.test_client()
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    from tests.conftest import PASSWORD

    signed_in = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                            environ_base={"REMOTE_ADDR": address})
    assert signed_in.status_code == 302
    return client


def _join(client, code: str, address: str = CLASSROOM) -> str:
    page = client.get("/", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post("/join", data={"join_code": code, "csrf_token": token},
                         environ_base={"REMOTE_ADDR": address}, follow_redirects=True)
    return answer.get_data(as_text=True)


def _in_course(app, email: str) -> bool:
    with app.app_context():
        from autograder.services import accounts

        return courses.studies(accounts.find_user(email), db.session.query(Course).filter_by(code="DL1").one())


def test_ten_wrong_codes_stop_that_account_joining_for_the_hour_and_nobody_else(throttled):
    app = throttled()
    guesser, classmate = _student(app, "guesser@example.edu"), _student(app, "classmate@example.edu")
    answers = [_join(guesser, f"GUESS{n:07d}") for n in range(10)]
    assert all("No course has this join code" in answer for answer in answers)
    # The eleventh attempt is refused before the code is looked up: even the right code.
    refused = _join(guesser, "K7QM2XW9PT4R")
    assert "Too many join codes tried from this account" in refused and "No course" not in refused
    assert not _in_course(app, "guesser@example.edu")
    # A classmate at the same address joins at once.
    assert "You joined Deep learning" in _join(classmate, "K7QM2XW9PT4R")
    assert _in_course(app, "classmate@example.edu")


def test_wrong_codes_from_many_accounts_at_one_address_reach_the_address_cap(throttled):
    app = throttled(JOIN_FAILURES_PER_CLIENT="4 per hour")
    for n in range(4):
        assert "No course has this join code" in _join(_student(app, f"spray{n}@example.edu"), f"GUESS{n:07d}")
    late = _student(app, "late@example.edu")
    refused = _join(late, "K7QM2XW9PT4R")
    assert "Too many wrong join codes from your network" in refused
    assert not _in_course(app, "late@example.edu")
    # The cap is the address's: the same account elsewhere joins.
    assert "You joined Deep learning" in _join(late, "K7QM2XW9PT4R", ELSEWHERE)


def test_right_codes_do_not_count_against_a_classroom_behind_one_address(throttled):
    """A lecture of students joining from one NAT must not lock itself out: only wrong codes count there."""
    app = throttled(JOIN_FAILURES_PER_CLIENT="3 per hour")
    for n in range(6):
        assert "You joined Deep learning" in _join(_student(app, f"student{n}@example.edu"), "K7QM2XW9PT4R")


def test_registering_without_mail_counts_a_wrong_join_code_against_the_address(throttled):
    app = throttled(JOIN_FAILURES_PER_CLIENT="2 per hour")

    def register(email: str, code: str) -> str:
        client = app.test_client()
        page = client.get("/register", environ_base={"REMOTE_ADDR": CLASSROOM}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        return client.post("/register", data={"email": email, "password": "a-long-password",
                                              "confirm": "a-long-password", "join_code": code, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": CLASSROOM}, follow_redirects=True).get_data(as_text=True)

    assert "No course has this join code" in register("one@example.edu", "GUESS0000001")
    assert "No course has this join code" in register("two@example.edu", "GUESS0000002")
    assert "Too many wrong join codes from your network" in register("three@example.edu", "K7QM2XW9PT4R")
    assert not _in_course(app, "three@example.edu")


@pytest.mark.services
def test_two_web_processes_share_the_count_through_redis(throttled, redis_url):
    import redis

    url = redis_url
    connection = redis.Redis.from_url(url)  # to remove this test's keys afterwards
    prefix = f"test-join-{uuid.uuid4().hex}"
    settings = dict(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix, JOIN_FAILURES_PER_CLIENT="2 per hour")
    first, second = throttled(**settings), throttled(**settings)
    try:
        assert "No course has this join code" in _join(_student(first, "a@example.edu"), "GUESS0000001")
        assert "No course has this join code" in _join(_student(second, "b@example.edu"), "GUESS0000002")
        # Both "gunicorn processes" now refuse this address: the count is in Redis, not in either process.
        assert "Too many wrong join codes from your network" in _join(_student(first, "c@example.edu"), "X")
        assert "Too many wrong join codes from your network" in _join(_student(second, "d@example.edu"), "X")
    finally:
        keys = list(connection.scan_iter(match=f"*{prefix}*"))
        if keys:
            connection.delete(*keys)

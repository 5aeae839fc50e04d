"""The e-mail confirmation rule is the services': joining, submitting, starting and making a token refuse it themselves.

Every entry point (web form, API, command line) calls these services, so none can forget the rule.
"""

from __future__ import annotations

import pytest

from autograder.extensions import db
from autograder.models import Enrollment, Role, Submission, TimedStart
from autograder.services import accounts, courses, submissions, time_limits
from autograder.services.confirmation_rule import Action, EmailNotConfirmed

SOURCE = b"import numpy as np\n\ndef mse(y_pred, y_true):\n    return float(np.mean((y_pred - y_true) ** 2))\n"


def _join(person, course, ca):
    courses.join_course(person, course.join_code)


def _submit(person, course, ca):
    submissions.create_submission(person, ca, "losses.py", SOURCE)


def _start(person, course, ca):
    time_limits.start(person, ca)


def _token(person, course, ca):
    accounts.issue_api_token(person)


CALLS = {Action.JOIN: _join, Action.SUBMIT: _submit, Action.START: _start, Action.API_TOKEN: _token}


def _written(person) -> tuple:
    db.session.expire_all()
    return (db.session.query(Enrollment).filter_by(user_id=person.id).count(),
            db.session.query(Submission).filter_by(user_id=person.id).count(),
            db.session.query(TimedStart).filter_by(user_id=person.id).count(),
            db.session.get(type(person), person.id).api_token_hash)


def _scene(factory, confirmed: bool, action: Action):
    person = factory.user(confirmed=confirmed)
    # Enrolled already for everything but joining (a roster enrolled the account): the rule still holds.
    course = factory.course(factory.user(Role.INSTRUCTOR), students=() if action == Action.JOIN else (person,))
    ca = course.course_assignments[0]
    if action == Action.START:
        time_limits.set_time_limit(ca, 30)
    return person, course, ca


@pytest.mark.parametrize("action", list(Action))
def test_an_unconfirmed_account_on_a_mail_site_is_refused_by_the_service(app, factory, action):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)  # mail configured; nothing is sent here
    person, course, ca = _scene(factory, False, action)
    before = _written(person)
    with pytest.raises(EmailNotConfirmed, match=f"before you {action.value}") as refused:
        CALLS[action](person, course, ca)
    assert refused.value.action == action and refused.value.reason == "email_not_confirmed"
    assert _written(person) == before


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("confirmed, mail", [(True, True), (False, False)], ids=["confirmed", "no-mail-site"])
def test_a_confirmed_account_or_a_site_without_mail_is_not_held_back(app, factory, action, confirmed, mail):
    if mail:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    person, course, ca = _scene(factory, confirmed, action)
    if action == Action.SUBMIT:
        ca.time_limit_minutes = None
    before = _written(person)
    CALLS[action](person, course, ca)
    assert _written(person) != before

import pytest
from sqlalchemy import select, update

from autograder.extensions import db
from autograder.models import Role, User
from autograder.services import accounts, password_links
from autograder.services.accounts import AccountError


def test_a_deployment_hashes_with_scrypt_whatever_its_environment(tmp_path):
    from autograder.config import Config

    assert Config(tmp_path, {"AUTOGRADER_PASSWORD_HASH_METHOD": "plain"}).PASSWORD_HASH_METHOD == "scrypt"


def test_create_user_hashes_password_with_scrypt_and_authenticates(app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"  # the deployment's (the suite's config is cheaper)
    user = accounts.create_user("  Ada@Example.EDU ", "long-enough-pw", Role.STUDENT, "Ada")
    assert user.email == "ada@example.edu"
    assert user.password_hash.startswith("scrypt:")
    assert "long-enough-pw" not in user.password_hash
    assert accounts.authenticate("ADA@example.edu", "long-enough-pw") == user
    assert accounts.authenticate("ada@example.edu", "wrong-password") is None
    assert accounts.authenticate("nobody@example.edu", "long-enough-pw") is None


@pytest.mark.parametrize("email, password, message", [
    ("not-an-email", "long-enough-pw", "valid e-mail"),
    ("a@example.edu", "short", "at least 8"),
])
def test_create_user_refuses_bad_input(app, email, password, message):
    with pytest.raises(AccountError, match=message):
        accounts.create_user(email, password)


def test_create_user_refuses_duplicate_email(app):
    accounts.create_user("a@example.edu", "long-enough-pw")
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user("A@example.edu", "other-long-pw")


def test_api_token_is_stored_hashed_and_replaced_on_reissue(app, factory):
    user = factory.user()
    first = accounts.issue_api_token(user)
    assert user.api_token_hash and first not in user.api_token_hash
    assert accounts.user_for_token(first) == user
    second = accounts.issue_api_token(user)
    assert accounts.user_for_token(second) == user
    assert accounts.user_for_token(first) is None
    accounts.revoke_api_token(user)
    assert accounts.user_for_token(second) is None
    assert accounts.user_for_token("") is None


@pytest.mark.parametrize("spelling", [
    "а" + "da@example.edu",        # Cyrillic а
    "ada@ехample.edu",             # Cyrillic е and х in the domain
    "αda@example.edu",             # Greek alpha
    "ADA@EXAMPLE.EDU",             # case
    "ada＠example.edu",            # fullwidth at sign: NFKC makes it the same address
    "ａｄａ@example.edu",           # fullwidth letters
])
def test_look_alikes_and_other_spellings_of_an_account_are_refused(app, spelling):
    accounts.create_user("ada@example.edu", "long-enough-pw")
    with pytest.raises(AccountError, match="already exists|looks like"):
        accounts.create_user(spelling, "long-enough-pw")


def test_look_alike_is_refused_whichever_came_first(app):
    accounts.create_user("\u0430da@example.edu", "long-enough-pw")
    with pytest.raises(AccountError, match="looks like"):
        accounts.create_user("ada@example.edu", "long-enough-pw")


@pytest.mark.parametrize("email", [
    "ada\u200b@example.edu",     # zero-width space
    "a\u200dda@example.edu",     # zero-width joiner
    "ada@exam\u00adple.edu",     # soft hyphen
    "ad\u202ea@example.edu",     # right-to-left override
    "ada\x07@example.edu",       # control character
    "ad a@example.edu",          # space inside
    "\u3164ada@example.edu",     # Hangul filler (renders as nothing)
    "ada@@example.edu",
    "ada@example",
    "ada@example.edu.",          # a second spelling of ada@example.edu
    "ada@example..edu",
    "ada@.example.edu",
    # Mail systems read these as another address than the one staff see (or as a list of them).
    "<ada@example.edu>",
    "ada@example.edu(x)",
    "x,ada@example.edu",
    "x;ada@example.edu",
    '"ada"@example.edu',
    "ada@[127.0.0.1]",
    "ada\\@example.edu",
    "ada@exa_mple.edu",
])
def test_invisible_control_and_malformed_addresses_are_refused(app, email):
    with pytest.raises(AccountError, match="invisible or control|valid e-mail"):
        accounts.create_user(email, "long-enough-pw")


def test_fullwidth_at_sign_signs_in_to_the_plain_account(app):
    user = accounts.create_user("ada@example.edu", "long-enough-pw")
    assert accounts.authenticate("ada＠example.edu", "long-enough-pw") == user
    assert user.email_skeleton == "ada@example.edu"


def test_roster_import_refuses_look_alikes_and_invisible_characters(app, factory):
    from autograder.services import courses

    course = factory.course()
    accounts.create_user("ada@example.edu", "long-enough-pw")
    result = courses.import_roster(course, "\u0430da@example.edu,Fake Ada\nbob\u200b@example.edu,Bob\nok@example.edu,Ok\n")
    assert [e.split(":")[0] for e in result.errors] == ["line 1", "line 2"]
    assert [email for email, _ in result.created] == ["ok@example.edu"]


def _changed_by_another_request(user, password: str) -> None:
    """Commit a new password for ``user`` on another connection, as a parallel request would; the session's copy is stale."""
    with db.engine.begin() as connection:
        connection.execute(update(User).where(User.id == user.id).values(password_hash=accounts.hash_password(password),
                                                                         api_token_hash=None))


def test_a_token_asked_for_while_the_password_was_set_through_a_link_is_not_made(app, factory):
    """Someone signed in with the old password kept asking for tokens: the one whose request had loaded the
    account just before the owner's link set the new password (and removed the token) wrote a token after it."""
    user = factory.user()
    assert user.password_hash  # loaded, as the request's session check does
    _changed_by_another_request(user, "owners-new-password")
    with pytest.raises(AccountError, match="changed"):
        accounts.issue_api_token(user)
    db.session.rollback()
    assert db.session.scalar(select(User.api_token_hash).where(User.id == user.id)) is None


def test_a_password_link_used_twice_at_once_sets_one_password(app, factory):
    user = factory.user(confirmed=False)
    link = password_links.make_token(user, password_links.LinkPurpose.RESET)
    assert password_links.holder_of(link).user.id == user.id  # both requests checked the link
    _changed_by_another_request(user, "first-use-password")
    with pytest.raises(AccountError, match="changed"):
        password_links.set_password_with(link, "second-use-password")
    db.session.rollback()
    assert accounts.authenticate(user.email, "first-use-password") is not None
    assert accounts.authenticate(user.email, "second-use-password") is None


def test_a_password_change_racing_a_link_does_not_overwrite_it(app, factory):
    """Someone who knew the old password changed it just as the owner set a new one through a mailed link."""
    user = factory.user()
    assert user.password_hash
    _changed_by_another_request(user, "owners-link-password")
    with pytest.raises(AccountError, match="changed"):
        accounts.change_password(user, "correct-horse-battery", "knowers-new-password")
    db.session.rollback()
    assert accounts.authenticate(user.email, "owners-link-password") is not None

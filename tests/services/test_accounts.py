import pytest

from autograder.models import Role
from autograder.services import accounts
from autograder.services.accounts import AccountError


def test_create_user_hashes_password_with_scrypt_and_authenticates(app):
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

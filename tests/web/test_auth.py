import re

import pytest

from autograder.extensions import db
from autograder.models import Role
from autograder.services import accounts


def test_login_page_has_csrf_and_session_cookie_is_httponly_samesite(client, factory):
    user = factory.user()
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    # A POST without the token is refused.
    refused = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert refused.status_code == 400 and "form expired" in refused.get_data(as_text=True)


def test_login_sets_hardened_cookie_and_logout_needs_post(client, factory, login):
    student = factory.user()
    login(student)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_with_secure_cookies_every_cookie_of_a_kept_sign_in_is_secure(make_app, monkeypatch):
    # "Keep me signed in" is a year-long sign-in: sent over plain http (a first visit to http://,
    # before the redirect) anyone on the network could copy it and be the student.
    monkeypatch.setenv("AUTOGRADER_SECURE_COOKIES", "1")
    app = make_app()
    with app.app_context():
        email = accounts.create_user("kept@example.edu", "long-enough-pw").email
    browser = app.test_client()
    page = browser.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    answer = browser.post("/login", data={"email": email, "password": "long-enough-pw", "remember": "y",
                                          "csrf_token": token}, base_url="https://localhost",
                         headers={"Referer": "https://localhost/login"})  # checked on https
    assert answer.status_code == 302
    cookies = answer.headers.getlist("Set-Cookie")
    assert {cookie.split("=", 1)[0] for cookie in cookies} >= {"session", "remember_token"}
    assert [cookie for cookie in cookies if "; Secure" not in cookie] == []


def test_wrong_password_is_refused_with_a_message(client, factory):
    user = factory.user()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/login", data={"email": user.email, "password": "nope-nope", "csrf_token": token})
    assert response.status_code == 200 and "Wrong e-mail or password" in response.get_data(as_text=True)


def test_open_redirect_through_next_is_ignored(client, factory, csrf_token):
    user = factory.user()
    token = csrf_token("/login")
    response = client.post("/login?next=https://evil.example/", data={
        "email": user.email, "password": "correct-horse-battery", "csrf_token": token})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/%0d%0aSet-Cookie:%20x=1", "/%0a", "/%5Cevil.example", "/%09/evil.example"])
def test_a_next_with_control_characters_or_backslashes_lands_on_the_home_page(app, factory, target):
    """A crafted sign-in link: the person is signed in and sent home (a line break gave a 500 after signing in)."""
    user = factory.user()
    visitor = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      visitor.get("/login").get_data(as_text=True)).group(1)
    response = visitor.post(f"/login?next={target}", data={
        "email": user.email, "password": "correct-horse-battery", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_register_creates_student_and_joins_course(client, factory, csrf_token):
    course = factory.course()
    response = client.post("/register", data={
        "name": "New", "email": "new@example.edu", "password": "long-enough-pw", "confirm": "long-enough-pw",
        "join_code": course.join_code, "csrf_token": csrf_token("/register")}, follow_redirects=True)
    assert response.status_code == 200 and "Welcome to" in response.get_data(as_text=True)
    user = accounts.find_user("new@example.edu")
    assert user.role == Role.STUDENT and user.enrollments[0].course_id == course.id


def test_account_page_issues_a_token_shown_once(client, factory, login, csrf_token):
    student = factory.user()
    login(student)
    page = client.post("/account", data={"csrf_token": csrf_token("/account")}).get_data(as_text=True)
    token = page.split('id="api-token">')[1].split("<")[0]
    assert accounts.user_for_token(token).id == student.id
    assert token not in client.get("/account").get_data(as_text=True)


def test_security_headers_are_set(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_and_downloads_are_never_cached_but_static_files_are(client, factory, login):
    student = factory.user()
    login(student)
    for path in ("/login", "/account", "/"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    static = client.get("/static/" + next(iter(sorted(_static_files()))))
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def _static_files():
    from pathlib import Path

    import autograder.web

    folder = Path(autograder.web.__file__).parent / "static"
    return [path.name for path in folder.iterdir() if path.is_file()]


def test_a_token_can_be_revoked_without_making_another(client, factory, login, csrf_token):
    user = factory.user()
    login(user)
    made = client.post("/account", data={"csrf_token": csrf_token("/account")})
    token = re.search(r'id="api-token">([^<]+)<', made.get_data(as_text=True)).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/assignments", headers=headers).status_code == 200
    assert 'id="revoke-token"' in made.get_data(as_text=True)
    revoked = client.post("/account/token/revoke", data={"csrf_token": csrf_token("/account")}, follow_redirects=True)
    assert "Your API token is revoked" in revoked.get_data(as_text=True)
    assert 'id="revoke-token"' not in revoked.get_data(as_text=True)
    assert client.get("/api/v1/assignments", headers=headers).status_code == 401
    # Without the form's CSRF token nothing happens.
    client.post("/account", data={"csrf_token": csrf_token("/account")})
    client.post("/account/token/revoke", data={})
    assert db.session.get(type(user), user.id).api_token_hash is not None

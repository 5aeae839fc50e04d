"""Sign-in, sign-up, sign-out and the API token page."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from autograder.extensions import db, limiter, login_manager
from autograder.models import Role, User
from autograder.models.user import password_fingerprint
from autograder.services import (
    accounts, confirmation_rule, courses, email_address, email_confirmation, mail_budget, mailer, registration,
)
from autograder.services.confirmation_rule import EmailNotConfirmed
from autograder.services.errors import ServiceError
from autograder.services.login_throttle import device_cookie, known_device, login_throttle
from autograder.services import password_links
from autograder.web.public_links import public_url
from autograder.web.forms import (
    EmptyForm, ForgotPasswordForm, LoginForm, PasswordChangeForm, RegisterForm, SetPasswordForm,
)

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see this page."
login_manager.login_message_category = "info"

# Marks a browser that signed in to an account (services/login_throttle.py): its failures have their own budget.
DEVICE_COOKIE = "autograder_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 3600


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    # "<id>-<password fingerprint>" (User.get_id): a session from before a password change is refused.
    user_id, _, fingerprint = session_id.partition("-")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not hmac.compare_digest(fingerprint, password_fingerprint(user.password_hash)):
        return None
    return user


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an absolute URL here would be an open redirect. No control characters
    # (a line break cannot go into the Location header: the signed-in user got a 500) or
    # backslashes (browsers read "/\\host" as "//host").
    if not target or any(ord(char) < 32 or char in "\x7f\\" for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def home_for(user: User) -> str:
    """Return the landing page of a signed-in user."""
    from autograder.web.access import is_staff_somewhere

    # Staff of some course and student of none: the staff pages; anyone studying somewhere: their assignments.
    if is_staff_somewhere(user) and not courses.courses_studied_by(user):
        return url_for("instructor.index")
    return url_for("student.index")


def _known_from_now_on(response, user: User, device: str | None = None):
    """Mark this browser (its device cookie) as one that knows ``user``'s current password; return the response.

    Failures other browsers spend on the account do not lock it out. The mark names the password
    too: a new password (a change, a link) leaves every other browser with the account's shared budget.
    """
    _, cookie = device_cookie(user.email, device, user.password_hash)
    response.set_cookie(DEVICE_COOKIE, cookie, max_age=DEVICE_COOKIE_SECONDS, httponly=True, samesite="Lax",
                        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response


def _wait_text(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# No request-count limit here: only failed sign-ins are counted (services/login_throttle.py).
@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if request.method == "GET" and not form.email.data:
        form.email.data = request.args.get("email", "")[:254]  # a confirmed address, sent here to sign in
    if form.validate_on_submit():
        throttle, address = login_throttle(), request.remote_addr or ""
        named = accounts.find_user(form.email.data)
        device = known_device(request.cookies.get(DEVICE_COOKIE), form.email.data,
                              named.password_hash if named is not None else None)
        verdict = throttle.check(form.email.data, address, device)
        if not verdict.allowed:
            # The password is not even checked: a guesser learns nothing while throttled.
            who = "this account" if verdict.reason == "account" else "your network"
            flash(f"Too many failed sign-ins for {who}. Please try again in {_wait_text(verdict.retry_after)}, "
                  "or ask your instructor for a password reset link.", "error")
            response = current_app.make_response((render_template("auth/login.html", form=form), 429))
            response.headers["Retry-After"] = str(verdict.retry_after)
            return response
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            throttle.record_failure(form.email.data, address, device)
            flash("Wrong e-mail or password.", "error")
        else:
            throttle.record_success(form.email.data, device)
            login_user(user, remember=form.remember.data)
            response = redirect(_safe_next(request.args.get("next")) or home_for(user))
            return _known_from_now_on(response, user, device)
    return render_template("auth/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("REGISTRATIONS_PER_ADDRESS", "100 per hour"), methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    if form.validate_on_submit() and mailer.mail_configured():
        try:
            mails = registration.register(form.email.data, form.password.data, form.name.data or "",
                                          form.join_code.data or "", request.remote_addr or "", _registration_links())
        except ServiceError as error:  # an invalid address or password: nothing about accounts
            flash(str(error), "error")
        else:
            # The same page whether or not the address had an account; the mail goes after the answer.
            address = email_address.validate(form.email.data)
            response = current_app.make_response(render_template(
                "auth/register_sent.html", address=address,
                days=email_confirmation.CONFIRMATION_HOURS // 24))
            return _send_after(response, mails)
    elif form.validate_on_submit():
        # No mail: nothing could confirm an address, so nothing hides that it is taken (docs/WEB.md, Known gaps).
        try:
            user = accounts.create_user(form.email.data, form.password.data, Role.STUDENT, form.name.data or "")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            login_user(user)
            if form.join_code.data:
                try:
                    course = courses.join_course(user, form.join_code.data, request.remote_addr or "")
                    flash(f"Welcome to {course.title}!", "success")
                except ServiceError as error:
                    flash(str(error), "error")
            return redirect(url_for("student.index"))
    return render_template("auth/register.html", form=form)


def _registration_links() -> registration.Links:
    return registration.Links(confirm=lambda token: public_url("auth.confirm_email", token=token),
                              sign_in=public_url("auth.login"),
                              forgot_password=public_url("auth.forgot_password"))


def _send_after(response, mails: list[mailer.Mail]):
    """Send ``mails`` once the response is out (the server closes it), within their budgets; return the response.

    How long the answer takes then says nothing about which mail, if any, was sent, nor about the
    limits (mail_budget), spent only then.
    """
    app = current_app._get_current_object()

    def send() -> None:
        with app.app_context():
            for mail in mails:
                try:
                    mail_budget.send(mail)
                except Exception:  # noqa: BLE001 - after the response nobody could be told
                    log.exception("could not send mail to %s", mail.to)

    if mails:
        response.call_on_close(send)
    return response


@bp.route("/logout", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = EmptyForm()
    token = None
    if form.validate_on_submit():
        try:
            token = accounts.issue_api_token(current_user)
        except EmailNotConfirmed as error:
            flash(str(error), "error")
            return render_template("auth/account.html", form=form, token=None,
                                   password_form=PasswordChangeForm()), 403
        except ServiceError as error:  # the password changed meanwhile: this session is over
            flash(str(error), "error")
            return redirect(url_for("auth.login"))
    return render_template("auth/account.html", form=form, token=token, password_form=PasswordChangeForm())


@bp.route("/account/token/revoke", methods=["POST"])
@login_required
def revoke_token():
    # A token copied onto a shared machine, or no longer needed: gone without making another.
    if EmptyForm().validate_on_submit():
        accounts.revoke_api_token(current_user)
        flash("Your API token is revoked: it no longer works anywhere.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        # "Current password" answers whether a guess is right, like the sign-in form: whoever finds the
        # account signed in on a shared computer gets the sign-in's budget of guesses here, no more.
        user, throttle, address = current_user._get_current_object(), login_throttle(), request.remote_addr or ""
        device = known_device(request.cookies.get(DEVICE_COOKIE), user.email, user.password_hash)
        verdict = throttle.check(user.email, address, device)
        if not verdict.allowed:
            flash(f"Too many wrong passwords for this account. Please try again in {_wait_text(verdict.retry_after)}.",
                  "error")
            response = current_app.make_response((render_template(
                "auth/account.html", form=EmptyForm(), token=None, password_form=form), 429))
            response.headers["Retry-After"] = str(verdict.retry_after)
            return response
        try:
            had_token = accounts.change_password(user, form.current.data, form.new.data)
        except accounts.WrongPassword as error:
            throttle.record_failure(user.email, address, device)
            flash(str(error), "error")
        except ServiceError as error:
            throttle.record_success(user.email, device)  # the current password was right
            flash(str(error), "error")
        else:
            throttle.record_success(user.email, device)
            # Every other session ended with the old password; this one signs in again with the new.
            remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
            login_user(current_user._get_current_object(), remember=bool(remembered))
            flash("Your password was changed; you are signed out everywhere else"
                  + (", and your API token is revoked (make a new one below for the terminal)." if had_token else "."),
                  "success")
            return _known_from_now_on(redirect(url_for("auth.account")), current_user)
    for field in form:
        for message in field.errors:
            flash(f"{field.label.text}: {message}", "error")
    return render_template("auth/account.html", form=EmptyForm(), token=None, password_form=form), 400


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("PASSWORD_RESETS_PER_ADDRESS", "10 per hour"), methods=["POST"])
def forgot_password():
    if not mailer.mail_configured():
        return render_template("auth/forgot_password.html", form=None)
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        mails = password_links.reset_mail_for(
            form.email.data, lambda token: public_url("auth.set_password", token=token))
        # The same answer whether or not the account exists; the mail goes after it (its time says nothing either).
        flash("If an account uses that address, a link to choose a new password is on its way "
              "(it works once, within 24 hours).", "info")
        return _send_after(redirect(url_for("auth.login")), mails)
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("REGISTRATIONS_PER_ADDRESS", "100 per hour"), methods=["POST"])
def set_password(token: str):
    try:
        holder = password_links.holder_of(token)
    except ServiceError as error:
        return render_template("auth/set_password.html", error=str(error), form=None), 400
    if _signed_in_as_someone_else(holder.user):
        return render_template("auth/set_password.html", error=_someone_else_text(holder.user), form=None), \
            _someone_else_status()
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = password_links.set_password_with(token, form.password.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            logout_user()
            login_user(user)
            flash("Your password is set. Welcome!", "success")
            return _known_from_now_on(redirect(home_for(user)), user)
    return render_template("auth/set_password.html", form=form, holder=holder, error=None)


def _signed_in_as_someone_else(user: User) -> bool:
    """Tell whether this browser is signed in to an account other than ``user``'s.

    A link someone sends "to confirm your address" could be for their own account: used in a
    signed-in browser, it would switch that browser to their account (shown by the name they
    chose), and the person's next uploads would be theirs to read. The link waits for a sign-out.
    """
    return bool(current_user.is_authenticated and current_user.id != user.id)


def _someone_else_status() -> int:
    # Opening the link only says so (an instructor may check the link they made); using it is refused.
    return 409 if request.method == "POST" else 200


def _someone_else_text(user: User) -> str:
    return (f"This link is for the account {user.email}, and this browser is signed in as {current_user.email}. "
            "If the link is yours, sign out first, then open it again; if it is not, ignore it.")


def _send_confirmation(user: User) -> None:
    mail = mailer.Mail(*email_confirmation.confirmation_mail(
        user, lambda token: public_url("auth.confirm_email", token=token)))
    if not mail_budget.allows(mail):  # the inbox's budget, shared with every flow that mails it
        flash(f"We already sent {mail_budget.per_inbox_text()} to {user.email} in the last hour: open the latest "
              "link we sent, or press 'Send it again' later.", "warning")
    elif mailer.send_mail(mail.to, mail.subject, mail.body):
        flash(f"Confirm your address: we sent a link to {user.email} (it works once, within "
              f"{email_confirmation.CONFIRMATION_HOURS // 24} days).", "info")
    else:
        flash(f"We could not send the confirmation link to {user.email} just now: "
              "press 'Send it again' in a few minutes.", "warning")


@bp.route("/confirm-email/send", methods=["POST"])
@limiter.limit(lambda: current_app.config.get("PASSWORD_RESETS_PER_ADDRESS", "10 per hour"))
@login_required
def send_confirmation():
    back = _safe_next(request.form.get("next")) or url_for("student.index")
    if not EmptyForm().validate_on_submit():
        return redirect(back)
    if not confirmation_rule.required_for(current_user):
        flash("Your address needs no confirmation." if current_user.email_confirmed
              else "This site sends no e-mail: there is nothing to confirm with.", "info")
    else:
        _send_confirmation(current_user)
    return redirect(back)


# GET only shows the question: mail scanners open links, and the person has to say the account is theirs.
@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config.get("REGISTRATIONS_PER_ADDRESS", "100 per hour"), methods=["POST"])
def confirm_email(token: str):
    try:
        holder = password_links.holder_of(token, (password_links.LinkPurpose.CONFIRMATION,))
    except ServiceError as error:
        return render_template("auth/confirm_email.html", error=str(error), form=None), 400
    if _signed_in_as_someone_else(holder.user):
        return render_template("auth/confirm_email.html", error=_someone_else_text(holder.user), form=None), \
            _someone_else_status()
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            confirmed = email_confirmation.confirm_with(token, request.remote_addr or "")
        except ServiceError as error:
            return render_template("auth/confirm_email.html", error=str(error), form=None), 400
        user = confirmed.user
        flash(f"Thank you: {user.email} is confirmed.", "success")
        if confirmed.joined is not None:
            flash(f"Welcome to {confirmed.joined.title}!", "success")
        elif confirmed.join_refusal is not None:
            flash(confirmed.join_refusal, "error")
        if current_user.is_authenticated:  # signed in to this very account (another one was refused above)
            return redirect(home_for(user))
        # The link proves the address, not the password: someone may have sent their own link "to confirm
        # your address", and a browser signed in by it would upload its owner's work into their account.
        flash("Sign in with your password to continue.", "info")
        return redirect(url_for("auth.login", email=user.email))
    return render_template("auth/confirm_email.html", form=form, holder=holder, error=None)

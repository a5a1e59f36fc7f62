"""Sign in and out, the password, and the account's sign-ins on other devices."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from portal.blueprints.auth import bp
from portal.blueprints.auth.forms import ChangePasswordForm, LoginForm
from portal.domain.errors import DomainError
from portal.extensions import limiter
from portal.models import User
from portal.security import safe_next
from portal.services import accounts
from portal.throttling import sign_in_failed, sign_in_succeeded, sign_in_wait


def _failed(response) -> bool:
    """Only failed sign-ins count against the per-client limit."""
    return response.status_code != 303


def _wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"


def _start(user: User, *, remember: bool) -> None:
    """A new sign-in on this device: a fresh session (new id, new CSRF token) holding the new
    sign-in's token; the remember-me cookie, if wanted, holds the same token."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's copy
    accounts.start_session(
        user,
        remember=remember,
        user_agent=request.user_agent.string,
        client_address=get_remote_address(),
    )
    login_user(user, remember=remember, duration=current_app.config["SESSION_ABSOLUTE_LIFETIME"])


def _stop() -> None:
    """Forget the sign-in in this browser: the session and the remember-me cookie."""
    session.clear()
    logout_user()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"], methods=["POST"], deduct_when=_failed
)
def login():
    """Sign-in page; a wrong username or password gets one plain message, never which one."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm(next=request.args.get("next", ""))
    headers = {}
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        client = get_remote_address()
        wait = sign_in_wait(form.username.data, client)
        if wait:
            status = 429  # refused unheard: the password is not even checked
            form.form_errors.append(
                "Too many sign-in attempts for this account from here. "
                f"Wait {_wait_in_words(wait)} before trying again."
            )
        else:
            user = accounts.authenticate(form.username.data, form.password.data)
            if user is not None:
                sign_in_succeeded(form.username.data, client)
                _start(user, remember=bool(form.remember.data))
                return redirect(safe_next(form.next.data) or url_for("main.home"), code=303)
            form.form_errors.append("Wrong username or password. Check both and try again.")
            wait = sign_in_failed(form.username.data, client)
            if wait:
                form.form_errors.append(
                    f"That was several wrong tries: wait {_wait_in_words(wait)} before the next."
                )
        if wait:
            headers["Retry-After"] = str(wait)
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout():
    """Sign out: this sign-in ends on the server, so no copy of its cookies works again."""
    accounts.end_session(current_user.get_id())
    _stop()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"), code=303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other device is signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            accounts.change_password(user, current=form.current.data, new=form.new.data)
        except DomainError as err:
            form.form_errors.append(str(err))
        else:
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            _start(user, remember=remember in request.cookies)
            flash("Password changed. Other devices are signed out.", "success")
            return redirect(url_for("main.account"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.post("/account/sign-ins/<int:sign_in_id>/end")
@login_required
def end_sign_in(sign_in_id: int):
    """End one of one's own sign-ins (a lost or shared phone)."""
    accounts.revoke_session(sign_in_id, actor=current_user)
    flash("That device is signed out.", "success")
    return redirect(url_for("main.account"), code=303)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every sign-in of this account, this one included."""
    accounts.end_all_sessions(
        current_user, actor=current_user, why="Signed out everywhere from the account page."
    )
    _stop()
    flash("You are signed out on every device.", "info")
    return redirect(url_for("auth.login"), code=303)

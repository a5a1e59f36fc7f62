"""Sign-in plumbing and the role guard every protected route uses."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.domain.permissions import Capability
from portal.extensions import login_manager
from portal.models import User
from portal.services import accounts


def init_login(app: Flask) -> None:
    """Tell Flask-Login how to load a user and where the sign-in page is."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # The session cookie and the remember-me cookie carry the token of one sign-in (User.get_id),
    # never the user id: a sign-in that was ended, timed out or revoked loads nobody.
    @login_manager.user_loader
    def load_user(token: str) -> User | None:
        return accounts.user_for_session(token)

    @app.before_request
    def new_password_first():
        """After an administrator's reset, the change-password page is the only way on."""
        if request.endpoint in _OPEN_WHILE_PASSWORD_MUST_CHANGE:
            return None
        if current_user.is_authenticated and current_user.must_change_password:
            flash("Choose a new password to continue.", "info")
            return redirect(url_for("auth.change_password"))
        return None


_OPEN_WHILE_PASSWORD_MUST_CHANGE = {"auth.change_password", "auth.logout", "static", None}


def trust_proxies(app: Flask) -> None:
    """Behind a reverse proxy, take the client address, scheme and host from the X-Forwarded-*
    headers that many proxies set (PROXY_FIX_X_FOR=1 ...); off by default, since without a
    proxy anyone could send those headers and pick the address the throttle counts."""
    counts = {name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}", 0)) for name in _FORWARDED}
    if any(counts.values()):
        proxied = ProxyFix(app.wsgi_app, **{f"x_{k}": v for k, v in counts.items()})
        app.wsgi_app = proxied  # type: ignore[method-assign]


_FORWARDED = ("for", "proto", "host", "port", "prefix")


def requires(*capabilities: Capability):
    """Guard a view: sign-in first, then 403 unless the user holds one of `capabilities`.

    One capability for nearly every view; several where the view serves several jobs (a work
    order status move: each target has its own capability, the service checks which). They are
    kept on the view (`view.capabilities`) so the navigation shows a tab only to those who may
    open it, and the route x role test can read what each route needs.
    """
    needed = tuple(Capability(c) for c in capabilities)
    if not needed:
        raise ValueError("requires() needs at least one capability")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.can(c) for c in needed):
                abort(403)
            return view(*args, **kwargs)

        wrapped.capabilities = needed
        return wrapped

    return decorator


def may_open(endpoint: str) -> bool:
    """True when the signed-in user may open `endpoint` (its view's capability, if any)."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False
    needed = getattr(view, "capabilities", ())
    return not needed or any(current_user.can(c) for c in needed)


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site; None for anything that could leave it."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target

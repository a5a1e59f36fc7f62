"""Sign-in plumbing and the role guard every protected route uses."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, current_app
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from portal.domain.permissions import Capability
from portal.extensions import db, login_manager


def init_login(app: Flask) -> None:
    """Tell Flask-Login how to load a user and where the sign-in page is."""
    from portal.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    # Every signed-in request runs this: one statement, built once (user and roles together).
    by_id = select(User).where(User.id == bindparam("user_id")).options(joinedload(User.role_rows))

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        if not user_id.isdigit():
            return None
        return db.session.scalars(by_id, {"user_id": int(user_id)}).unique().one_or_none()


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

"""Administration: who has an account and which roles they hold."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.admin import bp
from portal.domain.errors import DomainError, NotFound
from portal.domain.permissions import Capability as C
from portal.security import requires
from portal.services import accounts, approvals


@bp.get("/users")
@requires(C.manage_users)
def users():
    """Every account with its roles and last sign-in."""
    return render_template("admin/users.html", users=accounts.list_users())


@bp.post("/users/<int:user_id>/budget-authority")
@requires(C.manage_users)
def budget_authority(user_id: int):
    """Grant or withdraw budget authority: who may approve a PR that goes over budget."""
    grant = request.form.get("grant")
    if grant not in ("0", "1"):
        abort(400)
    try:
        user = approvals.set_budget_authority(user_id, granted=grant == "1", actor=current_user)
    except NotFound:
        abort(404)
    except DomainError as err:
        flash(str(err), "error")
    else:
        state = "now has" if user.budget_authority else "no longer has"
        flash(f"{user.full_name} {state} budget authority.", "success")
    return redirect(url_for("admin.users"), code=303)

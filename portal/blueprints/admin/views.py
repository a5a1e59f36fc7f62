"""Administration: who has an account and which roles they hold."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.blueprints.admin import bp
from portal.domain.errors import DomainError, NotFound
from portal.domain.permissions import Capability as C
from portal.read_models import accounts as account_reads
from portal.security import requires
from portal.services import approvals


@bp.get("/users")
@requires(C.manage_users)
def users():
    """Every account with its roles and last sign-in."""
    return render_template("admin/users.html", users=account_reads.list_users())


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
        raise  # the 404 page (errors blueprint)
    except DomainError as err:  # separation of duties among them: said on the users page
        flash(str(err), "error")
    else:
        state = "now has" if user.budget_authority else "no longer has"
        flash(f"{user.full_name} {state} budget authority.", "success")
    return redirect(url_for("admin.users"), code=303)

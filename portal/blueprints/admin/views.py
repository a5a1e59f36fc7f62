"""Administration: who has an account and which roles they hold."""

from __future__ import annotations

from flask import render_template

from portal.blueprints.admin import bp
from portal.security import roles_required
from portal.services import accounts


@bp.get("/users")
@roles_required("admin")
def users():
    """Every account with its roles and last sign-in."""
    return render_template("admin/users.html", users=accounts.list_users())

"""Home page, account page and the health check."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_login import current_user, login_required

from portal.blueprints.main import bp
from portal.domain.roles import ROLE_LABELS, Role
from portal.extensions import limiter
from portal.htmx import page_or_block
from portal.services import dashboards


@bp.get("/")
@login_required
def home():
    """What this person should do next: their queue and the numbers of their roles."""
    board = dashboards.home_board(current_user, request.args.get("show", "all"))
    return page_or_block("main/home.html", "queue", board=board, filters=dashboards.QUEUE_FILTERS)


@bp.get("/account")
@login_required
def account():
    """Who is signed in, with which roles; the sign-out button."""
    roles = [ROLE_LABELS[Role(r)] for r in sorted(current_user.roles)]
    return render_template("main/account.html", roles=roles)


@bp.get("/menu")
@login_required
def menu():
    """Every section this person may open, for when they don't all fit the bottom bar."""
    return render_template("main/menu.html")


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability, for load balancers and the benchmark baseline."""
    ok = dashboards.database_ok()
    return jsonify(status="ok" if ok else "database unreachable"), 200 if ok else 503

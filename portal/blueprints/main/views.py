"""Home page, account page and the health check."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_login import current_user, login_required

from portal.blueprints.main import bp
from portal.domain.permissions import Capability as C
from portal.domain.roles import ROLE_LABELS, Role
from portal.extensions import limiter
from portal.htmx import page_or_block
from portal.models import User
from portal.models.base import utcnow
from portal.read_models import (
    approvals,
    budgets,
    deliveries,
    invoices,
    out_of_pocket,
    purchase_orders,
)
from portal.read_models import home as home_reads
from portal.read_models.home import HomeBoard


def _add_cards(board: HomeBoard, user: User) -> None:
    """The cards other features put on the home page, each from that feature's own read."""
    now = utcnow()
    board.approvals = approvals.waiting_card(user)
    if user.can(C.manage_purchase_orders):
        board.buying = purchase_orders.buyer_counts()
    board.parts_arrived = deliveries.parts_arrived_for(user, now=now)
    if user.can(C.read_budgets):
        board.budgets = budgets.budget_watch()
    board.purchasing = out_of_pocket.home_card(user)
    board.invoices = invoices.home_card(user)


@bp.get("/")
@login_required
def home():
    """What this person should do next: their queue and the numbers of their roles."""
    board = home_reads.home_board(current_user, request.args.get("show", "all"))
    _add_cards(board, current_user)
    return page_or_block("main/home.html", "queue", board=board, filters=home_reads.QUEUE_FILTERS)


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
    ok = home_reads.database_ok()
    return jsonify(status="ok" if ok else "database unreachable"), 200 if ok else 503

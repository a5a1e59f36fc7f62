"""Home page, account page, the health check and the security contact."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, jsonify, make_response, render_template, request
from flask_login import current_user, login_required

from portal.blueprints.main import bp
from portal.domain.permissions import Capability as C
from portal.domain.roles import ROLE_LABELS, Role
from portal.extensions import limiter
from portal.htmx import page_or_block
from portal.models import User
from portal.models.base import utcnow
from portal.read_models import accounts as account_reads
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
    sign_ins = account_reads.sign_ins(current_user.id, this_token=current_user.get_id())
    return render_template("main/account.html", roles=roles, sign_ins=sign_ins)


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


@bp.get("/.well-known/security.txt")
def security_txt():
    """Where to report a vulnerability (RFC 9116), from SECURITY_CONTACT; 404 when unset."""
    contact = current_app.config.get("SECURITY_CONTACT")
    if not contact:
        abort(404)
    expires = (utcnow() + timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = f"Contact: {contact}\nExpires: {expires}\nPreferred-Languages: en\n"
    response = make_response(body)
    response.mimetype = "text/plain"
    return response

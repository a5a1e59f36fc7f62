"""Budgets: every cost centre's budget, committed, actual and remaining, and what is behind them."""

from __future__ import annotations

from datetime import date

from flask import abort, request

from portal.blueprints.budgets import bp
from portal.domain.errors import NotFound
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block
from portal.security import requires
from portal.services import costs


def _chosen_day() -> date | None:
    """The day ?on=YYYY-MM-DD names (None: today); nonsense gives 400, not a 500."""
    text = request.args.get("on", "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description="Choose a period from the list.")


@bp.get("/")
@requires(C.read_budgets)
def index():
    """Each cost centre's position in the chosen budget period, with its bar."""
    on = _chosen_day()
    return page_or_block(
        "budgets/index.html",
        "budget_rows",
        rows=costs.budget_board(on),
        periods=costs.budget_periods(),
        on=on,
    )


@bp.get("/<int:cost_centre_id>")
@requires(C.read_budgets)
def detail(cost_centre_id: int):
    """One cost centre: its figures and the largest commitments and actuals behind them."""
    on = _chosen_day()
    try:
        drill = costs.cost_centre_drilldown(cost_centre_id, on)
    except NotFound:
        abort(404)
    return page_or_block("budgets/detail.html", "drill", drill=drill, on=on)

"""Budgets: every cost centre's budget, committed, actual and remaining, and what is behind them."""

from __future__ import annotations

from datetime import date

from flask import abort, request

from portal.blueprints.budgets import bp
from portal.domain.fields import FieldRefused, parse_day
from portal.domain.permissions import Capability as C
from portal.htmx import page_or_block
from portal.read_models import budget_drilldown, budgets
from portal.security import requires


def _chosen_day() -> date | None:
    """The day ?on=YYYY-MM-DD names (None: today); nonsense gives 400, not a 500."""
    try:
        return parse_day(request.args.get("on"), label="The day")
    except FieldRefused:
        abort(400, description="Choose a period from the list.")


@bp.get("/")
@requires(C.read_budgets)
def index():
    """Each cost centre's position in the chosen budget period, with its bar."""
    on = _chosen_day()
    return page_or_block(
        "budgets/index.html",
        "budget_rows",
        rows=budgets.budget_board(on),
        periods=budgets.budget_periods(),
        on=on,
    )


@bp.get("/<int:cost_centre_id>")
@requires(C.read_budgets)
def detail(cost_centre_id: int):
    """One cost centre: its figures and the largest commitments and actuals behind them."""
    on = _chosen_day()
    drill = budget_drilldown.cost_centre_drilldown(cost_centre_id, on)
    return page_or_block("budgets/detail.html", "drill", drill=drill, on=on)

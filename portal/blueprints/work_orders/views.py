"""Work order list and work order page."""

from __future__ import annotations

from flask import abort, request
from flask_login import login_required

from portal.blueprints.work_orders import bp
from portal.blueprints.work_orders.forms import WorkOrderSearchForm
from portal.htmx import page_or_block
from portal.services import work_orders


@bp.get("/")
@login_required
def index():
    """Work order list; typing in the search box refreshes only the rows."""
    search = WorkOrderSearchForm(request.args, meta={"csrf": False})
    page_no = search.page.data if search.validate() and search.page.data else 1
    page = work_orders.search(text=search.q.data, status=search.status.data, page=page_no)
    return page_or_block("work_orders/index.html", "wo_rows", page=page, search=search)


@bp.get("/<int:wo_id>")
@login_required
def detail(wo_id: int):
    """One work order: what, where, who, when, its parts and its history."""
    wo = work_orders.get_for_page(wo_id)
    if wo is None:
        abort(404)
    return page_or_block("work_orders/detail.html", "wo_main", wo=wo)

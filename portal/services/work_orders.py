"""Reading work orders for pages (writes arrive with the field-flow use cases)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.domain.work_orders import OPEN_STATUSES, WorkOrderStatus
from portal.extensions import db
from portal.models import Asset, PartLine, WorkOrder
from portal.services.dashboards import open_work_query

PAGE_SIZE = 25


@dataclass
class Page:
    """One page of a list, and whether there are more."""

    items: list
    number: int
    has_next: bool


def _filtered(status: str | None) -> Select:
    """Open work most urgent first; any other filter newest first."""
    if status in (None, "open"):
        return open_work_query()
    stmt = (
        select(WorkOrder)
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.assignee_user),
        )
        .order_by(WorkOrder.id.desc())
    )
    if status in WorkOrderStatus.__members__:
        stmt = stmt.where(WorkOrder.status == WorkOrderStatus(status).value)
    elif status:  # an unknown filter value falls back to open work, never an error page
        stmt = stmt.where(WorkOrder.status.in_([s.value for s in OPEN_STATUSES]))
    return stmt


def search(*, text: str | None, status: str | None, page: int = 1) -> Page:
    """Work orders matching text (number, title, asset tag) and status; one page of them."""
    stmt = _filtered(status)
    needle = (text or "").strip().lower()
    if needle:
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        tagged = select(Asset.id).where(func.lower(Asset.tag).like(like, escape="\\"))
        stmt = stmt.where(
            or_(
                func.lower(WorkOrder.number).like(like, escape="\\"),
                func.lower(WorkOrder.title).like(like, escape="\\"),
                WorkOrder.asset_id.in_(tagged),
            )
        )
    rows = list(
        db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique()
    )
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def get_for_page(wo_id: int) -> WorkOrder | None:
    """A work order with everything its page shows, in a fixed number of queries."""
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.id == wo_id)
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.site),
            joinedload(WorkOrder.assignee_user),
            joinedload(WorkOrder.assignee_team),
            joinedload(WorkOrder.requester),
            selectinload(WorkOrder.part_lines).joinedload(PartLine.item),
            selectinload(WorkOrder.checklist),
            selectinload(WorkOrder.status_changes),
        )
    )
    return db.session.scalars(stmt).unique().one_or_none()

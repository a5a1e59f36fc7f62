"""What the work order pages show: the list, one work order with its page's parts, its notes
and labour. Plain reads, a fixed number of queries each; no unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.domain.errors import NotFound
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Asset,
    Attachment,
    LabourEntry,
    PartLine,
    User,
    WorkOrder,
    WorkOrderComment,
)
from portal.services._uow import current_session

PAGE_SIZE = 25
COMMENTS_SHOWN = 50


@dataclass
class Page:
    """One page of a list, and whether there are more."""

    items: list[Any]
    number: int
    has_next: bool


def open_work_query(assignee: User | None = None) -> Select[WorkOrder]:
    """Open work orders, most urgent first, with what the list shows loaded in the same query."""
    # is_open and priority_rank are generated columns with queue indexes: an index walk + LIMIT.
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.is_open == 1)
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.assignee_user),
        )
        .order_by(WorkOrder.priority_rank, WorkOrder.due_at, WorkOrder.id)
    )
    if assignee is not None:
        stmt = stmt.where(WorkOrder.assignee_user_id == assignee.id)
    return stmt


def _filtered(status: str | None) -> Select[WorkOrder]:
    """Open work most urgent first; one status by due date, latest first; any status newest first.

    Each order matches an index (queue, status+due, primary key), so a page is an index walk.
    """
    if status not in WorkOrderStatus.__members__ and status != "":
        return open_work_query()  # "open", nothing, or an unknown value: never an error page
    stmt = select(WorkOrder).options(
        joinedload(WorkOrder.asset),
        joinedload(WorkOrder.location),
        joinedload(WorkOrder.assignee_user),
    )
    if status:
        return stmt.where(WorkOrder.status == WorkOrderStatus(status).value).order_by(
            WorkOrder.due_at.desc(), WorkOrder.id.desc()
        )
    return stmt.order_by(WorkOrder.id.desc())


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
        current_session().scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique()
    )
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def get(wo_id: int) -> WorkOrder:
    """One work order, its own row only (for pages that show little of it); NotFound if none."""
    wo = current_session().get(WorkOrder, wo_id)
    if wo is None:
        raise NotFound(f"Work order {wo_id} does not exist.")
    return wo


@cache
def _page_statement() -> Select[WorkOrder]:
    """The WO page's query, built once: SQLAlchemy then reuses it and its compiled form."""
    return (
        select(WorkOrder)
        .where(WorkOrder.id == bindparam("wo_id"))
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.site),
            joinedload(WorkOrder.assignee_user),
            joinedload(WorkOrder.assignee_team),
            joinedload(WorkOrder.assignee_vendor),
            joinedload(WorkOrder.requester),
            selectinload(WorkOrder.part_lines).joinedload(PartLine.item),
            selectinload(WorkOrder.checklist),
            selectinload(WorkOrder.status_changes),
        )
    )


def get_for_page(wo_id: int) -> WorkOrder:
    """A work order with everything its page shows, in a fixed number of queries; NotFound."""
    wo = current_session().scalars(_page_statement(), {"wo_id": wo_id}).unique().one_or_none()
    if wo is None:
        raise NotFound(f"Work order {wo_id} does not exist.")
    return wo


def comments_for(wo_id: int) -> list[WorkOrderComment]:
    """The latest notes on a work order, newest first, with their authors (one query)."""
    return list(
        current_session().scalars(
            select(WorkOrderComment)
            .where(WorkOrderComment.work_order_id == wo_id)
            .options(joinedload(WorkOrderComment.author))
            .order_by(WorkOrderComment.id.desc())
            .limit(COMMENTS_SHOWN)
        )
    )


@dataclass
class Labour:
    """The labour logged on a work order, latest day first, and its totals."""

    entries: list[LabourEntry] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        """Hours logged in all."""
        return sum((e.hours for e in self.entries), Decimal("0"))

    @property
    def cost(self) -> Decimal:
        """What the hours cost."""
        return sum((e.cost_amount for e in self.entries), Decimal("0"))


def labour_for(wo_id: int) -> Labour:
    """Every labour entry of a work order with who worked (one query)."""
    return Labour(
        list(
            current_session().scalars(
                select(LabourEntry)
                .where(LabourEntry.work_order_id == wo_id)
                .options(joinedload(LabourEntry.user))
                .order_by(LabourEntry.worked_on.desc())
            )
        )
    )


def note_photo(wo_id: int, photo_id: int) -> Attachment:
    """The photo of a note on work order `wo_id`; NotFound if it is not one (a tenant's photo,
    an expense receipt or a packing slip is never served as a work order's photo)."""
    found = current_session().scalar(
        select(Attachment)
        .join(WorkOrderComment, WorkOrderComment.photo_id == Attachment.id)
        .where(
            Attachment.id == photo_id,
            Attachment.work_order_id == wo_id,
            WorkOrderComment.work_order_id == wo_id,
        )
    )
    if found is None:
        raise NotFound("That photo is not on this work order.")
    return found

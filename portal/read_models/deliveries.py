"""Deliveries as work orders see them: what is on order for a work order (its page) and the
"parts arrived" cards of a technician's home page.

Plain reads (no unit of work); the receipt itself is `portal.services.receiving`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.domain import receiving as rules
from portal.domain.statuses import PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import AuditEvent, PurchaseOrder, PurchaseOrderLine, User, Vendor, WorkOrder
from portal.models.base import utcnow
from portal.services._uow import current_session

ARRIVED_DAYS = 7  # how long the "parts arrived" card stays on a technician's home page
ARRIVED_LIMIT = 5


@dataclass
class ArrivedCard:
    """One 'Parts arrived for WO-000123' card on a technician's home page."""

    wo_id: int
    number: str
    title: str
    arrived_at: datetime


def parts_arrived_for(user: User, *, now: datetime | None = None) -> list[ArrivedCard]:
    """The user's open work orders whose parts all arrived in the last days: one query."""
    since = (now or utcnow()) - timedelta(days=ARRIVED_DAYS)
    rows = (
        current_session()
        .execute(
            select(WorkOrder.id, WorkOrder.number, WorkOrder.title, func.max(AuditEvent.at))
            .join(AuditEvent, AuditEvent.subject_id == WorkOrder.id)
            .where(
                AuditEvent.action == rules.PARTS_ARRIVED,
                AuditEvent.subject_type == "WorkOrder",
                AuditEvent.at >= since,
                WorkOrder.assignee_user_id == user.id,
                WorkOrder.is_open == 1,
                WorkOrder.status != WorkOrderStatus.waiting_parts.value,
            )
            .group_by(WorkOrder.id, WorkOrder.number, WorkOrder.title)
            .order_by(func.max(AuditEvent.at).desc(), WorkOrder.id.desc())
            .limit(ARRIVED_LIMIT)
        )
        .all()
    )
    return [ArrivedCard(r[0], r[1], r[2], r[3]) for r in rows]


@dataclass
class OnOrder:
    """A PO line bought for a work order, as its page shows it."""

    po_id: int
    po_number: str
    vendor: str
    line_no: int
    description: str
    ordered: Decimal
    received: Decimal
    uom: str
    receivable: bool
    status: PurchaseOrderStatus = PurchaseOrderStatus.issued
    expected_on: date | None = None

    @property
    def open_qty(self) -> Decimal:
        """Still to come."""
        return rules.open_qty(self.ordered, self.received)


def on_order_for(wo_id: int, *, limit: int = 20) -> list[OnOrder]:
    """PO lines bought for a work order (drafts too, not cancelled), for its page: one query."""
    shown = [
        s.value
        for s in (
            PurchaseOrderStatus.draft,
            PurchaseOrderStatus.approved,
            *rules.RECEIVABLE,
            PurchaseOrderStatus.received,
            PurchaseOrderStatus.closed,
        )
    ]
    rows = (
        current_session()
        .execute(
            select(PurchaseOrderLine, PurchaseOrder.number, PurchaseOrder.status, Vendor.name)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
            .where(PurchaseOrderLine.work_order_id == wo_id, PurchaseOrder.status.in_(shown))
            .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
            .limit(limit)
        )
        .all()
    )
    return [
        OnOrder(
            po_id=line.purchase_order_id,
            po_number=number,
            vendor=vendor,
            line_no=line.line_no,
            description=line.description,
            ordered=line.qty,
            received=line.received_qty,
            uom=line.uom,
            receivable=status in rules.RECEIVABLE,
            status=status,
            expected_on=line.expected_on,
        )
        for line, number, status, vendor in rows
    ]

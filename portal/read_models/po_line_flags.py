"""What the buyer sees of PO lines bought for cancelled work: the open flags, on a PO's page and
on the buyer's To order page. Reads only; resolving a flag is `services.po_line_changes`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from portal.domain.money import quantity
from portal.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderLineFlag, WorkOrder
from portal.services._uow import current_session

LIMIT = 100


@dataclass(frozen=True)
class OpenFlag:
    """One PO line waiting for the buyer's decision, and why."""

    flag_id: int
    po_id: int
    po_number: str
    line_no: int
    description: str
    still_to_come: Decimal
    uom: str
    work_order_number: str | None
    reason: str


def open_flags(po_id: int | None = None) -> list[OpenFlag]:
    """Open flags, oldest first: of one PO, or of every PO (one query, bounded)."""
    stmt = (
        select(PurchaseOrderLineFlag, PurchaseOrderLine, PurchaseOrder.number, WorkOrder.number)
        .join(
            PurchaseOrderLine, PurchaseOrderLine.id == PurchaseOrderLineFlag.purchase_order_line_id
        )
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLineFlag.work_order_id)
        .where(PurchaseOrderLineFlag.resolution.is_(None))
        .order_by(PurchaseOrderLineFlag.id)
        .limit(LIMIT)
    )
    if po_id is not None:
        stmt = stmt.where(PurchaseOrderLine.purchase_order_id == po_id)
    return [
        OpenFlag(
            flag_id=flag.id,
            po_id=line.purchase_order_id,
            po_number=po_number,
            line_no=line.line_no,
            description=line.description,
            still_to_come=quantity(line.qty - line.received_qty),
            uom=line.uom,
            work_order_number=wo_number,
            reason=flag.reason,
        )
        for flag, line, po_number, wo_number in current_session().execute(stmt)
    ]


def po_of_flag(flag_id: int) -> int | None:
    """The PO a flag's line is on (for going back to its page)."""
    return current_session().scalar(
        select(PurchaseOrderLine.purchase_order_id)
        .join(
            PurchaseOrderLineFlag,
            PurchaseOrderLineFlag.purchase_order_line_id == PurchaseOrderLine.id,
        )
        .where(PurchaseOrderLineFlag.id == flag_id)
    )

"""Invariant of the work order's life (issue 13, "lifecycle integrity"): no money stays committed
for cancelled work. A check of the `flask portal check` registry (services/invariants.py).

Stock reserved for finished work is checked with the other stock rules
(services/stock_invariants.reservations_on_open_work).
"""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from portal.domain.labels import label
from portal.domain.statuses import PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineFlag,
    PurchaseRequest,
    WorkOrder,
)
from portal.services.po_line_changes import LIVE_PO

# A request in one of these still asks for money; cancelling its work order must end it.
LIVE_REQUEST = (
    PurchaseRequestStatus.draft,
    PurchaseRequestStatus.submitted,
    PurchaseRequestStatus.approved,
)


def nothing_committed_for_cancelled_work(session: Session) -> list[str]:
    """A cancelled work order leaves no live purchase request, and each of its PO lines still
    on order is flagged to the buyer (who cancels it or diverts it to stock)."""
    found = [
        f"{pr} ({label(status).lower()}) still asks for money for {wo}, which was cancelled"
        for pr, status, wo in session.execute(
            select(PurchaseRequest.number, PurchaseRequest.status, WorkOrder.number)
            .join(WorkOrder, WorkOrder.id == PurchaseRequest.work_order_id)
            .where(
                WorkOrder.status == WorkOrderStatus.cancelled,
                PurchaseRequest.status.in_(LIVE_REQUEST),
            )
            .order_by(PurchaseRequest.number)
        )
    ]
    flagged = select(PurchaseOrderLineFlag.id).where(
        PurchaseOrderLineFlag.purchase_order_line_id == PurchaseOrderLine.id
    )
    found += [
        f"{po} line {line_no} ({what}) is still on order for {wo}, which was cancelled, "
        "and was never flagged to the buyer"
        for po, line_no, what, wo in session.execute(
            select(
                PurchaseOrder.number,
                PurchaseOrderLine.line_no,
                PurchaseOrderLine.description,
                WorkOrder.number,
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .join(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
            .where(
                and_(
                    WorkOrder.status == WorkOrderStatus.cancelled,
                    PurchaseOrder.status.in_(LIVE_PO),
                    PurchaseOrderLine.received_qty < PurchaseOrderLine.qty,
                    ~flagged.exists(),
                )
            )
            .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
        )
    ]
    return found

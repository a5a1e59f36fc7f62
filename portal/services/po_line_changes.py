"""PO lines bought for work that was cancelled: flagged to the buyer, who cancels what is still to
come or diverts the line to stock, with a reason.

`flag_for_cancelled_work` handles `WorkOrderMoved` (listed in services/handlers.py) inside the
cancelling transaction; `resolve_flag` is the buyer's use case. Cancelling a line lowers its
quantity to what was received, so nothing more is committed for cancelled work (the budget's
trigger follows the quantity); diverting it takes the work order off the line, so what arrives
goes into the storeroom instead of onto the cancelled work.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import lifecycle
from portal.domain.errors import DomainError
from portal.domain.events import Event, WorkOrderMoved
from portal.domain.money import line_total, quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ItemKind, LineKind, PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineFlag,
    Storeroom,
    User,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize

# POs whose lines may still bring goods or commit money.
LIVE_PO = (
    PurchaseOrderStatus.draft,
    PurchaseOrderStatus.approved,
    PurchaseOrderStatus.issued,
    PurchaseOrderStatus.partially_received,
)


def flag_for_cancelled_work(session: Session, event: Event) -> None:
    """WorkOrderMoved to cancelled: each open PO line for it is flagged to the buyer (once)."""
    assert isinstance(event, WorkOrderMoved)
    if event.after != WorkOrderStatus.cancelled.value:
        return
    already = select(PurchaseOrderLineFlag.purchase_order_line_id).where(
        PurchaseOrderLineFlag.resolution.is_(None)
    )
    rows = session.execute(
        select(PurchaseOrderLine, PurchaseOrder.number)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.work_order_id == event.work_order_id,
            PurchaseOrder.status.in_(LIVE_PO),
            PurchaseOrderLine.received_qty < PurchaseOrderLine.qty,
            PurchaseOrderLine.id.not_in(already),
        )
        .order_by(PurchaseOrderLine.id)
    ).all()
    if not rows:
        return
    wo = session.get(WorkOrder, event.work_order_id)
    assert wo is not None  # the event's work order was just moved
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    reason = f"{wo.number} was cancelled: {event.reason or 'no reason given'}"[:1000]
    for line, po_number in rows:
        flag = PurchaseOrderLineFlag(
            purchase_order_line_id=line.id,
            work_order_id=wo.id,
            reason=reason,
            raised_at=utcnow(),
            raised_by_id=event.actor_id,
        )
        session.add(flag)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="purchase_order_line.flagged",
            subject=flag,
            subject_label=f"{po_number} line {line.line_no}",
            changes={
                "purchase_order_line_id": line.id,
                "still_to_come": quantity(line.qty - line.received_qty),
            },
            why=reason,
        )


@submitted_once("resolve_po_line_flag")
def resolve_flag(
    flag_id: int,
    *,
    resolution: str,
    reason: str | None,
    actor: User,
    submission_id: str | None = None,
) -> PurchaseOrderLineFlag:
    """The buyer cancels what is still to come on the flagged line, or diverts it to stock."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        flag = locked(
            session, PurchaseOrderLineFlag, flag_id, missing=f"Flag {flag_id} does not exist."
        )
        if flag.resolution is not None:
            raise DomainError(f"This line was already {flag.resolution}: reload the page.")
        line = locked(session, PurchaseOrderLine, flag.purchase_order_line_id)
        po = session.get(PurchaseOrder, line.purchase_order_id)
        assert po is not None  # a foreign key: the line's PO exists
        item = session.get(Item, line.item_id) if line.item_id is not None else None
        chosen, why = lifecycle.check_resolution(
            resolution,
            reason=reason,
            still_to_come=quantity(line.qty - line.received_qty),
            stockable=line.kind is LineKind.goods
            and item is not None
            and item.kind is not ItemKind.service,
        )
        if chosen is lifecycle.FlagResolution.cancelled:
            changes = _cancel_rest(line)
        else:
            changes = _divert(session, line, po)
        flag.resolution = chosen.value
        flag.resolution_reason = why
        flag.resolved_by_id = actor.id
        flag.resolved_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=f"purchase_order_line.{chosen.value}",
            subject=line,
            subject_label=f"{po.number} line {line.line_no}",
            changes={"flag_id": flag.id, **changes},
            why=why,
        )
    return flag


def _cancel_rest(line: PurchaseOrderLine) -> dict:
    """What is still to come on the line is cancelled: its quantity becomes what was received."""
    before_qty = line.qty
    before_amount = line_total(line.qty, line.unit_price, line.discount_percent)
    line.qty = quantity(line.received_qty)
    line.backorder_qty = quantity(0)
    return {
        "qty": [before_qty, line.qty],
        "amount": [before_amount, line_total(line.qty, line.unit_price, line.discount_percent)],
    }


def _divert(session: Session, line: PurchaseOrderLine, po: PurchaseOrder) -> dict:
    """The line goes to stock: no work order any more, a storeroom of the work's site to go to."""
    wo = session.get(WorkOrder, line.work_order_id) if line.work_order_id is not None else None
    storeroom_id = line.storeroom_id
    if storeroom_id is None and wo is not None:
        storeroom_id = session.scalar(
            select(Storeroom.id)
            .where(Storeroom.site_id == wo.site_id)
            .order_by(Storeroom.id)
            .limit(1)
        )
    if storeroom_id is None:
        raise DomainError(
            f"No storeroom to send {po.number} line {line.line_no} to: cancel the line instead."
        )
    before = {"work_order_id": line.work_order_id, "storeroom_id": line.storeroom_id}
    line.work_order_id = None
    line.storeroom_id = storeroom_id
    return {
        "work_order_id": [before["work_order_id"], None],
        "storeroom_id": [before["storeroom_id"], storeroom_id],
    }

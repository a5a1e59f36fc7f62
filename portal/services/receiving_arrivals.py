"""What a goods receipt sets off for work orders: the parts bought for them are issued to them.

`issue_arrivals` handles `GoodsReceived` (listed in `portal/services/handlers.py`), inside the
receipt's transaction. What arrived for a work order's part line is issued to it at once (the
same `parts.issue_to_line` as issuing from the storeroom), the work order gets a comment naming
what arrived, and `PartsArrived` says so to whoever moves work orders; when it was the last
part, the audit trail says `work_order.parts_arrived` (the technician's home card reads it).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import parts as part_rules
from portal.domain import receiving as rules
from portal.domain.events import Event, GoodsReceived, PartsArrived
from portal.domain.labels import label
from portal.domain.money import format_money, format_qty
from portal.domain.statuses import PartLineStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    PartLine,
    PurchaseOrderLine,
    PurchaseRequestLine,
    User,
    WorkOrder,
    WorkOrderComment,
)
from portal.services import audit, parts, stock
from portal.services.messagebus import publish
from portal.services.receiving import goes_to_stock, lock_work_order_parts

_OVER = (WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled)
# Where the work order stands once the PartsArrived handlers have run (however they moved it).
_STATUS_OF = select(WorkOrder.status).where(WorkOrder.id == bindparam("wo_id"))


def issue_arrivals(session: Session, event: Event) -> None:
    """On a goods receipt: issue what arrived for work orders' part lines to them."""
    assert isinstance(event, GoodsReceived)
    receipt = session.get(GoodsReceipt, event.goods_receipt_id)
    if receipt is None:
        return
    actor = session.get(User, event.actor_id or receipt.received_by_id)
    if actor is None:
        return
    issue_to_work_orders(session, receipt, actor)


def _part_lines_for(
    session: Session, receipt: GoodsReceipt
) -> list[tuple[GoodsReceiptLine, PurchaseOrderLine, int]]:
    """(receipt line, PO line, part line id) for every line bought for a work order's part."""
    rows = session.execute(
        select(GoodsReceiptLine, PurchaseOrderLine, PurchaseRequestLine.part_line_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.purchase_order_line_id)
        .join(
            PurchaseRequestLine,
            PurchaseRequestLine.id == PurchaseOrderLine.purchase_request_line_id,
        )
        .where(
            GoodsReceiptLine.goods_receipt_id == receipt.id,
            GoodsReceiptLine.accepted_qty > 0,
            PurchaseRequestLine.part_line_id.is_not(None),
        )
        .order_by(PurchaseRequestLine.part_line_id)
    )
    return [
        (gr_line, po_line, part_line_id) for gr_line, po_line, part_line_id in rows if part_line_id
    ]


def issue_to_work_orders(session: Session, receipt: GoodsReceipt, actor: User) -> list[int]:
    """Issue what arrived for work orders' part lines; return the ids of the WOs that got parts."""
    found = _part_lines_for(session, receipt)
    if not found:
        return []
    # Work orders, then part lines, in id order: the order the parts service locks them in
    # (the receipt took these locks already, before any stock; taking them again is free).
    held = lock_work_order_parts(
        session, [po_line.purchase_request_line_id for _g, po_line, _p in found]
    )
    # Their items in one query, not one lazy load per line.
    item_ids = {pl.item_id for pl in held.part_lines.values()}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    for part_line in held.part_lines.values():
        set_committed_value(part_line, "item", items.get(part_line.item_id))
    got: dict[int, list[str]] = {}
    for gr_line, po_line, pl_id in found:
        part_line = held.part_lines[pl_id]
        wo = held.orders[part_line.work_order_id]
        text = _issue_on_arrival(session, receipt, gr_line, po_line, part_line, wo, actor)
        if text:
            got.setdefault(wo.id, []).append(text)
    for wo_id, texts in got.items():
        _tell_work_order(session, held.orders[wo_id], receipt, texts, actor)
    return list(got)


def _issue_on_arrival(
    session: Session,
    receipt: GoodsReceipt,
    gr_line: GoodsReceiptLine,
    po_line: PurchaseOrderLine,
    part_line: PartLine,
    wo: WorkOrder,
    actor: User,
) -> str | None:
    """Issue the arrived quantity the part line still lacks; its cost lands on the work order."""
    if wo.status in _OVER or part_line.status is PartLineStatus.cancelled:
        return None  # the work is over: what arrived stays in the storeroom
    qty = rules.issue_on_arrival(
        gr_line.accepted_qty, part_line.needed_qty, part_line.reserved_qty, part_line.issued_qty
    )
    if qty <= 0:
        return None
    item = part_line.item
    price = rules.net_unit_price(po_line.unit_price, po_line.discount_percent)
    taken = []
    if gr_line.storeroom_id is not None and goes_to_stock(po_line, item):
        taken.append(
            stock.take_out(
                session,
                qty,
                level=stock.level_of(item.id, gr_line.storeroom_id),
                reserved=False,
                line=part_line,
                actor=actor,
                unit_cost=price,
                goods_receipt_line_id=gr_line.id,
                refused=f"The stock record of {item.part_number} does not hold what just "
                "arrived: ask the storekeeper to count it.",
            )
        )
    cost = part_rules.issue_cost(qty, price)
    parts.issue_to_line(
        session,
        part_line,
        wo,
        qty=qty,
        taken=taken,
        covers="requested_qty",
        actor=actor,
        why=f"Arrived on {receipt.number} for {wo.number}",
        cost=cost,
        more={"goods_receipt": receipt.number},
    )
    return f"{format_qty(qty)} {item.uom} {item.part_number} ({format_money(cost)})"


def _all_arrived(session: Session, wo: WorkOrder) -> bool:
    """True when the work order lacks nothing it asked for (nothing missing, nothing on order)."""
    lines = session.scalars(select(PartLine).where(PartLine.work_order_id == wo.id))
    return rules.all_parts_arrived(
        [
            rules.PartNeed(
                needed=pl.needed_qty,
                reserved=pl.reserved_qty,
                issued=pl.issued_qty,
                requested=pl.requested_qty,
                cancelled=pl.status is PartLineStatus.cancelled,
            )
            for pl in lines
        ]
    )


def _tell_work_order(
    session: Session, wo: WorkOrder, receipt: GoodsReceipt, texts: list[str], actor: User
) -> None:
    """Say on the work order what arrived; say `PartsArrived` to whoever moves work orders."""
    arrived = _all_arrived(session, wo)
    before = wo.status
    publish(session, PartsArrived(wo.id, receipt.id, arrived, actor.id))
    session.flush()
    now = WorkOrderStatus(session.scalars(_STATUS_OF, {"wo_id": wo.id}).one())
    body = f"Parts arrived on {receipt.number}: {', '.join(texts)}; issued to this work order."
    if arrived and before is WorkOrderStatus.waiting_parts and now is not before:
        body += f" All parts are here: the work order is {label(now).lower()} again."
    if arrived:
        audit.record(
            session,
            actor=actor,
            action=rules.PARTS_ARRIVED,
            subject=wo,
            changes={"status": now},
            why=receipt.number,
        )
    session.add(WorkOrderComment(work_order_id=wo.id, author_id=actor.id, body=body))

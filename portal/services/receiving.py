"""Goods receipt: what arrived on a purchase order, and where it went.

A receipt is one transaction. The PO row is locked first, so receipts of one PO queue up and
each sees the quantities the one before it left; the received quantity of every line still
moves by a conditional UPDATE whose WHERE clause re-checks the limit (ordered plus tolerance)
and whose row count says whether it happened, so no two receipts can ever take a line past it.
Lock order: PO, work orders, part lines, stock levels (the parts service takes WO, part line,
stock in that order too), so receipts and parts actions never wait on each other in a circle.

The receipt publishes `GoodsReceived` inside its transaction; what follows (parts issued to the
work orders that waited for them, held invoices matched again) are that event's handlers
(`portal/services/handlers.py`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from flask import current_app, has_app_context
from sqlalchemy import Table, func, literal, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import receiving as rules
from portal.domain.errors import NotAllowed
from portal.domain.events import GoodsReceived
from portal.domain.money import quantity
from portal.domain.numbering import Sequence
from portal.domain.permissions import Capability as C
from portal.domain.receiving import ReceiptRefused
from portal.domain.uploads import Photo
from portal.models import (
    Attachment,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    User,
    WorkOrder,
)
from portal.models.base import Quantity, utcnow
from portal.read_models.receiving import assignees_of, may_handle_line
from portal.services import audit, stock
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.messagebus import publish
from portal.services.numbering import next_number
from portal.services.photos import prepare_photo

ZERO = Decimal("0")
_po_line = cast(Table, PurchaseOrderLine.__table__)  # a mapped class's table is a Table


@dataclass(frozen=True)
class LineReceipt:
    """What the receiver says arrived on one PO line."""

    po_line_id: int
    accepted: Decimal
    rejected: Decimal = ZERO
    reason: str | None = None


@dataclass(frozen=True)
class _Delivery:
    """A receipt's header as typed, checked for shape."""

    packing_slip_ref: str | None
    photo: Photo | None  # the packing slip, re-encoded
    note: str | None


def tolerance_percent() -> Decimal:
    """The configured over-receipt tolerance in percent (0 outside an app)."""
    if not has_app_context():
        return ZERO
    value = current_app.config.get("RECEIPT_OVER_TOLERANCE_PERCENT", ZERO)
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def _clean_lines(lines: Iterable[LineReceipt | tuple]) -> list[LineReceipt]:
    """The receiver's lines as LineReceipt, checked for shape: numbers, one entry per line."""
    cleaned: list[LineReceipt] = []
    seen: set[int] = set()
    for entry in lines:
        if not isinstance(entry, LineReceipt):
            po_line_id, accepted, rejected, reason = entry
            entry = LineReceipt(int(po_line_id), accepted, rejected, reason)
        try:
            accepted = rules.parse_receipt_qty(entry.accepted)
            rejected = rules.parse_receipt_qty(entry.rejected)
        except ReceiptRefused as err:
            raise rules.BadReceiptQuantity(str(err), po_line_id=entry.po_line_id) from None
        reason = (entry.reason or "").strip()[:200] or None
        if entry.po_line_id in seen:
            raise ReceiptRefused(
                "The same line was entered twice: enter each line once.",
                po_line_id=entry.po_line_id,
            )
        seen.add(entry.po_line_id)
        cleaned.append(LineReceipt(entry.po_line_id, accepted, rejected, reason))
    if not cleaned:
        raise ReceiptRefused("Enter what arrived on at least one line.")
    return cleaned


def record_receipt(
    po_id: int,
    *,
    lines: Iterable[LineReceipt | tuple],
    receiver: User,
    submission_id: str | None,
    packing_slip_ref: str | None = None,
    packing_slip_photo: tuple[bytes, str] | None = None,
    note: str | None = None,
    tolerance: Decimal | None = None,
) -> GoodsReceipt:
    """Record one delivery on a PO in one transaction; the same submission_id gives one receipt.

    `lines` is a list of LineReceipt or (po_line_id, accepted, rejected, reason) tuples.
    """
    cleaned = _clean_lines(lines)
    photo = None
    if packing_slip_photo is not None:
        data, filename = packing_slip_photo
        photo = prepare_photo(data, filename or "packing-slip")  # UploadRefused in words
    delivery = _Delivery(
        packing_slip_ref=(packing_slip_ref or "").strip()[:80] or None,
        photo=photo,
        note=(note or "").strip()[:1000] or None,
    )
    return _record(
        po_id,
        cleaned,
        delivery,
        tolerance_percent() if tolerance is None else tolerance,
        actor=receiver,
        submission_id=submission_id,
    )


@submitted_once("goods_receipt")
def _record(
    po_id: int,
    cleaned: list[LineReceipt],
    delivery: _Delivery,
    tolerance: Decimal,
    *,
    actor: User,
    submission_id: str | None = None,  # the form's: submitted_once does the receipt once
) -> GoodsReceipt:
    """The receipt and what it sets off, in one unit of work; once per submission."""
    authorize(actor, C.receive_goods)
    with unit_of_work() as session:
        # The PO lock first: receipts of one PO queue here.
        po = locked(
            session, PurchaseOrder, po_id, missing=f"Purchase order {po_id} does not exist."
        )
        receipt = _receive(session, po, cleaned, delivery, tolerance, receiver=actor)
        publish(session, GoodsReceived(receipt.id, po.id, actor.id))
        return receipt


def _chosen_lines(
    session: Session, po: PurchaseOrder, cleaned: list[LineReceipt], receiver: User
) -> dict[int, PurchaseOrderLine]:
    """Every line of the PO by id, once each entered line is known to be on it and the receiver
    may receive it (a technician: only lines bought for their own work orders)."""
    po_lines = {
        line.id: line
        for line in session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == po.id)
            .order_by(PurchaseOrderLine.line_no)
        )
    }
    for entry in cleaned:
        if entry.po_line_id not in po_lines:
            raise ReceiptRefused(
                f"That line is not on {po.number}: reload the page and try again.",
                po_line_id=entry.po_line_id,
            )
    chosen = [po_lines[e.po_line_id] for e in cleaned]
    assignees = assignees_of(session, (line.work_order_id for line in chosen))
    for line in chosen:
        if not may_handle_line(receiver, C.receive_goods, line, assignees):
            raise NotAllowed(
                f"Line {line.line_no} is not for one of your work orders: "
                "a storekeeper receives it."
            )
    return po_lines


def _new_receipt(
    session: Session, po: PurchaseOrder, delivery: _Delivery, receiver: User
) -> GoodsReceipt:
    """The receipt's header, numbered, with the packing slip photo if one was taken."""
    receipt = GoodsReceipt(
        number=next_number(session, Sequence.goods_receipt),
        purchase_order_id=po.id,
        received_by_id=receiver.id,
        received_at=utcnow(),
        packing_slip_ref=delivery.packing_slip_ref,
        note=delivery.note,
    )
    session.add(receipt)
    session.flush()
    if delivery.photo is not None:
        session.add(
            Attachment.of_photo(
                delivery.photo, goods_receipt_id=receipt.id, uploaded_by_id=receiver.id
            )
        )
    return receipt


def _receive(
    session: Session,
    po: PurchaseOrder,
    cleaned: list[LineReceipt],
    delivery: _Delivery,
    tolerance: Decimal,
    *,
    receiver: User,
) -> GoodsReceipt:
    """Check every line, move the quantities, put stock away and write the receipt."""
    rules.check_po_receivable(po.status, po.number)
    po_lines = _chosen_lines(session, po, cleaned, receiver)
    chosen = [po_lines[e.po_line_id] for e in cleaned]
    lock_work_order_parts(session, [line.purchase_request_line_id for line in chosen])
    for entry in cleaned:
        line = po_lines[entry.po_line_id]
        _check_line(line, entry, tolerance, received=line.received_qty)
    receipt = _new_receipt(session, po, delivery, receiver)
    item_ids = {line.item_id for line in chosen if line.item_id}
    items = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    changes = [
        _receive_line(
            session, receipt, po_lines[e.po_line_id], e, items, tolerance, receiver=receiver
        )
        for e in cleaned
    ]
    _audit_receipt(session, po, receipt, list(po_lines.values()), changes, delivery, receiver)
    return receipt


def _receive_line(
    session: Session,
    receipt: GoodsReceipt,
    line: PurchaseOrderLine,
    entry: LineReceipt,
    items: dict[int, Item],
    tolerance: Decimal,
    *,
    receiver: User,
) -> dict:
    """One line of the receipt: quantities moved, receipt line written, stock put away, any
    rejection audited; what changed on the line, for the receipt's audit event."""
    before = (line.received_qty, line.rejected_qty, line.backorder_qty)
    _move_line_quantities(session, line, entry, tolerance)
    gr_line = GoodsReceiptLine(
        goods_receipt_id=receipt.id,
        purchase_order_line_id=line.id,
        accepted_qty=entry.accepted,
        rejected_qty=entry.rejected,
        reject_reason=entry.reason if entry.rejected > 0 else None,
        storeroom_id=line.storeroom_id,
    )
    session.add(gr_line)
    session.flush()
    item = items.get(line.item_id) if line.item_id else None
    if entry.accepted > 0 and item is not None and goes_to_stock(line, item):
        price = rules.net_unit_price(line.unit_price, line.discount_percent)
        stock.put_away(session, gr_line, item, entry.accepted, price=price, actor=receiver)
    if entry.rejected > 0:
        audit.record(
            session,
            actor=receiver,
            action="goods_receipt.rejected",
            subject=receipt,
            changes={
                "line_no": line.line_no,
                "description": line.description,
                "rejected_qty": entry.rejected,
            },
            why=entry.reason,
        )
    return {
        "line_no": line.line_no,
        "accepted_qty": entry.accepted,
        "rejected_qty": entry.rejected,
        "received_qty": [before[0], line.received_qty],
        "rejected_total": [before[1], line.rejected_qty],
        "backorder_qty": [before[2], line.backorder_qty],
    }


def _audit_receipt(
    session: Session,
    po: PurchaseOrder,
    receipt: GoodsReceipt,
    po_lines: list[PurchaseOrderLine],
    changes: list[dict],
    delivery: _Delivery,
    receiver: User,
) -> None:
    """The PO's status after the receipt, and the receipt's audit events."""
    status_before = po.status
    po.status = rules.po_status_after(po.status, [(ln.qty, ln.received_qty) for ln in po_lines])
    slip = delivery.packing_slip_ref
    audit.record(
        session,
        actor=receiver,
        action="goods_receipt.recorded",
        subject=receipt,
        changes={"purchase_order": po.number, "packing_slip_ref": [None, slip], "lines": changes},
        why=delivery.note or (f"Packing slip {slip}" if slip else None),
    )
    if po.status != status_before:
        audit.record(
            session,
            actor=receiver,
            action="purchase_order.status_changed",
            subject=po,
            changes={"status": [status_before, po.status]},
            why=f"Goods receipt {receipt.number}",
        )


@dataclass
class LockedParts:
    """The work orders and part lines a transaction has locked (and read since), by id."""

    orders: dict[int, WorkOrder] = field(default_factory=dict)
    part_lines: dict[int, PartLine] = field(default_factory=dict)


def lock_work_order_parts(session: Session, pr_line_ids: Iterable[int | None]) -> LockedParts:
    """Lock the work orders and part lines these PO lines were bought for, before any stock.

    Work orders, then part lines, each in id order, then stock levels: the parts service's
    lock order too. Locking a row twice in one transaction is harmless.
    """
    found = LockedParts()
    wanted = [i for i in pr_line_ids if i is not None]
    if not wanted:
        return found
    rows = session.execute(
        select(PartLine.work_order_id, PartLine.id)
        .join(PurchaseRequestLine, PurchaseRequestLine.part_line_id == PartLine.id)
        .where(PurchaseRequestLine.id.in_(wanted))
    ).all()
    for wo_id in sorted({r[0] for r in rows}):
        found.orders[wo_id] = locked(session, WorkOrder, wo_id)
    for part_line_id in sorted({r[1] for r in rows}):
        found.part_lines[part_line_id] = locked(session, PartLine, part_line_id)
    return found


def _check_line(
    line: PurchaseOrderLine, entry: LineReceipt, tolerance: Decimal, *, received: Decimal
) -> None:
    """ReceiptRefused, in words naming the line, unless this entry may be received on it."""
    rules.check_line_receipt(
        line.line_no,
        ordered=line.qty,
        received=received,
        accepted=entry.accepted,
        rejected=entry.rejected,
        reason=entry.reason,
        tolerance_percent=tolerance,
        po_line_id=line.id,
    )


def _move_line_quantities(
    session: Session, line: PurchaseOrderLine, entry: LineReceipt, tolerance: Decimal
) -> None:
    """Add to the line's received and rejected quantities, never past its limit."""
    c = _po_line.c
    accepted = literal(entry.accepted, Quantity)
    limit = literal(rules.receipt_limit(line.qty, tolerance), Quantity)
    row = session.execute(
        update(_po_line)
        .where(c.id == line.id, func.round(c.received_qty + accepted, 3) <= limit)
        .values(
            received_qty=func.round(c.received_qty + accepted, 3),
            rejected_qty=func.round(c.rejected_qty + literal(entry.rejected, Quantity), 3),
        )
        .returning(c.received_qty, c.rejected_qty)
    ).one_or_none()
    if row is None:
        # Someone else's receipt got there first; say what is left in the same words.
        now = quantity(session.scalars(select(c.received_qty).where(c.id == line.id)).one())
        _check_line(line, entry, tolerance, received=now)
        raise rules.OverReceipt(
            f"Line {line.line_no} changed while you were entering it: reload and check it.",
            po_line_id=line.id,
        )
    received = quantity(row.received_qty)
    set_committed_value(line, "received_qty", received)
    set_committed_value(line, "rejected_qty", quantity(row.rejected_qty))
    line.backorder_qty = rules.open_qty(line.qty, received)


def goes_to_stock(line: PurchaseOrderLine, item: Item | None) -> bool:
    """Goods lines of a part or material with a storeroom to go to; services never do."""
    return rules.goes_to_stock(line.kind, item.kind if item else None, line.storeroom_id)

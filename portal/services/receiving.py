"""Goods receipt: what arrived on a purchase order, where it went, and who now has their parts.

A receipt is one transaction. The PO row is locked first, so receipts of one PO queue up and
each sees the quantities the one before it left; the received quantity of every line still
moves by a conditional UPDATE whose WHERE clause re-checks the limit (ordered plus tolerance)
and whose row count says whether it happened, so no two receipts can ever take a line past it.
Lock order: PO, work orders, part lines, stock levels (the parts service takes WO, part line,
stock in that order too), so receipts and parts actions never wait on each other in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import parts as part_rules
from portal.domain import receiving as rules
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.money import format_money, format_qty, quantity
from portal.domain.numbering import Sequence
from portal.domain.receiving import ReceiptRefused
from portal.domain.roles import Role
from portal.domain.statuses import (
    ItemKind,
    LineKind,
    MovementKind,
    PartLineStatus,
    PurchaseOrderStatus,
)
from portal.domain.uploads import check_photo
from portal.domain.work_orders import STATUS_LABELS, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Attachment,
    AuditEvent,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    StockLevel,
    StockMovement,
    Storeroom,
    User,
    Vendor,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
)
from portal.models.base import Quantity, utcnow
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work
from portal.services.numbering import next_number
from portal.services.parts import line_label as part_line_label
from portal.services.parts import lock_row, restatus

ZERO = Decimal("0")
EXPECTED_LIMIT = 60  # lines on the landing page; more than a dock sees in a day
ARRIVED_DAYS = 7  # how long the "parts arrived" card stays on a technician's home page
ARRIVED_LIMIT = 5
RECEIVERS = (Role.storekeeper, Role.buyer)  # receive anything; technicians: their WOs' parts
PARTS_ARRIVED = "work_order.parts_arrived"
_po_line = PurchaseOrderLine.__table__
_stock = StockLevel.__table__


@dataclass(frozen=True)
class LineReceipt:
    """What the receiver says arrived on one PO line."""

    po_line_id: int
    accepted: Decimal
    rejected: Decimal = ZERO
    reason: str | None = None


# ---------------------------------------------------------------- who may receive


def receives_everything(user: User) -> bool:
    """Storekeepers, buyers and admins receive any PO line."""
    return user.has_role(*RECEIVERS)


def _visible_lines(lines: list[PurchaseOrderLine], user: User, assignees: dict[int, int | None]):
    """The PO lines this user may receive: all of them, or those of the technician's own WOs."""
    if receives_everything(user):
        return list(lines)
    return [
        line
        for line in lines
        if line.work_order_id is not None and assignees.get(line.work_order_id) == user.id
    ]


def _assignees(session: Session, wo_ids: set[int]) -> dict[int, int | None]:
    """Work order id -> assigned user id, in one query."""
    if not wo_ids:
        return {}
    return dict(
        session.execute(
            select(WorkOrder.id, WorkOrder.assignee_user_id).where(WorkOrder.id.in_(wo_ids))
        ).all()
    )


# ---------------------------------------------------------------- reads for pages


@dataclass
class ExpectedLine:
    """One open PO line expected on or before the day."""

    po_id: int
    po_number: str
    line_no: int
    description: str
    open_qty: Decimal
    uom: str
    expected_on: date
    wo_number: str | None


@dataclass
class VendorDeliveries:
    """The open lines one vendor should have delivered, grouped for the dock."""

    vendor: str
    lines: list[ExpectedLine] = field(default_factory=list)


@dataclass
class ExpectedBoard:
    """The landing page: what is due today, and what is late, by vendor."""

    day: date
    today: list[VendorDeliveries]
    overdue: list[VendorDeliveries]
    more: bool  # the list was cut at EXPECTED_LIMIT lines


def _group(lines: list[ExpectedLine], vendors: list[str]) -> list[VendorDeliveries]:
    """Lines grouped by vendor, in the order the vendors first appear."""
    groups: dict[str, VendorDeliveries] = {}
    for line, vendor in zip(lines, vendors, strict=True):
        groups.setdefault(vendor, VendorDeliveries(vendor)).lines.append(line)
    return list(groups.values())


def expected(
    day: date, *, viewer: User | None = None, limit: int = EXPECTED_LIMIT
) -> ExpectedBoard:
    """Open lines of issued POs expected on or before `day`, by vendor; one bounded query."""
    receivable = [s.value for s in rules.RECEIVABLE]
    # Start from the lines still to come that are due by the day (a partial index holds only
    # open lines), not from every line of every issued PO: the planner would pick the PO
    # status index otherwise and read all lines of all POs being received.
    due = aliased(PurchaseOrderLine)
    due_ids = select(due.id).where(due.expected_on <= day, due.received_qty < due.qty)
    stmt = (
        select(PurchaseOrderLine, PurchaseOrder.number, Vendor.name, WorkOrder.number)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .where(PurchaseOrderLine.id.in_(due_ids), PurchaseOrder.status.in_(receivable))
        .order_by(
            PurchaseOrderLine.expected_on.desc(),
            Vendor.name,
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
        )
        .limit(limit + 1)
    )
    if viewer is not None and not receives_everything(viewer):
        stmt = stmt.where(WorkOrder.assignee_user_id == viewer.id)
    rows = db.session.execute(stmt).all()
    more = len(rows) > limit
    today, today_vendors, late, late_vendors = [], [], [], []
    for po_line, po_number, vendor, wo_number in rows[:limit]:
        line = ExpectedLine(
            po_id=po_line.purchase_order_id,
            po_number=po_number,
            line_no=po_line.line_no,
            description=po_line.description,
            open_qty=rules.open_qty(po_line.qty, po_line.received_qty),
            uom=po_line.uom,
            expected_on=po_line.expected_on,
            wo_number=wo_number,
        )
        if po_line.expected_on == day:
            today.append(line)
            today_vendors.append(vendor)
        else:
            late.append(line)
            late_vendors.append(vendor)
    return ExpectedBoard(
        day=day,
        today=_group(today, today_vendors),
        overdue=_group(late, late_vendors),
        more=more,
    )


def find_po(code: str | None) -> PurchaseOrder | None:
    """The PO a scanned or typed number names (case, spaces and zeros forgiven), or None."""
    number = rules.normalise_po_number(code)
    if number is None:
        return None
    return db.session.scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))


@dataclass
class OpenLine:
    """One PO line on the receipt page: what was ordered, what came, what is still to come."""

    line: PurchaseOrderLine
    wo_number: str | None
    storeroom: str | None

    @property
    def open_qty(self) -> Decimal:
        """Still to come."""
        return rules.open_qty(self.line.qty, self.line.received_qty)


@dataclass
class ReceiptPage:
    """A PO as the receiver sees it: header, the lines still open, and earlier receipts."""

    po: PurchaseOrder
    vendor: str
    lines: list[OpenLine]
    receivable: bool
    receipts: list[GoodsReceipt]
    hidden_lines: int  # lines this person may not receive (a technician: other people's WOs)


def receipt_page(po_id: int, *, viewer: User) -> ReceiptPage | None:
    """The PO receipt page's data in four queries, or None if there is no such PO."""
    session = db.session
    po = session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == po_id)
        .options(joinedload(PurchaseOrder.vendor))
    )
    if po is None:
        return None
    rows = session.execute(
        select(PurchaseOrderLine, WorkOrder.number, WorkOrder.assignee_user_id, Storeroom.name)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .outerjoin(Storeroom, Storeroom.id == PurchaseOrderLine.storeroom_id)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    assignees = {line.work_order_id: assignee for line, _n, assignee, _s in rows}
    visible = {line.id for line in _visible_lines([r[0] for r in rows], viewer, assignees)}
    lines = [
        OpenLine(line, wo_number, store)
        for line, wo_number, _assignee, store in rows
        if line.id in visible and rules.open_qty(line.qty, line.received_qty) > 0
    ]
    receipts = list(
        session.scalars(
            select(GoodsReceipt)
            .where(GoodsReceipt.purchase_order_id == po.id)
            .order_by(GoodsReceipt.id.desc())
            .limit(20)
        )
    )
    return ReceiptPage(
        po=po,
        vendor=po.vendor.name,
        lines=lines,
        receivable=po.status in rules.RECEIVABLE,
        receipts=receipts,
        hidden_lines=len(rows) - len(visible),
    )


@dataclass
class ReceivedLine:
    """One line of a finished receipt: what was taken, what went back, where it went."""

    line_no: int
    description: str
    uom: str
    accepted: Decimal
    rejected: Decimal
    reason: str | None
    storeroom: str | None
    backorder: Decimal
    issued: list[tuple[str, Decimal, Decimal]] = field(default_factory=list)  # WO, qty, cost


@dataclass
class WorkOrderUpdate:
    """A work order that got parts from this receipt, and where it stands now."""

    wo_id: int
    number: str
    title: str
    status: WorkOrderStatus
    all_arrived: bool

    @property
    def status_label(self) -> str:
        """The status in words."""
        return STATUS_LABELS[self.status]


@dataclass
class ReceiptSummary:
    """The page after a receipt: GR number, what went where, which WOs were updated."""

    receipt: GoodsReceipt
    po: PurchaseOrder
    receiver: str
    lines: list[ReceivedLine]
    work_orders: list[WorkOrderUpdate]
    photo_id: int | None


def receipt_summary(receipt_id: int) -> ReceiptSummary | None:
    """A finished receipt for its page, in six queries whatever its size; None if unknown."""
    session = db.session
    receipt = session.get(GoodsReceipt, receipt_id)
    if receipt is None:
        return None
    po = session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == receipt.purchase_order_id)
        .options(joinedload(PurchaseOrder.vendor))
    )
    receiver = session.scalar(select(User.full_name).where(User.id == receipt.received_by_id))
    rows = session.execute(
        select(GoodsReceiptLine, PurchaseOrderLine, Storeroom.name)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.purchase_order_line_id)
        .outerjoin(Storeroom, Storeroom.id == GoodsReceiptLine.storeroom_id)
        .where(GoodsReceiptLine.goods_receipt_id == receipt.id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    issues: dict[int, list[tuple[str, Decimal, Decimal]]] = {}
    wo_ids: list[int] = []
    for gr_line_id, wo_id, wo_number, qty, unit_cost in session.execute(
        select(
            StockMovement.goods_receipt_line_id,
            WorkOrder.id,
            WorkOrder.number,
            StockMovement.qty,
            StockMovement.unit_cost,
        )
        .join(WorkOrder, WorkOrder.id == StockMovement.work_order_id)
        .join(GoodsReceiptLine, GoodsReceiptLine.id == StockMovement.goods_receipt_line_id)
        .where(
            GoodsReceiptLine.goods_receipt_id == receipt.id,
            StockMovement.kind == MovementKind.issue.value,
        )
        .order_by(StockMovement.id)
    ):
        issued = -qty
        issues.setdefault(gr_line_id, []).append(
            (wo_number, issued, part_rules.issue_cost(issued, unit_cost))
        )
        if wo_id not in wo_ids:
            wo_ids.append(wo_id)
    lines = [
        ReceivedLine(
            line_no=po_line.line_no,
            description=po_line.description,
            uom=po_line.uom,
            accepted=gr_line.accepted_qty,
            rejected=gr_line.rejected_qty,
            reason=gr_line.reject_reason,
            storeroom=store,
            backorder=po_line.backorder_qty,
            issued=issues.get(gr_line.id, []),
        )
        for gr_line, po_line, store in rows
    ]
    arrived = set(
        session.scalars(
            select(AuditEvent.subject_id).where(
                AuditEvent.action == PARTS_ARRIVED,
                AuditEvent.subject_type == "WorkOrder",
                AuditEvent.subject_id.in_(wo_ids),
                AuditEvent.why == receipt.number,
            )
        )
    )
    orders = {
        wo.id: wo for wo in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(wo_ids)))
    }
    updates = [
        WorkOrderUpdate(
            wo_id=wo_id,
            number=orders[wo_id].number,
            title=orders[wo_id].title,
            status=orders[wo_id].status,
            all_arrived=wo_id in arrived,
        )
        for wo_id in wo_ids
    ]
    photo_id = session.scalar(
        select(Attachment.id).where(Attachment.goods_receipt_id == receipt.id).limit(1)
    )
    return ReceiptSummary(
        receipt=receipt,
        po=po,
        receiver=receiver or "",
        lines=lines,
        work_orders=updates,
        photo_id=photo_id,
    )


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
    rows = db.session.execute(
        select(WorkOrder.id, WorkOrder.number, WorkOrder.title, func.max(AuditEvent.at))
        .join(AuditEvent, AuditEvent.subject_id == WorkOrder.id)
        .where(
            AuditEvent.action == PARTS_ARRIVED,
            AuditEvent.subject_type == "WorkOrder",
            AuditEvent.at >= since,
            WorkOrder.assignee_user_id == user.id,
            WorkOrder.is_open == 1,
            WorkOrder.status != WorkOrderStatus.waiting_parts.value,
        )
        .group_by(WorkOrder.id, WorkOrder.number, WorkOrder.title)
        .order_by(func.max(AuditEvent.at).desc(), WorkOrder.id.desc())
        .limit(ARRIVED_LIMIT)
    ).all()
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
    rows = db.session.execute(
        select(PurchaseOrderLine, PurchaseOrder.number, PurchaseOrder.status, Vendor.name)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .where(PurchaseOrderLine.work_order_id == wo_id, PurchaseOrder.status.in_(shown))
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
        .limit(limit)
    ).all()
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


# ---------------------------------------------------------------- the receipt


def tolerance_percent() -> Decimal:
    """The configured over-receipt tolerance in percent (0 outside an app)."""
    if not has_app_context():
        return ZERO
    value = current_app.config.get("RECEIPT_OVER_TOLERANCE_PERCENT", ZERO)
    return Decimal(str(value)) if not isinstance(value, Decimal) else value


def _clean_lines(lines) -> list[LineReceipt]:
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
    lines: list[LineReceipt] | list[tuple],
    receiver: User,
    submission_id: str,
    packing_slip_ref: str | None = None,
    packing_slip_photo: tuple[bytes, str] | None = None,
    note: str | None = None,
    tolerance: Decimal | None = None,
) -> GoodsReceipt:
    """Record one delivery on a PO in one transaction; the same submission_id gives one receipt.

    `lines` is a list of LineReceipt or (po_line_id, accepted, rejected, reason) tuples.
    """
    cleaned = _clean_lines(lines)
    photo_type = (
        check_photo(packing_slip_photo[0], packing_slip_photo[1])
        if packing_slip_photo is not None
        else None
    )
    tolerance = tolerance_percent() if tolerance is None else tolerance
    try:
        with unit_of_work() as session:
            # The PO lock first: receipts of one PO queue here, and a retry finds its twin.
            po = lock_row(session, PurchaseOrder, po_id)
            if po is None:
                raise NotFound(f"Purchase order {po_id} does not exist.")
            earlier = earlier_submission(session, GoodsReceipt, submission_id)
            if earlier is not None:
                return earlier
            receipt, locked = _receive(
                session,
                po,
                cleaned,
                receiver=receiver,
                submission_id=submission_id,
                packing_slip_ref=(packing_slip_ref or "").strip()[:80] or None,
                photo=(packing_slip_photo, photo_type) if packing_slip_photo else None,
                note=(note or "").strip()[:1000] or None,
                tolerance=tolerance,
            )
            after_receipt(session, receipt, receiver, locked)
    except IntegrityError:
        # A double tap that raced the first post past the check above: the first one won.
        earlier = earlier_submission(db.session, GoodsReceipt, submission_id)
        if earlier is None:
            raise
        return earlier
    return receipt


def _receive(
    session: Session,
    po: PurchaseOrder,
    cleaned: list[LineReceipt],
    *,
    receiver: User,
    submission_id: str,
    packing_slip_ref: str | None,
    photo,
    note: str | None,
    tolerance: Decimal,
) -> tuple[GoodsReceipt, _Locked]:
    """Check every line, move the quantities, put stock away and write the receipt; also what
    it locked on the way (the work orders and part lines the goods were bought for)."""
    rules.check_po_receivable(po.status, po.number)
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
    assignees = _assignees(session, {ln.work_order_id for ln in chosen if ln.work_order_id})
    allowed = {ln.id for ln in _visible_lines(chosen, receiver, assignees)}
    for line in chosen:
        if line.id not in allowed:
            raise NotAllowed(
                f"Line {line.line_no} is not for one of your work orders: "
                "a storekeeper receives it."
            )
    locked = _lock_work_order_parts(session, [ln.purchase_request_line_id for ln in chosen])
    for entry in cleaned:
        line = po_lines[entry.po_line_id]
        rules.check_line_receipt(
            line.line_no,
            ordered=line.qty,
            received=line.received_qty,
            accepted=entry.accepted,
            rejected=entry.rejected,
            reason=entry.reason,
            tolerance_percent=tolerance,
            po_line_id=line.id,
        )

    receipt = GoodsReceipt(
        number=next_number(session, Sequence.goods_receipt),
        purchase_order_id=po.id,
        received_by_id=receiver.id,
        received_at=utcnow(),
        packing_slip_ref=packing_slip_ref,
        note=note,
        submission_id=submission_id,
    )
    session.add(receipt)
    session.flush()
    if photo is not None:
        (data, filename), content_type = photo
        session.add(
            Attachment(
                goods_receipt_id=receipt.id,
                filename=(filename or "packing-slip")[:200],
                content_type=content_type,
                size_bytes=len(data),
                data=data,
                uploaded_by_id=receiver.id,
            )
        )

    items = {
        item.id: item
        for item in session.scalars(
            select(Item).where(Item.id.in_({ln.item_id for ln in chosen if ln.item_id}))
        )
    }
    changes = []
    for entry in cleaned:
        line = po_lines[entry.po_line_id]
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
        item = items.get(line.item_id)
        if entry.accepted > 0 and _goes_to_stock(line, item):
            _put_away(session, line, gr_line, item, entry.accepted, receiver=receiver)
        changes.append(
            {
                "line_no": line.line_no,
                "accepted_qty": entry.accepted,
                "rejected_qty": entry.rejected,
                "received_qty": [before[0], line.received_qty],
                "rejected_total": [before[1], line.rejected_qty],
                "backorder_qty": [before[2], line.backorder_qty],
            }
        )
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

    status_before = po.status
    po.status = rules.po_status_after(
        po.status, [(ln.qty, ln.received_qty) for ln in po_lines.values()]
    )
    audit.record(
        session,
        actor=receiver,
        action="goods_receipt.recorded",
        subject=receipt,
        changes={
            "purchase_order": po.number,
            "packing_slip_ref": [None, packing_slip_ref],
            "lines": changes,
        },
        why=note or (f"Packing slip {packing_slip_ref}" if packing_slip_ref else None),
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
    return receipt, locked


@dataclass
class _Locked:
    """The work orders and part lines this transaction has locked and read since, by id."""

    orders: dict[int, WorkOrder] = field(default_factory=dict)
    part_lines: dict[int, PartLine] = field(default_factory=dict)


def _lock_work_order_parts(
    session: Session, pr_line_ids: list[int | None], locked: _Locked | None = None
) -> _Locked:
    """Lock the work orders and part lines these PO lines were bought for, before any stock;
    those already in `locked` are not locked and read again.

    Work orders, then part lines, then stock levels is the parts service's lock order too.
    """
    locked = locked if locked is not None else _Locked()
    wanted = [i for i in pr_line_ids if i is not None]
    if not wanted:
        return locked
    rows = session.execute(
        select(PartLine.work_order_id, PartLine.id)
        .join(PurchaseRequestLine, PurchaseRequestLine.part_line_id == PartLine.id)
        .where(PurchaseRequestLine.id.in_(wanted))
    ).all()
    for wo_id in sorted({r[0] for r in rows} - set(locked.orders)):
        locked.orders[wo_id] = lock_row(session, WorkOrder, wo_id)
    for part_line_id in sorted({r[1] for r in rows} - set(locked.part_lines)):
        locked.part_lines[part_line_id] = lock_row(session, PartLine, part_line_id)
    return locked


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
        now = quantity(session.scalar(select(c.received_qty).where(c.id == line.id)))
        rules.check_line_receipt(
            line.line_no,
            ordered=line.qty,
            received=now,
            accepted=entry.accepted,
            rejected=entry.rejected,
            reason=entry.reason,
            tolerance_percent=tolerance,
            po_line_id=line.id,
        )
        raise rules.OverReceipt(
            f"Line {line.line_no} changed while you were entering it: reload and check it.",
            po_line_id=line.id,
        )
    received = quantity(row.received_qty)
    set_committed_value(line, "received_qty", received)
    set_committed_value(line, "rejected_qty", quantity(row.rejected_qty))
    line.backorder_qty = rules.open_qty(line.qty, received)


def _goes_to_stock(line: PurchaseOrderLine, item: Item | None) -> bool:
    """Goods lines of a part or material with a storeroom to go to; services never do."""
    return (
        item is not None
        and line.kind is LineKind.goods
        and item.kind is not ItemKind.service
        and line.storeroom_id is not None
    )


def _put_away(
    session: Session,
    line: PurchaseOrderLine,
    gr_line: GoodsReceiptLine,
    item: Item,
    qty: Decimal,
    *,
    receiver: User,
) -> None:
    """On hand up in the line's storeroom, one receipt movement at the PO price net of discount."""
    price = rules.net_unit_price(line.unit_price, line.discount_percent)
    level = session.scalar(
        select(StockLevel).where(
            StockLevel.item_id == item.id, StockLevel.storeroom_id == line.storeroom_id
        )
    )
    if level is None:
        try:
            with session.begin_nested():
                session.add(
                    StockLevel(
                        item_id=item.id,
                        storeroom_id=line.storeroom_id,
                        on_hand_qty=ZERO,
                        reserved_qty=ZERO,
                        unit_cost=price,
                    )
                )
        except IntegrityError:
            pass  # another transaction made it first; the UPDATE below waits for it
        level = session.scalar(
            select(StockLevel).where(
                StockLevel.item_id == item.id, StockLevel.storeroom_id == line.storeroom_id
            )
        )
    c = _stock.c
    q = literal(qty, Quantity)
    row = session.execute(
        update(_stock)
        .where(c.id == level.id)
        .values(on_hand_qty=func.round(c.on_hand_qty + q, 3))
        .returning(c.on_hand_qty, c.unit_cost)
    ).one()
    on_hand_before = quantity(row.on_hand_qty) - qty
    new_cost = rules.moving_average_cost(on_hand_before, row.unit_cost, qty, price)
    session.execute(update(_stock).where(c.id == level.id).values(unit_cost=new_cost))
    session.add(
        StockMovement(
            item_id=item.id,
            storeroom_id=line.storeroom_id,
            kind=MovementKind.receipt,
            qty=qty,
            unit_cost=price,
            goods_receipt_line_id=gr_line.id,
            moved_by_id=receiver.id,
            moved_at=utcnow(),
        )
    )
    audit.record(
        session,
        actor=receiver,
        action="stock.received",
        subject=level,
        subject_label=item.part_number,
        changes={
            "on_hand_qty": [on_hand_before, quantity(row.on_hand_qty)],
            "unit_cost": [row.unit_cost, new_cost],
            "storeroom_id": line.storeroom_id,
            "goods_receipt_line_id": gr_line.id,
        },
        why=f"Received at {format_money(price)} each",
    )


# ---------------------------------------------------------------- what follows a receipt


def after_receipt(
    session: Session, receipt: GoodsReceipt, actor: User, locked: _Locked | None = None
) -> None:
    """Everything a receipt sets off, in its transaction: parts bought for work orders are
    issued to them, and a work order whose parts have all arrived goes back to work.

    The one place where "what happens after a receipt" goes: held invoices on the PO are
    matched again too, so a late receipt releases a hold by itself (audited by the matcher).
    """
    # Imported here: matching reaches invoices and purchase orders, which reach this module.
    from portal.services import matching

    issue_to_work_orders(session, receipt, actor, locked)
    matching.rematch_after_receipt(session, receipt.purchase_order_id, actor=actor)


def _part_lines_for(session: Session, receipt: GoodsReceipt):
    """(receipt line, PO line, part line id) for every line bought for a work order's part."""
    return session.execute(
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
    ).all()


def issue_to_work_orders(
    session: Session, receipt: GoodsReceipt, actor: User, locked: _Locked | None = None
) -> list[int]:
    """Issue what arrived for work orders' part lines; return the ids of the WOs that got parts.

    `locked`: what the receipt already locked (and read) in this transaction, not read again.
    """
    found = _part_lines_for(session, receipt)
    if not found:
        return []
    # Work orders, then part lines, in id order: the order the parts service locks them in.
    locked = _lock_work_order_parts(
        session, [po_line.purchase_request_line_id for _g, po_line, _p in found], locked
    )
    orders, part_lines = locked.orders, locked.part_lines
    # Their items in one query, not one lazy load per line.
    item_ids = {pl.item_id for pl in part_lines.values()}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
    for part_line in part_lines.values():
        set_committed_value(part_line, "item", items.get(part_line.item_id))
    got: dict[int, list[str]] = {}
    for gr_line, po_line, pl_id in found:
        part_line = part_lines[pl_id]
        wo = orders[part_line.work_order_id]
        text = _issue_on_arrival(session, receipt, gr_line, po_line, part_line, wo, actor)
        if text:
            got.setdefault(wo.id, []).append(text)
    for wo_id, texts in got.items():
        _tell_work_order(session, orders[wo_id], receipt, texts, actor)
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
    if wo.status in (WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled):
        return None  # the work is over: what arrived stays in the storeroom
    if part_line.status is PartLineStatus.cancelled:
        return None
    qty = rules.issue_on_arrival(
        gr_line.accepted_qty, part_line.needed_qty, part_line.reserved_qty, part_line.issued_qty
    )
    if qty <= 0:
        return None
    item = part_line.item
    price = rules.net_unit_price(po_line.unit_price, po_line.discount_percent)
    cost = part_rules.issue_cost(qty, price)
    moved = None
    if gr_line.storeroom_id is not None and _goes_to_stock(po_line, item):
        c = _stock.c
        q = literal(qty, Quantity)
        row = session.execute(
            update(_stock)
            .where(
                c.item_id == item.id,
                c.storeroom_id == gr_line.storeroom_id,
                func.round(c.on_hand_qty - c.reserved_qty, 3) >= q,
            )
            .values(on_hand_qty=func.round(c.on_hand_qty - q, 3))
            .returning(c.on_hand_qty)
        ).one_or_none()
        if row is None:
            raise DomainError(
                f"The stock record of {item.part_number} does not hold what just arrived: "
                "ask the storekeeper to count it."
            )
        moved = {
            "storeroom_id": gr_line.storeroom_id,
            "on_hand_qty": [quantity(row.on_hand_qty) + qty, quantity(row.on_hand_qty)],
        }
        storeroom_id = gr_line.storeroom_id
    else:
        storeroom_id = None
    if storeroom_id is not None:
        session.add(
            StockMovement(
                item_id=item.id,
                storeroom_id=storeroom_id,
                kind=MovementKind.issue,
                qty=-qty,
                unit_cost=price,
                work_order_id=wo.id,
                part_line_id=part_line.id,
                goods_receipt_line_id=gr_line.id,
                moved_by_id=actor.id,
                moved_at=utcnow(),
            )
        )
    before = (part_line.issued_qty, part_line.requested_qty, part_line.issued_cost_amount)
    part_line.issued_qty = quantity(part_line.issued_qty + qty)
    part_line.requested_qty = max(ZERO, quantity(part_line.requested_qty - qty))
    part_line.issued_cost_amount = part_rules.add_cost(part_line.issued_cost_amount, cost)
    restatus(part_line)
    audit.record(
        session,
        actor=actor,
        action="stock.issued",
        subject=part_line,
        subject_label=part_line_label(wo, item),
        changes={
            "part_line.issued_qty": [before[0], part_line.issued_qty],
            "part_line.requested_qty": [before[1], part_line.requested_qty],
            "part_line.issued_cost_amount": [before[2], part_line.issued_cost_amount],
            "stock": [moved] if moved else [],
            "goods_receipt": receipt.number,
        },
        why=f"Arrived on {receipt.number} for {wo.number}",
    )
    return f"{format_qty(qty)} {item.uom} {item.part_number} ({format_money(cost)})"


def _tell_work_order(
    session: Session, wo: WorkOrder, receipt: GoodsReceipt, texts: list[str], actor: User
) -> None:
    """A comment on the WO naming what arrived; when nothing is missing any more, back to work."""
    lines = list(session.scalars(select(PartLine).where(PartLine.work_order_id == wo.id)))
    arrived = rules.all_parts_arrived(
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
    body = f"Parts arrived on {receipt.number}: {', '.join(texts)}; issued to this work order."
    if arrived and wo.status is WorkOrderStatus.waiting_parts:
        started = session.scalar(
            select(func.count(WorkOrderStatusChange.id)).where(
                WorkOrderStatusChange.work_order_id == wo.id,
                WorkOrderStatusChange.to_status == WorkOrderStatus.in_progress.value,
            )
        )
        target = rules.status_when_parts_arrive(
            work_started=bool(started), assigned=wo.assignee_user_id is not None
        )
        # Imported here: services.work_orders reads the dashboards, which read this module.
        from portal.services.work_orders import move_work_order

        move_work_order(
            session, wo, target, actor=actor, reason=f"All parts arrived ({receipt.number})"
        )
        body += f" All parts are here: the work order is {STATUS_LABELS[target].lower()} again."
    if arrived:
        audit.record(
            session,
            actor=actor,
            action=PARTS_ARRIVED,
            subject=wo,
            changes={"status": wo.status},
            why=receipt.number,
        )
    session.add(WorkOrderComment(work_order_id=wo.id, author_id=actor.id, body=body))

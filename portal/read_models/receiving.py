"""Receiving as pages show it: what is expected at the dock, a PO to receive, a finished
receipt, what is on order for a work order, and the "parts arrived" cards.

Who sees which delivery is `permissions.may_handle_delivery`: storekeepers, buyers and the
people who check invoices see every PO; a technician only the POs with a line bought for a
work order assigned to them (any other PO or receipt is "not found" for them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased, joinedload

from portal.domain import parts as part_rules
from portal.domain import receiving as rules
from portal.domain.errors import NotFound
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_handle_delivery
from portal.domain.statuses import MovementKind
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Attachment,
    AuditEvent,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    Storeroom,
    User,
    Vendor,
    WorkOrder,
)
from portal.services._uow import current_session

EXPECTED_LIMIT = 60  # lines on the landing page; more than a dock sees in a day


# ---------------------------------------------------------------- who sees which delivery


def sees_every_delivery(user: User) -> bool:
    """Storekeepers, buyers, AP and admins see every PO; technicians only their own work's."""
    return user.can(C.see_all_deliveries)


def assignees_of(session: Session, wo_ids: Iterable[int | None]) -> dict[int, int | None]:
    """Work order id -> assigned user id, in one query."""
    wanted = {wo_id for wo_id in wo_ids if wo_id is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(WorkOrder.id, WorkOrder.assignee_user_id).where(WorkOrder.id.in_(wanted))
    )
    return {wo_id: assignee for wo_id, assignee in rows}


def may_handle_line(
    user: User, capability: C, line: PurchaseOrderLine, assignees: dict[int, int | None]
) -> bool:
    """The delivery rule for one PO line: anyone who sees every delivery, or the assignee of
    the work order it was bought for."""
    assignee = assignees.get(line.work_order_id) if line.work_order_id is not None else None
    return may_handle_delivery(user.roles, user.id, capability, [assignee])


def _check_may_see_po(session: Session, po: PurchaseOrder, viewer: User, capability: C) -> None:
    """NotFound unless the viewer may see this PO's deliveries (a technician: one line is theirs).

    Not found rather than not allowed: a technician learns nothing of other people's orders,
    not even that the number exists.
    """
    if sees_every_delivery(viewer):
        return
    wo_ids = session.scalars(
        select(PurchaseOrderLine.work_order_id).where(PurchaseOrderLine.purchase_order_id == po.id)
    ).all()
    assignees = assignees_of(session, wo_ids).values()
    if not may_handle_delivery(viewer.roles, viewer.id, capability, assignees):
        raise NotFound(f"Purchase order {po.id} does not exist.")


# ---------------------------------------------------------------- the dock's landing page


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
    if viewer is not None and not sees_every_delivery(viewer):
        stmt = stmt.where(WorkOrder.assignee_user_id == viewer.id)
    rows = current_session().execute(stmt).all()
    today: list[ExpectedLine] = []
    late: list[ExpectedLine] = []
    today_vendors: list[str] = []
    late_vendors: list[str] = []
    for po_line, po_number, vendor, wo_number in rows[:limit]:
        if po_line.expected_on is None:  # not so: the query asks for lines due by the day
            continue
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
        is_today = po_line.expected_on == day
        (today if is_today else late).append(line)
        (today_vendors if is_today else late_vendors).append(vendor)
    return ExpectedBoard(
        day=day,
        today=_group(today, today_vendors),
        overdue=_group(late, late_vendors),
        more=len(rows) > limit,
    )


def find_po(code: str | None) -> PurchaseOrder | None:
    """The PO a scanned or typed number names (case, spaces and zeros forgiven), or None."""
    number = rules.normalise_po_number(code)
    if number is None:
        return None
    return current_session().scalar(select(PurchaseOrder).where(PurchaseOrder.number == number))


# ---------------------------------------------------------------- a PO to receive


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
    line_ids: list[int] = field(default_factory=list)  # the lines they may receive, open or not


def receipt_page(po_id: int, *, viewer: User) -> ReceiptPage:
    """The PO receipt page's data in four queries; NotFound for no such PO, or for a PO the
    viewer may not receive anything on."""
    session = current_session()
    po = session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == po_id)
        .options(joinedload(PurchaseOrder.vendor))
    )
    if po is None:
        raise NotFound(f"Purchase order {po_id} does not exist.")
    rows = session.execute(
        select(PurchaseOrderLine, WorkOrder.number, WorkOrder.assignee_user_id, Storeroom.name)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .outerjoin(Storeroom, Storeroom.id == PurchaseOrderLine.storeroom_id)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    assignees = {
        line.work_order_id: assignee
        for line, _n, assignee, _s in rows
        if line.work_order_id is not None
    }
    visible = {
        line.id for line, *_ in rows if may_handle_line(viewer, C.receive_goods, line, assignees)
    }
    if not visible and not sees_every_delivery(viewer):
        raise NotFound(f"Purchase order {po_id} does not exist.")
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
        line_ids=[line.id for line, *_ in rows if line.id in visible],
    )


# ---------------------------------------------------------------- a finished receipt


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


@dataclass
class ReceiptSummary:
    """The page after a receipt: GR number, what went where, which WOs were updated."""

    receipt: GoodsReceipt
    po: PurchaseOrder
    receiver: str
    lines: list[ReceivedLine]
    work_orders: list[WorkOrderUpdate]
    photo_id: int | None


def _issued_on(
    session: Session, receipt_id: int
) -> tuple[dict[int, list[tuple[str, Decimal, Decimal]]], list[int]]:
    """What the receipt issued straight to work orders, by receipt line (WO, qty, cost), and
    the work orders in the order they got parts."""
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
            GoodsReceiptLine.goods_receipt_id == receipt_id,
            StockMovement.kind == MovementKind.issue.value,
        )
        .order_by(StockMovement.id)
    ):
        if gr_line_id is None:  # not so: the join goes through the receipt line
            continue
        issued = -qty
        issues.setdefault(gr_line_id, []).append(
            (wo_number, issued, part_rules.issue_cost(issued, unit_cost))
        )
        if wo_id not in wo_ids:
            wo_ids.append(wo_id)
    return issues, wo_ids


def _work_order_updates(
    session: Session, receipt: GoodsReceipt, wo_ids: list[int]
) -> list[WorkOrderUpdate]:
    """The work orders that got parts from the receipt, and whether it was their last part."""
    arrived = set(
        session.scalars(
            select(AuditEvent.subject_id).where(
                AuditEvent.action == rules.PARTS_ARRIVED,
                AuditEvent.subject_type == "WorkOrder",
                AuditEvent.subject_id.in_(wo_ids),
                AuditEvent.why == receipt.number,
            )
        )
    )
    orders = {
        wo.id: wo for wo in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(wo_ids)))
    }
    return [
        WorkOrderUpdate(
            wo_id=wo_id,
            number=orders[wo_id].number,
            title=orders[wo_id].title,
            status=orders[wo_id].status,
            all_arrived=wo_id in arrived,
        )
        for wo_id in wo_ids
    ]


def packing_slip(receipt_id: int, photo_id: int, *, viewer: User) -> Attachment:
    """A packing slip photo of a goods receipt the viewer may read; NotFound otherwise."""
    session = current_session()
    receipt = session.get(GoodsReceipt, receipt_id)
    photo = session.scalar(
        select(Attachment).where(
            Attachment.id == photo_id, Attachment.goods_receipt_id == receipt_id
        )
    )
    if receipt is None or photo is None:
        raise NotFound("That packing slip is not on this receipt.")
    po = session.get(PurchaseOrder, receipt.purchase_order_id)
    if po is None:
        raise NotFound("That packing slip is not on this receipt.")
    try:
        _check_may_see_po(session, po, viewer, C.read_goods_receipts)
    except NotFound:
        raise NotFound("That packing slip is not on this receipt.") from None
    return photo


def receipt_summary(receipt_id: int, *, viewer: User | None = None) -> ReceiptSummary:
    """A finished receipt for its page, in seven queries whatever its size; NotFound if there
    is no such receipt, or if the viewer (a technician) has no work order on its PO."""
    session = current_session()
    receipt = session.get(GoodsReceipt, receipt_id)
    if receipt is None:
        raise NotFound(f"Goods receipt {receipt_id} does not exist.")
    po = session.scalars(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == receipt.purchase_order_id)
        .options(joinedload(PurchaseOrder.vendor))
    ).one()
    if viewer is not None:
        try:
            _check_may_see_po(session, po, viewer, C.read_goods_receipts)
        except NotFound:
            raise NotFound(f"Goods receipt {receipt_id} does not exist.") from None
    receiver = session.scalar(select(User.full_name).where(User.id == receipt.received_by_id))
    rows = session.execute(
        select(GoodsReceiptLine, PurchaseOrderLine, Storeroom.name)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == GoodsReceiptLine.purchase_order_line_id)
        .outerjoin(Storeroom, Storeroom.id == GoodsReceiptLine.storeroom_id)
        .where(GoodsReceiptLine.goods_receipt_id == receipt.id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    issues, wo_ids = _issued_on(session, receipt.id)
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
    photo_id = session.scalar(
        select(Attachment.id).where(Attachment.goods_receipt_id == receipt.id).limit(1)
    )
    return ReceiptSummary(
        receipt=receipt,
        po=po,
        receiver=receiver or "",
        lines=lines,
        work_orders=_work_order_updates(session, receipt, wo_ids),
        photo_id=photo_id,
    )

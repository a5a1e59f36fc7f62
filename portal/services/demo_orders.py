"""Demo purchase orders: issued, partly received, received and closed, a draft, a cleaning
service on a weekly schedule, and approved request lines still waiting on the To order page.

Runs inside load_demo's transaction after the work orders exist, whether or not the approvals
demo made approved requests: it raises its own (approved by the demo approver). POs go through
the same service steps buyers use (order, approve, issue, close); goods receipts are written
directly, with the PO lines' received and backorder quantities kept in step.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import purchase_orders as rules
from portal.domain.numbering import Sequence
from portal.domain.statuses import (
    ApprovalDecision,
    ItemKind,
    LineKind,
    PurchaseRequestStatus,
)
from portal.models import (
    Approval,
    CostCentre,
    GoodsReceipt,
    GoodsReceiptLine,
    Item,
    PreferredVendor,
    PurchaseOrder,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services.numbering import next_number
from portal.services.po_creation import order_lines
from portal.services.purchase_orders import approve_in, close_in, issue_in

CONVEYOR = "Replace worn V-belts on case conveyor"
COMPRESSOR = "Compressor 1 air and oil filter change"
BOILER = "Monthly boiler inspection"
FORKLIFT = "Forklift 2 hydraulic hose check"
PALLETISER = "Palletiser drive belt replaced"

CLEANER = ("BRIGHT", "Brightway Cleaning Services", "Net 30")

# (key, work order title or None, cost centre, [(part number or text, qty, unit price, vendor)])
REQUESTS = [
    ("issued", CONVEYOR, "CC-RBP-MNT", [("BELT-SPB1800", "4", "16.00", "NBS")]),
    (
        "partial",
        COMPRESSOR,
        "CC-RBP-MNT",
        [("FLT-AIR-GA37", "4", "72.00", "NBS"), ("FLT-OIL-GA37", "4", "48.00", "NBS")],
    ),
    ("closed", PALLETISER, "CC-RBP-MNT", [("BRG-UCP208", "2", "34.00", "NBS")]),
    ("draft", BOILER, "CC-RBP-MNT", [("SEAL-M32", "1", "180.00", "FLO")]),
    ("cleaning", None, "CC-ECA-MNT", [("Weekly common-area cleaning", "52", "85.00", "BRIGHT")]),
    (
        "to_order",
        FORKLIFT,
        "CC-RBP-MNT",
        [("OIL-ISO46", "2", "96.00", "NBS"), ("Hydraulic hose crimp, 1/2 in", "3", "18.50", None)],
    ),
]


def load_demo_orders(session: Session) -> str:
    """Add the demo purchase orders inside the caller's transaction; nothing if they exist.

    Other demos make a PO or two of their own (policy, invoices, costs), so "already there" is
    judged by this demo's own mark: the cleaning contractor's service PO.
    """
    mine = (
        select(PurchaseOrder.id)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .where(Vendor.code == CLEANER[0])
        .limit(1)
    )
    if session.scalar(mine) is not None:
        return "Demo purchase orders already there."
    session.flush()
    people = {
        u.username: u
        for u in session.scalars(
            select(User).where(User.username.in_(["buyer", "approver", "storekeeper"]))
        )
    }
    buyer, approver = people.get("buyer"), people.get("approver")
    if buyer is None or approver is None:
        return "No demo buyer or approver: no demo purchase orders."
    vendors = {v.code: v for v in session.scalars(select(Vendor))}
    if CLEANER[0] not in vendors:
        code, name, terms = CLEANER
        cleaner = Vendor(
            code=code,
            name=name,
            payment_terms=terms,
            is_contractor=True,
            contact_name="Contracts desk",
            email="contracts@bright.example",
            phone="+1 555 0140",
            address="8 Canal Street, Riverside",
        )
        cleaner.preferred_for = [PreferredVendor(category="Cleaning")]
        session.add(cleaner)
        vendors[code] = cleaner
    items = {i.part_number: i for i in session.scalars(select(Item))}
    orders = {wo.title: wo for wo in session.scalars(select(WorkOrder))}
    centres = {c.code: c for c in session.scalars(select(CostCentre))}
    session.flush()

    line_ids: dict[str, list[int]] = {}
    for key, wo_title, centre_code, lines in REQUESTS:
        wo, centre = orders.get(wo_title) if wo_title else None, centres.get(centre_code)
        if centre is None:
            continue
        pr = _approved_request(session, wo, centre, buyer=buyer, approver=approver)
        ids = []
        for what, qty, price, vendor_code in lines:
            item = items.get(what)
            vendor = vendors.get(vendor_code) if vendor_code else None
            service = key == "cleaning" or (item is not None and item.kind is ItemKind.service)
            pr_line = PurchaseRequestLine(
                purchase_request_id=pr.id,
                item_id=item.id if item else None,
                description=item.description if item else what,
                kind=LineKind.service if service else LineKind.goods,
                qty=Decimal(qty),
                uom=item.uom if item else ("VISIT" if service else "EA"),
                unit_price=Decimal(price),
                suggested_vendor_id=vendor.id if vendor else None,
            )
            session.add(pr_line)
            session.flush()
            ids.append(pr_line.id)
        line_ids[key] = ids

    made = 0
    for key in ("issued", "partial", "closed", "draft", "cleaning"):
        if key not in line_ids:
            continue
        (po,) = order_lines(session, line_ids[key], buyer=buyer, vendor_overrides={})
        made += 1
        if key == "draft":
            po.notes = "FlowTech can deliver tomorrow; NBS needs a week. Confirm before approving."
            continue
        if key == "cleaning":
            po.service_frequency = "Weekly, every Monday"
            po.billing_schedule = "Monthly in arrears"
            po.notes = "Lobby, stairwells, bin store and laundry room. Keys from the concierge."
            po.lines[0].expected_on = date.today() + timedelta(days=7 - date.today().weekday())
        approve_in(session, po, actor=buyer)
        issue_in(session, po, actor=buyer)
        receiver = people.get("storekeeper", buyer)
        if key == "partial":
            _receive(session, po, {1: Decimal("4"), 2: Decimal("2")}, receiver=receiver)
        if key == "closed":
            _receive(session, po, {1: Decimal("2")}, receiver=receiver)
            close_in(session, po, reason="Everything received and fitted", actor=buyer)
    return f"Demo purchase orders: {made}."


def _approved_request(
    session: Session, wo: WorkOrder | None, centre: CostCentre, *, buyer: User, approver: User
) -> PurchaseRequest:
    """An approved purchase request, with the demo approver's decision on record."""
    now = utcnow()
    pr = PurchaseRequest(
        number=next_number(session, Sequence.purchase_request),
        work_order_id=wo.id if wo else None,
        cost_centre_id=centre.id,
        requested_by_id=buyer.id,
        status=PurchaseRequestStatus.approved,
        reason=f"Parts for {wo.number}: {wo.title}" if wo else "Elm Court cleaning contract",
        needed_by_on=(now + timedelta(days=10)).date(),
        submitted_at=now - timedelta(days=2),
        decided_at=now - timedelta(days=1),
    )
    session.add(pr)
    session.flush()
    session.add(
        Approval(
            purchase_request_id=pr.id,
            approver_id=approver.id,
            decision=ApprovalDecision.approved,
            reason="Within budget",
            decided_at=now - timedelta(days=1),
        )
    )
    return pr


def _receive(
    session: Session, po: PurchaseOrder, accepted: dict[int, Decimal], *, receiver: User
) -> GoodsReceipt:
    """A goods receipt on `po` with the PO lines' quantities and status moved in step."""
    receipt = GoodsReceipt(
        number=next_number(session, Sequence.goods_receipt),
        purchase_order_id=po.id,
        received_by_id=receiver.id,
        packing_slip_ref=f"DN-{po.number[-4:]}",
    )
    session.add(receipt)
    session.flush()
    by_no = {ln.line_no: ln for ln in po.lines}
    for line_no, qty in accepted.items():
        line = by_no[line_no]
        session.add(
            GoodsReceiptLine(
                goods_receipt_id=receipt.id,
                purchase_order_line_id=line.id,
                accepted_qty=qty,
                rejected_qty=Decimal("0"),
                storeroom_id=line.storeroom_id,
            )
        )
        line.received_qty = (line.received_qty or Decimal("0")) + qty
        line.backorder_qty = rules.backorder(line.qty, line.received_qty)
    before = po.status
    po.status = rules.status_after_receipt(po.lines)
    audit.record(
        session,
        actor=receiver,
        action="goods_receipt.recorded",
        subject=receipt,
        changes={
            "purchase_order": po.number,
            "accepted": {str(no): qty for no, qty in accepted.items()},
            "status": [before, po.status],
        },
        why="Demo delivery",
    )
    return receipt

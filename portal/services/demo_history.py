"""Twelve months of demo history, so the reports have something to say.

Closed corrective and preventive work with labour, stock issued, waits for parts and downtime;
purchase requests with their approvals (hours to days), purchase orders, receipts and invoices
(most matched, some held and released, one credit memo, a few dated before their PO was
approved), sourcing warnings on some request lines, and out-of-pocket buys. More work in the
summer (cooling) and in the deep winter (heating), less over the Christmas shutdown.

Rows go in as model objects, not through the services: a year of documents one service call at
a time would take minutes, and history needs no re-checking. Document numbers are still drawn
from the counters, so the portal numbers on after them. Runs inside load_demo's transaction;
a second run finds its marker in the audit trail and adds nothing. The random draws are seeded:
every fresh demo gets the same history (dated relative to today).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.domain.money import money
from portal.domain.numbering import Sequence, counter_key, format_number
from portal.domain.statuses import (
    ApprovalDecision,
    HoldStatus,
    InvoiceStatus,
    InvoiceType,
    ItemKind,
    LineKind,
    MatchStatus,
    MovementKind,
    OutOfPocketStatus,
    PartLineStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    VendorStatus,
)
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType
from portal.models import (
    Approval,
    Asset,
    AuditEvent,
    CostCentre,
    GoodsReceipt,
    GoodsReceiptLine,
    Hold,
    Item,
    LabourEntry,
    Location,
    MatchResult,
    OutOfPocketPurchase,
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    Storeroom,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services.numbering import bump_counter

MARKER = "demo.history_loaded"
BASE_WORK_PER_MONTH = 9
FAULTS = {
    "Pumps": ["Seal leaking", "Bearing noise", "Low discharge pressure"],
    "Fillers": ["Bowl level sensor drifting", "Valve sticking", "Guide worn"],
    "Cappers": ["Torque heads slipping", "Chuck worn"],
    "Labellers": ["Glue roller scraping", "Label misfeed"],
    "Conveyors": ["Belt tracking off", "Drive chain stretched"],
}
DEFAULT_FAULTS = ["Not working as it should", "Noisy in operation", "Leak found on round"]


def seasonality(month: int) -> float:
    """How busy a calendar month is: peaks in July and January, a dip in December."""
    busy = 1 + 0.3 * math.cos(2 * math.pi * (month - 7) / 12) ** 2
    return busy * (0.7 if month == 12 else 1.0)


def _number(session: Session, sequence: Sequence, at: datetime) -> str:
    """A document number from the counters, in the year of the document's date."""
    return format_number(sequence, bump_counter(session, counter_key(sequence, at.year)), at.year)


def load_demo_history(session: Session) -> str:
    """Add a year of history inside the caller's transaction; nothing if it is there already."""
    if session.scalar(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)):
        return "Demo history already there."
    session.flush()
    rng = random.Random(2026)
    now = utcnow().replace(microsecond=0)
    users = {u.username: u for u in session.scalars(select(User))}
    techs = [u for name, u in users.items() if name in ("technician", "priya")]
    approver, buyer = users["approver"], users["buyer"]
    storekeeper, clerk = users["storekeeper"], users["ap_clerk"]
    assets = list(
        session.scalars(
            select(Asset).options(selectinload(Asset.location).selectinload(Location.site))
        )
    )
    vendors = list(
        session.scalars(
            select(Vendor)
            .where(Vendor.status == VendorStatus.active)
            .options(selectinload(Vendor.preferred_for))
        )
    )
    preferred = {p.category: v for v in vendors for p in v.preferred_for}
    goods_vendors = [v for v in vendors if not v.is_contractor]
    items = [i for i in session.scalars(select(Item)) if i.kind is not ItemKind.service]
    stock_items = [i for i in items if i.kind is ItemKind.stock]
    centres = {c.site_id: c for c in session.scalars(select(CostCentre))}
    stores = {s.site_id: s for s in session.scalars(select(Storeroom))}

    counts = {"work orders": 0, "purchase requests": 0, "invoices": 0}
    credit_done = False
    for back in range(12, -1, -1):
        month_index = now.year * 12 + now.month - 1 - back
        year, month = month_index // 12, month_index % 12 + 1
        start = datetime(year, month, 1, tzinfo=now.tzinfo)
        for _ in range(round(BASE_WORK_PER_MONTH * seasonality(month))):
            raised = start + timedelta(days=rng.randint(0, 27), hours=rng.randint(6, 17))
            asset = rng.choice(assets)
            site = asset.location.site
            corrective = rng.random() < 0.65
            tech = rng.choice(techs)
            wait = (
                timedelta(hours=rng.choice([6, 18, 30, 52, 76, 120]))
                if (corrective and rng.random() < 0.45)
                else None
            )
            work_hours = Decimal(rng.choice(["1.5", "2", "3", "4", "6"]))
            done = raised + timedelta(hours=4) + (wait or timedelta()) + timedelta(hours=6)
            if raised + timedelta(days=14) > now:
                continue  # the whole story must lie in the past
            faults = FAULTS.get(asset.category, DEFAULT_FAULTS)
            wo = WorkOrder(
                number=_number(session, Sequence.work_order, raised),
                title=f"{rng.choice(faults)}: {asset.name}"
                if corrective
                else f"Planned service: {asset.name}",
                type=WorkOrderType.corrective if corrective else WorkOrderType.preventive,
                priority=rng.choice([Priority.high, Priority.normal, Priority.normal])
                if corrective
                else Priority.low,
                status=WorkOrderStatus.closed,
                site_id=site.id,
                location_id=asset.location_id,
                asset_id=asset.id,
                cost_centre_id=centres[site.id].id if site.id in centres else None,
                requester_id=users["supervisor"].id,
                department="Maintenance",
                assignee_user_id=tech.id,
                due_at=raised + timedelta(days=3),
                created_at=raised,
                updated_at=done + timedelta(days=1),
                completed_at=done,
                closed_at=done + timedelta(days=1),
            )
            if corrective and asset.criticality.value in ("critical", "high"):
                wo.down_at = raised
                wo.up_at = done
            session.add(wo)
            session.flush()
            counts["work orders"] += 1
            moves = [
                (None, WorkOrderStatus.requested, raised),
                (WorkOrderStatus.requested, WorkOrderStatus.assigned, raised + timedelta(hours=1)),
                (
                    WorkOrderStatus.assigned,
                    WorkOrderStatus.in_progress,
                    raised + timedelta(hours=2),
                ),
            ]
            at = raised + timedelta(hours=2)
            if wait:
                moves.append((WorkOrderStatus.in_progress, WorkOrderStatus.waiting_parts, at))
                at += wait
                moves.append((WorkOrderStatus.waiting_parts, WorkOrderStatus.in_progress, at))
            moves.append((WorkOrderStatus.in_progress, WorkOrderStatus.completed, done))
            moves.append((WorkOrderStatus.completed, WorkOrderStatus.closed, wo.closed_at))
            session.add_all(
                WorkOrderStatusChange(
                    work_order_id=wo.id,
                    from_status=old,
                    to_status=new,
                    changed_at=when,
                    changed_by_id=tech.id,
                )
                for old, new, when in moves
            )
            rate = tech.hourly_rate or Decimal("42.00")
            session.add(
                LabourEntry(
                    work_order_id=wo.id,
                    user_id=tech.id,
                    worked_on=done.date(),
                    hours=work_hours,
                    rate=rate,
                    cost_amount=money(work_hours * rate),
                    created_at=done,
                )
            )
            store = stores.get(site.id)
            if store is not None and stock_items and rng.random() < 0.7:
                item = rng.choice(stock_items)
                qty = Decimal(rng.choice([1, 1, 2, 4]))
                cost = item.standard_cost or Decimal("10.00")
                line = PartLine(
                    work_order_id=wo.id,
                    item_id=item.id,
                    needed_qty=qty,
                    issued_qty=qty,
                    status=PartLineStatus.issued,
                    issued_cost_amount=money(qty * cost),
                    added_by_id=tech.id,
                    created_at=raised + timedelta(hours=2),
                )
                session.add(line)
                session.flush()
                session.add(
                    StockMovement(
                        item_id=item.id,
                        storeroom_id=store.id,
                        kind=MovementKind.issue,
                        qty=-qty,
                        unit_cost=cost,
                        work_order_id=wo.id,
                        part_line_id=line.id,
                        moved_by_id=storekeeper.id,
                        moved_at=raised + timedelta(hours=3),
                    )
                )
            if wait:
                _purchase(
                    session,
                    rng,
                    wo=wo,
                    site_id=site.id,
                    centres=centres,
                    items=items,
                    preferred=preferred,
                    goods_vendors=goods_vendors,
                    requester=tech,
                    approver=approver,
                    buyer=buyer,
                    storekeeper=storekeeper,
                    clerk=clerk,
                    submitted=raised + timedelta(hours=2, minutes=20),
                    now=now,
                    credit=not credit_done and back == 4,
                    counts=counts,
                )
                credit_done = credit_done or back == 4
        # Stock replenishment bought without a work order, and now and then a technician's
        # own-money buy.
        for _ in range(round(4 * seasonality(month))):
            submitted = start + timedelta(days=rng.randint(0, 27), hours=rng.randint(7, 16))
            if submitted + timedelta(days=12) > now:
                continue
            site_id = rng.choice(list(centres))
            _purchase(
                session,
                rng,
                wo=None,
                site_id=site_id,
                centres=centres,
                items=items,
                preferred=preferred,
                goods_vendors=goods_vendors,
                requester=storekeeper,
                approver=approver,
                buyer=buyer,
                storekeeper=storekeeper,
                clerk=clerk,
                submitted=submitted,
                now=now,
                credit=False,
                counts=counts,
            )
        if back % 2 == 0 and start + timedelta(days=20) < now:
            wo_ids = session.scalars(
                select(WorkOrder.id)
                .where(
                    WorkOrder.created_at >= start, WorkOrder.created_at < start + timedelta(days=28)
                )
                .limit(1)
            ).all()
            if wo_ids:
                session.add(
                    OutOfPocketPurchase(
                        work_order_id=wo_ids[0],
                        user_id=rng.choice(techs).id,
                        description=rng.choice(
                            [
                                "Hose clamps from the hardware store",
                                "Fuses, local shop",
                                "Silicone sealant",
                            ]
                        ),
                        amount=Decimal(rng.choice(["12.80", "23.45", "41.10", "8.99"])),
                        bought_on=(start + timedelta(days=rng.randint(2, 18))).date(),
                        status=OutOfPocketStatus.reimbursed,
                        created_at=start + timedelta(days=20),
                    )
                )
    audit.record(session, actor=None, action=MARKER, subject_type="system", changes=counts)
    return (
        f"Demo history: {counts['work orders']} closed work orders, "
        f"{counts['purchase requests']} purchase requests, {counts['invoices']} invoices."
    )


def _purchase(
    session: Session,
    rng: random.Random,
    *,
    wo: WorkOrder | None,
    site_id: int,
    centres: dict,
    items: list[Item],
    preferred: dict,
    goods_vendors: list[Vendor],
    requester: User,
    approver: User,
    buyer: User,
    storekeeper: User,
    clerk: User,
    submitted: datetime,
    now: datetime,
    credit: bool,
    counts: dict,
) -> None:
    """One PR, approved (or now and then rejected), ordered, received and invoiced."""
    item = rng.choice(items)
    vendor = preferred.get(item.category)
    warnings = []
    if vendor is None or rng.random() < 0.07:
        vendor = rng.choice(goods_vendors)
        if preferred.get(item.category) not in (None, vendor):
            warnings.append(
                {
                    "code": "non_preferred",
                    "text": f"{vendor.name} is not the preferred vendor for {item.category}.",
                }
            )
    price = (item.standard_cost or Decimal("25.00")) * Decimal(rng.choice(["0.95", "1", "1.05"]))
    if rng.random() < 0.08:
        price *= Decimal("1.18")
        warnings.append({"code": "off_contract", "text": "Price is 18% over the agreed price."})
    price = money(price)
    dear = (item.standard_cost or Decimal(0)) > 100
    qty = Decimal(rng.choice([1, 1, 2] if dear else [2, 4, 5, 10]))
    # Most requests are decided within a working day; some wait over a weekend or longer.
    took = timedelta(
        hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 50, 74, 100]), minutes=rng.randint(0, 59)
    )
    decided = submitted + took
    rejected = rng.random() < 0.05
    centre = centres.get(site_id)
    pr = PurchaseRequest(
        number=_number(session, Sequence.purchase_request, submitted),
        work_order_id=wo.id if wo else None,
        cost_centre_id=centre.id,
        requested_by_id=requester.id,
        status=PurchaseRequestStatus.rejected if rejected else PurchaseRequestStatus.ordered,
        reason="Parts for the work order" if wo else "Restock to reorder level",
        submitted_at=submitted,
        decided_at=decided,
        created_at=submitted,
        updated_at=decided,
    )
    session.add(pr)
    session.flush()
    pr_line = PurchaseRequestLine(
        purchase_request_id=pr.id,
        item_id=item.id,
        description=item.description,
        kind=LineKind.goods,
        qty=qty,
        uom=item.uom,
        unit_price=price,
        suggested_vendor_id=vendor.id,
        policy_warnings=warnings or None,
    )
    session.add(pr_line)
    session.add(
        Approval(
            purchase_request_id=pr.id,
            approver_id=approver.id,
            decision=ApprovalDecision.rejected if rejected else ApprovalDecision.approved,
            reason="Use the stock at the other site" if rejected else None,
            decided_at=decided,
        )
    )
    counts["purchase requests"] += 1
    if rejected:
        return
    session.flush()
    after_the_fact = rng.random() < 0.05
    approved_at = decided + timedelta(hours=1)
    issued_at = approved_at + timedelta(hours=1)
    received_at = issued_at + timedelta(days=rng.randint(1, 6))
    invoice_on = (received_at + timedelta(days=rng.randint(0, 3))).date()
    if after_the_fact:  # bought by phone first; the PO was raised once the invoice came in
        invoice_on = (submitted - timedelta(days=rng.randint(2, 6))).date()
    po = PurchaseOrder(
        number=_number(session, Sequence.purchase_order, approved_at),
        vendor_id=vendor.id,
        status=PurchaseOrderStatus.closed,
        payment_terms=vendor.payment_terms,
        buyer_id=buyer.id,
        approved_at=approved_at,
        issued_at=issued_at,
        created_at=approved_at,
        updated_at=received_at,
    )
    session.add(po)
    session.flush()
    po_line = PurchaseOrderLine(
        purchase_order_id=po.id,
        line_no=1,
        item_id=item.id,
        description=item.description,
        kind=LineKind.goods,
        qty=qty,
        uom=item.uom,
        unit_price=price,
        work_order_id=wo.id if wo else None,
        cost_centre_id=centre.id,
        purchase_request_line_id=pr_line.id,
        received_qty=qty,
        backorder_qty=Decimal(0),
    )
    session.add(po_line)
    receipt = GoodsReceipt(
        number=_number(session, Sequence.goods_receipt, received_at),
        purchase_order_id=po.id,
        received_by_id=storekeeper.id,
        received_at=received_at,
    )
    session.add(receipt)
    session.flush()
    session.add(
        GoodsReceiptLine(
            goods_receipt_id=receipt.id, purchase_order_line_id=po_line.id, accepted_qty=qty
        )
    )
    roll = rng.random()
    if roll < 0.08:
        status = InvoiceStatus.released
    elif roll < 0.12 and received_at > now - timedelta(days=60):
        status = InvoiceStatus.hold
    elif received_at < now - timedelta(days=45):
        status = InvoiceStatus.exported
    else:
        status = InvoiceStatus.matched
    documents = [(InvoiceType.invoice, status, qty)]
    if credit:  # one unit came back damaged: the vendor credits it
        documents.append((InvoiceType.credit_memo, InvoiceStatus.matched, Decimal(1)))
    for kind, doc_status, billed in documents:
        number = f"{vendor.code}-{rng.randint(10000, 99999)}" + (
            "-CR" if kind is InvoiceType.credit_memo else ""
        )
        invoice = _invoice(
            session, vendor, po, po_line, number, kind, doc_status, billed, price, invoice_on, clerk
        )
        counts["invoices"] += 1
        held = doc_status in (InvoiceStatus.hold, InvoiceStatus.released)
        result = MatchResult(
            invoice_id=invoice.id,
            status=MatchStatus.hold if held else MatchStatus.matched,
            result={
                "status": "hold" if held else "matched",
                "reasons": ["PRICE_OVER_TOLERANCE"] if held else [],
            },
            input_digest=f"demo-{invoice.id:010d}",
            evaluated_at=received_at + timedelta(days=4),
        )
        session.add(result)
        session.flush()
        if held:
            session.add(
                Hold(
                    invoice_id=invoice.id,
                    match_result_id=result.id,
                    reason_code="PRICE_OVER_TOLERANCE",
                    status=HoldStatus.released
                    if doc_status is InvoiceStatus.released
                    else HoldStatus.open,
                    created_at=received_at + timedelta(days=4),
                    resolved_at=received_at + timedelta(days=6)
                    if doc_status is InvoiceStatus.released
                    else None,
                    released_by_id=approver.id if doc_status is InvoiceStatus.released else None,
                    release_reason="Freight surcharge agreed by phone"
                    if doc_status is InvoiceStatus.released
                    else None,
                )
            )


def _invoice(session, vendor, po, po_line, number, kind, status, qty, price, invoice_on, clerk):
    """One vendor invoice (or credit memo) with its single line."""
    invoice = VendorInvoice(
        vendor_id=vendor.id,
        purchase_order_id=po.id,
        number=number,
        normalised_number=number.replace("-", "").upper(),
        type=kind,
        invoice_on=invoice_on,
        due_on=invoice_on + timedelta(days=30),
        currency=vendor.currency,
        total_amount=money(qty * price),
        status=status,
        entered_by_id=clerk.id,
        entered_at=datetime(invoice_on.year, invoice_on.month, invoice_on.day, 9, tzinfo=UTC)
        + timedelta(days=2),
    )
    session.add(invoice)
    session.flush()
    session.add(
        VendorInvoiceLine(
            invoice_id=invoice.id,
            position=1,
            purchase_order_line_id=po_line.id,
            line_ref="1",
            qty=qty,
            unit_price=price,
            uom=po_line.uom,
        )
    )
    return invoice

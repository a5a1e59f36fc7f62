"""Purchasing documents in proportion to the work orders, for the report pages' benchmark.

Called by bench.generate after the work orders (or on its own: ``python -m
bench.generate_purchasing --database-url URL`` adds them for the work orders already there).
Per 200,000 work orders, about: 60,000 purchase requests (144,000 lines), 50,000 purchase orders
(120,000 lines), 45,000 receipts (108,000 lines), 40,000 invoices (97,000 lines, ~1 % credit
memos; ~5 % held, ~5 % held then released), a match result for each invoice, and 1,000
out-of-pocket purchases. Dates spread over the same five years as the work orders, so the reports'
default twelve months hold about a fifth of it. About 8 % of request lines carry an off-contract
or non-preferred warning; about 4 % of invoices are dated before their PO was approved.

Rows go in with Core bulk inserts and explicit ids, like bench.generate; numbers are
``PR-B0000001``, ``PO-B-00000001``, ``GR-B-00000001``: a series of their own, so they never meet
the numbers the portal hands out.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from portal.demo import rows as shapes
from portal.demo import rows_buying as buying
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    VendorStatus,
)
from portal.models import (
    CostCentre,
    GoodsReceipt,
    GoodsReceiptLine,
    Hold,
    Item,
    MatchResult,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.models.base import utcnow

PRS_PER_WORK_ORDER = 0.3
HISTORY_DAYS = 5 * 365
CENT = Decimal("0.01")
ZERO = Decimal(0)
TABLES = [  # parents first: foreign keys are enforced
    ("purchase_request", PurchaseRequest),
    ("purchase_request_line", PurchaseRequestLine),
    ("purchase_order", PurchaseOrder),
    ("purchase_order_line", PurchaseOrderLine),
    ("goods_receipt", GoodsReceipt),
    ("goods_receipt_line", GoodsReceiptLine),
    ("vendor_invoice", VendorInvoice),
    ("vendor_invoice_line", VendorInvoiceLine),
    ("match_result", MatchResult),
    ("hold", Hold),
    ("out_of_pocket_purchase", OutOfPocketPurchase),
]


def _next_ids(session: Session) -> dict[str, int]:
    """The first free id of every table written here."""
    return {name: (session.scalar(select(func.max(model.id))) or 0) + 1 for name, model in TABLES}


def generate_purchasing(
    session: Session,
    count: int,
    *,
    seed: int = 1,
    batch_size: int = 5000,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> dict[str, int]:
    """Add `count` purchase requests and everything that follows them; rows added per table."""
    rng = random.Random(seed * 7919)
    now = utcnow()
    users = dict(session.execute(select(User.username, User.id)).all())
    requesters = [users[n] for n in ("technician", "storekeeper", "supervisor") if n in users]
    approver, buyer = users["approver"], users["buyer"]
    receiver, clerk = users["storekeeper"], users["ap_clerk"]
    vendors = [
        tuple(r)
        for r in session.execute(
            select(Vendor.id, Vendor.code, Vendor.payment_terms, Vendor.currency).where(
                Vendor.status == VendorStatus.active
            )
        )
    ]
    items = [
        tuple(r)
        for r in session.execute(select(Item.id, Item.description, Item.uom, Item.standard_cost))
    ]
    centres = list(session.scalars(select(CostCentre.id)))
    wo_low, wo_high = session.execute(select(func.min(WorkOrder.id), func.max(WorkOrder.id))).one()
    if not (vendors and items and centres and wo_low):
        raise SystemExit("load the demo data and some work orders first")
    ids = _next_ids(session)
    added = {name: 0 for name, _ in TABLES}
    started = time.perf_counter()
    for start in range(0, count, batch_size):
        rows: dict[str, list[dict]] = {name: [] for name, _ in TABLES}
        for _ in range(start, min(start + batch_size, count)):
            _one_request(
                rng,
                rows,
                ids,
                now,
                requesters,
                approver,
                buyer,
                receiver,
                clerk,
                vendors,
                items,
                centres,
                wo_low,
                wo_high,
            )
        for name, model in TABLES:
            if rows[name]:
                session.execute(insert(model.__table__), rows[name])
                added[name] += len(rows[name])
        session.commit()
        done = min(start + batch_size, count)
        rate = sum(added.values()) / max(time.perf_counter() - started, 1e-9)
        log(f"  purchasing {done:,}/{count:,} requests  {rate:,.0f} rows/s")
    if session.get_bind().dialect.name == "postgresql":
        for name, _ in TABLES:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f'(SELECT max(id) FROM "{name}")) '
                    f"WHERE pg_get_serial_sequence('{name}', 'id') IS NOT NULL "
                    f'AND EXISTS (SELECT 1 FROM "{name}")'
                )
            )
        session.commit()
    return added


def _take(ids: dict[str, int], name: str) -> int:
    """The next explicit id of a table."""
    value = ids[name]
    ids[name] = value + 1
    return value


def _one_request(
    rng,
    rows,
    ids,
    now,
    requesters,
    approver,
    buyer,
    receiver,
    clerk,
    vendors,
    items,
    centres,
    wo_low,
    wo_high,
) -> None:
    """One PR with 1-4 lines; most are ordered, received and invoiced."""
    submitted = now - timedelta(days=1 + rng.random() * HISTORY_DAYS)
    roll = rng.random()
    if submitted > now - timedelta(days=3):
        status = PurchaseRequestStatus.submitted
    elif roll < 0.05:
        status = PurchaseRequestStatus.rejected
    elif roll < 0.12:
        status = PurchaseRequestStatus.approved
    else:
        status = PurchaseRequestStatus.ordered
    decided = None
    if status is not PurchaseRequestStatus.submitted:
        decided = submitted + timedelta(
            hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 50, 74, 100]), minutes=rng.randint(0, 59)
        )
    pr_id = _take(ids, "purchase_request")
    wo_id = rng.randint(wo_low, wo_high) if rng.random() < 0.7 else None
    centre = rng.choice(centres)
    rows["purchase_request"].append(
        buying.purchase_request_row(
            id=pr_id,
            number=f"PR-B{pr_id:07d}",
            work_order_id=wo_id,
            cost_centre_id=centre,
            requested_by_id=rng.choice(requesters),
            status=status,
            submitted_at=submitted,
            decided_at=decided,
            updated_at=decided or submitted,
        )
    )
    vendor_id, vendor_code, terms, currency = rng.choice(vendors)
    lines = []
    for _ in range(rng.choice([1, 2, 2, 3, 4])):
        item_id, description, uom, cost = rng.choice(items)
        price = ((cost or Decimal("20.00")) * Decimal(rng.choice(["0.95", "1", "1.08"]))).quantize(
            CENT
        )
        qty = Decimal(rng.choice([1, 2, 4, 10]))
        warning = rng.random()
        warnings = None
        if warning < 0.05:
            warnings = [{"code": "off_contract", "text": "8% over the agreed price"}]
        elif warning < 0.08:
            warnings = [{"code": "non_preferred", "text": "Not the preferred vendor"}]
        line_id = _take(ids, "purchase_request_line")
        rows["purchase_request_line"].append(
            buying.request_line_row(
                id=line_id,
                purchase_request_id=pr_id,
                item_id=item_id,
                description=description,
                qty=qty,
                uom=uom,
                unit_price=price,
                suggested_vendor_id=vendor_id,
                policy_warnings=warnings,
            )
        )
        lines.append((line_id, item_id, description, uom, qty, price))
    if status is not PurchaseRequestStatus.ordered:
        return
    approved_at = decided + timedelta(hours=1)
    received_at = approved_at + timedelta(days=rng.randint(1, 8))
    received = received_at < now and rng.random() < 0.9
    po_id = _take(ids, "purchase_order")
    rows["purchase_order"].append(
        buying.purchase_order_row(
            id=po_id,
            number=f"PO-B-{po_id:08d}",
            vendor_id=vendor_id,
            status=PurchaseOrderStatus.received if received else PurchaseOrderStatus.issued,
            currency=currency,
            payment_terms=terms,
            buyer_id=buyer,
            approved_at=approved_at,
            issued_at=approved_at + timedelta(minutes=30),
            updated_at=received_at if received else approved_at,
        )
    )
    po_lines = []
    for line_no, (pr_line_id, item_id, description, uom, qty, price) in enumerate(lines, 1):
        po_line_id = _take(ids, "purchase_order_line")
        rows["purchase_order_line"].append(
            buying.order_line_row(
                id=po_line_id,
                purchase_order_id=po_id,
                line_no=line_no,
                item_id=item_id,
                description=description,
                qty=qty,
                uom=uom,
                unit_price=price,
                work_order_id=wo_id,
                cost_centre_id=centre,
                purchase_request_line_id=pr_line_id,
                received_qty=qty if received else ZERO,
            )
        )
        po_lines.append((po_line_id, uom, qty, price))
    if not received:
        return
    gr_id = _take(ids, "goods_receipt")
    rows["goods_receipt"].append(
        buying.receipt_row(
            id=gr_id,
            number=f"GR-B-{gr_id:08d}",
            purchase_order_id=po_id,
            received_by_id=receiver,
            received_at=received_at,
        )
    )
    for po_line_id, _uom, qty, _price in po_lines:
        rows["goods_receipt_line"].append(
            buying.receipt_line_row(
                id=_take(ids, "goods_receipt_line"),
                goods_receipt_id=gr_id,
                purchase_order_line_id=po_line_id,
                accepted_qty=qty,
            )
        )
    invoice_on = (received_at + timedelta(days=rng.randint(0, 5))).date()
    if rng.random() < 0.04:  # the goods came first, the PO after the invoice
        invoice_on = (submitted - timedelta(days=rng.randint(1, 6))).date()
    if invoice_on > now.date() or rng.random() > 0.9:
        return
    roll = rng.random()
    if roll < 0.05:
        inv_status = InvoiceStatus.hold
    elif roll < 0.10:
        inv_status = InvoiceStatus.released
    elif invoice_on < (now - timedelta(days=40)).date():
        inv_status = InvoiceStatus.exported
    else:
        inv_status = InvoiceStatus.matched
    documents = [(InvoiceType.invoice, inv_status, po_lines)]
    if rng.random() < 0.01:  # part of the first line credited back
        first = po_lines[0]
        documents.append(
            (
                InvoiceType.credit_memo,
                InvoiceStatus.matched,
                [(first[0], first[1], Decimal(1), first[3])],
            )
        )
    for kind, doc_status, billed in documents:
        invoice_id = _take(ids, "vendor_invoice")
        number = f"{vendor_code}-{invoice_id}"
        entered = datetime.combine(invoice_on, datetime.min.time(), now.tzinfo) + timedelta(
            days=1, hours=9
        )
        rows["vendor_invoice"].append(
            buying.invoice_row(
                id=invoice_id,
                vendor_id=vendor_id,
                purchase_order_id=po_id,
                number=number,
                type=kind,
                invoice_on=invoice_on,
                due_on=invoice_on + timedelta(days=30),
                currency=currency,
                billed=[(qty, price) for _, _, qty, price in billed],
                total_amount=sum((q * p for _, _, q, p in billed), ZERO).quantize(CENT),
                status=doc_status,
                entered_by_id=clerk,
                entered_at=entered,
            )
        )
        for position, (po_line_id, uom, qty, price) in enumerate(billed, 1):
            rows["vendor_invoice_line"].append(
                buying.invoice_line_row(
                    id=_take(ids, "vendor_invoice_line"),
                    invoice_id=invoice_id,
                    position=position,
                    purchase_order_line_id=po_line_id,
                    qty=qty,
                    unit_price=price,
                    uom=uom,
                )
            )
        held = doc_status in (InvoiceStatus.hold, InvoiceStatus.released)
        result_id = _take(ids, "match_result")
        rows["match_result"].append(
            buying.match_result_row(
                id=result_id,
                invoice_id=invoice_id,
                held=held,
                reasons=["PRICE_OVER_TOLERANCE"] if held else [],
                input_digest=f"bench-{invoice_id:012d}",
                evaluated_at=entered,
            )
        )
        if held:
            rows["hold"].append(
                buying.hold_row(
                    id=_take(ids, "hold"),
                    invoice_id=invoice_id,
                    match_result_id=result_id,
                    released=doc_status is InvoiceStatus.released,
                    created_at=entered,
                )
            )
    if rng.random() < 0.02 and wo_id is not None:
        rows["out_of_pocket_purchase"].append(
            shapes.out_of_pocket_row(
                id=_take(ids, "out_of_pocket_purchase"),
                work_order_id=wo_id,
                user_id=rng.choice(requesters),
                description="Bought at the hardware store",
                amount=rng.choice(["9.99", "18.40", "42.00"]),
                bought_on=submitted.date(),
                status=OutOfPocketStatus.reimbursed,
                created_at=submitted,
            )
        )


def main(argv: list[str] | None = None) -> int:
    from bench.generate import DEFAULT_DATABASE_URL, bench_app
    from portal.extensions import db

    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_purchasing", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument(
        "--requests",
        type=int,
        default=None,
        help="purchase requests to add (default: 0.3 per work order)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    app = bench_app(args.database_url)
    with app.app_context():
        count = args.requests
        if count is None:
            count = round(PRS_PER_WORK_ORDER * db.session.scalar(select(func.count(WorkOrder.id))))
        started = time.perf_counter()
        added = generate_purchasing(db.session, count, seed=args.seed)
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        for name, n in added.items():
            print(f"{name:<24} {n:>9,}")
        print(f"Elapsed: {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

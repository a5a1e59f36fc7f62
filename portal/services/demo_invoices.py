"""Demo invoices: a few POs with receipts, matched invoices, one hold per common reason, a credit
memo and one payment export. Runs inside load_demo's transaction (which makes it run once)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.numbering import Sequence
from portal.domain.statuses import InvoiceType, LineKind, PurchaseOrderStatus
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    User,
    Vendor,
)
from portal.models.base import utcnow
from portal.services import invoices, matching
from portal.services.numbering import next_number

# (vendor code, days since approval, [(description, kind, qty, uom, unit price, received)])
ORDERS = {
    "filters": (
        "NBS",
        20,
        [
            ("Air filter GA37", LineKind.goods, "20", "EA", "12.50", "20"),
            ("V-belt SPB1800", LineKind.goods, "10", "EA", "30.00", "8"),
        ],
    ),
    "gloves": ("FLO", 15, [("Nitrile gloves, box", LineKind.goods, "50", "BOX", "4.00", "50")]),
    "service": ("FLO", 10, [("Pump overhaul", LineKind.service, "1", "EA", "850.00", None)]),
}

# (order, number, days ago dated, type, [(line index, qty, price)]); None marks the export.
INVOICES = [
    ("filters", "NBS-1001", 12, InvoiceType.invoice, [(0, "10", "12.50")]),
    ("gloves", "FT-77", 8, InvoiceType.invoice, [(0, "20", "4.00")]),
    None,
    ("service", "FT-90", 3, InvoiceType.invoice, [(0, "1", "850.00")]),
    ("gloves", "FT-CM-3", 2, InvoiceType.credit_memo, [(0, "5", "4.00")]),
    ("filters", "NBS-1002", 4, InvoiceType.invoice, [(1, "10", "30.00")]),  # over received
    ("filters", "NBS-1003", 3, InvoiceType.invoice, [(0, "5", "13.40")]),  # price over
    ("filters", "NBS-0990", 30, InvoiceType.invoice, [(0, "2", "12.50")]),  # after the fact
    ("gloves", "FT-78", 8, InvoiceType.invoice, [(0, "20", "4.00")]),  # possible duplicate
]


def _order(session: Session, vendor: Vendor, days: int, lines, *, buyer, receiver) -> PurchaseOrder:
    """An approved, issued PO with its lines and, where given, one receipt."""
    approved = utcnow() - timedelta(days=days)
    po = PurchaseOrder(
        number=next_number(session, Sequence.purchase_order),
        vendor_id=vendor.id,
        status=PurchaseOrderStatus.issued,
        currency=vendor.currency,
        payment_terms=vendor.payment_terms,
        buyer_id=buyer.id if buyer else None,
        approved_at=approved,
        issued_at=approved,
    )
    session.add(po)
    session.flush()
    receipt = None
    for line_no, (description, kind, qty, uom, price, received) in enumerate(lines, start=1):
        line = PurchaseOrderLine(
            purchase_order_id=po.id,
            line_no=line_no,
            description=description,
            kind=kind,
            qty=Decimal(qty),
            uom=uom,
            unit_price=Decimal(price),
            received_qty=Decimal(received or 0),
            backorder_qty=Decimal(qty) - Decimal(received or 0),
        )
        session.add(line)
        session.flush()
        if received:
            if receipt is None:
                receipt = GoodsReceipt(
                    number=next_number(session, Sequence.goods_receipt),
                    purchase_order_id=po.id,
                    received_by_id=receiver.id,
                    received_at=approved + timedelta(days=3),
                )
                session.add(receipt)
                session.flush()
            session.add(
                GoodsReceiptLine(
                    goods_receipt_id=receipt.id,
                    purchase_order_line_id=line.id,
                    accepted_qty=Decimal(received),
                )
            )
    session.flush()
    session.refresh(po)
    return po


def load_demo_invoices(session: Session) -> None:
    """The invoice demo: POs, receipts, invoices matched and held, a credit memo, one export."""
    people = {
        u.username: u
        for u in session.scalars(
            select(User).where(User.username.in_(["ap_clerk", "buyer", "storekeeper"]))
        )
    }
    clerk = people["ap_clerk"]
    vendors = {v.code: v for v in session.scalars(select(Vendor))}
    orders = {
        key: _order(
            session,
            vendors[code],
            days,
            lines,
            buyer=people.get("buyer"),
            receiver=people["storekeeper"],
        )
        for key, (code, days, lines) in ORDERS.items()
    }
    today = utcnow().date()
    for entry in INVOICES:
        if entry is None:
            invoices.export_approved(session, actor=clerk)
            continue
        key, number, days_ago, kind, lines = entry
        po = orders[key]
        invoice = invoices.create_invoice(
            session,
            po,
            number=number,
            invoice_on=today - timedelta(days=days_ago),
            lines=[invoices.NewLine(po.lines[i].id, Decimal(q), Decimal(p)) for i, q, p in lines],
            invoice_type=kind,
            freight=Decimal(0),
            tax=Decimal(0),
            total_amount=None,
            actor=clerk,
        )
        matching.match_batch(session, [invoice.id], actor=clerk, why="matched on entry (demo)")

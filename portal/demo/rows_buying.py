"""Row shapes of purchasing documents (requests, orders, receipts, invoices, match results,
holds), for the tests' factories and the benchmarks' bulk inserts: see portal/demo/rows.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.demo.rows import ZERO, Row, complete, exact
from portal.domain import invoices as invoice_rules
from portal.domain import purchase_orders as po_rules
from portal.domain.money import money, quantity
from portal.domain.statuses import (
    HoldStatus,
    InvoiceStatus,
    InvoiceType,
    LineKind,
    MatchStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.models.base import utcnow

# ---------------------------------------------------------------- purchasing


def purchase_request_row(
    *,
    number: str,
    cost_centre_id: int,
    requested_by_id: int,
    status: PurchaseRequestStatus = PurchaseRequestStatus.submitted,
    submitted_at: datetime | None = None,
    **columns: Any,
) -> Row:
    """A purchase request, by default submitted now."""
    submitted = submitted_at or utcnow()
    return complete(
        {
            "number": number,
            "work_order_id": None,
            "cost_centre_id": cost_centre_id,
            "requested_by_id": requested_by_id,
            "status": status,
            "reason": None,
            "needed_by_on": None,
            "submitted_at": submitted,
            "decided_at": None,
            "po_required": False,
            "created_at": submitted,
            "updated_at": submitted,
        },
        columns,
    )


def request_line_row(
    *,
    purchase_request_id: int,
    description: str,
    qty: Decimal | str,
    unit_price: Decimal | str,
    uom: str = "EA",
    kind: LineKind = LineKind.goods,
    **columns: Any,
) -> Row:
    """A purchase request line."""
    return complete(
        {
            "purchase_request_id": purchase_request_id,
            "part_line_id": None,
            "item_id": None,
            "description": description,
            "kind": kind,
            "qty": quantity(exact(qty)),
            "uom": uom,
            "unit_price": money(exact(unit_price)),
            "suggested_vendor_id": None,
            "contract_price_id": None,
            "policy_warnings": None,
        },
        columns,
    )


def purchase_order_row(
    *,
    number: str,
    vendor_id: int,
    payment_terms: str,
    status: PurchaseOrderStatus = PurchaseOrderStatus.issued,
    approved_at: datetime | None = None,
    issued_at: datetime | None = None,
    **columns: Any,
) -> Row:
    """A purchase order header."""
    created = approved_at or utcnow()
    return complete(
        {
            "number": number,
            "vendor_id": vendor_id,
            "status": status,
            "revision": 0,
            "currency": "USD",
            "payment_terms": payment_terms,
            "ship_to": None,
            "notes": None,
            "buyer_id": None,
            "approved_at": approved_at,
            "issued_at": issued_at,
            "service_frequency": None,
            "billing_schedule": None,
            "created_at": created,
            "updated_at": created,
        },
        columns,
    )


def order_line_row(
    *,
    purchase_order_id: int,
    line_no: int,
    description: str,
    qty: Decimal | str,
    unit_price: Decimal | str,
    received_qty: Decimal | str = ZERO,
    uom: str = "EA",
    kind: LineKind = LineKind.goods,
    **columns: Any,
) -> Row:
    """A PO line; what is still owed (the backorder) follows from ordered and received."""
    ordered, received = quantity(exact(qty)), quantity(exact(received_qty))
    return complete(
        {
            "purchase_order_id": purchase_order_id,
            "line_no": line_no,
            "item_id": None,
            "description": description,
            "kind": kind,
            "qty": ordered,
            "uom": uom,
            "unit_price": money(exact(unit_price)),
            "discount_percent": ZERO,
            "expected_on": None,
            "work_order_id": None,
            "cost_centre_id": None,
            "purchase_request_line_id": None,
            "storeroom_id": None,
            "received_qty": received,
            "rejected_qty": ZERO,
            "backorder_qty": po_rules.backorder(ordered, received),
            "warnings": None,
        },
        columns,
    )


def receipt_row(
    *,
    number: str,
    purchase_order_id: int,
    received_by_id: int,
    received_at: datetime | None = None,
    **columns: Any,
) -> Row:
    """A goods receipt header."""
    return complete(
        {
            "number": number,
            "purchase_order_id": purchase_order_id,
            "received_by_id": received_by_id,
            "received_at": received_at or utcnow(),
            "packing_slip_ref": None,
            "note": None,
        },
        columns,
    )


def receipt_line_row(
    *,
    goods_receipt_id: int,
    purchase_order_line_id: int,
    accepted_qty: Decimal | str,
    rejected_qty: Decimal | str = ZERO,
    **columns: Any,
) -> Row:
    """What arrived on one PO line: accepted and (with a reason) rejected."""
    rejected = quantity(exact(rejected_qty))
    return complete(
        {
            "goods_receipt_id": goods_receipt_id,
            "purchase_order_line_id": purchase_order_line_id,
            "accepted_qty": quantity(exact(accepted_qty)),
            "rejected_qty": rejected,
            "reject_reason": "Damaged" if rejected else None,
            "storeroom_id": None,
        },
        columns,
    )


# ---------------------------------------------------------------- invoices


def invoice_row(
    *,
    vendor_id: int,
    number: str,
    invoice_on: date,
    entered_by_id: int,
    billed: Iterable[tuple[Decimal | str, Decimal | str]],
    payment_terms: str | None = None,
    type: InvoiceType = InvoiceType.invoice,
    status: InvoiceStatus = InvoiceStatus.matched,
    freight: Decimal | str = ZERO,
    tax: Decimal | str = ZERO,
    **columns: Any,
) -> Row:
    """A vendor invoice (or credit memo); `billed` is its lines' (qty, unit price), from which
    the gross amount is computed as the invoice service does (lines + freight + tax)."""
    lines = [(quantity(exact(q)), money(exact(p))) for q, p in billed]
    return complete(
        {
            "vendor_id": vendor_id,
            "purchase_order_id": None,
            "number": number,
            "normalised_number": invoice_rules.normalise_invoice_number(number)[:40],
            "type": type,
            "invoice_on": invoice_on,
            "due_on": invoice_rules.due_on_for(payment_terms, invoice_on),
            "currency": "USD",
            "total_amount": None,
            "freight_amount": money(exact(freight)),
            "tax_amount": money(exact(tax)),
            "gross_amount": invoice_rules.gross_amount(lines, exact(freight), exact(tax)),
            "status": status,
            "entered_by_id": entered_by_id,
            "entered_at": utcnow(),
            "payment_export_id": None,
        },
        columns,
    )


def invoice_line_row(
    *,
    invoice_id: int,
    position: int,
    qty: Decimal | str,
    unit_price: Decimal | str,
    purchase_order_line_id: int | None = None,
    **columns: Any,
) -> Row:
    """A billed line, by default quoting the PO line by its position."""
    return complete(
        {
            "invoice_id": invoice_id,
            "position": position,
            "purchase_order_line_id": purchase_order_line_id,
            "line_ref": str(position),
            "qty": quantity(exact(qty)),
            "unit_price": money(exact(unit_price)),
            "uom": None,
        },
        columns,
    )


def match_result_row(
    *, invoice_id: int, held: bool, input_digest: str, reasons: Iterable[str] = (), **columns: Any
) -> Row:
    """The match engine's verdict on an invoice, matched or held for `reasons`."""
    return complete(
        {
            "invoice_id": invoice_id,
            "status": MatchStatus.hold if held else MatchStatus.matched,
            "result": {"status": "hold" if held else "matched", "reasons": list(reasons)},
            "input_digest": input_digest,
            "evaluated_at": utcnow(),
        },
        columns,
    )


def hold_row(
    *,
    invoice_id: int,
    match_result_id: int,
    reason_code: str = "PRICE_OVER_TOLERANCE",
    released: bool = False,
    **columns: Any,
) -> Row:
    """A hold on an invoice, open or released."""
    return complete(
        {
            "invoice_id": invoice_id,
            "invoice_line_id": None,
            "match_result_id": match_result_id,
            "reason_code": reason_code,
            "status": HoldStatus.released if released else HoldStatus.open,
            "created_at": utcnow(),
            "resolved_at": None,
            "released_by_id": None,
            "release_reason": None,
        },
        columns,
    )

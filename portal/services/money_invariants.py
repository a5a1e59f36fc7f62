"""Invariants of receipts, invoices, the budget and the audit trail, recomputed from the documents.

Checks of the `flask portal check` registry (services/invariants.py): each takes a session and
returns one sentence per violation, from a few set-based queries. The budget and the audit
trail are checked by the mechanisms that keep them (services/budget_ledger.py,
services/audit.py), put into words here.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, cast, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from portal.domain.money import format_money, format_qty
from portal.domain.statuses import HoldStatus, InvoiceType, LineKind
from portal.models import (
    GoodsReceiptLine,
    Hold,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.read_models import matching as match_policy
from portal.read_models.portable_sql import EXACT, as_decimal, qty_above, qty_differs
from portal.read_models.spend_sql import SPENT_INVOICE
from portal.services import audit, budget_ledger, receiving


def qty_words(value) -> str:
    """A quantity from the database as the pages write it."""
    return format_qty(as_decimal(value))


def money_words(value) -> str:
    """An amount from the database as the pages write it."""
    return format_money(as_decimal(value))


def _po_line_name(po_number: str, line_no: int, description: str) -> str:
    """A PO line as a person finds it: PO-2026-000012 line 2 (Bearing 6205)."""
    return f"{po_number} line {line_no} ({description})"


# ---------------------------------------------------------------- receipts


def accepted_within_ordered(session: Session) -> list[str]:
    """Goods accepted on a PO line stay within ordered plus the over-receipt tolerance, and the
    line's received quantity is what its goods receipts accepted."""
    tolerance = receiving.tolerance_percent()
    receipts = (
        select(
            GoodsReceiptLine.purchase_order_line_id.label("line_id"),
            func.sum(GoodsReceiptLine.accepted_qty).label("accepted"),
        )
        .group_by(GoodsReceiptLine.purchase_order_line_id)
        .subquery()
    )
    accepted = func.coalesce(receipts.c.accepted, 0)
    limit = cast(PurchaseOrderLine.qty, EXACT) * (100 + literal(tolerance, EXACT)) / 100
    over = qty_above(accepted, limit)
    drift = qty_differs(PurchaseOrderLine.received_qty, accepted)
    found = []
    for number, line_no, what, ordered, received, total, is_over, is_drift in session.execute(
        select(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.description,
            PurchaseOrderLine.qty,
            PurchaseOrderLine.received_qty,
            accepted,
            over,
            drift,
        )
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .outerjoin(receipts, receipts.c.line_id == PurchaseOrderLine.id)
        .where(or_(over, drift))
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
    ):
        name = _po_line_name(number, line_no, what)
        if is_over:
            found.append(
                f"{name}: {qty_words(total)} accepted, more than the {qty_words(ordered)} ordered "
                f"plus the {format_qty(tolerance)}% over-receipt tolerance"
            )
        if is_drift:
            found.append(
                f"{name}: the line says {qty_words(received)} received but its goods receipts "
                f"accepted {qty_words(total)}"
            )
    return found


# ---------------------------------------------------------------- invoices


def billed_within_received(session: Session) -> list[str]:
    """What approved invoices bill on a goods PO line (less credit memos) stays within what was
    accepted plus the match tolerance, unless an approver released a hold saying it was not."""
    policy = match_policy.policy()
    pct, absolute = policy.get("qty_pct"), policy.get("qty_abs")
    signed = case(
        (VendorInvoice.type == InvoiceType.credit_memo, -VendorInvoiceLine.qty),
        else_=VendorInvoiceLine.qty,
    )
    billed = (
        select(
            VendorInvoiceLine.purchase_order_line_id.label("line_id"),
            func.sum(signed).label("billed"),
        )
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(VendorInvoice.status.in_(SPENT_INVOICE))
        .group_by(VendorInvoiceLine.purchase_order_line_id)
        .subquery()
    )
    variance = cast(billed.c.billed, EXACT) - cast(PurchaseOrderLine.received_qty, EXACT)
    tests = []
    if pct is not None:
        tests.append(variance * 100 > cast(PurchaseOrderLine.received_qty, EXACT) * Decimal(pct))
    if absolute is not None:
        tests.append(variance > literal(Decimal(absolute), EXACT))
    if not tests:
        return []
    released_line = aliased(VendorInvoiceLine)
    released = (
        select(Hold.id)
        .join(released_line, released_line.id == Hold.invoice_line_id)
        .where(
            released_line.purchase_order_line_id == PurchaseOrderLine.id,
            Hold.status == HoldStatus.released,
            Hold.reason_code.in_(("QTY_OVER_RECEIVED", "NOT_RECEIVED")),
        )
        .exists()
    )
    rows = session.execute(
        select(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.description,
            billed.c.billed,
            PurchaseOrderLine.received_qty,
        )
        .select_from(PurchaseOrderLine)
        .join(billed, billed.c.line_id == PurchaseOrderLine.id)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.kind == LineKind.goods,
            qty_above(billed.c.billed, PurchaseOrderLine.received_qty),
            or_(*tests),
            ~released,
        )
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
    )
    words = []
    if pct is not None:
        words.append(f"{format_qty(Decimal(pct))}%")
    if absolute is not None:
        words.append(format_qty(Decimal(absolute)))
    limits = " and ".join(words)
    return [
        f"{_po_line_name(number, line_no, what)}: approved invoices bill {qty_words(qty)} but only "
        f"{qty_words(received)} were received (tolerance {limits}), and no hold on it was released"
        for number, line_no, what, qty, received in rows
    ]


# ---------------------------------------------------------------- budget and audit trail


def _ledger_names(session: Session, ledger: str, ids: list[int]) -> dict[int, str]:
    """The document lines behind derived budget rows, named as the pages name them."""
    if ledger == "requested":
        requested = session.execute(
            select(PurchaseRequestLine.id, PurchaseRequest.number, PurchaseRequestLine.description)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
            .where(PurchaseRequestLine.id.in_(ids))
        )
        return {i: f"{number} line ({what})" for i, number, what in requested}
    if ledger == "committed":
        committed = session.execute(
            select(
                PurchaseOrderLine.id,
                PurchaseOrder.number,
                PurchaseOrderLine.line_no,
                PurchaseOrderLine.description,
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrderLine.id.in_(ids))
        )
        return {i: _po_line_name(number, no, what) for i, number, no, what in committed}
    spent = session.execute(
        select(VendorInvoiceLine.id, VendorInvoice.number, VendorInvoiceLine.position)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(VendorInvoiceLine.id.in_(ids))
    )
    return {i: f"invoice {number} line {position}" for i, number, position in spent}


_LEDGER_WORDS = {"requested": "approved", "committed": "committed", "spent": "spent"}


def _ledger_amount(row: tuple | None) -> str:
    """The amount of a derived row (its last column), or that there is none."""
    return "nothing" if row is None else money_words(row[-1])


def budget_rows_match_documents(session: Session) -> list[str]:
    """The budget's derived rows (services/budget_ledger.py) equal the documents, and the
    triggers that keep them are in place."""
    found = [
        f"the budget trigger {name} is missing: budget figures stop following the documents"
        for name in budget_ledger.missing_triggers()
    ]
    drifts = budget_ledger.check_ledger()
    names: dict[tuple[str, int], str] = {}
    for ledger in {d.ledger for d in drifts}:
        keys = [d.key for d in drifts if d.ledger == ledger]
        names.update(((ledger, k), v) for k, v in _ledger_names(session, ledger, keys).items())
    for d in drifts:
        what = names.get((d.ledger, d.key), f"{d.ledger} line #{d.key} (no longer there)")
        stored, expected = _ledger_amount(d.stored), _ledger_amount(d.expected)
        if stored == expected and d.stored is not None and d.expected is not None:
            found.append(
                f"{what}: the budget counts {stored} {_LEDGER_WORDS[d.ledger]} under cost "
                f"centre and date {d.stored[:-1]}, the documents say {d.expected[:-1]}"
            )
            continue
        found.append(
            f"{what}: the budget counts {stored} {_LEDGER_WORDS[d.ledger]}, "
            f"the documents say {expected}"
        )
    return found


def audit_trail_intact(session: Session) -> list[str]:
    """The audit trail is intact: nothing altered, removed or inserted (services/audit.py)."""
    return [f"audit trail {brk.kind}: {brk.detail}" for brk in audit.verify_trail(session).breaks]

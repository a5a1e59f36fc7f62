"""The match engine's input, built from the tables for a batch of invoices.

Inputs are loaded in bulk (a fixed number of queries per batch, whatever its size), so one
invoice on entry and 100,000 lines in a re-match run share one code path. The input's shape is
the engine's (`portal/domain/matching.py`, `shared/domain/match-spec.md`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, union
from sqlalchemy.orm import Session, aliased

from portal.domain.invoices import INACTIVE
from portal.domain.statuses import LineKind, PurchaseOrderStatus
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.read_models.matching import policy

_inv = VendorInvoice
# A row of any of the batch's queries (each query selects its own columns).
AnyRow = Row[*tuple[Any, ...]]
# What the engine reads of an invoice or credit memo, the evaluated one or another.
_DOCUMENT = (
    _inv.id,
    _inv.vendor_id,
    _inv.purchase_order_id,
    _inv.number,
    _inv.normalised_number,
    _inv.type,
    _inv.invoice_on,
    _inv.currency,
    _inv.freight_amount,
    _inv.tax_amount,
)


def _text(value: Decimal) -> str:
    """A Decimal as the engine's plain decimal string."""
    return format(value, "f")


def _po_status(status: PurchaseOrderStatus) -> str:
    """The engine knows open, closed and cancelled."""
    if status is PurchaseOrderStatus.closed:
        return "closed"
    if status is PurchaseOrderStatus.cancelled:
        return "cancelled"
    return "open"


def _doc_lines(lines: Iterable[AnyRow], line_no_of: dict[int, int]) -> list[dict[str, str]]:
    """Invoice lines as the engine reads them; the PO line is named by its number."""
    out = []
    for row in lines:
        line_id = (
            str(line_no_of[row.purchase_order_line_id])
            if row.purchase_order_line_id in line_no_of
            else f"?{row.line_ref}"
        )
        entry = {"line_id": line_id, "qty": _text(row.qty), "unit_price": _text(row.unit_price)}
        if row.uom:
            entry["uom"] = row.uom
        out.append(entry)
    return out


@dataclass
class _Batch:
    """Everything read for one batch of invoices, grouped for building each input."""

    invoices: Sequence[AnyRow] = ()
    pos: dict[int, AnyRow] = field(default_factory=dict)
    po_lines: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    receipts: dict[int, list[dict[str, str]]] = field(default_factory=lambda: defaultdict(list))
    # Other documents that can change a result, and every document's lines.
    lines_of: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    by_po: dict[int, list[AnyRow]] = field(default_factory=lambda: defaultdict(list))
    by_number: dict[tuple[int, str], list[AnyRow]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_date: dict[tuple[int, Any], list[AnyRow]] = field(default_factory=lambda: defaultdict(list))


def _load_orders(session: Session, batch: _Batch) -> set[int]:
    """The batch's POs, their lines and their receipts (three queries); the PO ids."""
    po_ids = {row.purchase_order_id for row in batch.invoices if row.purchase_order_id}
    batch.pos = {
        row.id: row
        for row in session.execute(
            select(
                PurchaseOrder.id,
                PurchaseOrder.number,
                PurchaseOrder.vendor_id,
                PurchaseOrder.status,
                PurchaseOrder.currency,
                PurchaseOrder.approved_at,
                PurchaseOrder.created_at,
            ).where(PurchaseOrder.id.in_(po_ids))
        )
    }
    line_no_of: dict[int, int] = {}
    for row in session.execute(
        select(
            PurchaseOrderLine.id,
            PurchaseOrderLine.purchase_order_id,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.item_id,
            PurchaseOrderLine.kind,
            PurchaseOrderLine.qty,
            PurchaseOrderLine.uom,
            PurchaseOrderLine.unit_price,
        )
        .where(PurchaseOrderLine.purchase_order_id.in_(po_ids))
        .order_by(PurchaseOrderLine.purchase_order_id, PurchaseOrderLine.line_no)
    ):
        batch.po_lines[row.purchase_order_id].append(row)
        line_no_of[row.id] = row.line_no
    for receipt in session.execute(
        select(
            GoodsReceipt.purchase_order_id,
            GoodsReceiptLine.purchase_order_line_id,
            GoodsReceiptLine.accepted_qty,
            GoodsReceiptLine.rejected_qty,
            GoodsReceipt.received_at,
        )
        .join(GoodsReceipt, GoodsReceipt.id == GoodsReceiptLine.goods_receipt_id)
        .where(GoodsReceipt.purchase_order_id.in_(po_ids))
        .order_by(GoodsReceiptLine.id)
    ):
        batch.receipts[receipt.purchase_order_id].append(
            {
                "line_id": str(line_no_of[receipt.purchase_order_line_id]),
                "qty_received": _text(receipt.accepted_qty + receipt.rejected_qty),
                "qty_rejected": _text(receipt.rejected_qty),
                "date": receipt.received_at.date().isoformat(),
            }
        )
    return po_ids


def _load_related(
    session: Session, batch: _Batch, invoice_ids: list[int], po_ids: set[int]
) -> None:
    """Other documents: the same PO (billed quantities) or the same vendor with the same number
    or date (the two duplicate checks); nothing else can change the result. Then every
    document's lines. Index lookups per invoice of the batch (self-joins), never a scan."""
    this = aliased(VendorInvoice)
    same_number = (
        select(_inv.id)
        .join(
            this,
            (this.vendor_id == _inv.vendor_id) & (this.normalised_number == _inv.normalised_number),
        )
        .where(this.id.in_(invoice_ids))
    )
    same_date = (
        select(_inv.id)
        .join(this, (this.vendor_id == _inv.vendor_id) & (this.invoice_on == _inv.invoice_on))
        .where(this.id.in_(invoice_ids))
    )
    same_po = select(_inv.id).where(_inv.purchase_order_id.in_(po_ids))
    prior_rows = session.execute(
        select(*_DOCUMENT, _inv.status).where(
            _inv.id.in_(union(same_po, same_number, same_date).scalar_subquery())
        )
    ).all()
    wanted = {row.id for row in prior_rows} | set(invoice_ids)
    for line in session.execute(
        select(
            VendorInvoiceLine.invoice_id,
            VendorInvoiceLine.purchase_order_line_id,
            VendorInvoiceLine.line_ref,
            VendorInvoiceLine.qty,
            VendorInvoiceLine.unit_price,
            VendorInvoiceLine.uom,
        )
        .where(VendorInvoiceLine.invoice_id.in_(wanted))
        .order_by(VendorInvoiceLine.invoice_id, VendorInvoiceLine.position)
    ):
        batch.lines_of[line.invoice_id].append(line)
    for row in prior_rows:
        if row.purchase_order_id:
            batch.by_po[row.purchase_order_id].append(row)
        batch.by_number[(row.vendor_id, row.normalised_number)].append(row)
        batch.by_date[(row.vendor_id, row.invoice_on)].append(row)


def _prior_invoices(
    batch: _Batch, row: AnyRow, po_number: str, own_line_nos: dict[int, int]
) -> list[dict[str, Any]]:
    """The other documents that bear on one invoice, as the engine reads them, by id."""
    seen: dict[int, AnyRow] = {}
    for group in (
        batch.by_po.get(row.purchase_order_id, []),
        batch.by_number.get((row.vendor_id, row.normalised_number), []),
        batch.by_date.get((row.vendor_id, row.invoice_on), []),
    ):
        for other in group:
            if other.id != row.id:
                seen[other.id] = other
    prior = []
    for other in sorted(seen.values(), key=lambda o: o.id):
        same_po = other.purchase_order_id == row.purchase_order_id
        prior.append(
            {
                "vendor": str(other.vendor_id),
                "number": other.number,
                "date": other.invoice_on.isoformat(),
                "currency": other.currency,
                "type": other.type.value,
                "status": "cancelled" if other.status in INACTIVE else "active",
                "po_number": po_number if same_po else f"other-{other.purchase_order_id}",
                "freight_amount": _text(other.freight_amount),
                "tax_amount": _text(other.tax_amount),
                "lines": _doc_lines(
                    batch.lines_of.get(other.id, []), own_line_nos if same_po else {}
                ),
            }
        )
    return prior


def _po_document(batch: _Batch, row: AnyRow, po_number: str) -> dict[str, Any]:
    """The invoice's PO as the engine reads it (a stand-in when the invoice has none)."""
    po = batch.pos.get(row.purchase_order_id)
    approved = (po.approved_at or po.created_at) if po else None
    return {
        "po_number": po_number,
        "vendor": str(po.vendor_id if po else row.vendor_id),
        "currency": po.currency if po else row.currency,
        "status": _po_status(po.status) if po else "open",
        "created_date": (approved.date() if approved else row.invoice_on).isoformat(),
        "lines": [
            {
                "line_id": str(line.line_no),
                "item": f"item-{line.item_id}" if line.item_id else f"line-{line.line_no}",
                "uom": line.uom,
                "qty_ordered": _text(line.qty),
                "unit_price": _text(line.unit_price),
                "kind": "service" if line.kind is LineKind.service else "goods",
            }
            for line in batch.po_lines.get(row.purchase_order_id, [])
        ],
    }


def _engine_input(batch: _Batch, row: AnyRow, the_policy: dict) -> dict[str, Any]:
    """One invoice's whole engine input."""
    po = batch.pos.get(row.purchase_order_id)
    po_number = po.number if po else f"none-{row.id}"
    own_line_nos = {line.id: line.line_no for line in batch.po_lines.get(row.purchase_order_id, [])}
    document: dict[str, Any] = {
        "vendor": str(row.vendor_id),
        "number": row.number,
        "date": row.invoice_on.isoformat(),
        "currency": row.currency,
        "type": row.type.value,
        "freight_amount": _text(row.freight_amount),
        "tax_amount": _text(row.tax_amount),
        "lines": _doc_lines(batch.lines_of.get(row.id, []), own_line_nos),
    }
    if row.total_amount is not None:
        document["total_amount"] = _text(row.total_amount)
    return {
        "policy": the_policy,
        "po": _po_document(batch, row, po_number),
        "receipts": batch.receipts.get(row.purchase_order_id, []),
        "prior_invoices": _prior_invoices(batch, row, po_number, own_line_nos),
        "invoice": document,
    }


def build_inputs(session: Session, invoice_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The engine input for each invoice, loaded in eight queries for the whole batch."""
    if not invoice_ids:
        return {}
    batch = _Batch()
    batch.invoices = session.execute(
        select(*_DOCUMENT, _inv.total_amount).where(_inv.id.in_(invoice_ids))
    ).all()
    po_ids = _load_orders(session, batch)
    _load_related(session, batch, invoice_ids, po_ids)
    the_policy = policy()
    return {row.id: _engine_input(batch, row, the_policy) for row in batch.invoices}

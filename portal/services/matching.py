"""Matching invoices: build the engine's input from the tables, run it, keep result and holds.

Inputs are loaded in bulk for a batch of invoices (a fixed number of queries per batch, whatever
its size), so one invoice on entry and 100,000 lines in a re-match run share one code path.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import func, insert, select, union, update
from sqlalchemy.orm import Session, aliased

from portal.domain.errors import NotFound
from portal.domain.invoices import INACTIVE
from portal.domain.matching import REASON_CODES, evaluate
from portal.domain.statuses import (
    HoldStatus,
    InvoiceStatus,
    LineKind,
    MatchStatus,
    PurchaseOrderStatus,
)
from portal.models import (
    GoodsReceipt,
    GoodsReceiptLine,
    Hold,
    MatchResult,
    PurchaseOrder,
    PurchaseOrderLine,
    User,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import unit_of_work

LATE_RECEIPT = "released by a late receipt"
REMATCHABLE = (InvoiceStatus.entered, InvoiceStatus.hold)
_POLICY_KEYS = {
    "price_pct": "MATCH_PRICE_PCT",
    "price_abs": "MATCH_PRICE_ABS",
    "qty_pct": "MATCH_QTY_PCT",
    "qty_abs": "MATCH_QTY_ABS",
    "amount_abs": "MATCH_AMOUNT_ABS",
    "freight_abs": "MATCH_FREIGHT_ABS",
    "service_match": "MATCH_SERVICE_MATCH",
}
_ORDER = {code: n for n, code in enumerate(REASON_CODES)}


def policy() -> dict:
    """The tolerance policy in force, as the engine reads it (from the MATCH_* settings)."""
    config = current_app.config
    return {
        key: (None if config.get(name) is None else str(config[name]))
        for key, name in _POLICY_KEYS.items()
    }


@dataclass
class Decision:
    """What one run of the engine did to one invoice."""

    invoice_id: int
    number: str
    before: InvoiceStatus
    after: InvoiceStatus
    opened: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    lines: int = 0
    unchanged: bool = False


def _text(value) -> str:
    """A Decimal as the engine's plain decimal string."""
    return format(value, "f")


def _po_status(status: PurchaseOrderStatus) -> str:
    """The engine knows open, closed and cancelled."""
    if status is PurchaseOrderStatus.closed:
        return "closed"
    if status is PurchaseOrderStatus.cancelled:
        return "cancelled"
    return "open"


def _doc_lines(lines, line_no_of: dict[int, int]) -> list[dict]:
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


def build_inputs(session: Session, invoice_ids: list[int]) -> dict[int, dict]:
    """The engine input for each invoice, loaded in eight queries for the whole batch."""
    if not invoice_ids:
        return {}
    inv = VendorInvoice
    invoices = session.execute(
        select(
            inv.id,
            inv.vendor_id,
            inv.purchase_order_id,
            inv.number,
            inv.normalised_number,
            inv.type,
            inv.invoice_on,
            inv.currency,
            inv.total_amount,
            inv.freight_amount,
            inv.tax_amount,
        ).where(inv.id.in_(invoice_ids))
    ).all()
    po_ids = {row.purchase_order_id for row in invoices if row.purchase_order_id}
    pos = {
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
    po_lines: dict[int, list] = defaultdict(list)
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
        po_lines[row.purchase_order_id].append(row)
        line_no_of[row.id] = row.line_no
    receipts: dict[int, list[dict]] = defaultdict(list)
    for row in session.execute(
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
        receipts[row.purchase_order_id].append(
            {
                "line_id": str(line_no_of[row.purchase_order_line_id]),
                "qty_received": _text(row.accepted_qty + row.rejected_qty),
                "qty_rejected": _text(row.rejected_qty),
                "date": row.received_at.date().isoformat(),
            }
        )
    # Other documents: the same PO (billed quantities) or the same vendor with the same number
    # or date (the two duplicate checks); nothing else can change the result.
    # Index lookups per invoice of the batch (self-joins), never a scan of all invoices.
    this = aliased(VendorInvoice)
    same_number = (
        select(inv.id)
        .join(
            this,
            (this.vendor_id == inv.vendor_id) & (this.normalised_number == inv.normalised_number),
        )
        .where(this.id.in_(invoice_ids))
    )
    same_date = (
        select(inv.id)
        .join(this, (this.vendor_id == inv.vendor_id) & (this.invoice_on == inv.invoice_on))
        .where(this.id.in_(invoice_ids))
    )
    same_po = select(inv.id).where(inv.purchase_order_id.in_(po_ids))
    prior_rows = session.execute(
        select(
            inv.id,
            inv.vendor_id,
            inv.purchase_order_id,
            inv.number,
            inv.normalised_number,
            inv.type,
            inv.invoice_on,
            inv.currency,
            inv.freight_amount,
            inv.tax_amount,
            inv.status,
        ).where(inv.id.in_(union(same_po, same_number, same_date).scalar_subquery()))
    ).all()
    wanted = {row.id for row in prior_rows} | set(invoice_ids)
    lines_of: dict[int, list] = defaultdict(list)
    for row in session.execute(
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
        lines_of[row.invoice_id].append(row)
    by_po: dict[int, list] = defaultdict(list)
    by_vendor_number: dict[tuple, list] = defaultdict(list)
    by_vendor_date: dict[tuple, list] = defaultdict(list)
    for row in prior_rows:
        if row.purchase_order_id:
            by_po[row.purchase_order_id].append(row)
        by_vendor_number[(row.vendor_id, row.normalised_number)].append(row)
        by_vendor_date[(row.vendor_id, row.invoice_on)].append(row)

    the_policy = policy()
    inputs = {}
    for row in invoices:
        po = pos.get(row.purchase_order_id)
        po_number = po.number if po else f"none-{row.id}"
        own_line_nos = {line.id: line.line_no for line in po_lines.get(row.purchase_order_id, [])}
        seen: dict[int, object] = {}
        for group in (
            by_po.get(row.purchase_order_id, []),
            by_vendor_number.get((row.vendor_id, row.normalised_number), []),
            by_vendor_date.get((row.vendor_id, row.invoice_on), []),
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
                        lines_of.get(other.id, []), own_line_nos if same_po else {}
                    ),
                }
            )
        approved = (po.approved_at or po.created_at) if po else None
        document = {
            "vendor": str(row.vendor_id),
            "number": row.number,
            "date": row.invoice_on.isoformat(),
            "currency": row.currency,
            "type": row.type.value,
            "freight_amount": _text(row.freight_amount),
            "tax_amount": _text(row.tax_amount),
            "lines": _doc_lines(lines_of.get(row.id, []), own_line_nos),
        }
        if row.total_amount is not None:
            document["total_amount"] = _text(row.total_amount)
        inputs[row.id] = {
            "policy": the_policy,
            "po": {
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
                    for line in po_lines.get(row.purchase_order_id, [])
                ],
            },
            "receipts": receipts.get(row.purchase_order_id, []),
            "prior_invoices": prior,
            "invoice": document,
        }
    return inputs


def digest(engine_input: dict) -> str:
    """SHA-256 of the input's canonical JSON: the same inputs give the same digest."""
    canonical = json.dumps(engine_input, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reason_codes(result: dict) -> list[str]:
    """Every reason the result holds the invoice for, in the spec's order, each once."""
    if "error" in result:
        return [f"INPUT_{result['error']['code']}"[:32]]
    codes = set(result.get("header_reasons", []))
    for line in result.get("lines", []):
        codes.update(line.get("reasons", []))
    return sorted(codes, key=lambda code: _ORDER.get(code, len(_ORDER)))


def _first_line_with(result: dict, code: str, line_ids: list[int]) -> int | None:
    """The invoice line a line-level reason was first found on (None for header reasons)."""
    if code in result.get("header_reasons", []):
        return None
    for line in result.get("lines", []):
        if code in line.get("reasons", []) and line["index"] < len(line_ids):
            return line_ids[line["index"]]
    return None


def match_batch(
    session: Session,
    invoice_ids: list[int],
    *,
    actor: User | None,
    why: str,
    audit_each: bool = True,
    skip_unchanged: bool = False,
) -> list[Decision]:
    """Run the engine on invoices in the caller's transaction: result, holds and status kept."""
    inputs = build_inputs(session, invoice_ids)
    if not inputs:
        return []
    ids = list(inputs)
    heads = {
        row.id: row
        for row in session.execute(
            select(VendorInvoice.id, VendorInvoice.number, VendorInvoice.status).where(
                VendorInvoice.id.in_(ids)
            )
        )
    }
    line_ids: dict[int, list[int]] = defaultdict(list)
    for invoice_id, line_id in session.execute(
        select(VendorInvoiceLine.invoice_id, VendorInvoiceLine.id)
        .where(VendorInvoiceLine.invoice_id.in_(ids))
        .order_by(VendorInvoiceLine.invoice_id, VendorInvoiceLine.position)
    ):
        line_ids[invoice_id].append(line_id)
    open_holds: dict[int, dict[str, int]] = defaultdict(dict)
    for hold_id, hold_invoice_id, code in session.execute(
        select(Hold.id, Hold.invoice_id, Hold.reason_code).where(
            Hold.invoice_id.in_(ids), Hold.status == HoldStatus.open
        )
    ):
        open_holds[hold_invoice_id][code] = hold_id
    latest: dict[int, str] = {}
    if skip_unchanged:
        newest = (
            select(func.max(MatchResult.id))
            .where(MatchResult.invoice_id.in_(ids))
            .group_by(MatchResult.invoice_id)
        )
        latest = dict(
            session.execute(
                select(MatchResult.invoice_id, MatchResult.input_digest).where(
                    MatchResult.id.in_(newest)
                )
            ).all()
        )
    now = utcnow()
    decisions: list[Decision] = []
    by_status: dict[InvoiceStatus, list[int]] = defaultdict(list)
    results: list[dict] = []
    new_holds: list[tuple[int, dict]] = []  # (index into results, hold row)
    cleared_ids: list[int] = []
    for invoice_id in ids:
        engine_input = inputs[invoice_id]
        head = heads[invoice_id]
        key = digest(engine_input)
        count = len(engine_input["invoice"]["lines"])
        if skip_unchanged and latest.get(invoice_id) == key:
            decisions.append(
                Decision(
                    invoice_id, head.number, head.status, head.status, lines=count, unchanged=True
                )
            )
            continue
        result = evaluate(engine_input)
        status = MatchStatus.error if "error" in result else MatchStatus(result["status"])
        results.append(
            {
                "invoice_id": invoice_id,
                "status": status,
                "result": result,
                "input_digest": key,
                "evaluated_at": now,
            }
        )
        codes = reason_codes(result) if status is not MatchStatus.matched else []
        held = open_holds.get(invoice_id, {})
        cleared = [code for code in held if code not in codes]
        cleared_ids.extend(held[code] for code in cleared)
        opened = [code for code in codes if code not in held]
        for code in opened:
            new_holds.append(
                (
                    len(results) - 1,
                    {
                        "invoice_id": invoice_id,
                        "invoice_line_id": _first_line_with(result, code, line_ids[invoice_id]),
                        "reason_code": code,
                        "status": HoldStatus.open,
                        "created_at": now,
                    },
                )
            )
        after = InvoiceStatus.matched if status is MatchStatus.matched else InvoiceStatus.hold
        if after is not head.status:
            by_status[after].append(invoice_id)
        decisions.append(
            Decision(invoice_id, head.number, head.status, after, opened, cleared, count)
        )
    # Set-based writes: one multi-row INSERT per table and one UPDATE per kind of change.
    session.flush()
    if results:
        result_ids = list(
            session.scalars(
                insert(MatchResult).returning(MatchResult.id, sort_by_parameter_order=True),
                results,
            )
        )
        if new_holds:
            session.execute(
                insert(Hold),
                [dict(row, match_result_id=result_ids[n]) for n, row in new_holds],
            )
    if cleared_ids:
        session.execute(
            update(Hold)
            .where(Hold.id.in_(cleared_ids), Hold.status == HoldStatus.open)
            .values(status=HoldStatus.cleared, resolved_at=now, release_reason=why[:1000])
            .execution_options(synchronize_session=False)
        )
    for after, moved in by_status.items():
        session.execute(
            update(VendorInvoice)
            .where(
                VendorInvoice.id.in_(moved),
                VendorInvoice.status.in_(REMATCHABLE + (InvoiceStatus.matched,)),
            )
            .values(status=after)
            .execution_options(synchronize_session=False)
        )
    # Objects already loaded in this session (the invoice just entered) must read the new state.
    for (cls, ident, *_), obj in list(session.identity_map.items()):
        if (cls is VendorInvoice and ident[0] in inputs) or (
            cls is Hold and obj.__dict__.get("invoice_id") in inputs
        ):
            session.expire(obj)
    if audit_each:
        for decision in decisions:
            if not decision.unchanged:
                _audit_decision(session, decision, actor=actor, why=why)
    return decisions


def _audit_decision(session: Session, decision: Decision, *, actor: User | None, why: str) -> None:
    """One audit event for what a match run did to one invoice."""
    changes = {"status": [decision.before, decision.after]}
    if decision.opened:
        changes["holds_opened"] = decision.opened
    if decision.cleared:
        changes["holds_cleared"] = decision.cleared
    cleared_all = decision.cleared and decision.after is InvoiceStatus.matched
    audit.record(
        session,
        actor=actor,
        action="invoice.hold_cleared" if cleared_all else "invoice.matched",
        subject=session.get(VendorInvoice, decision.invoice_id),
        changes=changes,
        why=why,
    )


def match_invoice(invoice_id: int, *, actor: User | None) -> Decision:
    """Match one invoice now (its own transaction): result stored, holds opened or cleared."""
    with unit_of_work() as session:
        decisions = match_batch(session, [invoice_id], actor=actor, why="matched on request")
    if not decisions:
        raise NotFound(f"Invoice {invoice_id} does not exist.")
    return decisions[0]


def rematch_after_receipt(
    session: Session, purchase_order_id: int, *, actor: User | None
) -> list[Decision]:
    """Re-run every held invoice of the PO in the caller's transaction; cleared holds audited."""
    held = list(
        session.scalars(
            select(VendorInvoice.id)
            .where(
                VendorInvoice.purchase_order_id == purchase_order_id,
                VendorInvoice.status == InvoiceStatus.hold,
            )
            .order_by(VendorInvoice.id)
        )
    )
    return match_batch(session, held, actor=actor, why=LATE_RECEIPT)


@dataclass
class RematchStats:
    """What a full re-match run did."""

    invoices: int = 0
    lines: int = 0
    changed: int = 0
    unchanged: int = 0
    batches: int = 0


def rematch_all(batch: int = 2000, *, actor: User | None = None, since_id: int = 0) -> RematchStats:
    """Re-match every entered or held invoice, `batch` at a time, one transaction per batch."""
    stats = RematchStats()
    last = since_id
    while True:
        with unit_of_work() as session:
            ids = list(
                session.scalars(
                    select(VendorInvoice.id)
                    .where(VendorInvoice.id > last, VendorInvoice.status.in_(REMATCHABLE))
                    .order_by(VendorInvoice.id)
                    .limit(batch)
                )
            )
            if not ids:
                break
            decisions = match_batch(
                session, ids, actor=actor, why="re-match run", audit_each=False, skip_unchanged=True
            )
            moved = {
                str(d.invoice_id): [d.before, d.after] for d in decisions if d.before is not d.after
            }
            if moved:
                audit.record(
                    session,
                    actor=actor,
                    action="invoice.rematched",
                    subject_type="system",
                    changes={"invoices": len(decisions), "status": moved},
                    why="re-match run",
                )
            last = ids[-1]
        stats.batches += 1
        stats.invoices += len(decisions)
        stats.lines += sum(d.lines for d in decisions)
        stats.changed += sum(1 for d in decisions if not d.unchanged)
        stats.unchanged += sum(1 for d in decisions if d.unchanged)
    return stats


def latest_result(session: Session, invoice_id: int) -> MatchResult | None:
    """The newest stored match result of an invoice."""
    return session.scalar(
        select(MatchResult)
        .where(MatchResult.invoice_id == invoice_id)
        .order_by(MatchResult.id.desc())
        .limit(1)
    )

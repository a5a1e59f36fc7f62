"""A purchase order after it is made: edit the draft, approve, issue, revise after issue, cancel,
close. One use case, one transaction, one audit event per change; each asked for by a buyer
(`manage_purchase_orders`), each on the PO row locked first, each form posted twice done once
(`submitted_once`). Approved request lines become POs in `services.po_creation`; what the pages
show is `read_models.purchase_orders`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.domain import po_approval as spend_rules
from portal.domain import purchase_orders as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.permissions import Capability as C
from portal.domain.sourcing import SourceWarning
from portal.domain.statuses import PurchaseOrderStatus, PurchaseRequestStatus
from portal.models import (
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
)
from portal.models.base import utcnow
from portal.read_models import po_approval as spend
from portal.read_models.purchase_orders import ZERO, any_received
from portal.read_models.sourcing import SourceNeed, assess_sources
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize

S = PurchaseOrderStatus


def reload_lines(session: Session, po: PurchaseOrder) -> None:
    """Read the PO's lines as they are now, in one query (a refresh of the collection takes two)."""
    lines = session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
        .execution_options(populate_existing=True)
    ).all()
    set_committed_value(po, "lines", list(lines))


def locked_po(session: Session, po_id: int) -> PurchaseOrder:
    """The PO locked for the rest of the transaction, with its lines as they are now."""
    po = locked(session, PurchaseOrder, po_id, missing=f"Purchase order {po_id} does not exist.")
    reload_lines(session, po)
    return po


def assess_lines(
    session: Session,
    vendor_id: int,
    lines: Sequence[PurchaseRequestLine] | Sequence[PurchaseOrderLine],
    items: dict[int, Item],
    on: date,
) -> list[list[SourceWarning]]:
    """Sourcing warnings for each request or order line bought from one vendor, read at once."""
    needs = [
        SourceNeed(
            ln.item_id,
            ln.unit_price,
            ln.uom,
            category=item.category
            if ln.item_id is not None and (item := items.get(ln.item_id))
            else None,
            description=ln.description,
        )
        for ln in lines
    ]
    return assess_sources(session, vendor_id=vendor_id, needs=needs, on=on)


@dataclass(frozen=True)
class DraftHeader:
    """The header fields a buyer edits on a draft; empty payment terms take the vendor's."""

    payment_terms: str | None = None
    ship_to: str | None = None
    notes: str | None = None
    service_frequency: str | None = None
    billing_schedule: str | None = None


@submitted_once("update_purchase_order_draft")
def update_draft(
    po_id: int,
    *,
    header: DraftHeader,
    lines: dict[int, rules.LineChange],
    actor: User,
    submission_id: str | None = None,
) -> PurchaseOrder:
    """Change a draft's header and lines (price, discount, expected date, qty), audited."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        po = locked_po(session, po_id)
        if po.status is not S.draft:
            raise DomainError(
                "Only a draft is edited in place; after issue, make a revision with a reason."
            )
        vendor_terms = session.scalar(select(Vendor.payment_terms).where(Vendor.id == po.vendor_id))
        changes: dict[str, Any] = {}
        values = {
            "payment_terms": _clean(header.payment_terms, 32) or vendor_terms,
            "ship_to": _clean(header.ship_to, 300),
            "notes": _clean(header.notes, 4000),
            "service_frequency": _clean(header.service_frequency, 40),
            "billing_schedule": _clean(header.billing_schedule, 40),
        }
        for name, value in values.items():
            if getattr(po, name) != value:
                changes[name] = [getattr(po, name), value]
                setattr(po, name, value)
        by_id = {ln.id: ln for ln in po.lines}
        amounts = False  # any amount changed: approvals of the old amounts lapse
        for line_id, change in lines.items():
            line = by_id.get(line_id)
            if line is None:
                raise NotFound(f"Line {line_id} is not on {po.number}.")
            fields = _apply_line_change(line, change)
            if fields:
                changes[f"line {line.line_no}"] = dated(fields)
                amounts = amounts or bool(fields.keys() & {"qty", "unit_price", "discount_percent"})
        if amounts:
            amounts_changed(po, actor=actor)
        if changes:
            refresh_warnings(session, po)
            known = spend.facts(session, po)
            if known.assessment.needed:
                changes["approval_needed"] = known.assessment.sentence()
            audit.record(
                session,
                actor=actor,
                action="purchase_order.updated",
                subject=po,
                changes=changes,
                why="Draft edited by the buyer",
            )
    return po


def amounts_changed(po: PurchaseOrder, *, actor: User) -> None:
    """The PO's amounts changed: its author may not approve them, earlier approvals lapse."""
    po.amended_by_id = actor.id
    po.approval_round = (po.approval_round or 0) + 1


def check_spend_approved(session: Session, po: PurchaseOrder, doing: str) -> None:
    """SpendApprovalNeeded, in words, while the PO's amounts wait for the approval matrix."""
    known = spend.facts(session, po)
    if known.pending:
        raise spend_rules.SpendApprovalNeeded(
            f"{po.number} cannot be {doing} yet: {known.assessment.sentence()} "
            "Approvers see it on this page; whoever wrote or changed it cannot approve it."
        )


def dated(fields: dict[str, list]) -> dict[str, list]:
    """Dates in a change as ISO text (the audit trail stores JSON)."""
    return {
        k: [v.isoformat() if isinstance(v, date) else v for v in pair] for k, pair in fields.items()
    }


def _clean(value: str | None, limit: int) -> str | None:
    """Trimmed text or None."""
    text = (value or "").strip()
    return text[:limit] or None


def _apply_line_change(line: PurchaseOrderLine, change: rules.LineChange) -> dict[str, list]:
    """Set what changed on a line; {field: [before, after]}."""
    fields: dict[str, list] = {}
    for name in ("qty", "unit_price", "discount_percent"):
        value = getattr(change, name)
        if value is not None and value != getattr(line, name):
            fields[name] = [getattr(line, name), value]
            setattr(line, name, value)
    new_date = None if change.clear_expected_on else change.expected_on
    if (
        change.clear_expected_on or change.expected_on is not None
    ) and new_date != line.expected_on:
        fields["expected_on"] = [line.expected_on, new_date]
        line.expected_on = new_date
    line.backorder_qty = rules.backorder(line.qty, line.received_qty)
    return fields


def refresh_warnings(session: Session, po: PurchaseOrder) -> list[str]:
    """Re-assess every line's source (BlockedVendor raises); store and return the words."""
    item_ids = {ln.item_id for ln in po.lines} - {None}
    # Loaded whole and held here, so the assessment finds them in the session.
    items = (
        {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}
        if item_ids
        else {}
    )
    found = assess_lines(session, po.vendor_id, po.lines, items, date.today())
    texts: list[str] = []
    for ln, warnings in zip(po.lines, found, strict=True):
        ln.warnings = [w.as_dict() for w in warnings]
        texts.extend(w.text for w in warnings)
    return texts


@submitted_once("approve_purchase_order")
def approve_purchase_order(
    po_id: int, *, actor: User, submission_id: str | None = None
) -> PurchaseOrder:
    """Draft to approved: sourcing re-checked and stored per line, approved_at set, audited."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        po = approve_in(session, locked_po(session, po_id), actor=actor)
    return po


def approve_in(session: Session, po: PurchaseOrder, *, actor: User) -> PurchaseOrder:
    """Approve inside the caller's transaction (the PO locked by the caller)."""
    authorize(actor, C.manage_purchase_orders)
    rules.check_move(po.status, S.approved)
    check_spend_approved(session, po, "approved by its buyer")
    warnings = refresh_warnings(session, po)
    before = po.status
    po.status = S.approved
    po.approved_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="purchase_order.approved",
        subject=po,
        changes={
            "status": [before, po.status],
            "approved_at": [None, po.approved_at],
            "total": rules.po_total(po.lines),
            "warnings": warnings,
        },
        why="Approved by the buyer" + (" despite sourcing warnings" if warnings else ""),
    )
    return po


@submitted_once("issue_purchase_order")
def issue_purchase_order(
    po_id: int, *, actor: User, submission_id: str | None = None
) -> PurchaseOrder:
    """Approved to issued (sent to the vendor): warnings stored again, issued_at set, audited."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        po = issue_in(session, locked_po(session, po_id), actor=actor)
    return po


def issue_in(session: Session, po: PurchaseOrder, *, actor: User) -> PurchaseOrder:
    """Issue inside the caller's transaction (the PO locked by the caller)."""
    authorize(actor, C.manage_purchase_orders)
    rules.check_move(po.status, S.issued)
    check_spend_approved(session, po, "issued")
    warnings = refresh_warnings(session, po)
    before = po.status
    po.status = S.issued
    po.issued_at = utcnow()
    for ln in po.lines:
        ln.backorder_qty = rules.backorder(ln.qty, ln.received_qty)
    audit.record(
        session,
        actor=actor,
        action="purchase_order.issued",
        subject=po,
        changes={
            "status": [before, po.status],
            "issued_at": [None, po.issued_at],
            "warnings": warnings,
        },
        why="Issued to the vendor",
    )
    return po


# ---------------------------------------------------------------- writes: cancel, close
# (revisions after issue: services/po_revisions.py)


def line_states(po: PurchaseOrder) -> dict[int, rules.LineState]:
    """The PO's lines as the revision rules see them."""
    return {
        ln.id: rules.LineState(
            line_id=ln.id,
            line_no=ln.line_no,
            description=ln.description,
            qty=ln.qty,
            uom=ln.uom,
            unit_price=ln.unit_price,
            discount_percent=ln.discount_percent or ZERO,
            expected_on=ln.expected_on,
            received_qty=ln.received_qty or ZERO,
        )
        for ln in po.lines
    }


@submitted_once("cancel_purchase_order")
def cancel_purchase_order(
    po_id: int, *, reason: str, actor: User, submission_id: str | None = None
) -> PurchaseOrder:
    """Cancel a PO nothing has arrived against; its request lines may be ordered again."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        po = locked_po(session, po_id)
        why = rules.check_cancel(po.status, any_received=any_received(session, po), reason=reason)
        before = po.status
        po.status = S.cancelled
        audit.record(
            session,
            actor=actor,
            action="purchase_order.cancelled",
            subject=po,
            changes={"status": [before, po.status], "total": rules.po_total(po.lines)},
            why=why,
        )
        session.flush()
        pr_ids = set(
            session.scalars(
                select(PurchaseRequestLine.purchase_request_id).where(
                    PurchaseRequestLine.id.in_([ln.purchase_request_line_id for ln in po.lines])
                )
            )
        )
        for pr in session.scalars(select(PurchaseRequest).where(PurchaseRequest.id.in_(pr_ids))):
            if pr.status is PurchaseRequestStatus.ordered:
                pr.status = PurchaseRequestStatus.approved
                audit.record(
                    session,
                    actor=actor,
                    action="purchase_request.reopened",
                    subject=pr,
                    changes={
                        "status": [PurchaseRequestStatus.ordered, PurchaseRequestStatus.approved]
                    },
                    why=f"{po.number} cancelled: {why}",
                )
    return po


@submitted_once("close_purchase_order")
def close_purchase_order(
    po_id: int, *, reason: str | None, actor: User, submission_id: str | None = None
) -> PurchaseOrder:
    """Close a received PO, or one partly received when the rest will not come (say why)."""
    authorize(actor, C.manage_purchase_orders)
    with unit_of_work() as session:
        po = close_in(session, locked_po(session, po_id), reason=reason, actor=actor)
    return po


def close_in(
    session: Session, po: PurchaseOrder, *, reason: str | None, actor: User
) -> PurchaseOrder:
    """Close inside the caller's transaction (the PO locked by the caller)."""
    authorize(actor, C.manage_purchase_orders)
    rules.check_move(po.status, S.closed)
    owed = sum((rules.backorder(ln.qty, ln.received_qty) for ln in po.lines), ZERO)
    if owed > 0:
        why = rules.require_reason(
            reason, "Some goods are still on backorder: say why the rest will not come."
        )
    else:
        why = (reason or "").strip()[:1000] or "Everything received"
    before = po.status
    po.status = S.closed
    audit.record(
        session,
        actor=actor,
        action="purchase_order.closed",
        subject=po,
        changes={"status": [before, po.status], "backorder_qty": owed},
        why=why,
    )
    return po

"""Revisions of an issued purchase order: numbered, with the reason and the lines as they were.

A revision that takes a line or the PO above what was approved (beyond the tolerance), into a
higher approval band or past its contract's ceiling is kept unapplied, waiting for the approval
matrix (`services.po_approval`, which applies it once approved): the vendor's document does not
change until then. Any other revision takes effect at once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.domain import purchase_orders as rules
from portal.domain.money import format_qty
from portal.domain.permissions import Capability as C
from portal.domain.statuses import LineKind
from portal.models import PurchaseOrder, PurchaseOrderLine, PurchaseOrderRevision, User
from portal.models.base import utcnow
from portal.read_models import po_approval as spend
from portal.read_models.purchase_orders import ZERO
from portal.services import audit
from portal.services._uow import submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.purchase_orders import (
    amounts_changed,
    dated,
    line_states,
    locked_po,
    refresh_warnings,
    reload_lines,
)


@submitted_once("revise_purchase_order")
def revise_purchase_order(
    po_id: int,
    *,
    changes: rules.RevisionChanges,
    reason: str,
    actor: User,
    submission_id: str | None = None,
) -> PurchaseOrderRevision:
    """A numbered revision of an issued PO: lines as they were kept, changes audited with why.

    A revision that takes a line or the PO above what was approved (beyond the tolerance), into
    a higher approval band or past its contract's ceiling waits, unapplied, for the approval
    matrix (`services.po_approval`): the vendor's document does not change until it is approved.
    """
    authorize(actor, C.manage_purchase_orders)
    why = rules.require_reason(reason, "Say why the purchase order is revised.")
    with unit_of_work() as session:
        po = locked_po(session, po_id)
        waiting = spend.pending_revision(session, po.id)
        if waiting is not None:
            raise rules.RevisionRefused(
                f"Revision {waiting.revision} of {po.number} is waiting for approval: "
                "it must be approved before another revision is made."
            )
        states = line_states(po)
        rules.check_revision(po.status, states, changes, current_vendor_id=po.vendor_id)
        touched = rules.raises_spend(states, changes)
        revision = PurchaseOrderRevision(
            purchase_order_id=po.id,
            revision=po.revision + 1,
            changed_by_id=actor.id,
            changed_at=utcnow(),
            reason=why,
            snapshot=rules.snapshot(po.revision, states.values(), currency=po.currency),
            status=spend.PENDING,
            proposed=rules.changes_as_json(changes),
        )
        session.add(revision)
        session.flush()
        known = spend.facts(session, po)
        if touched and known.assessment.needed:
            amounts_changed(po, actor=actor)
            audit.record(
                session,
                actor=actor,
                action="purchase_order.revision_proposed",
                subject=po,
                changes={
                    "revision": revision.revision,
                    "total": [known.assessment.cover, known.assessment.total],
                    "proposed": revision.proposed,
                    "approval_round": po.approval_round,
                },
                why=f"{why} (waits for approval: {known.assessment.sentence()})",
            )
            return revision
        apply_revision(session, po, revision, actor=actor)
    return revision


def apply_revision(
    session: Session, po: PurchaseOrder, revision: PurchaseOrderRevision, *, actor: User
) -> None:
    """Make a revision take effect (the PO locked by the caller): lines changed and added,
    the lines as they were kept, status from what arrived, audited with the revision's why."""
    changes = rules.changes_from_json(revision.proposed or {})
    states = line_states(po)
    diff = rules.check_revision(po.status, states, changes, current_vendor_id=po.vendor_id)
    before_total = rules.po_total(po.lines)
    revision.snapshot = rules.snapshot(po.revision, states.values(), currency=po.currency)
    revision.status = "applied"
    by_id = {ln.id: ln for ln in po.lines}
    notes = []
    for line_id, fields in diff.items():
        line = by_id[line_id]
        for name, (_old, new) in fields.items():
            setattr(line, name, new)
        line.backorder_qty = rules.backorder(line.qty, line.received_qty)
        notes.append(rules.describe_change(line.line_no, fields))
    added = _add_lines(session, po, changes.new_lines)
    notes.extend(
        f"Line {ln.line_no} added: {format_qty(ln.qty)} {ln.uom} {ln.description}" for ln in added
    )
    session.flush()
    reload_lines(session, po)
    refresh_warnings(session, po)
    before_status = po.status
    po.status = rules.status_after_receipt(po.lines)
    po.revision = revision.revision
    audit.record(
        session,
        actor=actor,
        action="purchase_order.revised",
        subject=po,
        changes={
            "revision": [revision.revision - 1, revision.revision],
            "lines": {
                str(by_id[line_id].line_no): dated(fields) for line_id, fields in diff.items()
            },
            "added_lines": [ln.line_no for ln in added],
            "total": [before_total, rules.po_total(po.lines)],
            "status": [before_status, po.status],
            "summary": notes,
        },
        why=revision.reason,
    )


def _add_lines(
    session: Session, po: PurchaseOrder, new_lines: tuple[rules.NewLine, ...]
) -> list[PurchaseOrderLine]:
    """Append free-text lines, charged like the PO's first line (cost centre, storeroom)."""
    if not new_lines:
        return []
    first = po.lines[0] if po.lines else None
    next_no = max((ln.line_no for ln in po.lines), default=0) + 1
    added = []
    for offset, spec in enumerate(new_lines):
        line = PurchaseOrderLine(
            purchase_order_id=po.id,
            line_no=next_no + offset,
            description=spec.description.strip()[:200],
            kind=LineKind.goods,
            qty=spec.qty,
            uom=spec.uom.strip()[:12] or "EA",
            unit_price=spec.unit_price,
            discount_percent=spec.discount_percent,
            expected_on=spec.expected_on,
            cost_centre_id=first.cost_centre_id if first else None,
            storeroom_id=first.storeroom_id if first else None,
            received_qty=ZERO,
            rejected_qty=ZERO,
            backorder_qty=spec.qty,
        )
        session.add(line)
        added.append(line)
    return added

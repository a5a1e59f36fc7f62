"""Approval binds spend: a PO above what was approved goes through the approval matrix.

The rules are `domain.po_approval` (which applies the PR's own `domain.approvals`: matrix bands,
separation of duties, budget authority); the facts are `read_models.po_approval`, the same the PO
page shows. Each approval is one transaction on the locked PO, audited with who, when, what and
why; the same form posted twice is one approval. With enough distinct approvals the round is
complete: each line's authorised amount becomes its amount, a draft becomes approved (the buyer
may issue it) and a revision waiting for approval takes effect.

Also here: the tolerance (policy data, kept by those who manage the policy) and `violations`,
which the invariant checker calls to name PO lines above what was approved.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from portal.domain import approvals
from portal.domain import po_approval as rules
from portal.domain import purchase_orders as po_rules
from portal.domain.money import format_money, money
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ApprovalDecision, PurchaseOrderStatus
from portal.models import (
    ApprovalTolerance,
    PurchaseOrder,
    PurchaseOrderApproval,
    PurchaseOrderLine,
    User,
)
from portal.models.base import utcnow
from portal.read_models import po_approval as reads
from portal.read_models.approvals import decider
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.po_revisions import apply_revision
from portal.services.purchase_orders import reload_lines

S = PurchaseOrderStatus
ZERO = Decimal("0")
# POs whose lines are spend the invariant holds for (a draft is not spend yet).
BINDING = (S.approved, S.issued, S.partially_received, S.received, S.closed)


def _clean(reason: str | None) -> str | None:
    """The reason as stored: trimmed, at most 1,000 characters, None when empty."""
    return (reason or "").strip()[:1000] or None


def _waiting(session: Session, po_id: int) -> tuple[PurchaseOrder, reads.SpendFacts, rules.Order]:
    """The PO locked, its facts, and the order waiting for a decision (or why there is none)."""
    po = locked(session, PurchaseOrder, po_id, missing=f"Purchase order {po_id} does not exist.")
    reload_lines(session, po)
    known = reads.facts(session, po)
    if known.order is None:
        if known.pending and known.assessment.no_rule:
            raise approvals.NoApprovalRule(known.assessment.no_rule)
        raise approvals.AlreadyDecided(
            known.sent_back
            or f"{po.number} is not waiting for approval: its amounts are within what was approved."
        )
    return po, known, known.order


def _decision(
    po: PurchaseOrder,
    known: reads.SpendFacts,
    approver: User,
    decision: ApprovalDecision,
    reason: str | None,
    over_budget: bool,
) -> PurchaseOrderApproval:
    """One approver's decision on the PO's current round, with why approval was needed."""
    return PurchaseOrderApproval(
        purchase_order_id=po.id,
        round=po.approval_round,
        revision=known.revision.revision if known.revision else None,
        approver_id=approver.id,
        decision=decision,
        reason=reason,
        why_needed=(known.assessment.sentence() or "Revision waiting for approval.")[:1000],
        total=known.assessment.total,
        over_budget=over_budget,
        decided_at=utcnow(),
    )


@submitted_once("approve_purchase_order_spend", actor="approver")
def approve_spend(
    po_id: int, *, approver: User, reason: str | None = None, submission_id: str | None = None
) -> PurchaseOrderApproval:
    """Record one approval of the PO's amounts; with enough approvals the round is complete."""
    authorize(approver, C.approve_purchase_requests)
    reason = _clean(reason)
    with unit_of_work() as session:
        po, known, order = _waiting(session, po_id)
        step = rules.check_approval(order, decider(approver), reason)
        row = _decision(po, known, approver, ApprovalDecision.approved, reason, step.over_budget)
        session.add(row)
        progress = approvals.step_text(step.approvals, step.needed)
        audit.record(
            session,
            actor=approver,
            action="purchase_order.spend_approved"
            if step.complete
            else "purchase_order.spend_approval_added",
            subject=po,
            changes={
                "approvals": progress,
                "round": po.approval_round,
                "revision": row.revision,
                "total": known.assessment.total,
                "approved_before": known.assessment.cover,
                "role": order.requirement.role,
                "over_budget": step.over_budget,
                "over_budget_by": known.over_budget_by,
            },
            why=(reason + " | " if reason else "") + row.why_needed,
        )
        if step.complete:
            _complete(session, po, known, approver=approver)
        session.flush()
        return row


@submitted_once("reject_purchase_order_spend", actor="approver")
def reject_spend(
    po_id: int, *, approver: User, reason: str | None, submission_id: str | None = None
) -> PurchaseOrderApproval:
    """Send the PO's amounts back with a reason: a waiting revision is refused (the PO stays as
    it was), a draft stays a draft for its buyer to change or cancel."""
    authorize(approver, C.approve_purchase_requests)
    reason = _clean(reason)
    with unit_of_work() as session:
        po, known, order = _waiting(session, po_id)
        rules.check_rejection(order, decider(approver), reason)
        row = _decision(
            po, known, approver, ApprovalDecision.rejected, reason, known.over_budget_by > 0
        )
        session.add(row)
        if known.revision is not None:
            known.revision.status = "rejected"
        # A draft sent back waits for its buyer: approvers see it again once its amounts change
        # (a new round); a refused revision never takes effect.
        audit.record(
            session,
            actor=approver,
            action="purchase_order.spend_rejected",
            subject=po,
            changes={
                "round": po.approval_round,
                "revision": row.revision,
                "total": known.assessment.total,
                "approved_before": known.assessment.cover,
            },
            why=f"{reason} | {row.why_needed}",
        )
        session.flush()
        return row


def _complete(session: Session, po: PurchaseOrder, known: reads.SpendFacts, *, approver: User):
    """The round is complete: a waiting revision takes effect, lines are authorised at their
    amounts, a draft becomes approved."""
    if known.revision is not None:
        apply_revision(session, po, known.revision, actor=approver)
    for ln in po.lines:
        ln.authorised_amount = po_rules.line_amount(
            ln.qty, ln.unit_price, ln.discount_percent or ZERO
        )
    if po.status is S.draft:
        po_rules.check_move(po.status, S.approved)
        po.status = S.approved
        po.approved_at = utcnow()
        audit.record(
            session,
            actor=approver,
            action="purchase_order.approved",
            subject=po,
            changes={
                "status": [S.draft, S.approved],
                "approved_at": [None, po.approved_at],
                "total": known.assessment.total,
            },
            why="Approved through the approval matrix: " + known.assessment.sentence(),
        )


# ---------------------------------------------------------------- the tolerance (policy data)


@submitted_once("set_approval_tolerance")
def set_tolerance(
    *,
    percent: Decimal,
    amount: Decimal,
    reason: str | None,
    actor: User,
    submission_id: str | None = None,
) -> ApprovalTolerance:
    """Change how far a PO may go above what was approved without approval again, audited."""
    authorize(actor, C.manage_policy)
    tolerance = rules.check_tolerance(percent, amount)
    with unit_of_work() as session:
        before = reads.tolerance(session)
        row = ApprovalTolerance(
            percent=tolerance.percent,
            amount=tolerance.amount,
            changed_by_id=actor.id,
            changed_at=utcnow(),
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="approval_tolerance.changed",
            subject=row,
            subject_label="PO approval tolerance",
            changes={
                "percent": [before.percent, tolerance.percent],
                "amount": [before.amount, tolerance.amount],
            },
            why=_clean(reason) or "Changed on the policy page",
        )
    return row


# ---------------------------------------------------------------- for the invariant checker


def violations(session: Session) -> list[str]:
    """Each PO line (of an approved or later PO) above its approved amount + tolerance with no
    recorded approval of the excess, in words. Lines above their cover are found in SQL; the
    tolerance is applied to those few here."""
    approved = func.coalesce(PurchaseOrderLine.approved_amount, 0)
    authorised = func.coalesce(PurchaseOrderLine.authorised_amount, 0)
    cover = case((approved >= authorised, approved), else_=authorised)
    amount = (
        PurchaseOrderLine.qty
        * PurchaseOrderLine.unit_price
        * (100 - func.coalesce(PurchaseOrderLine.discount_percent, 0))
        / 100
    )
    rows = session.execute(
        select(PurchaseOrderLine, PurchaseOrder.number)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(PurchaseOrder.status.in_(BINDING), amount > cover)
        .order_by(PurchaseOrder.number, PurchaseOrderLine.line_no)
    ).all()
    tolerance = reads.tolerance(session)
    found = []
    for line, number in rows:
        value = po_rules.line_amount(line.qty, line.unit_price, line.discount_percent or ZERO)
        covered = max(money(line.approved_amount or 0), money(line.authorised_amount or 0))
        if value - covered <= tolerance.allowance(covered):
            continue
        what = (
            f"the {format_money(covered)} approved"
            if line.approved_amount is not None or line.authorised_amount is not None
            else "nothing approved (no request, no approval of the PO)"
        )
        found.append(
            f"{number} line {line.line_no} ({line.description}): {format_money(value)} is "
            f"{format_money(value - covered)} above {what}, beyond the tolerance of "
            f"{tolerance.words()}, and no approval of the excess is recorded."
        )
    return found

"""Approving and rejecting purchase requests, and who has budget authority.

Each decision is one transaction: the PR row is locked first, so two approvers tapping at once are
taken one after the other and the second sees the first's approval; the same form posted twice (a
double tap, a retry) is one decision (`submitted_once`). The rules (matrix, separation of duties,
budget) are `domain.approvals`; the facts they judge are `read_models.approvals.facts`, the same the
PR page shows. The work order hears the outcome as a comment from the approver, and its parts
panel shows the PR's status.

On rejection the PR's part lines go back to needing action: their requested quantity drops by
what the PR asked for, so the technician sees "Needed" again with Reserve (if stock turned up)
or Mark unavailable (to ask again, on a new PR) offered. A work order waiting for parts with
nothing else requested or on order moves back to in progress, with the reason, so it does not
sit waiting for parts nobody is buying (it reacts to `PurchaseRequestRejected`).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import approvals as rules
from portal.domain.events import PurchaseRequestRejected
from portal.domain.money import format_money, quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ApprovalDecision, PurchaseRequestStatus
from portal.models import (
    Approval,
    PartLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    WorkOrder,
    WorkOrderComment,
)
from portal.models.base import utcnow
from portal.read_models.approvals import decider, facts
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.messagebus import publish
from portal.services.parts import restatus

# PR states that still bring parts to the work order.
BRINGING_PARTS = (
    PurchaseRequestStatus.submitted,
    PurchaseRequestStatus.approved,
    PurchaseRequestStatus.ordered,
)


def _clean(reason: str | None) -> str | None:
    """The reason as stored: trimmed, at most 1,000 characters, None when empty."""
    return (reason or "").strip()[:1000] or None


def _comment(session: Session, pr: PurchaseRequest, *, author: User, body: str) -> None:
    """Tell the work order (and so its requester and technician) what was decided."""
    if pr.work_order_id is None:
        return
    session.add(WorkOrderComment(work_order_id=pr.work_order_id, author_id=author.id, body=body))


def _decision(
    session: Session,
    pr: PurchaseRequest,
    approver: User,
    decision: ApprovalDecision,
    reason: str | None,
    over_budget: bool,
) -> Approval:
    """One approver's decision on the PR, taken now, added to the session."""
    approval = Approval(
        purchase_request_id=pr.id,
        approver_id=approver.id,
        decision=decision,
        reason=reason,
        over_budget=over_budget,
        decided_at=utcnow(),
    )
    session.add(approval)
    return approval


def _locked_request(session: Session, pr_id: int) -> PurchaseRequest:
    """The PR, locked for the rest of the transaction (two approvers are taken in turn)."""
    return locked(
        session, PurchaseRequest, pr_id, missing=f"Purchase request {pr_id} does not exist."
    )


@submitted_once("approve_purchase_request", actor="approver")
def approve_purchase_request(
    pr_id: int, *, approver: User, reason: str | None = None, submission_id: str | None = None
) -> Approval:
    """Record one approval; with enough distinct approvals the PR is approved (one transaction)."""
    with unit_of_work() as session:
        return record_approval(
            session, _locked_request(session, pr_id), approver=approver, reason=reason
        )


@submitted_once("reject_purchase_request", actor="approver")
def reject_purchase_request(
    pr_id: int, *, approver: User, reason: str | None, submission_id: str | None = None
) -> Approval:
    """Reject the PR with a reason; its part lines go back to needing action (one transaction)."""
    with unit_of_work() as session:
        return record_rejection(
            session, _locked_request(session, pr_id), approver=approver, reason=reason
        )


def record_approval(
    session: Session, pr: PurchaseRequest, *, approver: User, reason: str | None = None
) -> Approval:
    """Approve inside the caller's transaction (PR locked by the caller), audited, WO told."""
    authorize(approver, C.approve_purchase_requests)
    reason = _clean(reason)
    known = facts(session, pr)
    request, requirement = known.judged()
    step = rules.check_approval(request, decider(approver), reason)
    approval = _decision(session, pr, approver, ApprovalDecision.approved, reason, step.over_budget)
    before = pr.status
    if step.complete:
        pr.status = PurchaseRequestStatus.approved
        pr.decided_at = approval.decided_at
    progress = rules.step_text(step.approvals, step.needed)
    audit.record(
        session,
        actor=approver,
        action="purchase_request.approved" if step.complete else "purchase_request.approval_added",
        subject=pr,
        changes={
            "status": [before, pr.status],
            "approvals": progress,
            "total": known.total,
            "role": requirement.role,
            "over_budget": step.over_budget,
            "over_budget_by": known.over_budget_by,
            "budget_remaining": known.budget.remaining,
        },
        why=reason or f"{format_money(known.total)} within the {requirement.role}'s approval band",
    )
    if step.complete:
        said = f"Approved {pr.number} ({format_money(known.total)})."
    else:
        said = (
            f"Approved {pr.number} ({format_money(known.total)}): {progress}, "
            "waiting for the next approver."
        )
    if step.over_budget:
        said += f" Over the {known.centre.code} budget by {format_money(known.over_budget_by)}."
    if reason:
        said += f" Reason: {reason}"
    _comment(session, pr, author=approver, body=said)
    session.flush()
    return approval


def record_rejection(
    session: Session, pr: PurchaseRequest, *, approver: User, reason: str | None
) -> Approval:
    """Reject inside the caller's transaction (PR locked by the caller), audited, WO told."""
    authorize(approver, C.approve_purchase_requests)
    reason = _clean(reason)
    known = facts(session, pr)
    request, _ = known.judged()
    rules.check_rejection(request, decider(approver), reason)
    over = request.over_budget
    approval = _decision(session, pr, approver, ApprovalDecision.rejected, reason, over)
    before = pr.status
    pr.status = PurchaseRequestStatus.rejected
    pr.decided_at = approval.decided_at
    if pr.work_order_id is not None:
        # Work order before its part lines, the order every parts action takes them in.
        locked(session, WorkOrder, pr.work_order_id)
    released = give_back_part_lines(session, pr)
    audit.record(
        session,
        actor=approver,
        action="purchase_request.rejected",
        subject=pr,
        changes={
            "status": [before, pr.status],
            "total": known.total,
            "over_budget": request.over_budget,
            "over_budget_by": known.over_budget_by,
            "part_lines": released,
        },
        why=reason,
    )
    _comment(
        session,
        pr,
        author=approver,
        body=f"Rejected {pr.number} ({format_money(known.total)}): {reason} "
        "The parts are needed again: reserve them if stock turned up, or request them anew.",
    )
    publish(
        session,
        PurchaseRequestRejected(
            purchase_request_id=pr.id,
            work_order_id=pr.work_order_id,
            actor_id=approver.id,
            reason=f"{pr.number} rejected: {reason}"[:1000],
            parts_still_coming=parts_still_coming(session, pr),
        ),
    )
    session.flush()
    return approval


def give_back_part_lines(session: Session, pr: PurchaseRequest) -> list[dict]:
    """Take the PR's quantities off its part lines' requested quantity (lines locked, id order)."""
    asked: dict[int, Decimal] = {}
    for part_line_id, qty in session.execute(
        select(PurchaseRequestLine.part_line_id, PurchaseRequestLine.qty).where(
            PurchaseRequestLine.purchase_request_id == pr.id,
            PurchaseRequestLine.part_line_id.is_not(None),
        )
    ):
        if part_line_id is not None:  # the query asks for lines with one: this tells mypy
            asked[part_line_id] = quantity(asked.get(part_line_id, Decimal(0)) + qty)
    changed = []
    for part_line_id in sorted(asked):
        line = locked(session, PartLine, part_line_id)
        before = line.requested_qty
        line.requested_qty = max(quantity(before - asked[part_line_id]), quantity(0))
        restatus(line)
        changed.append(
            {
                "part_line_id": line.id,
                "requested_qty": [before, line.requested_qty],
                "status": line.status,
            }
        )
    return changed


def parts_still_coming(session: Session, pr: PurchaseRequest) -> bool:
    """True when another request of the PR's work order still brings parts to it."""
    if pr.work_order_id is None:
        return False
    others = session.scalar(
        select(func.count(PurchaseRequest.id)).where(
            PurchaseRequest.work_order_id == pr.work_order_id,
            PurchaseRequest.id != pr.id,
            PurchaseRequest.status.in_(BRINGING_PARTS),
        )
    )
    return bool(others)


def set_budget_authority(user_id: int, *, granted: bool, actor: User) -> User:
    """Grant or withdraw budget authority (approving PRs that go over budget), audited."""
    authorize(actor, C.manage_users)
    with unit_of_work() as session:
        user = locked(session, User, user_id)
        if user.id == actor.id:
            raise rules.SeparationOfDuties(
                "Nobody changes their own budget authority: ask another administrator."
            )
        before = bool(user.budget_authority)
        if before != granted:
            user.budget_authority = granted
            audit.record(
                session,
                actor=actor,
                action="user.budget_authority_changed",
                subject=user,
                subject_label=user.username,
                changes={"budget_authority": [before, granted]},
                why="Changed on the users page",
            )
    return user

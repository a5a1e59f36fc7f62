"""Cancelling purchase requests: by their requester or a supervisor before they are ordered, and
all of a work order's open requests when the work order is cancelled.

A cancelled request cannot be approved or ordered (both take only submitted or approved ones),
its budget commitment goes (the ledger's trigger follows the status), and its part lines no
longer count it as requested. Audited with the reason: the person's, or the work order's.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import lifecycle
from portal.domain.errors import NotAllowed
from portal.domain.events import Event, PurchaseRequestCancelled, WorkOrderMoved
from portal.domain.money import format_money
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_cancel_purchase_request
from portal.domain.statuses import PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import PurchaseRequest, PurchaseRequestLine, User, WorkOrder, WorkOrderComment
from portal.read_models.approvals import totals
from portal.read_models.purchase_orders import ordered_pr_line_ids
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.approvals import give_back_part_lines, parts_still_coming
from portal.services.authz import authorize
from portal.services.messagebus import publish


def lines_on_orders(session: Session, pr_id: int) -> int:
    """How many of the request's lines are on a purchase order that is not cancelled."""
    return (
        session.scalar(
            select(func.count(PurchaseRequestLine.id)).where(
                PurchaseRequestLine.purchase_request_id == pr_id,
                PurchaseRequestLine.id.in_(ordered_pr_line_ids()),
            )
        )
        or 0
    )


@submitted_once("cancel_purchase_request")
def cancel_purchase_request(
    pr_id: int, *, actor: User, reason: str | None, submission_id: str | None = None
) -> PurchaseRequest:
    """The requester or a supervisor cancels a request not yet ordered, with a reason."""
    authorize(actor, C.read_purchase_requests)
    with unit_of_work() as session:
        wo_id = session.scalar(
            select(PurchaseRequest.work_order_id).where(PurchaseRequest.id == pr_id)
        )
        if wo_id is not None:
            # Work order first, then the request: the order a work order's cancellation takes
            # them in (cancel_for_cancelled_work), so the two never wait on each other.
            locked(session, WorkOrder, wo_id)
        pr = locked(
            session, PurchaseRequest, pr_id, missing=f"Purchase request {pr_id} does not exist."
        )
        if not may_cancel_purchase_request(actor.roles, actor.id, pr.requested_by_id):
            raise NotAllowed(
                f"Only the person who raised {pr.number} or a supervisor may cancel it."
            )
        why = lifecycle.check_cancel_request(
            pr.number, pr.status, lines_on_orders=lines_on_orders(session, pr.id), reason=reason
        )
        cancel_request(session, pr, actor=actor, why=why)
        publish(
            session,
            PurchaseRequestCancelled(
                purchase_request_id=pr.id,
                work_order_id=pr.work_order_id,
                actor_id=actor.id,
                reason=f"{pr.number} cancelled: {why}"[:1000],
                parts_still_coming=parts_still_coming(session, pr),
            ),
        )
    return pr


def cancel_request(session: Session, pr: PurchaseRequest, *, actor: User | None, why: str) -> None:
    """Cancel the (locked) request and all its lines inside the caller's transaction, audited;
    the work order is told."""
    before = pr.status
    total = totals(session, [pr.id])[pr.id]
    pr.status = PurchaseRequestStatus.cancelled
    released = give_back_part_lines(session, pr)
    audit.record(
        session,
        actor=actor,
        action="purchase_request.cancelled",
        subject=pr,
        changes={
            "status": [before, PurchaseRequestStatus.cancelled],
            "lines": [line.id for line in pr.lines],
            "total": total,
            "commitment_released": total if before is PurchaseRequestStatus.approved else None,
            "part_lines": released,
        },
        why=why,
    )
    if pr.work_order_id is not None and actor is not None:
        session.add(
            WorkOrderComment(
                work_order_id=pr.work_order_id,
                author_id=actor.id,
                body=f"Cancelled {pr.number} ({format_money(total)}): {why}",
            )
        )
    session.flush()


def cancel_for_cancelled_work(session: Session, event: Event) -> None:
    """WorkOrderMoved to cancelled: each of its requests not yet ordered is cancelled with the
    work order's reason (lines already on a PO are flagged to the buyer by po_line_changes)."""
    assert isinstance(event, WorkOrderMoved)
    if event.after != WorkOrderStatus.cancelled.value:
        return
    pr_ids = session.scalars(
        select(PurchaseRequest.id)
        .where(
            PurchaseRequest.work_order_id == event.work_order_id,
            PurchaseRequest.status.in_(lifecycle.CANCELLABLE_REQUESTS),
        )
        .order_by(PurchaseRequest.id)
    ).all()
    if not pr_ids:
        return
    wo = session.get(WorkOrder, event.work_order_id)
    assert wo is not None  # the event's work order was just moved
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    why = f"{wo.number} cancelled: {event.reason or 'no reason given'}"[:1000]
    for pr_id in pr_ids:
        cancel_request(session, locked(session, PurchaseRequest, pr_id), actor=actor, why=why)

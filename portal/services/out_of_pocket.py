"""Out-of-pocket purchases: a technician paid with their own money on a work order (their own or
an unassigned one); reviewed, then reimbursed or refused (never by the person who bought).

A claim names a part or a spend category, so the purchasing policy is asked about it like any
other need: its limit for one claim (policy data) refuses more, and a rule saying a PO was
required makes reimbursing it an exception that needs a written reason. Reimbursing follows the
approval matrix and the budget by amount, with the same rules as a purchase request
(`domain.approvals`): the matrix's role, as many distinct approvers as it asks, budget
authority when it would overspend the cost centre, never the claimant.

Recording and reviewing are each one transaction on a locked row (the work order; the purchase),
and the same form posted twice does the work once (`submitted_once`). What the pages show is
`read_models.out_of_pocket`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import approvals as approval_rules
from portal.domain import out_of_pocket as rules
from portal.domain import policy as policy_rules
from portal.domain.money import money, quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import ItemKind, OutOfPocketStatus
from portal.models import Attachment, CostCentre, Item, OutOfPocketPurchase, User, WorkOrder
from portal.models.base import utcnow
from portal.read_models import budgets
from portal.read_models.approvals import decider, matrix
from portal.services import audit, policy
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize, authorize_on_work_order
from portal.services.photos import prepare_photo


@submitted_once("submit_out_of_pocket")
def submit_purchase(
    wo_id: int,
    *,
    description: str,
    shop_name: str,
    amount: Decimal,
    qty: Decimal | None,
    bought_on: date,
    why: str,
    receipt: tuple[bytes, str] | None,
    actor: User,
    category: str | None = None,
    part_number: str | None = None,
    today: date | None = None,
    submission_id: str | None = None,
) -> OutOfPocketPurchase:
    """Record what a technician bought with their own money on a work order, with the receipt
    photo, and what the purchasing policy says of it; flagged for review. The same form posted
    twice records it once."""
    authorize(actor, C.record_out_of_pocket)
    if receipt is None:
        raise rules.ClaimRefused("Add a photo of the receipt.")
    data, filename = receipt
    prepared = prepare_photo(data, filename or "receipt")  # UploadRefused in words
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id)
        authorize_on_work_order(actor, C.record_out_of_pocket, wo)
        rules.check_work_order_open(wo.status)
        item = _item(session, part_number)
        spend = rules.check_spend(
            category=category, item_category=item.category if item is not None else None
        )
        active = policy.active_rules(session)
        claim = rules.check_claim(
            description=description,
            shop_name=shop_name,
            amount=amount,
            bought_on=bought_on,
            why=why,
            today=today or utcnow().date(),
            limit=policy_rules.out_of_pocket_limit(active),
        )
        decisions = _policy_says(claim, item, spend, active)
        photo = Attachment.of_photo(prepared, work_order_id=wo.id, uploaded_by_id=actor.id)
        session.add(photo)
        session.flush()
        purchase = OutOfPocketPurchase(
            work_order_id=wo.id,
            user_id=actor.id,
            description=claim.description,
            shop_name=claim.shop_name,
            amount=claim.amount,
            qty=quantity(qty) if qty is not None else None,
            bought_on=claim.bought_on,
            why=claim.why,
            receipt_attachment_id=photo.id,
            status=OutOfPocketStatus.submitted,
            item_id=item.id if item is not None else None,
            category=spend,
            policy_warnings=[d.as_dict() for d in decisions] or None,
            approved_by=[],
        )
        session.add(purchase)
        session.flush()
        _audit_submitted(session, purchase, wo=wo, item=item, decisions=decisions, actor=actor)
    return purchase


def _audit_submitted(
    session: Session,
    purchase: OutOfPocketPurchase,
    *,
    wo: WorkOrder,
    item: Item | None,
    decisions: list[policy_rules.Decision],
    actor: User,
) -> None:
    """The audit event of a recorded claim, with what the policy said of it."""
    audit.record(
        session,
        actor=actor,
        action="out_of_pocket.submitted",
        subject=purchase,
        subject_label=f"{wo.number} out-of-pocket",
        changes={
            "work_order": wo.number,
            "amount": [None, purchase.amount],
            "shop_name": purchase.shop_name,
            "bought_on": purchase.bought_on.isoformat(),
            "category": purchase.category,
            "item": item.part_number if item is not None else None,
            "policy": [d.text for d in decisions],
            "status": [None, OutOfPocketStatus.submitted],
        },
        why=purchase.why,
    )


def _policy_says(
    claim: rules.Claim, item: Item | None, spend: str, active: list[policy_rules.Rule]
) -> list[policy_rules.Decision]:
    """What the purchasing policy says of the claim: each rule that required a PO, in words."""
    return policy_rules.evaluate(
        policy_rules.Need(
            amount=claim.amount,
            # Bought over the counter, not from stock: a non-stock buy unless a part says.
            item_kind=item.kind if item is not None else ItemKind.non_stock,
            item_label=item.part_number if item is not None else claim.description,
            category=spend,
            vendor_name=claim.shop_name,
        ),
        active,
    )


def _item(session: Session, part_number: str | None) -> Item | None:
    """The part a claim names by its number (any case), None when it names none."""
    wanted = " ".join((part_number or "").split())
    if not wanted:
        return None
    item = session.scalar(
        select(Item).where(func.lower(Item.part_number) == wanted.lower()).limit(1)
    )
    if item is None:
        raise rules.ClaimRefused(
            f"There is no part numbered {wanted[:40]}: choose one from the list, or leave it "
            "empty and name the spend category."
        )
    return item


@submitted_once("review_out_of_pocket")
def review_purchase(
    purchase_id: int,
    *,
    approve: bool,
    reason: str | None,
    actor: User,
    submission_id: str | None = None,
) -> OutOfPocketPurchase:
    """Approve for reimbursement or refuse (a reason is needed); never one's own purchase.

    Approving follows the approval matrix and budget by amount: with as many distinct approvals
    as the matrix asks, the purchase is reimbursed. A claim the policy said needed a PO is an
    exception: approving it needs a written reason. The purchase is locked first: of two
    reviewers at once, the second waits and sees what the first did.
    """
    authorize(actor, C.review_out_of_pocket)
    with unit_of_work() as session:
        purchase = locked(
            session,
            OutOfPocketPurchase,
            purchase_id,
            missing=f"Out-of-pocket purchase {purchase_id} does not exist.",
        )
        decision = rules.check_review(
            buyer_id=purchase.user_id,
            reviewer_id=actor.id,
            status=purchase.status,
            approve=approve,
            reason=reason,
        )
        if approve:
            return _approve(session, purchase, actor=actor, reason=decision.reason)
        _decide(session, purchase, actor=actor, decision=decision, changes={})
    return purchase


def _approve(
    session: Session, purchase: OutOfPocketPurchase, *, actor: User, reason: str | None
) -> OutOfPocketPurchase:
    """One approval of the claim by the matrix and budget; reimbursed when it is the last one."""
    rules.check_exception(policy_rules.decision_texts(purchase.policy_warnings), reason)
    wo = session.get(WorkOrder, purchase.work_order_id)
    assert wo is not None  # a foreign key: the purchase's work order exists
    label = f"The out-of-pocket claim on {wo.number}"
    centre = session.get(CostCentre, wo.cost_centre_id) if wo.cost_centre_id else None
    over_by = budgets.position(centre.id).exceeded_by(purchase.amount) if centre else None
    requirement = approval_rules.requirement_for(
        purchase.amount, wo.cost_centre_id, matrix(session)
    )
    request = rules.as_request(
        label=label,
        status=purchase.status,
        amount=purchase.amount,
        claimant_id=purchase.user_id,
        cost_centre_code=centre.code if centre else "its cost centre",
        requirement=requirement,
        approved_by=tuple(purchase.approved_by or ()),
        over_budget_by=over_by if over_by is not None else money(0),
    )
    step = approval_rules.check_approval(request, decider(actor), reason)
    purchase.approved_by = [*(purchase.approved_by or []), actor.id]
    progress = approval_rules.step_text(step.approvals, step.needed)
    changes = {
        "approvals": progress,
        "role": requirement.role,
        "over_budget": step.over_budget,
        "policy_exception": bool(policy_rules.decision_texts(purchase.policy_warnings)),
    }
    if not step.complete:
        audit.record(
            session,
            actor=actor,
            action="out_of_pocket.approval_added",
            subject=purchase,
            subject_label=f"{wo.number} out-of-pocket",
            changes={**changes, "amount": purchase.amount},
            why=reason,
        )
        return purchase
    decision = rules.ReviewDecision(OutOfPocketStatus.reimbursed, reason)
    _decide(session, purchase, actor=actor, decision=decision, changes=changes)
    return purchase


def _decide(
    session: Session,
    purchase: OutOfPocketPurchase,
    *,
    actor: User,
    decision: rules.ReviewDecision,
    changes: dict,
) -> None:
    """The claim reimbursed or refused, audited."""
    purchase.status = decision.status
    purchase.reviewed_by_id = actor.id
    purchase.review_reason = decision.reason
    purchase.reviewed_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=f"out_of_pocket.{decision.status.value}",
        subject=purchase,
        subject_label=f"WO {purchase.work_order_id} out-of-pocket",
        changes={
            "status": [OutOfPocketStatus.submitted, decision.status],
            "amount": purchase.amount,
            **changes,
        },
        why=decision.reason,
    )

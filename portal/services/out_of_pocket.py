"""Out-of-pocket purchases: a technician paid with their own money on a work order (their own or
an unassigned one); reviewed, then reimbursed or refused (never by the person who bought).

Recording and reviewing are each one transaction on a locked row (the work order; the purchase),
and the same form posted twice does the work once (`submitted_once`). What the pages show is
`read_models.out_of_pocket`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.domain import out_of_pocket as rules
from portal.domain.money import quantity
from portal.domain.permissions import Capability as C
from portal.domain.statuses import OutOfPocketStatus
from portal.domain.uploads import check_photo
from portal.models import Attachment, OutOfPocketPurchase, User, WorkOrder
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize, authorize_on_work_order


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
    today: date | None = None,
    submission_id: str | None = None,
) -> OutOfPocketPurchase:
    """Record what a technician bought with their own money on a work order, with the receipt
    photo; flagged for review. The same form posted twice records it once."""
    authorize(actor, C.record_out_of_pocket)
    claim = rules.check_claim(
        description=description,
        shop_name=shop_name,
        amount=amount,
        bought_on=bought_on,
        why=why,
        today=today or utcnow().date(),
    )
    if receipt is None:
        raise rules.ClaimRefused("Add a photo of the receipt.")
    data, filename = receipt
    content_type = check_photo(data, filename)
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id)
        authorize_on_work_order(actor, C.record_out_of_pocket, wo)
        rules.check_work_order_open(wo.status)
        photo = Attachment(
            work_order_id=wo.id,
            filename=(filename or "receipt")[:200],
            content_type=content_type,
            size_bytes=len(data),
            data=data,
            uploaded_by_id=actor.id,
        )
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
        )
        session.add(purchase)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="out_of_pocket.submitted",
            subject=purchase,
            subject_label=f"{wo.number} out-of-pocket",
            changes={
                "work_order": wo.number,
                "amount": [None, claim.amount],
                "shop_name": claim.shop_name,
                "bought_on": claim.bought_on.isoformat(),
                "status": [None, OutOfPocketStatus.submitted],
            },
            why=claim.why,
        )
    return purchase


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

    The purchase is locked first: of two reviewers at once, the second waits and is told the
    first has decided.
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
            },
            why=decision.reason,
        )
    return purchase

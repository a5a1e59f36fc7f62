"""Out-of-pocket purchases: a technician paid with their own money; reviewed, then reimbursed
or refused (never by the person who bought).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from portal.domain import out_of_pocket as rules
from portal.domain.errors import NotFound
from portal.domain.money import quantity
from portal.domain.statuses import OutOfPocketStatus
from portal.domain.uploads import check_photo
from portal.extensions import db
from portal.models import Attachment, OutOfPocketPurchase, User, WorkOrder
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work

QUEUE_LIMIT = 100


@dataclass
class WorkOrderPurchases:
    """The out-of-pocket section of a work order page."""

    purchases: list[OutOfPocketPurchase]
    total: Decimal
    open_count: int


def for_work_order(wo_id: int) -> WorkOrderPurchases:
    """The work order's out-of-pocket buys, newest first, with who bought and reviewed (1 query)."""
    purchases = list(
        db.session.scalars(
            select(OutOfPocketPurchase)
            .where(OutOfPocketPurchase.work_order_id == wo_id)
            .options(
                joinedload(OutOfPocketPurchase.user), joinedload(OutOfPocketPurchase.reviewed_by)
            )
            .order_by(OutOfPocketPurchase.id.desc())
            .limit(50)
        )
    )
    return WorkOrderPurchases(
        purchases=purchases,
        total=rules.total(
            [p.amount for p in purchases if p.status is not OutOfPocketStatus.refused]
        ),
        open_count=sum(1 for p in purchases if p.status is OutOfPocketStatus.submitted),
    )


def review_queue() -> list[OutOfPocketPurchase]:
    """Purchases waiting for review, oldest first, with their work order and buyer (1 query)."""
    return list(
        db.session.scalars(
            select(OutOfPocketPurchase)
            .where(OutOfPocketPurchase.status == OutOfPocketStatus.submitted)
            .options(
                joinedload(OutOfPocketPurchase.user), joinedload(OutOfPocketPurchase.work_order)
            )
            .order_by(OutOfPocketPurchase.created_at, OutOfPocketPurchase.id)
            .limit(QUEUE_LIMIT)
        )
    )


def waiting_count() -> int:
    """How many purchases wait for review (for the home card)."""
    return db.session.scalar(
        select(func.count(OutOfPocketPurchase.id)).where(
            OutOfPocketPurchase.status == OutOfPocketStatus.submitted
        )
    )


def get(purchase_id: int) -> OutOfPocketPurchase:
    """One purchase with its work order and people, or NotFound."""
    found = db.session.scalar(
        select(OutOfPocketPurchase)
        .where(OutOfPocketPurchase.id == purchase_id)
        .options(
            joinedload(OutOfPocketPurchase.user),
            joinedload(OutOfPocketPurchase.work_order),
            joinedload(OutOfPocketPurchase.reviewed_by),
        )
    )
    if found is None:
        raise NotFound(f"Out-of-pocket purchase {purchase_id} does not exist.")
    return found


def _locked_order(session: Session, wo_id: int) -> WorkOrder:
    """The work order, or NotFound."""
    wo = session.get(WorkOrder, wo_id)
    if wo is None:
        raise NotFound(f"Work order {wo_id} does not exist.")
    return wo


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
    submission_id: str,
    today: date | None = None,
) -> OutOfPocketPurchase:
    """Record what a technician bought with their own money on a work order, with the receipt
    photo; flagged for review. The same submission_id twice records it once."""
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
        earlier = earlier_submission(session, OutOfPocketPurchase, submission_id)
        if earlier is not None:
            return earlier
        wo = _locked_order(session, wo_id)
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
            submission_id=submission_id,
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


def review_purchase(
    purchase_id: int, *, approve: bool, reason: str | None, actor: User
) -> OutOfPocketPurchase:
    """Approve for reimbursement or refuse (a reason is needed); never one's own purchase.

    A conditional update on the status: of two reviewers at once, only the first decides.
    """
    with unit_of_work() as session:
        purchase = session.get(OutOfPocketPurchase, purchase_id)
        if purchase is None:
            raise NotFound(f"Out-of-pocket purchase {purchase_id} does not exist.")
        decision = rules.check_review(
            buyer_id=purchase.user_id,
            reviewer_id=actor.id,
            status=purchase.status,
            approve=approve,
            reason=reason,
        )
        now = utcnow()
        changed = session.execute(
            update(OutOfPocketPurchase)
            .where(
                OutOfPocketPurchase.id == purchase_id,
                OutOfPocketPurchase.status == OutOfPocketStatus.submitted,
            )
            .values(
                status=decision.status,
                reviewed_by_id=actor.id,
                review_reason=decision.reason,
                reviewed_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            raise rules.ClaimRefused("Someone else has just reviewed this purchase.")
        session.refresh(purchase)
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


@dataclass
class HomeCard:
    """The purchasing card on the home page: what waits for review and where the policy lives."""

    waiting: int | None  # None: the user does not review out-of-pocket purchases
    show_maverick: bool
    show_policy: bool


def home_card(user: User) -> HomeCard | None:
    """The card for reviewers, buyers, approvers and admins; None for everyone else (1 query)."""
    reviews = user.has_role("supervisor", "approver")
    maverick = user.has_role("buyer", "approver", "supervisor")
    if not (reviews or maverick):  # admin holds every role, so admins see the card too
        return None
    return HomeCard(
        waiting=waiting_count() if reviews else None,
        show_maverick=maverick,
        show_policy=user.has_role("admin"),
    )

"""What the out-of-pocket pages show: a work order's purchases, the review queue, one purchase,
and the purchasing card on the home page. Reads only; recording and reviewing are
`services.out_of_pocket`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.domain import out_of_pocket as rules
from portal.domain.errors import NotFound
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_see_expense_receipt
from portal.domain.statuses import OutOfPocketStatus
from portal.models import Attachment, Item, OutOfPocketPurchase, User
from portal.services._uow import current_session

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
        current_session().scalars(
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
        current_session().scalars(
            select(OutOfPocketPurchase)
            .where(OutOfPocketPurchase.status == OutOfPocketStatus.submitted)
            .options(
                joinedload(OutOfPocketPurchase.user), joinedload(OutOfPocketPurchase.work_order)
            )
            .order_by(OutOfPocketPurchase.created_at, OutOfPocketPurchase.id)
            .limit(QUEUE_LIMIT)
        )
    )


def review_outcome(purchase: OutOfPocketPurchase) -> str:
    """Where a review left the purchase, in words for the flash message."""
    if purchase.status is OutOfPocketStatus.reimbursed:
        return "reimbursement approved"
    if purchase.status is OutOfPocketStatus.refused:
        return "refused"
    return "your approval is recorded; the approval matrix asks for another approver"


def spend_categories() -> list[str]:
    """The categories of the active items, for the claim form's suggestions (1 query, bounded)."""
    return list(
        current_session().scalars(
            select(Item.category)
            .where(Item.active.is_(True))
            .distinct()
            .order_by(Item.category)
            .limit(200)
        )
    )


def waiting_count() -> int:
    """How many purchases wait for review (for the home card)."""
    count = current_session().scalar(
        select(func.count(OutOfPocketPurchase.id)).where(
            OutOfPocketPurchase.status == OutOfPocketStatus.submitted
        )
    )
    return count or 0


def get(purchase_id: int) -> OutOfPocketPurchase:
    """One purchase with its work order and people, or NotFound."""
    found = current_session().scalar(
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


def receipt_photo(purchase_id: int, *, viewer: User) -> Attachment:
    """The receipt photo of a purchase, if the viewer may see it (the claimant, reviewers, the
    auditor); NotFound otherwise, so nobody else learns that the claim exists."""
    session = current_session()
    purchase = session.get(OutOfPocketPurchase, purchase_id)
    if (
        purchase is None
        or purchase.receipt_attachment_id is None
        or not may_see_expense_receipt(viewer.roles, viewer.id, purchase.user_id)
    ):
        raise NotFound(f"Out-of-pocket purchase {purchase_id} has no receipt for you.")
    photo = session.get(Attachment, purchase.receipt_attachment_id)
    if photo is None:
        raise NotFound(f"Out-of-pocket purchase {purchase_id} has no receipt for you.")
    return photo


@dataclass
class HomeCard:
    """The purchasing card on the home page: what waits for review and where the policy lives."""

    waiting: int | None  # None: the user does not review out-of-pocket purchases
    show_maverick: bool
    show_policy: bool


def home_card(user: User) -> HomeCard | None:
    """The card for reviewers and those who read maverick spend; None for the others (1 query)."""
    reviews = user.can(C.review_out_of_pocket)
    maverick = user.can(C.read_maverick_spend)
    if not (reviews or maverick):  # admin holds every capability, so admins see the card too
        return None
    return HomeCard(
        waiting=waiting_count() if reviews else None,
        show_maverick=maverick,
        show_policy=user.can(C.manage_policy),
    )

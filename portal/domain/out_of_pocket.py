"""Out-of-pocket purchases: what a claim must say, and who may review it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal.domain.errors import DomainError, NotAllowed
from portal.domain.money import format_money, money
from portal.domain.statuses import OutOfPocketStatus
from portal.domain.work_orders import STATUS_LABELS, WorkOrderStatus, accepts_work

MAX_AMOUNT = Decimal("5000.00")  # more than this out of one's own pocket goes to a buyer instead
MAX_AGE_DAYS = 90  # older receipts are for the expenses process, not the work order


class ClaimRefused(DomainError):
    """An out-of-pocket claim that cannot be recorded or reviewed as it is."""


class OwnPurchase(NotAllowed):
    """Nobody reviews their own out-of-pocket purchase (separation of duties)."""


@dataclass(frozen=True)
class Claim:
    """A checked claim, trimmed and rounded."""

    description: str
    shop_name: str
    amount: Decimal
    bought_on: date
    why: str


@dataclass(frozen=True)
class ReviewDecision:
    """What the reviewer decided, and the reason kept with it."""

    status: OutOfPocketStatus
    reason: str | None


def _words(text: str | None) -> str:
    """Text with its runs of spaces closed up."""
    return " ".join((text or "").split())


def check_claim(
    *,
    description: str,
    shop_name: str,
    amount: Decimal,
    bought_on: date,
    why: str,
    today: date,
) -> Claim:
    """A claim that says what, where, how much, when and why; ClaimRefused in words otherwise."""
    if isinstance(amount, float):
        raise TypeError("amount must not be a float")
    what = _words(description)
    where = _words(shop_name)
    reason = (why or "").strip()
    if not what:
        raise ClaimRefused("Say what you bought.")
    if not where:
        raise ClaimRefused("Say where you bought it.")
    if not reason:
        raise ClaimRefused("Say why it could not wait for a purchase order.")
    if amount is None or amount <= 0:
        raise ClaimRefused("Enter the amount you paid, more than 0.")
    if amount != amount.quantize(Decimal("0.01")):
        raise ClaimRefused("Enter the amount to the cent, like 23.50.")
    if amount > MAX_AMOUNT:
        raise ClaimRefused(
            f"{format_money(amount)} is more than {format_money(MAX_AMOUNT)}: ask a buyer to "
            "raise a purchase order instead."
        )
    if bought_on > today:
        raise ClaimRefused("The purchase date cannot be in the future.")
    if bought_on < today - timedelta(days=MAX_AGE_DAYS):
        raise ClaimRefused(
            f"That is more than {MAX_AGE_DAYS} days ago: claim it through expenses instead."
        )
    return Claim(what[:300], where[:120], money(amount), bought_on, reason[:1000])


def check_work_order_open(status: WorkOrderStatus) -> None:
    """Purchases go on work that is not closed or cancelled."""
    status = WorkOrderStatus(status)
    if not accepts_work(status):
        raise ClaimRefused(
            f"This work order is {STATUS_LABELS[status].lower()}: purchases can no longer be "
            "added to it."
        )


def check_review(
    *,
    buyer_id: int,
    reviewer_id: int,
    status: OutOfPocketStatus,
    approve: bool,
    reason: str | None,
) -> ReviewDecision:
    """Reimburse or refuse a submitted claim; refusing needs a reason; never one's own claim."""
    if buyer_id == reviewer_id:
        raise OwnPurchase("You cannot review your own purchase: another reviewer must.")
    if OutOfPocketStatus(status) is not OutOfPocketStatus.submitted:
        raise ClaimRefused(f"This purchase was already {OutOfPocketStatus(status).value}.")
    why = (reason or "").strip()[:1000] or None
    if not approve and why is None:
        raise ClaimRefused("Say why the purchase is refused.")
    return ReviewDecision(
        OutOfPocketStatus.reimbursed if approve else OutOfPocketStatus.refused, why
    )


def total(amounts: list[Decimal]) -> Decimal:
    """The sum of claimed amounts, to the cent."""
    return money(sum(amounts, Decimal("0")))

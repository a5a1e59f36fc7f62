"""Out-of-pocket purchases: what a claim must say, and who may review it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from portal.domain import approvals
from portal.domain.errors import DomainError, NotAllowed
from portal.domain.money import format_money, money
from portal.domain.statuses import OutOfPocketStatus
from portal.domain.work_orders import STATUS_LABELS, WorkOrderStatus, accepts_work

# The most one claim may be is policy data (a rule of kind out_of_pocket_limit), not a constant.
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
    limit: Decimal | None = None,
) -> Claim:
    """A claim that says what, where, how much, when and why, within the policy's out-of-pocket
    `limit` (None: the policy sets none); ClaimRefused in words otherwise."""
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
    if limit is not None and amount > limit:
        raise ClaimRefused(
            f"{format_money(amount)} is more than the {format_money(limit)} the purchasing "
            "policy allows out of pocket: ask a buyer to raise a purchase order instead."
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


def check_spend(*, category: str | None, item_category: str | None) -> str:
    """The spend category a claim is for: the item's, or the one named; ClaimRefused when the
    claim names neither (the purchasing policy needs to know what kind of spend it was)."""
    named = " ".join((item_category or category or "").split())[:60]
    if not named:
        raise ClaimRefused("Say what kind of spend it was: choose a part or a spend category.")
    return named


def as_request(
    *,
    label: str,
    status: OutOfPocketStatus,
    amount: Decimal,
    claimant_id: int,
    cost_centre_code: str,
    requirement: approvals.Requirement,
    approved_by: tuple[int, ...],
    over_budget_by: Decimal,
) -> approvals.Request:
    """A claim as the approval matrix sees it: the same rules as a purchase request's."""
    return approvals.Request(
        number=label,
        status=OutOfPocketStatus(status).value,  # "submitted" is the matrix's pending status
        total=money(amount),
        requester_id=claimant_id,
        cost_centre_code=cost_centre_code,
        requirement=requirement,
        approved_by=approved_by,
        over_budget_by=over_budget_by,
    )


def check_exception(policy_texts: list[str], reason: str | None) -> None:
    """A claim the policy says needed a PO is reimbursed only as an exception, with a reason."""
    if policy_texts and not (reason or "").strip():
        raise ClaimRefused(
            f"{' '.join(policy_texts)} Reimbursing it is an exception to the purchasing policy: "
            "write why it is approved all the same."
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

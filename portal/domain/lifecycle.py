"""What happens to the purchasing and stock around a work order when its work ends.

Pure rules: a purchase request can be cancelled until it is ordered, always with a reason; a PO
line bought for cancelled work is cancelled or diverted to stock by the buyer, with a reason;
unused parts issued to a work order go back to stock, never more than was issued.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from portal.domain.errors import DomainError
from portal.domain.money import format_qty
from portal.domain.statuses import PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus

# A purchase request not yet (fully) ordered: cancelling it cancels its lines and commitment.
CANCELLABLE_REQUESTS = frozenset(
    {PurchaseRequestStatus.draft, PurchaseRequestStatus.submitted, PurchaseRequestStatus.approved}
)
# Work order statuses in which no stock stays reserved for it.
WORK_ENDED = frozenset(
    {WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled}
)


class FlagResolution(StrEnum):
    """What the buyer did with a PO line whose work was cancelled."""

    cancelled = "cancelled"
    diverted = "diverted"


def reason_given(reason: str | None, *, asked: str) -> str:
    """The reason, trimmed to 1,000 characters; DomainError(`asked`) when there is none."""
    text = (reason or "").strip()[:1000]
    if not text:
        raise DomainError(asked)
    return text


def check_cancel_request(
    number: str, status: PurchaseRequestStatus, *, lines_on_orders: int, reason: str | None
) -> str:
    """The reason for cancelling the PR; DomainError in words when it can no longer be."""
    status = PurchaseRequestStatus(status)
    if status is PurchaseRequestStatus.cancelled:
        raise DomainError(f"{number} is already cancelled.")
    if status not in CANCELLABLE_REQUESTS or lines_on_orders:
        raise DomainError(
            f"{number} is already on a purchase order: ask the buyer to cancel the PO line instead."
        )
    return reason_given(reason, asked=f"Say why {number} is cancelled.")


def ends_work(status: str) -> bool:
    """True when the work order's work is over (completed, closed or cancelled)."""
    return WorkOrderStatus(status) in WORK_ENDED


def check_resolution(
    resolution: str, *, reason: str | None, still_to_come: Decimal, stockable: bool
) -> tuple[FlagResolution, str]:
    """What the buyer chose for a flagged PO line, checked, with its reason."""
    try:
        chosen = FlagResolution(resolution)
    except ValueError:
        raise DomainError("Choose: cancel the line, or divert it to stock.") from None
    why = reason_given(reason, asked="Say why, for the vendor and the audit trail.")
    if chosen is FlagResolution.diverted and not stockable:
        raise DomainError("Only parts go to stock (not services or free-text lines): cancel it.")
    if chosen is FlagResolution.cancelled and still_to_come <= 0:
        raise DomainError("Everything on this line has arrived: nothing is left to cancel.")
    return chosen, why


def check_return(qty: Decimal, *, issued: Decimal, unit: str) -> Decimal:
    """A quantity of issued parts to give back: more than 0, at most what was issued."""
    if qty is None or qty <= 0:
        raise DomainError("Enter how many go back to stock, more than 0.")
    if qty > issued:
        raise DomainError(
            f"Only {format_qty(issued)} {unit} were issued to this work order: no more can go back."
        )
    return qty

"""The event list: which handlers run when something happens (docs/architecture.md).

The one module that knows both sides of each reaction. Features publish events and expose
handler functions; this list joins them, and `register()` hands it to the message bus when
the app is made.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal.domain.events import (
    ContractorAssigned,
    Event,
    GoodsReceived,
    PartsArrived,
    PartsRequested,
    PurchaseRequestCancelled,
    PurchaseRequestRejected,
    WorkOrderMoved,
)
from portal.services import (
    matching,
    messagebus,
    parts,
    po_line_changes,
    receiving_arrivals,
    request_cancellation,
    work_order_reactions,
    work_orders,
    work_requests,
)

HANDLERS: dict[type[Event], Sequence[messagebus.Handler]] = {
    # -- field (work orders, work requests)
    WorkOrderMoved: [
        work_requests.on_work_order_moved,  # tell the tenant: done, cancelled
        parts.release_for_ended_work,  # completed, closed, cancelled: no stock stays reserved
        request_cancellation.cancel_for_cancelled_work,  # cancelled: its open requests too
        po_line_changes.flag_for_cancelled_work,  # cancelled: its PO lines to the buyer
    ],
    PartsArrived: [work_orders.on_parts_arrived],  # all here: back to work
    # -- purchasing: the work order follows what purchasing decided
    PartsRequested: [work_order_reactions.wait_for_parts],
    PurchaseRequestRejected: [work_order_reactions.resume_after_rejection],
    PurchaseRequestCancelled: [work_order_reactions.resume_after_rejection],
    ContractorAssigned: [work_order_reactions.assign_to_contractor],
    # -- stock: what a goods receipt sets off, in its transaction, in this order
    GoodsReceived: [
        receiving_arrivals.issue_arrivals,  # parts bought for work orders are issued to them
        matching.rematch_on_receipt,  # held invoices of the PO are matched again
    ],
}


def register() -> None:
    """Give the message bus the event list."""
    messagebus.register(HANDLERS)

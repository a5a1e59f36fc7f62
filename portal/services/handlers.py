"""The event list: which handlers run when something happens (docs/architecture.md).

The one module that knows both sides of each reaction. Features publish events and expose
handler functions; this list joins them, and `register()` hands it to the message bus when
the app is made.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal.domain.events import Event, GoodsReceived
from portal.services import matching, messagebus, receiving_arrivals

HANDLERS: dict[type[Event], Sequence[messagebus.Handler]] = {
    # -- stock: what a goods receipt sets off, in its transaction, in this order
    GoodsReceived: [
        receiving_arrivals.issue_arrivals,  # parts bought for work orders are issued to them
        matching.rematch_on_receipt,  # held invoices of the PO are matched again
    ],
}


def register() -> None:
    """Give the message bus the event list."""
    messagebus.register(HANDLERS)

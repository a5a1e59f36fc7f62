"""What happened, in the domain's words: one feature says it, others react (services/handlers.py).

Events are plain frozen dataclasses of ids and values, so a handler reads what it needs in
the same transaction, and no feature imports another to tell it something happened.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Event:
    """Base of every domain event."""


@dataclass(frozen=True)
class WorkOrderMoved(Event):
    """A work order changed status (any move, by a person or by the portal itself)."""

    work_order_id: int
    before: str
    after: str
    actor_id: int | None
    reason: str | None


@dataclass(frozen=True)
class GoodsReceived(Event):
    """A goods receipt was posted on a purchase order (accepted and rejected quantities)."""

    goods_receipt_id: int
    purchase_order_id: int
    actor_id: int | None


@dataclass(frozen=True)
class PartsArrived(Event):
    """Parts bought for a work order were issued to it on arrival; `all_arrived` when the work
    order now lacks nothing it was waiting for."""

    work_order_id: int
    goods_receipt_id: int
    all_arrived: bool
    actor_id: int | None


# -- purchasing: what purchasing decided that a work order reacts to


@dataclass(frozen=True)
class PartsRequested(Event):
    """What a work order lacks was put on a purchase request: the work order waits for parts."""

    work_order_id: int
    purchase_request_id: int
    actor_id: int | None
    reason: str


@dataclass(frozen=True)
class PurchaseRequestRejected(Event):
    """A purchase request was rejected. `parts_still_coming` when another request or order of
    the same work order still brings parts to it."""

    purchase_request_id: int
    work_order_id: int | None
    actor_id: int | None
    reason: str
    parts_still_coming: bool


@dataclass(frozen=True)
class PurchaseRequestCancelled(Event):
    """A purchase request was cancelled by its requester or a supervisor before it was ordered.
    `parts_still_coming` as for a rejection."""

    purchase_request_id: int
    work_order_id: int | None
    actor_id: int | None
    reason: str
    parts_still_coming: bool


@dataclass(frozen=True)
class ContractorAssigned(Event):
    """A work order was given to an outside contractor (the vendor)."""

    work_order_id: int
    vendor_id: int
    actor_id: int | None
    reason: str

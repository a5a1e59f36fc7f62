"""How a work order follows what purchasing decided: parts requested, a request rejected, a
contractor assigned. Handlers of purchasing's events (listed in services/handlers.py), so
purchasing never imports the work order services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.domain.events import (
    ContractorAssigned,
    Event,
    PartsRequested,
    PurchaseRequestCancelled,
    PurchaseRequestRejected,
)
from portal.domain.work_orders import WorkOrderStatus as S
from portal.models import User, WorkOrder
from portal.services import work_orders
from portal.services._uow import locked


def _move(
    session: Session,
    wo_id: int,
    path: tuple[tuple[S | None, S, str | None], ...],
    actor_id: int | None,
) -> None:
    """Lock the work order and take each (from, to, why) step of `path` it stands at (from
    None: wherever it stands; a move to where it already is does nothing)."""
    wo = locked(session, WorkOrder, wo_id)
    actor = session.get(User, actor_id) if actor_id is not None else None
    for start, target, why in path:
        if start is None or wo.status is start:
            work_orders.move_work_order(session, wo, target, actor=actor, reason=why)


def wait_for_parts(session: Session, event: Event) -> None:
    """Parts were requested for a work order: it waits for them (once)."""
    assert isinstance(event, PartsRequested)
    step = (None, S.waiting_parts, event.reason)
    _move(session, event.work_order_id, (step,), event.actor_id)


def resume_after_rejection(session: Session, event: Event) -> None:
    """A rejected (or cancelled) request's work order, waiting for parts nothing else brings, is
    worked again."""
    assert isinstance(event, PurchaseRequestRejected | PurchaseRequestCancelled)
    if event.work_order_id is not None and not event.parts_still_coming:
        step = (S.waiting_parts, S.in_progress, event.reason)
        _move(session, event.work_order_id, (step,), event.actor_id)


def assign_to_contractor(session: Session, event: Event) -> None:
    """A work order given to a contractor is approved (if it was only requested) and assigned."""
    assert isinstance(event, ContractorAssigned)
    path = ((S.requested, S.approved, None), (S.approved, S.assigned, event.reason))
    _move(session, event.work_order_id, path, event.actor_id)

"""Outside contractors on work orders: assign one, request the service at an agreed price, and the
check that keeps uncovered work from starting.

No work is ordered before its price is known. A contractor may be assigned at once (the page then
says what is missing and offers "Raise a service request"), but the work order cannot move to
in progress until the contractor has a valid service contract (a contract price on a service item
or category, valid today) or an open service PO line for this work order. A blocked contractor
cannot be assigned at all. What covers the work is read by `read_models.contractors.cover_for`.

services.work_orders imports this module (`check_may_start`), so it imports no work order
service: the work order follows an assignment by reacting to `ContractorAssigned`.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from portal.domain import vendors as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.events import ContractorAssigned
from portal.domain.money import money
from portal.domain.parts import check_may_take_stock_or_buy, parse_quantity
from portal.domain.permissions import Capability as C
from portal.domain.sourcing import check_usable
from portal.domain.statuses import LineKind
from portal.domain.work_orders import WorkOrderStatus
from portal.models import Item, PurchaseRequestLine, User, Vendor, WorkOrder
from portal.models.base import utcnow
from portal.read_models import sourcing
from portal.read_models.contractors import cover_for
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.messagebus import publish
from portal.services.purchase_requests import new_request, open_request

FINISHED = (WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled)


def check_may_start(session: Session, wo: WorkOrder) -> None:
    """Raise ContractorNotCovered when a contractor's work would start without an agreed price.

    Called by services.work_orders.move_work_order before any move to in progress.
    """
    if wo.assignee_vendor_id is None:
        return
    vendor = session.get(Vendor, wo.assignee_vendor_id)
    if vendor is None:
        return
    rules.check_may_start(cover_for(session, wo, vendor), wo.number)


@submitted_once("assign_contractor")
def assign_contractor(
    wo_id: int, *, vendor_id: int, actor: User, submission_id: str | None = None
) -> WorkOrder:
    """Give the work to an outside contractor; blocked ones are refused, uncovered ones warned
    (`read_models.contractors.assignment_outcome` says which)."""
    authorize(actor, C.assign_contractor)
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        vendor = session.get(Vendor, vendor_id)
        if vendor is None:
            raise NotFound("That contractor does not exist.")
        if not vendor.is_contractor:
            raise DomainError(f"{vendor.name} is not an outside contractor.")
        check_usable(sourcing.vendor_facts(vendor))  # BlockedVendor, with the reason
        if wo.status in FINISHED:
            raise DomainError(f"{wo.number} is {wo.status.value}: it can no longer be assigned.")
        cover = cover_for(session, wo, vendor)
        before = {
            "assignee_user_id": wo.assignee_user_id,
            "assignee_team_id": wo.assignee_team_id,
            "assignee_vendor_id": wo.assignee_vendor_id,
        }
        if before["assignee_vendor_id"] != vendor.id or before["assignee_user_id"] is not None:
            wo.assignee_vendor_id = vendor.id
            wo.assignee_user_id = None
            wo.assignee_team_id = None
            audit.record(
                session,
                actor=actor,
                action="work_order.contractor_assigned",
                subject=wo,
                changes={
                    **{k: [v, getattr(wo, k)] for k, v in before.items()},
                    "covered_by": list(cover.contract_references + cover.po_numbers),
                },
                why=cover.text,
            )
        publish(
            session,
            ContractorAssigned(
                work_order_id=wo.id,
                vendor_id=vendor.id,
                actor_id=actor.id,
                reason=f"Assigned to {vendor.name} (contractor)",
            ),
        )
    return wo


@submitted_once("request_service")
def request_service(
    wo_id: int,
    *,
    vendor_id: int,
    description: str,
    qty: Decimal | str,
    uom: str,
    unit_price: Decimal | str,
    actor: User,
    item_id: int | None = None,
    submission_id: str | None = None,
) -> PurchaseRequestLine:
    """Raise a service PR line for the work order with the contractor and the agreed price.

    The line goes on the work order's open PR (or a new one); the same form posted twice gives
    one line. Blocked vendors are refused; the sourcing warnings are kept on the line.
    """
    authorize(actor, C.request_service)
    what = " ".join((description or "").split())[:200]
    if len(what) < 3:
        raise DomainError("Say what service is needed, in a few words.")
    amount = parse_quantity(qty)
    unit = (uom or "").strip().upper()[:12]
    if not unit:
        raise DomainError("Give the unit the price is for, like HOUR or VISIT.")
    if isinstance(unit_price, float):
        raise TypeError("unit_price must not be a float")
    price = money(unit_price) if unit_price not in (None, "") else None
    if price is None or price <= 0:
        raise DomainError(
            "Give the agreed unit price: no work is ordered before its price is known."
        )
    with unit_of_work() as session:
        return _add_service_line(
            session,
            wo_id,
            vendor_id=vendor_id,
            description=what,
            qty=amount,
            uom=unit,
            unit_price=price,
            actor=actor,
            item_id=item_id,
        )


def _add_service_line(
    session: Session,
    wo_id: int,
    *,
    vendor_id: int,
    description: str,
    qty: Decimal,
    uom: str,
    unit_price: Decimal,
    actor: User,
    item_id: int | None,
) -> PurchaseRequestLine:
    """Add the service line inside the caller's transaction, audited."""
    # Work order first: two requests for one WO never open two PRs at once.
    wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
    check_may_take_stock_or_buy(wo.status)
    vendor = sourcing.check_vendor_usable(session, vendor_id)
    item = session.get(Item, item_id) if item_id else None
    if item_id and item is None:
        raise NotFound("That service item does not exist.")
    warnings = sourcing.assess_source(
        session,
        vendor_id=vendor.id,
        item_id=item.id if item else None,
        unit_price=unit_price,
        uom=uom,
        category=item.category if item else None,
        description=description,
    )
    pr, new = open_request(session, wo), False
    if pr is None:
        pr, new = new_request(session, wo, actor=actor, now=utcnow()), True
        pr.reason = f"Service for {wo.number}: {wo.title}"[:1000]
    line = PurchaseRequestLine(
        purchase_request_id=pr.id,
        item_id=item.id if item else None,
        description=description,
        kind=LineKind.service,
        qty=qty,
        uom=uom,
        unit_price=unit_price,
        suggested_vendor_id=vendor.id,
        policy_warnings=[w.as_dict() for w in warnings] or None,  # coded: reports count them
    )
    line.purchase_request = pr
    session.add(line)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="purchase_request.service_requested",
        subject=pr,
        changes={
            "new_purchase_request": new,
            "work_order": wo.number,
            "line_id": line.id,
            "description": description,
            "qty": [None, qty],
            "uom": uom,
            "unit_price": [None, unit_price],
            "suggested_vendor_id": vendor.id,
            "policy_warnings": line.policy_warnings,
        },
        why=f"{vendor.name} to work on {wo.number} at an agreed price",
    )
    return line

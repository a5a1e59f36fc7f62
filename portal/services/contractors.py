"""Outside contractors on work orders: assign one, see what covers the work, request the service.

No work is ordered before its price is known. A contractor may be assigned at once (the page then
says what is missing and offers "Raise a service request"), but the work order cannot move to
in progress until the contractor has a valid service contract (a contract price on a service item
or category, valid today) or an open service PO line for this work order. A blocked contractor
cannot be assigned at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from portal.domain import vendors as rules
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.money import format_money, money
from portal.domain.parts import check_may_take_stock_or_buy, parse_quantity
from portal.domain.roles import Role
from portal.domain.sourcing import check_usable
from portal.domain.statuses import (
    ItemKind,
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Contract,
    ContractPrice,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services import audit, sourcing
from portal.services._uow import earlier_submission, locked, unit_of_work
from portal.services.purchase_requests import _new_request, _open_request
from portal.services.work_orders import move_work_order

OPEN_PO = (
    PurchaseOrderStatus.approved,
    PurchaseOrderStatus.issued,
    PurchaseOrderStatus.partially_received,
)
PENDING_PR = (PurchaseRequestStatus.draft, PurchaseRequestStatus.submitted)
REQUESTERS = (Role.supervisor, Role.buyer)


# ---------------------------------------------------------------- reads


def cover_for(
    session: Session, wo: WorkOrder, vendor: Vendor, *, today: date | None = None
) -> rules.ContractorCover:
    """What lets `vendor` work on `wo`: valid service contracts, open service POs, pending PRs."""
    on = today or date.today()
    service_categories = select(Item.category).where(Item.kind == ItemKind.service.value)
    contracts = session.scalars(
        select(Contract.reference)
        .join(ContractPrice, ContractPrice.contract_id == Contract.id)
        .outerjoin(Item, Item.id == ContractPrice.item_id)
        .where(
            Contract.vendor_id == vendor.id,
            Contract.valid_from <= on,
            Contract.valid_to >= on,
            or_(
                Item.kind == ItemKind.service.value,
                ContractPrice.item_id.is_(None) & ContractPrice.category.in_(service_categories),
            ),
        )
        .distinct()
        .order_by(Contract.reference)
    ).all()
    orders = session.scalars(
        select(PurchaseOrder.number)
        .join(PurchaseOrderLine, PurchaseOrderLine.purchase_order_id == PurchaseOrder.id)
        .where(
            PurchaseOrder.vendor_id == vendor.id,
            PurchaseOrder.status.in_([s.value for s in OPEN_PO]),
            PurchaseOrderLine.kind == LineKind.service.value,
            PurchaseOrderLine.work_order_id == wo.id,
        )
        .distinct()
        .order_by(PurchaseOrder.number)
    ).all()
    requests = session.scalars(
        select(PurchaseRequest.number)
        .join(PurchaseRequestLine, PurchaseRequestLine.purchase_request_id == PurchaseRequest.id)
        .where(
            PurchaseRequest.work_order_id == wo.id,
            PurchaseRequest.status.in_([s.value for s in PENDING_PR]),
            PurchaseRequestLine.kind == LineKind.service.value,
            PurchaseRequestLine.suggested_vendor_id == vendor.id,
        )
        .distinct()
        .order_by(PurchaseRequest.number)
    ).all()
    return rules.ContractorCover(
        vendor_name=vendor.name,
        contract_references=tuple(contracts),
        po_numbers=tuple(orders),
        requested_on=tuple(requests),
    )


@dataclass
class ServiceLineView:
    """A service PR line raised for this work order, as the panel lists it."""

    pr_number: str
    pr_status: str
    description: str
    qty: Decimal
    uom: str
    unit_price: Decimal
    vendor: str | None


@dataclass
class ContractorPanel:
    """The contractor section of a work order page."""

    contractor: Vendor | None
    cover: rules.ContractorCover | None
    choices: list[Vendor] = field(default_factory=list)
    service_lines: list[ServiceLineView] = field(default_factory=list)
    open: bool = True  # the work order can still change hands


def panel_for(wo: WorkOrder) -> ContractorPanel:
    """The contractor section of `wo`: at most five queries, whatever the data."""
    session = db.session
    is_open = wo.status not in (
        WorkOrderStatus.completed,
        WorkOrderStatus.closed,
        WorkOrderStatus.cancelled,
    )
    contractor = session.get(Vendor, wo.assignee_vendor_id) if wo.assignee_vendor_id else None
    cover = cover_for(session, wo, contractor) if contractor is not None else None
    choices = (
        list(
            session.scalars(
                select(Vendor)
                .where(Vendor.is_contractor.is_(True))
                .order_by(Vendor.status, Vendor.name)
                .limit(100)
            )
        )
        if is_open
        else []
    )
    lines = [
        ServiceLineView(
            pr_number=line.purchase_request.number,
            pr_status=line.purchase_request.status.value,
            description=line.description,
            qty=line.qty,
            uom=line.uom,
            unit_price=line.unit_price,
            vendor=line.suggested_vendor.name if line.suggested_vendor else None,
        )
        for line in session.scalars(
            select(PurchaseRequestLine)
            .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
            .where(
                PurchaseRequest.work_order_id == wo.id,
                PurchaseRequestLine.kind == LineKind.service.value,
                PurchaseRequestLine.part_line_id.is_(None),
            )
            .options(
                joinedload(PurchaseRequestLine.purchase_request),
                joinedload(PurchaseRequestLine.suggested_vendor),
            )
            .order_by(PurchaseRequestLine.id)
            .limit(20)
        )
    ]
    return ContractorPanel(contractor, cover, choices, lines, is_open)


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


# ---------------------------------------------------------------- writes


@dataclass
class ContractorOutcome:
    """What a contractor action did, in words, and how it should read."""

    wo_id: int
    message: str
    tone: str = "success"  # success, warning


def assign_contractor(wo_id: int, *, vendor_id: int, actor: User) -> ContractorOutcome:
    """Give the work to an outside contractor; blocked ones are refused, uncovered ones warned."""
    if not actor.has_role(Role.supervisor):
        raise NotAllowed("Only a supervisor gives work to an outside contractor.")
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        vendor = session.get(Vendor, vendor_id)
        if vendor is None:
            raise NotFound("That contractor does not exist.")
        if not vendor.is_contractor:
            raise DomainError(f"{vendor.name} is not an outside contractor.")
        check_usable(sourcing.vendor_facts(vendor))  # BlockedVendor, with the reason
        if wo.status in (
            WorkOrderStatus.completed,
            WorkOrderStatus.closed,
            WorkOrderStatus.cancelled,
        ):
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
        if wo.status is WorkOrderStatus.requested:
            move_work_order(session, wo, WorkOrderStatus.approved, actor=actor, reason=None)
        if wo.status is WorkOrderStatus.approved:
            move_work_order(
                session,
                wo,
                WorkOrderStatus.assigned,
                actor=actor,
                reason=f"Assigned to {vendor.name} (contractor)",
            )
        number = wo.number
    if cover.covered:
        return ContractorOutcome(wo_id, f"{number} assigned to {vendor.name}. {cover.text}")
    return ContractorOutcome(wo_id, f"{number} assigned to {vendor.name}. {cover.text}", "warning")


@dataclass
class ServiceRequested:
    """The service PR line raised (or found again for a repeated submission)."""

    wo_id: int
    line_id: int
    pr_number: str
    message: str


def request_service(
    wo_id: int,
    *,
    vendor_id: int,
    description: str,
    qty: Decimal | str,
    uom: str,
    unit_price: Decimal | str,
    actor: User,
    submission_id: str,
    item_id: int | None = None,
) -> ServiceRequested:
    """Raise a service PR line for the work order with the contractor and the agreed price.

    The line goes on the work order's open PR (or a new one); the same submission_id twice gives
    one line. Blocked vendors are refused; the sourcing warnings are kept on the line.
    """
    if not actor.has_role(*REQUESTERS):
        raise NotAllowed("Only a supervisor or a buyer raises a service request.")
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
    try:
        with unit_of_work() as session:
            line = earlier_submission(session, PurchaseRequestLine, submission_id)
            if line is None:
                line = _add_service_line(
                    session,
                    wo_id,
                    vendor_id=vendor_id,
                    description=what,
                    qty=amount,
                    uom=unit,
                    unit_price=price,
                    actor=actor,
                    submission_id=submission_id,
                    item_id=item_id,
                )
            done = _requested(wo_id, line)
    except IntegrityError:
        # A double tap that raced the first post past the check above: the first one won.
        line = earlier_submission(db.session, PurchaseRequestLine, submission_id)
        if line is None:
            raise
        done = _requested(wo_id, line)
    return done


def _requested(wo_id: int, line: PurchaseRequestLine) -> ServiceRequested:
    """The outcome of a service request, in plain values that outlive the session."""
    number = line.purchase_request.number
    return ServiceRequested(
        wo_id=wo_id,
        line_id=line.id,
        pr_number=number,
        message=(
            f"Requested {line.description} ({line.qty.normalize():f} {line.uom} at "
            f"{format_money(line.unit_price)}) on {number}."
        ),
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
    submission_id: str,
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
    pr, new = _open_request(session, wo), False
    if pr is None:
        pr, new = _new_request(session, wo, actor=actor, now=utcnow()), True
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
        submission_id=submission_id,
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

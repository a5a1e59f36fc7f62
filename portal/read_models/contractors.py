"""The contractor section of a work order page: who holds the work, what covers it (a valid
service contract, an open service PO line, a pending service request), and a contractor action
told in words. Reads only; the actions are `services.contractors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from portal.domain import vendors as rules
from portal.domain.money import format_money
from portal.domain.statuses import (
    ItemKind,
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Contract,
    ContractPrice,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Vendor,
    WorkOrder,
)
from portal.services._uow import current_session

OPEN_PO = (
    PurchaseOrderStatus.approved,
    PurchaseOrderStatus.issued,
    PurchaseOrderStatus.partially_received,
)
PENDING_PR = (PurchaseRequestStatus.draft, PurchaseRequestStatus.submitted)


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


def cover_of_contractor(session: Session, wo: WorkOrder) -> rules.ContractorCover | None:
    """The cover of the contractor `wo` is assigned to; None when no contractor has it."""
    if wo.assignee_vendor_id is None:
        return None
    vendor = session.get(Vendor, wo.assignee_vendor_id)
    return cover_for(session, wo, vendor) if vendor is not None else None


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
    session = current_session()
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


@dataclass(frozen=True)
class ContractorOutcome:
    """What a contractor action did, in words, and how it should read."""

    wo_id: int
    message: str
    tone: str = "success"  # success, warning


def assignment_outcome(wo: WorkOrder) -> ContractorOutcome:
    """The work order's contractor and what covers the work, in words (warning: nothing yet)."""
    session = current_session()
    vendor = session.get(Vendor, wo.assignee_vendor_id) if wo.assignee_vendor_id else None
    if vendor is None:
        return ContractorOutcome(wo.id, f"{wo.number} has no outside contractor.", "warning")
    cover = cover_for(session, wo, vendor)
    message = f"{wo.number} assigned to {vendor.name}. {cover.text}"
    return ContractorOutcome(wo.id, message, "success" if cover.covered else "warning")


def service_requested_message(line: PurchaseRequestLine) -> str:
    """'Requested <service> (<qty> <unit> at <price>) on PR-000012.'"""
    number = line.purchase_request.number
    return (
        f"Requested {line.description} ({line.qty.normalize():f} {line.uom} at "
        f"{format_money(line.unit_price)}) on {number}."
    )

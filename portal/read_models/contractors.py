"""What covers an outside contractor's work on a work order (contracts, service POs, pending
requests): read by the contractor panel and by the work order's start check alike."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.domain import vendors as rules
from portal.domain.statuses import ItemKind, LineKind, PurchaseOrderStatus, PurchaseRequestStatus
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

"""Gather the facts about a vendor, an item and its agreements; `domain.sourcing` judges them.

Used wherever a vendor and a price are chosen: PR approval, PO creation and revision, contractor
assignment. Two queries (agreements, preferred vendors) plus the vendor row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal.domain.errors import NotFound
from portal.domain.sourcing import Agreement, SourceWarning, VendorFacts, assess, check_usable
from portal.domain.statuses import VendorStatus
from portal.models import Contract, ContractPrice, Item, PreferredVendor, Vendor


def vendor_facts(vendor: Vendor) -> VendorFacts:
    """The vendor as the sourcing rules see it."""
    return VendorFacts(
        vendor_id=vendor.id,
        name=vendor.name,
        blocked=vendor.status is VendorStatus.blocked,
        blocked_reason=vendor.blocked_reason,
    )


def check_vendor_usable(session: Session, vendor_id: int) -> Vendor:
    """The vendor, or NotFound / BlockedVendor in words."""
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"Vendor {vendor_id} does not exist.")
    check_usable(vendor_facts(vendor))
    return vendor


def agreements_for(
    session: Session, *, item_id: int | None, category: str | None
) -> list[Agreement]:
    """Every contract price for the item or, without an item price, its category; any vendor."""
    conditions = []
    if item_id is not None:
        conditions.append(ContractPrice.item_id == item_id)
    if category:
        conditions.append(ContractPrice.item_id.is_(None) & (ContractPrice.category == category))
    if not conditions:
        return []
    rows = session.execute(
        select(ContractPrice, Contract, Vendor)
        .join(Contract, Contract.id == ContractPrice.contract_id)
        .join(Vendor, Vendor.id == Contract.vendor_id)
        .where(or_(*conditions))
        .order_by(ContractPrice.id)
    )
    return [
        Agreement(
            vendor_id=vendor.id,
            vendor_name=vendor.name,
            reference=contract.reference,
            valid_from=contract.valid_from,
            valid_to=contract.valid_to,
            unit_price=price.unit_price,
            uom=price.uom,
        )
        for price, contract, vendor in rows
    ]


def assess_source(
    session: Session,
    *,
    vendor_id: int,
    item_id: int | None,
    unit_price: Decimal,
    uom: str,
    on: date | None = None,
    category: str | None = None,
    description: str | None = None,
) -> list[SourceWarning]:
    """Warnings for buying this item (or a free-text line of `category`) from the vendor.

    Raises NotFound for an unknown vendor and BlockedVendor for a blocked one.
    """
    vendor = check_vendor_usable(session, vendor_id)
    item = session.get(Item, item_id) if item_id is not None else None
    category = item.category if item is not None else category
    label = item.part_number if item is not None else (description or "this line")
    preferred = (
        dict(
            session.execute(
                select(Vendor.id, Vendor.name)
                .join(PreferredVendor, PreferredVendor.vendor_id == Vendor.id)
                .where(PreferredVendor.category == category)
            ).all()
        )
        if category
        else {}
    )
    return assess(
        vendor=vendor_facts(vendor),
        item_label=label,
        category=category,
        unit_price=unit_price,
        uom=uom,
        on=on or date.today(),
        agreements=agreements_for(session, item_id=item_id, category=category),
        preferred_vendor_names=preferred,
    )

"""Gather the facts about a vendor, an item and its agreements; `domain.sourcing` judges them.

Used wherever a vendor and a price are chosen: PR approval, PO creation and revision, contractor
assignment. Two queries (agreements, preferred vendors) plus the vendor and item rows the session
does not hold yet; `assess_sources` checks many lines with the same four at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from portal.domain.errors import NotFound
from portal.domain.sourcing import (
    Agreement,
    BlockedVendor,
    SourceWarning,
    VendorFacts,
    assess,
    check_usable,
)
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
    return _agreements(session, [(item_id, category)])[(item_id, category)]


def _agreements(
    session: Session, wanted: list[tuple[int | None, str | None]]
) -> dict[tuple[int | None, str | None], list[Agreement]]:
    """agreements_for each (item, category) pair, from one query whatever their number."""
    item_ids = {item_id for item_id, _ in wanted if item_id is not None}
    categories = {category for _, category in wanted if category}
    conditions = []
    if item_ids:
        conditions.append(ContractPrice.item_id.in_(item_ids))
    if categories:
        conditions.append(ContractPrice.item_id.is_(None) & ContractPrice.category.in_(categories))
    rows = (
        session.execute(
            select(ContractPrice, Contract, Vendor)
            .join(Contract, Contract.id == ContractPrice.contract_id)
            .join(Vendor, Vendor.id == Contract.vendor_id)
            .where(or_(*conditions))
            .order_by(ContractPrice.id)
        ).all()
        if conditions
        else []
    )
    found = {}
    for item_id, category in wanted:
        found[(item_id, category)] = [
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
            if (item_id is not None and price.item_id == item_id)
            or (category and price.item_id is None and price.category == category)
        ]
    return found


@dataclass(frozen=True)
class SourceLine:
    """One line to check: buying the item (or a free-text line of `category`) from a vendor."""

    vendor_id: int
    item_id: int | None
    unit_price: Decimal
    uom: str
    category: str | None = None
    description: str | None = None


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
    line = SourceLine(vendor_id, item_id, unit_price, uom, category, description)
    [found] = assess_sources(session, [line], on=on)
    if isinstance(found, BlockedVendor):
        raise found
    return found


def assess_sources(
    session: Session, lines: list[SourceLine], *, on: date | None = None
) -> list[list[SourceWarning] | BlockedVendor]:
    """assess_source for many lines: vendors and items the session does not hold, agreements
    and preferred vendors are one query each, whatever the number of lines. A line whose vendor
    is blocked gets its BlockedVendor instead of warnings; an unknown vendor raises NotFound."""
    vendors = _by_id(session, Vendor, {line.vendor_id for line in lines})
    for line in lines:
        if line.vendor_id not in vendors:
            raise NotFound(f"Vendor {line.vendor_id} does not exist.")
    items = _by_id(session, Item, {line.item_id for line in lines if line.item_id is not None})
    facts = []
    for line in lines:
        item = items.get(line.item_id) if line.item_id is not None else None
        category = item.category if item is not None else line.category
        label = item.part_number if item is not None else (line.description or "this line")
        facts.append((line, category, label))
    categories = {category for _, category, _ in facts if category}
    preferred: dict[str, dict[int, str]] = {}
    if categories:
        for category, vendor_id, name in session.execute(
            select(PreferredVendor.category, Vendor.id, Vendor.name)
            .join(PreferredVendor, PreferredVendor.vendor_id == Vendor.id)
            .where(PreferredVendor.category.in_(categories))
        ):
            preferred.setdefault(category, {})[vendor_id] = name
    agreements = _agreements(session, [(line.item_id, category) for line, category, _ in facts])
    day = on or date.today()
    results: list[list[SourceWarning] | BlockedVendor] = []
    for line, category, label in facts:
        try:
            results.append(
                assess(
                    vendor=vendor_facts(vendors[line.vendor_id]),
                    item_label=label,
                    category=category,
                    unit_price=line.unit_price,
                    uom=line.uom,
                    on=day,
                    agreements=agreements[(line.item_id, category)],
                    preferred_vendor_names=preferred.get(category, {}) if category else {},
                )
            )
        except BlockedVendor as err:
            results.append(err)
    return results


def _by_id(session: Session, model, ids: set[int]) -> dict:
    """Rows by id: those the session holds already, the others in one query."""
    found, missing = {}, []
    for row_id in ids:
        held = session.identity_map.get(identity_key(model, row_id))
        if held is not None:
            found[row_id] = held
        else:
            missing.append(row_id)
    if missing:
        found.update(
            {row.id: row for row in session.scalars(select(model).where(model.id.in_(missing)))}
        )
    return found

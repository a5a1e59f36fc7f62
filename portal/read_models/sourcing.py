"""Gather the facts about a vendor, an item and its agreements; `domain.sourcing` judges them.

Used wherever a vendor and a price are chosen: PR approval, PO creation and revision, contractor
assignment, and the pages that show them. Reads only (the session is the caller's, so a use case
judges inside its own transaction). Two queries (agreements, preferred vendors) plus the vendor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select
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
    found = _agreements(session, [(item_id, category)])
    return found[(item_id, category)]


def _agreements(
    session: Session, wanted: list[tuple[int | None, str | None]]
) -> dict[tuple[int | None, str | None], list[Agreement]]:
    """agreements_for each (item id, category) pair, read in one query."""
    item_ids = {item_id for item_id, _ in wanted if item_id is not None}
    categories = {category for _, category in wanted if category}
    conditions: list[ColumnElement[bool]] = []
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
class SourceNeed:
    """One line to judge: its item (or, for a free-text line, category and words), price, unit."""

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
    need = SourceNeed(item_id, unit_price, uom, category, description)
    return assess_sources(session, vendor_id=vendor_id, needs=[need], on=on)[0]


def _items(session: Session, ids: set[int]) -> dict[int, Item]:
    """The items by id: those the session holds already, the others in one query."""
    held = {i: session.identity_map.get(session.identity_key(Item, i)) for i in ids}
    items = {i: item for i, item in held.items() if item is not None}
    missing = ids - items.keys()
    if missing:
        items.update(
            (item.id, item) for item in session.scalars(select(Item).where(Item.id.in_(missing)))
        )
    return items


def assess_sources(
    session: Session, *, vendor_id: int, needs: list[SourceNeed], on: date | None = None
) -> list[list[SourceWarning]]:
    """assess_source for every line of one vendor's order, the facts read once for all of them:
    the vendor, the items, preferred vendors, agreements (one query each at most).
    """
    vendor = check_vendor_usable(session, vendor_id)
    items = _items(session, {need.item_id for need in needs if need.item_id is not None})
    keys: list[tuple[int | None, str | None]] = []
    for need in needs:
        item = items.get(need.item_id) if need.item_id is not None else None
        keys.append((need.item_id, item.category if item is not None else need.category))
    categories = {category for _, category in keys if category}
    preferred: dict[str, dict[int, str]] = {}
    if categories:
        for category, vendor_ref, name in session.execute(
            select(PreferredVendor.category, Vendor.id, Vendor.name)
            .select_from(Vendor)
            .join(PreferredVendor, PreferredVendor.vendor_id == Vendor.id)
            .where(PreferredVendor.category.in_(categories))
        ):
            preferred.setdefault(category, {})[vendor_ref] = name
    agreements = _agreements(session, keys)
    facts = vendor_facts(vendor)
    day = on or date.today()
    found = []
    for need, key in zip(needs, keys, strict=True):
        item = items.get(need.item_id) if need.item_id is not None else None
        item_category = key[1]
        found.append(
            assess(
                vendor=facts,
                item_label=item.part_number
                if item is not None
                else (need.description or "this line"),
                category=item_category,
                unit_price=need.unit_price,
                uom=need.uom,
                on=day,
                agreements=agreements[key],
                preferred_vendor_names=preferred.get(item_category, {}) if item_category else {},
            )
        )
    return found

"""Changing vendors and their contracts: create, edit, block, prefer for a category, price.

Every change is one transaction with one audit event carrying before/after values, asked for by a
buyer (`manage_vendors`); the same form posted twice is one change (`submitted_once`). Rules
(codes, reasons, dates, validity) live in domain.vendors and domain.payment_terms. What the pages
show is `read_models.vendors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain import vendors as rules
from portal.domain.errors import NotFound
from portal.domain.money import money
from portal.domain.payment_terms import parse_terms
from portal.domain.permissions import Capability as C
from portal.domain.statuses import VendorStatus
from portal.models import Contract, ContractPrice, Item, PreferredVendor, User, Vendor
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize

# ---------------------------------------------------------------- vendor writes


@dataclass
class VendorDraft:
    """What the vendor form says; the service tidies and checks it."""

    code: str
    name: str
    payment_terms: str = "Net 30"
    currency: str = "USD"
    is_contractor: bool = False
    contact_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None


def _clean(text: str | None, limit: int) -> str | None:
    """Trimmed text or None, cut to the column's length."""
    value = (text or "").strip()
    return value[:limit] or None


def _vendor_values(draft: VendorDraft) -> dict[str, Any]:
    """The draft checked and tidied into column values."""
    name = _clean(draft.name, 120)
    if not name:
        raise rules.BadVendor("Enter the vendor's name.")
    currency = (draft.currency or "USD").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise rules.BadVendor("Use a three-letter currency code, like USD.")
    return {
        "code": rules.vendor_code(draft.code),
        "name": name,
        "payment_terms": parse_terms(draft.payment_terms).text,
        "currency": currency,
        "is_contractor": bool(draft.is_contractor),
        "contact_name": _clean(draft.contact_name, 120),
        "email": _clean(draft.email, 254),
        "phone": _clean(draft.phone, 40),
        "address": _clean(draft.address, 300),
    }


def _dated(value: Any) -> Any:
    """A change value the audit trail can store: dates as ISO text, the rest as they are."""
    return value.isoformat() if isinstance(value, date) else value


def _apply(row: Any, values: dict[str, Any]) -> dict[str, list]:
    """Set the values that differ on `row`; {column: [before, after]} of those, for the audit."""
    changes = {}
    for key, after in values.items():
        before = getattr(row, key)
        if before != after:
            changes[key] = [_dated(before), _dated(after)]
            setattr(row, key, after)
    return changes


def _code_taken(session: Session, code: str, but_not: int | None = None) -> Vendor | None:
    """Another vendor already using `code`."""
    stmt = select(Vendor).where(Vendor.code == code)
    if but_not is not None:
        stmt = stmt.where(Vendor.id != but_not)
    return session.scalar(stmt)


@submitted_once("create_vendor")
def create_vendor(draft: VendorDraft, *, actor: User, submission_id: str | None = None) -> Vendor:
    """Add a vendor (active); the code is unique, so a retried post cannot make a second one."""
    authorize(actor, C.manage_vendors)
    values = _vendor_values(draft)
    try:
        with unit_of_work() as session:
            taken = _code_taken(session, values["code"])
            if taken is not None:
                raise rules.BadVendor(f"Code {values['code']} is already used by {taken.name}.")
            vendor = Vendor(status=VendorStatus.active, **values)
            session.add(vendor)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="vendor.created",
                subject=vendor,
                subject_label=vendor.code,
                changes={k: [None, v] for k, v in values.items()},
            )
    except IntegrityError:
        raise rules.BadVendor(f"Code {values['code']} is already used by another vendor.") from None
    return vendor


@submitted_once("update_vendor")
def update_vendor(
    vendor_id: int, draft: VendorDraft, *, actor: User, submission_id: str | None = None
) -> Vendor:
    """Change a vendor's details; only what changed is audited, before and after."""
    authorize(actor, C.manage_vendors)
    values = _vendor_values(draft)
    try:
        with unit_of_work() as session:
            vendor = locked(session, Vendor, vendor_id)
            taken = _code_taken(session, values["code"], but_not=vendor.id)
            if taken is not None:
                raise rules.BadVendor(f"Code {values['code']} is already used by {taken.name}.")
            changes = _apply(vendor, values)
            if changes:
                audit.record(
                    session,
                    actor=actor,
                    action="vendor.updated",
                    subject=vendor,
                    subject_label=vendor.code,
                    changes=changes,
                )
    except IntegrityError:
        raise rules.BadVendor(f"Code {values['code']} is already used by another vendor.") from None
    return vendor


@submitted_once("block_vendor")
def block_vendor(
    vendor_id: int, *, reason: str, actor: User, submission_id: str | None = None
) -> Vendor:
    """Block a vendor with the reason in words; new PRs, POs and assignments refuse it."""
    authorize(actor, C.manage_vendors)
    why = rules.block_reason(reason)
    with unit_of_work() as session:
        vendor = locked(session, Vendor, vendor_id)
        before = (vendor.status, vendor.blocked_reason)
        if before == (VendorStatus.blocked, why):
            return vendor  # blocked already, for the same reason: nothing to record
        vendor.status, vendor.blocked_reason = VendorStatus.blocked, why
        audit.record(
            session,
            actor=actor,
            action="vendor.blocked",
            subject=vendor,
            subject_label=vendor.code,
            changes={"status": [before[0], vendor.status], "blocked_reason": [before[1], why]},
            why=why,
        )
    return vendor


@submitted_once("unblock_vendor")
def unblock_vendor(
    vendor_id: int, *, actor: User, reason: str | None = None, submission_id: str | None = None
) -> Vendor:
    """Let a blocked vendor be used again; the old reason stays in the audit trail."""
    authorize(actor, C.manage_vendors)
    with unit_of_work() as session:
        vendor = locked(session, Vendor, vendor_id)
        if vendor.status is VendorStatus.active:
            return vendor
        before = (vendor.status, vendor.blocked_reason)
        vendor.status, vendor.blocked_reason = VendorStatus.active, None
        audit.record(
            session,
            actor=actor,
            action="vendor.unblocked",
            subject=vendor,
            subject_label=vendor.code,
            changes={"status": [before[0], vendor.status], "blocked_reason": [before[1], None]},
            why=_clean(reason, 1000),
        )
    return vendor


@submitted_once("add_preferred_category")
def add_preferred_category(
    vendor_id: int, *, category: str, actor: User, submission_id: str | None = None
) -> PreferredVendor:
    """Make the vendor a preferred source for an item category; twice is once."""
    authorize(actor, C.manage_vendors)
    name = rules.category_name(category)
    with unit_of_work() as session:
        vendor = locked(session, Vendor, vendor_id)
        preferred = session.scalar(
            select(PreferredVendor).where(
                PreferredVendor.vendor_id == vendor.id,
                func.lower(PreferredVendor.category) == name.lower(),
            )
        )
        if preferred is None:
            preferred = PreferredVendor(vendor_id=vendor.id, category=name)
            session.add(preferred)
            audit.record(
                session,
                actor=actor,
                action="vendor.preferred_added",
                subject=vendor,
                subject_label=vendor.code,
                changes={"preferred_for": [None, name]},
            )
        session.flush()
    return preferred


@submitted_once("remove_preferred_category")
def remove_preferred_category(
    vendor_id: int, *, category: str, actor: User, submission_id: str | None = None
) -> Vendor:
    """The vendor is no longer preferred for the category; removing it twice is harmless."""
    authorize(actor, C.manage_vendors)
    with unit_of_work() as session:
        vendor = locked(session, Vendor, vendor_id)
        row = session.scalar(
            select(PreferredVendor).where(
                PreferredVendor.vendor_id == vendor.id, PreferredVendor.category == category
            )
        )
        if row is not None:
            session.delete(row)
            audit.record(
                session,
                actor=actor,
                action="vendor.preferred_removed",
                subject=vendor,
                subject_label=vendor.code,
                changes={"preferred_for": [category, None]},
            )
    return vendor


# ---------------------------------------------------------------- contract writes


@dataclass
class ContractDraft:
    """What the contract form says."""

    reference: str
    title: str
    valid_from: date
    valid_to: date
    ceiling_amount: Decimal | None = None


def _contract_values(draft: ContractDraft) -> dict[str, Any]:
    """The draft checked and tidied into column values."""
    title = _clean(draft.title, 200)
    if not title:
        raise rules.BadContract("Say what the contract covers, in a few words.")
    if draft.valid_from is None or draft.valid_to is None:
        raise rules.BadContract("Give the first and the last day the contract is valid.")
    ceiling = money(draft.ceiling_amount) if draft.ceiling_amount is not None else None
    rules.check_contract(draft.valid_from, draft.valid_to, ceiling)
    return {
        "reference": rules.contract_reference(draft.reference),
        "title": title,
        "valid_from": draft.valid_from,
        "valid_to": draft.valid_to,
        "ceiling_amount": ceiling,
    }


def _reference_taken(session: Session, reference: str, but_not: int | None = None) -> bool:
    """Another contract already has this reference (references are unique, any case)."""
    stmt = select(Contract.id).where(func.lower(Contract.reference) == reference.lower())
    if but_not is not None:
        stmt = stmt.where(Contract.id != but_not)
    return session.scalar(stmt) is not None


@submitted_once("create_contract")
def create_contract(
    vendor_id: int, draft: ContractDraft, *, actor: User, submission_id: str | None = None
) -> Contract:
    """Add a contract for a vendor; the reference is unique, so a retry cannot make a second."""
    authorize(actor, C.manage_vendors)
    values = _contract_values(draft)
    taken = rules.BadContract(f"Reference {values['reference']} is already used.")
    try:
        with unit_of_work() as session:
            vendor = locked(session, Vendor, vendor_id)
            if _reference_taken(session, values["reference"]):
                raise taken
            contract = Contract(vendor_id=vendor.id, **values)
            session.add(contract)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="contract.created",
                subject=contract,
                subject_label=contract.reference,
                changes={
                    "vendor": vendor.code,
                    **{k: [None, _dated(v)] for k, v in values.items()},
                },
            )
    except IntegrityError:
        raise taken from None
    return contract


@submitted_once("update_contract")
def update_contract(
    contract_id: int, draft: ContractDraft, *, actor: User, submission_id: str | None = None
) -> Contract:
    """Change a contract's reference, title, dates or ceiling; before and after are audited."""
    authorize(actor, C.manage_vendors)
    values = _contract_values(draft)
    taken = rules.BadContract(f"Reference {values['reference']} is already used.")
    try:
        with unit_of_work() as session:
            contract = locked(session, Contract, contract_id)
            if _reference_taken(session, values["reference"], but_not=contract.id):
                raise taken
            changes = _apply(contract, values)
            if changes:
                audit.record(
                    session,
                    actor=actor,
                    action="contract.updated",
                    subject=contract,
                    subject_label=contract.reference,
                    changes=changes,
                )
    except IntegrityError:
        raise taken from None
    return contract


@submitted_once("add_contract_price")
def add_contract_price(
    contract_id: int,
    *,
    part_number: str | None,
    category: str | None,
    uom: str,
    unit_price: Decimal,
    actor: User,
    submission_id: str | None = None,
) -> ContractPrice:
    """Agree a unit price for one item (by part number) or a whole category, per unit."""
    authorize(actor, C.manage_vendors)
    part_number = (part_number or "").strip()
    category = " ".join((category or "").split()) or None
    uom = (uom or "").strip().upper()[:12]
    rules.check_price(has_item=bool(part_number), category=category, uom=uom, unit_price=unit_price)
    price_amount = money(unit_price)
    with unit_of_work() as session:
        contract = locked(session, Contract, contract_id)
        item = None
        if part_number:
            item = session.scalar(
                select(Item).where(func.lower(Item.part_number) == part_number.lower())
            )
            if item is None:
                raise NotFound(f"No item has part number {part_number}.")
        same = select(ContractPrice.id).where(
            ContractPrice.contract_id == contract.id, ContractPrice.uom == uom
        )
        same = (
            same.where(ContractPrice.item_id == item.id)
            if item
            else same.where(ContractPrice.item_id.is_(None), ContractPrice.category == category)
        )
        if session.scalar(same) is not None:
            what = item.part_number if item else category
            raise rules.BadContract(
                f"{contract.reference} already has a price for {what} per {uom}: remove it first."
            )
        price = ContractPrice(
            contract_id=contract.id,
            item_id=item.id if item else None,
            category=None if item else category,
            uom=uom,
            unit_price=price_amount,
        )
        session.add(price)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="contract.price_added",
            subject=contract,
            subject_label=contract.reference,
            changes={
                "price_id": price.id,
                "item": item.part_number if item else None,
                "category": price.category,
                "uom": uom,
                "unit_price": [None, price_amount],
            },
        )
    return price


@submitted_once("remove_contract_price")
def remove_contract_price(
    price_id: int, *, actor: User, submission_id: str | None = None
) -> Contract:
    """Take a price off its contract (audited with what it was); returns the contract."""
    authorize(actor, C.manage_vendors)
    with unit_of_work() as session:
        price = session.get(ContractPrice, price_id)
        if price is None:
            raise NotFound(f"Contract price {price_id} does not exist.")
        # The contract first, then the price as it is now: removals of one contract take turns.
        contract = locked(session, Contract, price.contract_id)
        price = locked(session, ContractPrice, price_id)
        item = session.get(Item, price.item_id) if price.item_id else None
        audit.record(
            session,
            actor=actor,
            action="contract.price_removed",
            subject=contract,
            subject_label=contract.reference,
            changes={
                "price_id": price.id,
                "item": item.part_number if item else None,
                "category": price.category,
                "uom": price.uom,
                "unit_price": [price.unit_price, None],
            },
        )
        session.delete(price)
    return contract

"""Vendors and their contracts: find, read, create, edit, block, prefer, price, check a source.

Every change is one transaction with one audit event carrying before/after values. Rules (codes,
reasons, dates, validity) live in domain.vendors and domain.payment_terms; the sourcing checks in
services.sourcing. Pages read through the plain functions at the top, in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.domain import vendors as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import money
from portal.domain.payment_terms import PaymentTerms, parse_terms
from portal.domain.sourcing import BlockedVendor, SourceWarning
from portal.domain.statuses import VendorStatus
from portal.extensions import db
from portal.models import Contract, ContractPrice, Item, PreferredVendor, User, Vendor
from portal.services import audit, sourcing
from portal.services._uow import unit_of_work

LIST_LIMIT = 50
VENDOR_FIELDS = (
    "code",
    "name",
    "payment_terms",
    "currency",
    "is_contractor",
    "contact_name",
    "email",
    "phone",
    "address",
)
CONTRACT_FIELDS = ("reference", "title", "valid_from", "valid_to", "ceiling_amount")


# ---------------------------------------------------------------- reads for pages


@dataclass
class VendorList:
    """One bounded list of vendors, and whether more matched than are shown."""

    vendors: list[Vendor]
    more: bool


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search_vendors(
    q: str | None = None, *, status: str | None = None, limit: int = LIST_LIMIT
) -> VendorList:
    """Vendors whose code, name or contact holds `q`, of one status or any; one query."""
    stmt = select(Vendor).options(selectinload(Vendor.preferred_for)).order_by(Vendor.name)
    needle = (q or "").strip()[:60]
    if needle:
        like = _like(needle)
        stmt = stmt.where(
            or_(
                func.lower(Vendor.code).like(like, escape="\\"),
                func.lower(Vendor.name).like(like, escape="\\"),
                func.lower(Vendor.contact_name).like(like, escape="\\"),
            )
        )
    if status in VendorStatus.__members__:
        stmt = stmt.where(Vendor.status == VendorStatus(status).value)
    elif status == "contractor":
        stmt = stmt.where(Vendor.is_contractor.is_(True))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    return VendorList(vendors=rows[:limit], more=len(rows) > limit)


@dataclass
class ContractRow:
    """A contract as lists show it: validity in words and how many prices it holds."""

    contract: Contract
    validity: rules.Validity
    price_count: int


@dataclass
class VendorPage:
    """Everything the vendor page shows."""

    vendor: Vendor
    terms: PaymentTerms | None
    terms_error: str | None
    categories: list[str]
    contracts: list[ContractRow] = field(default_factory=list)


def read_terms(text: str | None) -> tuple[PaymentTerms | None, str | None]:
    """The vendor's terms read, or the reason they cannot be (old data typed by hand)."""
    try:
        return parse_terms(text), None
    except DomainError as err:
        return None, str(err)


def vendor_page(vendor_id: int, *, today: date | None = None) -> VendorPage:
    """The vendor with categories and contracts (validity as of today): three queries."""
    session = db.session
    vendor = session.scalar(
        select(Vendor).where(Vendor.id == vendor_id).options(selectinload(Vendor.preferred_for))
    )
    if vendor is None:
        raise NotFound(f"Vendor {vendor_id} does not exist.")
    rows = _contract_rows(
        lambda stmt: stmt.where(Contract.vendor_id == vendor.id), today or date.today()
    )
    terms, terms_error = read_terms(vendor.payment_terms)
    return VendorPage(
        vendor=vendor,
        terms=terms,
        terms_error=terms_error,
        categories=sorted(p.category for p in vendor.preferred_for),
        contracts=rows,
    )


@dataclass
class ContractPage:
    """A contract, its vendor, its prices (items loaded) and its validity today."""

    contract: Contract
    validity: rules.Validity
    prices: list[ContractPrice]


def contract_page(contract_id: int, *, today: date | None = None) -> ContractPage:
    """The contract with its vendor and prices, items loaded: two queries."""
    contract = db.session.scalar(
        select(Contract)
        .where(Contract.id == contract_id)
        .options(
            selectinload(Contract.vendor),
            selectinload(Contract.prices).selectinload(ContractPrice.item),
        )
    )
    if contract is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    prices = sorted(
        contract.prices,
        key=lambda p: (p.item is None, p.item.part_number if p.item else p.category or ""),
    )
    return ContractPage(
        contract=contract,
        validity=rules.validity(contract.valid_from, contract.valid_to, today or date.today()),
        prices=prices,
    )


def all_contracts(*, limit: int = LIST_LIMIT, today: date | None = None) -> list[ContractRow]:
    """Contracts with their vendors and price counts, latest ending first (bounded): one query."""
    return _contract_rows(
        lambda stmt: stmt.options(joinedload(Contract.vendor)).limit(limit),
        today or date.today(),
    )


def _contract_rows(narrow, on: date) -> list[ContractRow]:
    """Contracts with their price counts (one query), latest ending first; `narrow` filters."""
    counts = (
        select(ContractPrice.contract_id, func.count().label("n"))
        .group_by(ContractPrice.contract_id)
        .subquery()
    )
    stmt = (
        select(Contract, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.contract_id == Contract.id)
        .order_by(Contract.valid_to.desc(), Contract.reference)
    )
    rows = db.session.execute(narrow(stmt)).all()
    return [ContractRow(c, rules.validity(c.valid_from, c.valid_to, on), n) for c, n in rows]


def category_suggestions() -> list[str]:
    """Item categories in use, for the 'preferred for' and price pickers (bounded)."""
    return list(db.session.scalars(select(Item.category).distinct().order_by(Item.category)))[:200]


def vendor_name(vendor_id: int) -> str | None:
    """A vendor's name, or None when there is no such vendor."""
    return db.session.scalar(select(Vendor.name).where(Vendor.id == vendor_id))


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


def _vendor_values(draft: VendorDraft) -> dict:
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


def _dated(value):
    """A change value the audit trail can store: dates as ISO text, the rest as they are."""
    return value.isoformat() if isinstance(value, date) else value


def _apply(row, values: dict) -> dict:
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


def create_vendor(draft: VendorDraft, *, actor: User) -> Vendor:
    """Add a vendor (active); the code is unique, so a retried post cannot make a second one."""
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


def _locked_vendor(session: Session, vendor_id: int) -> Vendor:
    """The vendor, locked for this transaction, or NotFound."""
    vendor = session.get(Vendor, vendor_id, with_for_update=True)
    if vendor is None:
        raise NotFound(f"Vendor {vendor_id} does not exist.")
    return vendor


def update_vendor(vendor_id: int, draft: VendorDraft, *, actor: User) -> Vendor:
    """Change a vendor's details; only what changed is audited, before and after."""
    values = _vendor_values(draft)
    try:
        with unit_of_work() as session:
            vendor = _locked_vendor(session, vendor_id)
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


def block_vendor(vendor_id: int, *, reason: str, actor: User) -> Vendor:
    """Block a vendor with the reason in words; new PRs, POs and assignments refuse it."""
    why = rules.block_reason(reason)
    with unit_of_work() as session:
        vendor = _locked_vendor(session, vendor_id)
        before = (vendor.status, vendor.blocked_reason)
        if before == (VendorStatus.blocked, why):
            return vendor  # a double tap
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


def unblock_vendor(vendor_id: int, *, actor: User, reason: str | None = None) -> Vendor:
    """Let a blocked vendor be used again; the old reason stays in the audit trail."""
    with unit_of_work() as session:
        vendor = _locked_vendor(session, vendor_id)
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


def add_preferred_category(vendor_id: int, *, category: str, actor: User) -> str:
    """Make the vendor a preferred source for an item category; twice is once."""
    name = rules.category_name(category)
    with unit_of_work() as session:
        vendor = _locked_vendor(session, vendor_id)
        exists = session.scalar(
            select(PreferredVendor.id).where(
                PreferredVendor.vendor_id == vendor.id,
                func.lower(PreferredVendor.category) == name.lower(),
            )
        )
        if exists is None:
            session.add(PreferredVendor(vendor_id=vendor.id, category=name))
            audit.record(
                session,
                actor=actor,
                action="vendor.preferred_added",
                subject=vendor,
                subject_label=vendor.code,
                changes={"preferred_for": [None, name]},
            )
    return name


def remove_preferred_category(vendor_id: int, *, category: str, actor: User) -> None:
    """The vendor is no longer preferred for the category; removing it twice is harmless."""
    with unit_of_work() as session:
        vendor = _locked_vendor(session, vendor_id)
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


# ---------------------------------------------------------------- contract writes


@dataclass
class ContractDraft:
    """What the contract form says."""

    reference: str
    title: str
    valid_from: date
    valid_to: date
    ceiling_amount: Decimal | None = None


def _contract_values(draft: ContractDraft) -> dict:
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


def create_contract(vendor_id: int, draft: ContractDraft, *, actor: User) -> Contract:
    """Add a contract for a vendor; the reference is unique, so a retry cannot make a second."""
    values = _contract_values(draft)
    taken = rules.BadContract(f"Reference {values['reference']} is already used.")
    try:
        with unit_of_work() as session:
            vendor = _locked_vendor(session, vendor_id)
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


def _locked_contract(session: Session, contract_id: int) -> Contract:
    """The contract, locked for this transaction, or NotFound."""
    contract = session.get(Contract, contract_id, with_for_update=True)
    if contract is None:
        raise NotFound(f"Contract {contract_id} does not exist.")
    return contract


def update_contract(contract_id: int, draft: ContractDraft, *, actor: User) -> Contract:
    """Change a contract's reference, title, dates or ceiling; before and after are audited."""
    values = _contract_values(draft)
    taken = rules.BadContract(f"Reference {values['reference']} is already used.")
    try:
        with unit_of_work() as session:
            contract = _locked_contract(session, contract_id)
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


def add_contract_price(
    contract_id: int,
    *,
    part_number: str | None,
    category: str | None,
    uom: str,
    unit_price: Decimal,
    actor: User,
) -> ContractPrice:
    """Agree a unit price for one item (by part number) or a whole category, per unit."""
    part_number = (part_number or "").strip()
    category = " ".join((category or "").split()) or None
    uom = (uom or "").strip().upper()[:12]
    rules.check_price(has_item=bool(part_number), category=category, uom=uom, unit_price=unit_price)
    price_amount = money(unit_price)
    with unit_of_work() as session:
        contract = _locked_contract(session, contract_id)
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


def remove_contract_price(price_id: int, *, actor: User) -> int:
    """Take a price off its contract (audited with what it was); returns the contract id."""
    with unit_of_work() as session:
        price = session.get(ContractPrice, price_id, with_for_update=True)
        if price is None:
            raise NotFound(f"Contract price {price_id} does not exist.")
        contract = _locked_contract(session, price.contract_id)
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
        contract_id = contract.id
    return contract_id


# ---------------------------------------------------------------- check a source


@dataclass
class SourceCheck:
    """What the check-a-source panel says about buying an item from a vendor at a price."""

    part_number: str
    item_label: str
    uom: str
    unit_price: Decimal
    vendor_name: str
    warnings: list[SourceWarning] = field(default_factory=list)
    refused: str | None = None  # a blocked vendor: nothing else matters

    @property
    def clear(self) -> bool:
        """No warning and not refused: a good source at this price."""
        return self.refused is None and not self.warnings


def check_source(
    vendor_id: int,
    *,
    part_number: str,
    unit_price: Decimal,
    uom: str | None = None,
    on: date | None = None,
) -> SourceCheck:
    """The sourcing warnings, in words, for buying `part_number` from the vendor at a price."""
    session = db.session
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"Vendor {vendor_id} does not exist.")
    number = (part_number or "").strip()
    item = session.scalar(select(Item).where(func.lower(Item.part_number) == number.lower()))
    if item is None:
        raise NotFound(f"No item has part number {number or '(empty)'}.")
    unit = (uom or "").strip().upper() or item.uom
    price = money(unit_price)
    check = SourceCheck(
        part_number=item.part_number,
        item_label=item.description,
        uom=unit,
        unit_price=price,
        vendor_name=vendor.name,
    )
    try:
        check.warnings = sourcing.assess_source(
            session, vendor_id=vendor.id, item_id=item.id, unit_price=price, uom=unit, on=on
        )
    except BlockedVendor as err:
        check.refused = str(err)
    return check


def contractor_choices() -> list[Vendor]:
    """Outside contractors, active first then blocked (shown with why), by name; bounded."""
    return list(
        db.session.scalars(
            select(Vendor)
            .where(Vendor.is_contractor.is_(True))
            .order_by(Vendor.status, Vendor.name)
            .limit(200)
        )
    )

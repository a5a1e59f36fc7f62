"""What the vendor pages show: the bounded vendor list, one vendor with its terms, categories and
contracts, one contract with its prices, and the check-a-source panel. Reads only, in a fixed
number of queries; the changes are `services.vendors`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.domain import vendors as rules
from portal.domain.errors import DomainError, NotFound
from portal.domain.money import money
from portal.domain.payment_terms import PaymentTerms, parse_terms
from portal.domain.sourcing import BlockedVendor, SourceWarning
from portal.domain.statuses import VendorStatus
from portal.models import Contract, ContractPrice, Item, Vendor
from portal.read_models import po_approval, sourcing
from portal.services._uow import current_session

LIST_LIMIT = 50


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
    if status is not None and status in VendorStatus.__members__:
        stmt = stmt.where(Vendor.status == VendorStatus(status))
    elif status == "contractor":
        stmt = stmt.where(Vendor.is_contractor.is_(True))
    rows = list(current_session().scalars(stmt.limit(limit + 1)))
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
    session = current_session()
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
    consumed: Decimal = Decimal("0.00")  # by POs against it (approved or later)

    @property
    def consumed_percent(self) -> Decimal | None:
        """Share of the ceiling consumed (one decimal); None without a ceiling."""
        ceiling = self.contract.ceiling_amount
        if not ceiling:
            return None
        return (self.consumed * 100 / ceiling).quantize(Decimal("0.1"))


def contract_page(contract_id: int, *, today: date | None = None) -> ContractPage:
    """The contract with its vendor and prices, items loaded: two queries."""
    contract = current_session().scalar(
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
        consumed=po_approval.consumed(current_session(), contract.id),
    )


def all_contracts(*, limit: int = LIST_LIMIT, today: date | None = None) -> list[ContractRow]:
    """Contracts with their vendors and price counts, latest ending first (bounded): one query."""
    return _contract_rows(
        lambda stmt: stmt.options(joinedload(Contract.vendor)).limit(limit),
        today or date.today(),
    )


def _contract_rows(narrow: Callable[[Select], Select], on: date) -> list[ContractRow]:
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
    rows = current_session().execute(narrow(stmt)).all()
    return [ContractRow(c, rules.validity(c.valid_from, c.valid_to, on), n) for c, n in rows]


def category_suggestions() -> list[str]:
    """Item categories in use, for the 'preferred for' and price pickers (bounded)."""
    categories = select(Item.category).distinct().order_by(Item.category).limit(200)
    return list(current_session().scalars(categories))


def vendor_name(vendor_id: int) -> str | None:
    """A vendor's name, or None when there is no such vendor."""
    return current_session().scalar(select(Vendor.name).where(Vendor.id == vendor_id))


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
    session = current_session()
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

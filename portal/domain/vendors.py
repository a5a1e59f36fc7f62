"""Vendor and contract rules: codes, block reasons, contract dates, validity, contractor cover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.errors import DomainError
from portal.domain.money import money

EXPIRING_WITHIN_DAYS = 60
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,15}$")
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./-]{1,39}$")


class BadVendor(DomainError):
    """Vendor details that cannot be saved as they are."""


class BadContract(DomainError):
    """Contract details that cannot be saved as they are (dates, ceiling, prices)."""


class ContractorNotCovered(DomainError):
    """Work by an outside contractor cannot start: no valid service contract and no service PO."""


def vendor_code(text: str | None) -> str:
    """A vendor code in capitals: 2-16 letters, digits or hyphens, like NBS or LIFT-2."""
    code = (text or "").strip().upper()
    if not _CODE.match(code):
        raise BadVendor("Use 2 to 16 letters, digits or hyphens for the code, like NBS.")
    return code


def contract_reference(text: str | None) -> str:
    """A contract reference like C-NBS-2026: 2-40 letters, digits, dots, slashes or hyphens."""
    reference = (text or "").strip()
    if not _REFERENCE.match(reference):
        raise BadContract(
            "Use 2 to 40 letters, digits, dots, slashes or hyphens for the reference, "
            "like C-NBS-2026."
        )
    return reference


def block_reason(text: str | None) -> str:
    """The reason a vendor is blocked: required, in words, at most 300 characters."""
    reason = " ".join((text or "").split())
    if len(reason) < 5:
        raise BadVendor("Say why the vendor is blocked (at least a few words).")
    if len(reason) > 300:
        raise BadVendor("Keep the reason under 300 characters.")
    return reason


def category_name(text: str | None) -> str:
    """An item category as typed, tidied: 'bearings ' reads 'Bearings'."""
    name = " ".join((text or "").split())
    if not name:
        raise BadVendor("Enter an item category, like Bearings.")
    if len(name) > 60:
        raise BadVendor("Keep the category under 60 characters.")
    return name[0].upper() + name[1:]


def check_contract(valid_from: date, valid_to: date, ceiling_amount: Decimal | None) -> None:
    """Raise BadContract unless the dates run forwards and any ceiling is a positive amount."""
    if valid_to < valid_from:
        raise BadContract(
            f"The contract cannot end ({valid_to.isoformat()}) before it starts "
            f"({valid_from.isoformat()})."
        )
    if ceiling_amount is not None and money(ceiling_amount) <= 0:
        raise BadContract("A ceiling must be more than 0; leave it empty for no ceiling.")


def check_price(*, has_item: bool, category: str | None, uom: str | None, unit_price) -> None:
    """A contract price is for one item or one category (not both), with a unit and a price."""
    if has_item == bool((category or "").strip()):
        raise BadContract("Give a part number or a category for the price, not both.")
    if not (uom or "").strip():
        raise BadContract("Give the unit the price is for, like EA or VISIT.")
    if unit_price is None or money(unit_price) <= 0:
        raise BadContract("The unit price must be more than 0.")


@dataclass(frozen=True)
class Validity:
    """Where a contract stands on a day, in words; `code` is stable for styling and reports."""

    code: str  # valid | expiring | expired | not_yet
    text: str

    @property
    def in_force(self) -> bool:
        """True when the contract can be used on that day."""
        return self.code in ("valid", "expiring")


def validity(valid_from: date, valid_to: date, on: date) -> Validity:
    """'Valid until 31 Dec 2026', 'Expires in 12 days', 'Expired on ...' or 'Starts on ...'."""
    if on < valid_from:
        return Validity("not_yet", f"Starts on {valid_from:%d %b %Y}")
    if on > valid_to:
        return Validity("expired", f"Expired on {valid_to:%d %b %Y}")
    left = (valid_to - on).days
    if left == 0:
        return Validity("expiring", "Expires today")
    if left <= EXPIRING_WITHIN_DAYS:
        return Validity("expiring", "Expires in 1 day" if left == 1 else f"Expires in {left} days")
    return Validity("valid", f"Valid until {valid_to:%d %b %Y}")


@dataclass(frozen=True)
class ContractorCover:
    """What lets an outside contractor start work on a work order, in words."""

    vendor_name: str
    contract_references: tuple[str, ...] = ()
    po_numbers: tuple[str, ...] = ()
    requested_on: tuple[str, ...] = ()  # PR numbers with a service line for this WO and vendor

    @property
    def covered(self) -> bool:
        """A valid service contract or an open service PO line for this work order."""
        return bool(self.contract_references or self.po_numbers)

    @property
    def text(self) -> str:
        """The cover, or its absence, as the work order page says it."""
        if self.contract_references:
            refs = ", ".join(self.contract_references)
            return f"{self.vendor_name} works under service contract {refs}."
        if self.po_numbers:
            return f"{self.vendor_name} works under service PO {', '.join(self.po_numbers)}."
        if self.requested_on:
            return (
                f"{self.vendor_name} has no valid service contract and no service PO for this "
                f"work yet. Requested on {', '.join(self.requested_on)}: work can start once it "
                f"is ordered."
            )
        return (
            f"{self.vendor_name} has no valid service contract and no service PO for this work. "
            f"Raise a service request with the agreed price before work starts."
        )


def check_may_start(cover: ContractorCover, wo_number: str) -> None:
    """Raise ContractorNotCovered unless the contractor's work has a known, agreed price."""
    if not cover.covered:
        raise ContractorNotCovered(
            f"{wo_number} cannot start: {cover.vendor_name} has no valid service contract and "
            f"no service PO for it. Raise a service request and have it ordered first."
        )

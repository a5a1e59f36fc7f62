"""Is this vendor at this price the right source? Warnings in words, at PR and PO time.

The checks the purchasing policy cares about, in the order a buyer reads them:

- a **blocked** vendor cannot be used at all (`BlockedVendor`, an error, not a warning);
- **expired contract**: the only agreement with this vendor for the item has run out;
- **off-contract price**: a valid agreement exists but the price is above it, or another vendor
  holds a valid agreement for the item and this one does not;
- **non-preferred vendor**: the item's category has preferred vendors and this is not one of them
  (a valid contract with this vendor makes it an approved source all the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from portal.domain.errors import DomainError
from portal.domain.money import format_money, money


class BlockedVendor(DomainError):
    """The vendor is blocked and cannot be used on a new PR or PO."""


@dataclass(frozen=True)
class VendorFacts:
    """What the checks need to know about the chosen vendor."""

    vendor_id: int
    name: str
    blocked: bool = False
    blocked_reason: str | None = None


@dataclass(frozen=True)
class Agreement:
    """One contract price that could apply to the item (for the item itself or its category)."""

    vendor_id: int
    vendor_name: str
    reference: str
    valid_from: date
    valid_to: date
    unit_price: Decimal
    uom: str

    def valid_on(self, day: date) -> bool:
        """True when `day` falls inside the agreement's dates."""
        return self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class SourceWarning:
    """A reason, in words, to look twice at this source; `code` is stable for reports."""

    code: str  # off_contract | expired_contract | non_preferred
    text: str

    def as_dict(self) -> dict:
        """For storing on a PR or PO line (JSON)."""
        return {"code": self.code, "text": self.text}


def check_usable(vendor: VendorFacts) -> None:
    """Raise BlockedVendor, with the reason in words, when the vendor may not be used."""
    if vendor.blocked:
        reason = f": {vendor.blocked_reason}" if vendor.blocked_reason else ""
        raise BlockedVendor(f"{vendor.name} is blocked{reason}. Choose another vendor.")


def _percent_over(price: Decimal, agreed: Decimal) -> str:
    if agreed <= 0:
        return ""
    over = ((price - agreed) * 100 / agreed).quantize(Decimal("0.1"))
    return f" (+{over}%)"


def assess(
    *,
    vendor: VendorFacts,
    item_label: str,
    category: str | None,
    unit_price: Decimal,
    uom: str,
    on: date,
    agreements: list[Agreement],
    preferred_vendor_names: dict[int, str],
) -> list[SourceWarning]:
    """Warnings for buying `item_label` from `vendor` at `unit_price` per `uom` on day `on`.

    `agreements` are every contract price for the item or its category, with any vendor;
    `preferred_vendor_names` maps the category's preferred vendors' ids to their names.
    Raises BlockedVendor first: nothing else matters for a vendor that cannot be used.
    """
    check_usable(vendor)
    price = money(unit_price)
    same_uom = [a for a in agreements if a.uom == uom]
    mine = [a for a in same_uom if a.vendor_id == vendor.vendor_id]
    mine_valid = [a for a in mine if a.valid_on(on)]
    others_valid = [a for a in same_uom if a.vendor_id != vendor.vendor_id and a.valid_on(on)]
    warnings: list[SourceWarning] = []

    if mine_valid:
        best = min(mine_valid, key=lambda a: a.unit_price)
        if price > best.unit_price:
            warnings.append(
                SourceWarning(
                    "off_contract",
                    f"Price {format_money(price)} is above the contract price "
                    f"{format_money(best.unit_price)} on {best.reference}"
                    f"{_percent_over(price, best.unit_price)}.",
                )
            )
    else:
        if mine:
            last = max(mine, key=lambda a: a.valid_to)
            if last.valid_to < on:
                warnings.append(
                    SourceWarning(
                        "expired_contract",
                        f"Contract {last.reference} with {vendor.name} for {item_label} expired "
                        f"on {last.valid_to.isoformat()}.",
                    )
                )
            else:
                warnings.append(
                    SourceWarning(
                        "expired_contract",
                        f"Contract {last.reference} with {vendor.name} for {item_label} starts "
                        f"on {last.valid_from.isoformat()}; it is not valid yet.",
                    )
                )
        if others_valid:
            best = min(others_valid, key=lambda a: a.unit_price)
            warnings.append(
                SourceWarning(
                    "off_contract",
                    f"{item_label} is on contract {best.reference} with {best.vendor_name} at "
                    f"{format_money(best.unit_price)}; {vendor.name} has no valid contract for it.",
                )
            )

    if preferred_vendor_names and vendor.vendor_id not in preferred_vendor_names and not mine_valid:
        names = ", ".join(sorted(preferred_vendor_names.values()))
        warnings.append(
            SourceWarning(
                "non_preferred",
                f"{vendor.name} is not a preferred vendor for {category} (preferred: {names}).",
            )
        )
    return warnings

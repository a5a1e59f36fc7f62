"""Parts on a work order: how much is still to find, where to reserve it, whom to buy it from.

Pure rules on plain values; the service feeds them rows and applies what they decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from portal.domain.errors import DomainError
from portal.domain.money import format_qty, line_total, money, quantity
from portal.domain.statuses import ItemKind, LineKind, PartLineStatus
from portal.domain.work_orders import STATUS_LABELS, WorkOrderStatus

ZERO = Decimal("0")
MAX_QTY = Decimal("100000")  # far above any real need; keeps typos like 10000000 out of stock


class BadQuantity(DomainError):
    """A quantity that is not a positive number with at most three decimals."""


class UnknownPart(DomainError):
    """The part chosen on a form does not exist (any more): the person chooses again."""


class PartsLocked(DomainError):
    """The work order's state does not allow this parts action."""


# ---------------------------------------------------------------- quantities


def parse_quantity(text: str | Decimal | int | None) -> Decimal:
    """A typed quantity, checked: a number above 0 with at most 3 decimals; else BadQuantity."""
    if isinstance(text, float):
        raise TypeError("quantities must not be floats; pass a str or Decimal")
    raw = str(text).strip() if text is not None else ""
    if not raw:
        raise BadQuantity("Enter how many are needed.")
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")  # a decimal comma from a European phone keypad: 1,5
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BadQuantity("Enter a number, like 2 or 1.5.") from None
    if not value.is_finite():
        raise BadQuantity("Enter a number, like 2 or 1.5.")
    if value <= 0:
        raise BadQuantity("Enter a quantity more than 0.")
    if value > MAX_QTY:
        raise BadQuantity(f"That is more than {format_qty(MAX_QTY)}: check the number.")
    if value != value.quantize(Decimal("0.001"), rounding=ROUND_DOWN):
        raise BadQuantity("Use at most 3 decimal places, like 1.25.")
    return quantity(value)


def uncovered_qty(
    needed: Decimal, reserved: Decimal, issued: Decimal, requested: Decimal
) -> Decimal:
    """What nobody is taking care of yet: needed less reserved, issued and already requested."""
    return max(ZERO, quantity(needed - reserved - issued - requested))


def line_status(
    needed: Decimal,
    reserved: Decimal,
    issued: Decimal,
    requested: Decimal,
    current: PartLineStatus | None = None,
) -> PartLineStatus:
    """How a part line is being met, from its quantities (a cancelled line stays cancelled)."""
    if current is PartLineStatus.cancelled:
        return PartLineStatus.cancelled
    if issued >= needed:
        return PartLineStatus.issued
    if requested > 0:
        return PartLineStatus.requested  # the line waits on a purchase
    if reserved > 0:
        return PartLineStatus.reserved
    return PartLineStatus.needed  # maybe partly issued: the rest is still to find


def purchase_line_kind(kind: ItemKind) -> LineKind:
    """Outside services are bought as service lines (two-way match); everything else as goods."""
    return LineKind.service if ItemKind(kind) is ItemKind.service else LineKind.goods


def issue_cost(qty: Decimal, unit_cost: Decimal) -> Decimal:
    """What issuing `qty` at `unit_cost` puts on the work order, rounded to the cent."""
    return line_total(qty, unit_cost)


def add_cost(total: Decimal, cost: Decimal) -> Decimal:
    """A running cost plus one more amount, to the cent."""
    return money(total + cost)


def total_cost(amounts: list[Decimal]) -> Decimal:
    """The sum of issued costs, to the cent."""
    return money(sum(amounts, ZERO))


# ---------------------------------------------------------------- work order state

_CLOSED = {WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled}


def check_parts_open(status: WorkOrderStatus) -> None:
    """Parts of a completed, closed or cancelled work order no longer change."""
    status = WorkOrderStatus(status)
    if status in _CLOSED:
        raise PartsLocked(
            f"This work order is {STATUS_LABELS[status].lower()}: its parts can no longer change."
        )


def check_may_take_stock_or_buy(status: WorkOrderStatus) -> None:
    """Stock is set aside and parts bought only for approved work, never for a mere request."""
    check_parts_open(status)
    if WorkOrderStatus(status) is WorkOrderStatus.requested:
        raise PartsLocked(
            "This work order is still a request: it must be approved before parts are "
            "reserved or bought."
        )


# ---------------------------------------------------------------- where to reserve


@dataclass(frozen=True)
class StockOption:
    """One storeroom's stock of the item: what can still be reserved there."""

    stock_level_id: int
    storeroom_code: str
    available: Decimal
    same_site: bool


def plan_reservation(wanted: Decimal, options: list[StockOption]) -> list[tuple[int, Decimal]]:
    """(stock level id, qty) to reserve: the work order's own site first, fullest store first."""
    plan: list[tuple[int, Decimal]] = []
    left = quantity(wanted)
    ranked = sorted(
        (o for o in options if o.available > 0),
        key=lambda o: (not o.same_site, -o.available, o.storeroom_code),
    )
    for option in ranked:
        if left <= 0:
            break
        take = min(left, option.available)
        plan.append((option.stock_level_id, quantity(take)))
        left -= take
    return plan


# ---------------------------------------------------------------- whom to buy from


@dataclass(frozen=True)
class ContractOffer:
    """A contract price that might apply to the item: for the item itself or its category."""

    contract_price_id: int
    contract_reference: str
    vendor_id: int
    vendor_code: str
    vendor_active: bool
    valid_from: date
    valid_to: date
    unit_price: Decimal
    uom: str
    for_item: bool  # False: a price for the item's whole category


@dataclass(frozen=True)
class PreferredOffer:
    """A vendor preferred for the item's category."""

    vendor_id: int
    vendor_code: str
    vendor_active: bool


@dataclass(frozen=True)
class SourceSuggestion:
    """Who to buy from and at what price, with the reasons in words for the buyer."""

    vendor_id: int | None
    unit_price: Decimal
    contract_price_id: int | None = None
    warnings: list[str] = field(default_factory=list)


def suggest_source(
    *,
    today: date,
    uom: str,
    category: str,
    standard_cost: Decimal | None,
    contracts: list[ContractOffer],
    preferred: list[PreferredOffer],
) -> SourceSuggestion:
    """A valid contract price wins; else an active preferred vendor at standard cost; else none.

    Blocked vendors are never suggested, whatever their contract says.
    """
    notes: list[str] = []
    usable: list[ContractOffer] = []
    for offer in contracts:
        ref = offer.contract_reference
        if not offer.vendor_active:
            notes.append(f"Vendor {offer.vendor_code} is blocked: contract {ref} not used")
        elif offer.valid_to < today:
            notes.append(f"Contract {ref} expired on {offer.valid_to.isoformat()}: not used")
        elif offer.valid_from > today:
            notes.append(f"Contract {ref} starts on {offer.valid_from.isoformat()}: not used yet")
        elif offer.uom != uom:
            notes.append(
                f"Contract {offer.contract_reference} prices per {offer.uom}, not {uom}: not used"
            )
        else:
            usable.append(offer)
    if usable:
        best = min(usable, key=lambda o: (not o.for_item, o.unit_price, o.contract_price_id))
        scope = "" if best.for_item else f" (price for all {category})"
        return SourceSuggestion(
            vendor_id=best.vendor_id,
            unit_price=money(best.unit_price),
            contract_price_id=best.contract_price_id,
            warnings=[
                f"Contract {best.contract_reference} with {best.vendor_code}{scope}: "
                f"{money(best.unit_price)} per {uom}",
                *notes,
            ],
        )

    if standard_cost is None:
        price = money(0)
        notes.insert(
            0, "No contract price and no standard cost: priced at 0.00, the buyer must price it"
        )
    else:
        price = money(standard_cost)
        notes.insert(0, "No contract price: priced at standard cost")
    active = sorted((p for p in preferred if p.vendor_active), key=lambda p: p.vendor_code)
    blocked = sorted(p.vendor_code for p in preferred if not p.vendor_active)
    for code in blocked:
        notes.append(f"Preferred vendor {code} is blocked: not suggested")
    if active:
        chosen = active[0]
        notes.insert(1, f"Preferred vendor {chosen.vendor_code}")
        return SourceSuggestion(vendor_id=chosen.vendor_id, unit_price=price, warnings=notes)
    notes.insert(1, f"No preferred vendor for {category}: the buyer chooses one")
    return SourceSuggestion(vendor_id=None, unit_price=price, warnings=notes)

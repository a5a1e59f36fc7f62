"""Goods receipt rules: what a PO line may still take, what a PO becomes, what a WO gets.

Pure rules on plain values; services/receiving.py feeds them rows and applies what they decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from portal.domain.errors import DomainError
from portal.domain.money import MILLI, format_qty, line_total, money, quantity
from portal.domain.purchase_orders import status_after_receipt
from portal.domain.statuses import ItemKind, LineKind, PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus

ZERO = Decimal("0")
HUNDRED = Decimal("100")
MAX_RECEIPT_QTY = Decimal("100000")  # far above any delivery; keeps typos out of stock
RECEIVABLE = frozenset({PurchaseOrderStatus.issued, PurchaseOrderStatus.partially_received})
# The audit action that says a work order got the last of the parts it waited for.
PARTS_ARRIVED = "work_order.parts_arrived"


class ReceiptRefused(DomainError):
    """A receipt the rules do not allow; `po_line_id` names the line at fault, if one is."""

    def __init__(self, message: str, *, po_line_id: int | None = None):
        super().__init__(message)
        self.po_line_id = po_line_id


class OverReceipt(ReceiptRefused):
    """More accepted on a line than was ordered plus the over-receipt tolerance."""


class BadReceiptQuantity(ReceiptRefused):
    """A typed quantity that is not a number of 0 or more with at most three decimals."""


# ---------------------------------------------------------------- quantities


def parse_receipt_qty(text: str | Decimal | int | None) -> Decimal:
    """A typed receipt quantity: blank reads 0; a number of 0 or more, 3 decimals at most."""
    if isinstance(text, float):
        raise TypeError("quantities must not be floats; pass a str or Decimal")
    raw = str(text).strip() if text is not None else ""
    if not raw:
        return quantity(ZERO)
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")  # a decimal comma from a phone keypad: 1,5
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise BadReceiptQuantity("Enter a number, like 2 or 1.5.") from None
    if not value.is_finite():
        raise BadReceiptQuantity("Enter a number, like 2 or 1.5.")
    if value < 0:
        raise BadReceiptQuantity("Quantities cannot be negative.")
    if value > MAX_RECEIPT_QTY:
        raise BadReceiptQuantity(f"That is more than {format_qty(MAX_RECEIPT_QTY)}: check it.")
    if value != value.quantize(MILLI, rounding=ROUND_DOWN):
        raise BadReceiptQuantity("Use at most 3 decimal places, like 1.25.")
    return quantity(value)


def receipt_limit(ordered: Decimal, tolerance_percent: Decimal) -> Decimal:
    """The most a line may ever receive: ordered plus the tolerance, rounded down to 3 decimals."""
    if isinstance(tolerance_percent, float):
        raise TypeError("the tolerance must not be a float; pass a str or Decimal")
    tolerance = max(ZERO, Decimal(tolerance_percent))
    return (ordered * (HUNDRED + tolerance) / HUNDRED).quantize(MILLI, rounding=ROUND_DOWN)


def open_qty(ordered: Decimal, received: Decimal) -> Decimal:
    """What is still to come on a line (never below 0): also its backorder quantity."""
    return max(ZERO, quantity(ordered - received))


# ---------------------------------------------------------------- may this be received


def check_po_receivable(status: PurchaseOrderStatus, number: str) -> None:
    """Only an issued or partly received PO takes goods."""
    status = PurchaseOrderStatus(status)
    if status is PurchaseOrderStatus.received:
        raise ReceiptRefused(f"{number} is fully received: nothing more is expected on it.")
    if status not in RECEIVABLE:
        label = status.value.replace("_", " ")
        raise ReceiptRefused(f"{number} is {label}: only issued purchase orders can be received.")


def check_line_receipt(
    line_no: int,
    *,
    ordered: Decimal,
    received: Decimal,
    accepted: Decimal,
    rejected: Decimal,
    reason: str | None,
    tolerance_percent: Decimal = ZERO,
    po_line_id: int | None = None,
) -> None:
    """Raise ReceiptRefused, in words naming the line, unless this receipt on it is allowed."""
    if accepted < 0 or rejected < 0:
        raise BadReceiptQuantity(
            f"Line {line_no}: quantities cannot be negative.", po_line_id=po_line_id
        )
    if accepted == 0 and rejected == 0:
        raise BadReceiptQuantity(
            f"Line {line_no}: enter what was accepted or rejected.", po_line_id=po_line_id
        )
    if rejected > 0 and not (reason or "").strip():
        raise ReceiptRefused(
            f"Line {line_no}: say why {format_qty(rejected)} were rejected.", po_line_id=po_line_id
        )
    limit = receipt_limit(ordered, tolerance_percent)
    if quantity(received + accepted) > limit:
        room = max(ZERO, quantity(limit - received))
        allowance = (
            f" ({format_qty(Decimal(tolerance_percent))}% over-receipt allowed)"
            if Decimal(tolerance_percent) > 0
            else ""
        )
        more = (
            f"at most {format_qty(room)} more can be accepted"
            if room > 0
            else "nothing more can be accepted"
        )
        raise OverReceipt(
            f"Line {line_no} ordered {format_qty(ordered)}, received {format_qty(received)}: "
            f"{more}{allowance}.",
            po_line_id=po_line_id,
        )


# ---------------------------------------------------------------- what follows a receipt


@dataclass
class _Line:
    """A PO line's quantities, as the purchase-order rule reads them."""

    qty: Decimal
    received_qty: Decimal


def po_status_after(
    current: PurchaseOrderStatus, lines: list[tuple[Decimal, Decimal]]
) -> PurchaseOrderStatus:
    """A PO's status from its lines' (ordered, received): the purchase-order rule
    (`status_after_receipt`), applied only while the PO is being received."""
    current = PurchaseOrderStatus(current)
    if current not in RECEIVABLE or not lines:
        return current
    return status_after_receipt(_Line(ordered, received) for ordered, received in lines)


def net_unit_price(unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """The PO unit price after the line's discount, to the cent (what one unit costs us)."""
    return money(unit_price * (HUNDRED - (discount_percent or ZERO)) / HUNDRED)


def receipt_value(qty: Decimal, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """What `qty` at the PO price net of discount is worth, rounded once at the end."""
    return line_total(qty, unit_price, discount_percent or ZERO)


def moving_average_cost(
    on_hand: Decimal, unit_cost: Decimal, qty_in: Decimal, price_in: Decimal
) -> Decimal:
    """A storeroom's unit cost after `qty_in` arrives at `price_in`: the weighted average."""
    total = on_hand + qty_in
    if total <= 0:
        return money(price_in)
    if on_hand <= 0:
        return money(price_in)
    return money((on_hand * unit_cost + qty_in * price_in) / total)


def goes_to_stock(
    line_kind: LineKind, item_kind: ItemKind | None, storeroom_id: int | None
) -> bool:
    """Goods lines of a part or material with a storeroom to go to; services never do."""
    return (
        item_kind is not None
        and LineKind(line_kind) is LineKind.goods
        and ItemKind(item_kind) is not ItemKind.service
        and storeroom_id is not None
    )


def issue_on_arrival(
    accepted: Decimal, needed: Decimal, reserved: Decimal, issued: Decimal
) -> Decimal:
    """How much of what arrived goes straight to the work order: no more than it still lacks."""
    lacking = max(ZERO, quantity(needed - reserved - issued))
    return min(quantity(accepted), lacking)


@dataclass(frozen=True)
class PartNeed:
    """One part line of a work order as the arrival check sees it."""

    needed: Decimal
    reserved: Decimal
    issued: Decimal
    requested: Decimal
    cancelled: bool = False


def all_parts_arrived(lines: list[PartNeed]) -> bool:
    """True when nothing the work order asked for is still on order or missing."""
    live = [line for line in lines if not line.cancelled]
    return all(line.requested <= 0 and line.reserved + line.issued >= line.needed for line in live)


def status_when_parts_arrive(*, work_started: bool, assigned: bool) -> WorkOrderStatus:
    """Where a WO waiting for parts goes once they are here: back to work, or back in the queue."""
    if work_started:
        return WorkOrderStatus.in_progress
    return WorkOrderStatus.assigned if assigned else WorkOrderStatus.approved


# ---------------------------------------------------------------- finding a PO

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


def normalise_po_number(text: str | None) -> str | None:
    """A scanned or typed PO number as stored (PO-2026-000123), or None if it cannot be one.

    Case, spaces, dashes and leading zeros are forgiven: 'po 2026 123' finds PO-2026-000123.
    """
    raw = _NOT_ALNUM.sub("", (text or "").upper()[:60])
    if raw.startswith("PO"):
        raw = raw[2:]
    if not raw.isdigit() or not 5 <= len(raw) <= 10:
        return None
    year, serial = raw[:4], int(raw[4:])
    if serial < 1:
        return None
    return f"PO-{year}-{serial:06d}"

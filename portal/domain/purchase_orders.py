"""Purchase order rules: status moves, line amounts and totals, revisions after issue, backorders.

Pure Python, no Flask or SQLAlchemy: the services gather the facts, these functions judge them.
Quantities and money are Decimal; floats are refused by `money` and `quantity`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

from portal.domain.errors import DomainError, InvalidTransition
from portal.domain.money import format_money, format_qty, line_total, money, quantity
from portal.domain.statuses import PurchaseOrderStatus

S = PurchaseOrderStatus
ZERO = Decimal("0")
HUNDRED = Decimal("100")


class PurchaseOrderError(DomainError):
    """A purchase order rule said no."""


class MissingVendor(PurchaseOrderError):
    """Some request lines have no vendor: the buyer must choose one."""


class RevisionRefused(PurchaseOrderError):
    """A change after issue that the rules do not allow."""


class CancelRefused(PurchaseOrderError):
    """A PO that can no longer be cancelled (goods already arrived)."""


# Which moves are allowed from where. Receiving moves issued -> partially_received -> received
# (through status_after_receipt); people move the rest.
MOVES: dict[S, tuple[S, ...]] = {
    S.draft: (S.approved, S.cancelled),
    S.approved: (S.issued, S.cancelled),
    S.issued: (S.partially_received, S.received, S.cancelled),
    S.partially_received: (S.received, S.closed),
    S.received: (S.closed,),
    S.closed: (),
    S.cancelled: (),
}

# Moves a person makes with a button on the PO page (the others follow receipts).
BUTTON_MOVES: tuple[S, ...] = (S.approved, S.issued, S.closed, S.cancelled)

ACTION_LABELS: dict[S, str] = {
    S.approved: "Approve",
    S.issued: "Issue to vendor",
    S.closed: "Close",
    S.cancelled: "Cancel",
}

STATUS_LABELS: dict[S, str] = {
    S.draft: "Draft",
    S.approved: "Approved",
    S.issued: "Issued",
    S.partially_received: "Partly received",
    S.received: "Received",
    S.closed: "Closed",
    S.cancelled: "Cancelled",
}

# After issue the vendor holds the document: changes go through a numbered revision.
REVISABLE: tuple[S, ...] = (S.issued, S.partially_received)


def check_move(current: S, target: S) -> None:
    """Raise InvalidTransition, in words, unless `current` may move to `target`."""
    if target not in MOVES[current]:
        raise InvalidTransition(
            f"A {STATUS_LABELS[current].lower()} purchase order cannot become "
            f"{STATUS_LABELS[target].lower()}."
        )


def moves_for(current: S, *, any_received: bool = False) -> list[S]:
    """The moves a person may make from `current` with a button, in the order they are shown."""
    allowed = [t for t in BUTTON_MOVES if t in MOVES[current]]
    if any_received and S.cancelled in allowed:
        allowed.remove(S.cancelled)
    return allowed


def check_cancel(current: S, *, any_received: bool, reason: str | None) -> str:
    """The cleaned reason, or CancelRefused / InvalidTransition in words."""
    if any_received:
        raise CancelRefused(
            "Goods have already been received on this purchase order: it cannot be cancelled. "
            "Close it instead."
        )
    check_move(current, S.cancelled)
    return require_reason(reason, "Say why the purchase order is cancelled.")


def require_reason(reason: str | None, message: str) -> str:
    """A trimmed reason of at most 1000 characters, or PurchaseOrderError(message)."""
    text = (reason or "").strip()
    if not text:
        raise PurchaseOrderError(message)
    return text[:1000]


def line_amount(qty: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO) -> Decimal:
    """A PO line's extended amount after its discount, rounded once to the cent."""
    return line_total(qty, unit_price, discount_percent or ZERO)


class PricedLine(Protocol):
    """Anything with a quantity, a unit price and a discount (a model row or a plain record,
    frozen or not: the total only reads them)."""

    @property
    def qty(self) -> Decimal: ...

    @property
    def unit_price(self) -> Decimal: ...

    @property
    def discount_percent(self) -> Decimal: ...


def po_total(lines: Iterable[PricedLine]) -> Decimal:
    """The PO total: the sum of the rounded line amounts (what the document prints)."""
    return money(
        sum(
            (line_amount(ln.qty, ln.unit_price, ln.discount_percent or ZERO) for ln in lines),
            ZERO,
        )
    )


def backorder(ordered: Decimal, received: Decimal) -> Decimal:
    """What the vendor still owes on a line: ordered less received, never below zero."""
    return quantity(max(ordered - (received or ZERO), ZERO))


class ReceivedLine(Protocol):
    """A line as receiving sees it: ordered and received quantities."""

    qty: Decimal
    received_qty: Decimal


def status_after_receipt(lines: Iterable[ReceivedLine]) -> S:
    """Issued, partially received or received, from what has arrived against each line."""
    lines = list(lines)
    received = [ln.received_qty or ZERO for ln in lines]
    if lines and all(got >= ln.qty for got, ln in zip(received, lines, strict=True)):
        return S.received
    if any(got > 0 for got in received):
        return S.partially_received
    return S.issued


# ---------------------------------------------------------------- parsing what buyers type


def parse_price(value: Decimal | str | None, label: str = "Unit price") -> Decimal:
    """A unit price of zero or more with at most 2 decimals, or PurchaseOrderError in words."""
    number = _decimal(value, label)
    if number < 0:
        raise PurchaseOrderError(f"{label} cannot be negative.")
    if number != number.quantize(Decimal("0.01")):
        raise PurchaseOrderError(f"{label}: use at most 2 decimal places, like 12.50.")
    return money(number)


def parse_qty(value: Decimal | str | None, label: str = "Quantity") -> Decimal:
    """A quantity above zero with at most 3 decimals, or PurchaseOrderError in words."""
    number = _decimal(value, label)
    if number <= 0:
        raise PurchaseOrderError(f"{label} must be more than 0.")
    if number != number.quantize(Decimal("0.001")):
        raise PurchaseOrderError(f"{label}: use at most 3 decimal places, like 1.25.")
    return quantity(number)


def parse_discount(value: Decimal | str | None) -> Decimal:
    """A discount from 0 to 100 percent (empty means none), or PurchaseOrderError in words."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ZERO
    number = _decimal(value, "Discount")
    if number < 0 or number > HUNDRED:
        raise PurchaseOrderError("Discount must be between 0 and 100 percent.")
    if number != number.quantize(Decimal("0.001")):
        raise PurchaseOrderError("Discount: use at most 3 decimal places.")
    return number


def _decimal(value: Decimal | str | None, label: str) -> Decimal:
    """Decimal from a Decimal or text; floats and junk are refused in words."""
    if isinstance(value, float):
        raise TypeError(f"{label} must not be a float")
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PurchaseOrderError(f"Enter the {label.lower()}.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise PurchaseOrderError(f"{label} must be a number, like 12.50.") from None
    if not number.is_finite():
        raise PurchaseOrderError(f"{label} must be a number, like 12.50.")
    return number


# ---------------------------------------------------------------- revisions after issue


@dataclass(frozen=True)
class LineState:
    """One PO line as a revision sees it (before the change)."""

    line_id: int
    line_no: int
    description: str
    qty: Decimal
    uom: str
    unit_price: Decimal
    discount_percent: Decimal
    expected_on: date | None
    received_qty: Decimal = ZERO

    @property
    def amount(self) -> Decimal:
        """Extended amount after discount."""
        return line_amount(self.qty, self.unit_price, self.discount_percent)


@dataclass(frozen=True)
class LineChange:
    """What a buyer asks to change on an existing line; None leaves the value as it is."""

    qty: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    expected_on: date | None = None
    clear_expected_on: bool = False


@dataclass(frozen=True)
class NewLine:
    """A line added by a revision (or to a draft)."""

    description: str
    qty: Decimal
    uom: str
    unit_price: Decimal
    discount_percent: Decimal = ZERO
    expected_on: date | None = None


@dataclass(frozen=True)
class RevisionChanges:
    """Everything one revision asks for; `vendor_id` is there only to be refused."""

    lines: dict[int, LineChange]
    new_lines: tuple[NewLine, ...] = ()
    vendor_id: int | None = None


def check_revision(
    status: S,
    lines: dict[int, LineState],
    changes: RevisionChanges,
    *,
    current_vendor_id: int,
) -> dict[int, dict[str, list]]:
    """The field changes per line id as {field: [before, after]}, or RevisionRefused in words.

    Only issued (or partly received) orders are revised; quantity never below what arrived;
    price, discount and expected date may change; lines may be added; the vendor never changes.
    """
    if status not in REVISABLE:
        raise RevisionRefused(
            f"Only an issued purchase order is revised; this one is "
            f"{STATUS_LABELS[status].lower()}."
        )
    if changes.vendor_id is not None and changes.vendor_id != current_vendor_id:
        raise RevisionRefused(
            "The vendor of an issued purchase order cannot change: cancel it and order again."
        )
    diff: dict[int, dict[str, list]] = {}
    for line_id, change in changes.lines.items():
        line = lines.get(line_id)
        if line is None:
            raise RevisionRefused(f"Line {line_id} is not on this purchase order.")
        fields: dict[str, list] = {}
        if change.qty is not None and change.qty != line.qty:
            if change.qty < line.received_qty:
                raise RevisionRefused(
                    f"Line {line.line_no}: {format_qty(line.received_qty)} {line.uom} already "
                    f"arrived, so the quantity cannot go below that."
                )
            fields["qty"] = [line.qty, change.qty]
        if change.unit_price is not None and change.unit_price != line.unit_price:
            fields["unit_price"] = [line.unit_price, change.unit_price]
        if change.discount_percent is not None and change.discount_percent != (
            line.discount_percent or ZERO
        ):
            fields["discount_percent"] = [line.discount_percent, change.discount_percent]
        new_date = None if change.clear_expected_on else change.expected_on
        if (change.clear_expected_on or change.expected_on is not None) and (
            new_date != line.expected_on
        ):
            fields["expected_on"] = [line.expected_on, new_date]
        if fields:
            diff[line_id] = fields
    if not diff and not changes.new_lines:
        raise RevisionRefused("Nothing changed: change a line or add one, then save the revision.")
    return diff


def snapshot(revision: int, lines: Iterable[LineState], *, currency: str) -> dict:
    """The lines as they were before a revision, JSON-ready (strings for Decimals and dates)."""
    lines = list(lines)
    return {
        "revision": revision,
        "currency": currency,
        "total": str(po_total(lines)),
        "lines": [
            {
                "line_no": ln.line_no,
                "description": ln.description,
                "qty": str(ln.qty),
                "uom": ln.uom,
                "unit_price": str(ln.unit_price),
                "discount_percent": str(ln.discount_percent or ZERO),
                "expected_on": ln.expected_on.isoformat() if ln.expected_on else None,
                "received_qty": str(ln.received_qty or ZERO),
                "amount": str(ln.amount),
            }
            for ln in lines
        ],
    }


def describe_change(line_no: int, fields: dict[str, list]) -> str:
    """One line's revision in words: 'Line 2: qty 10 → 12, unit price 5.00 → 4.50'."""
    names = {
        "qty": "qty",
        "unit_price": "unit price",
        "discount_percent": "discount %",
        "expected_on": "expected",
    }
    parts = []
    for key, (before, after) in fields.items():
        parts.append(f"{names.get(key, key)} {_show(key, before)} → {_show(key, after)}")
    return f"Line {line_no}: " + ", ".join(parts)


def _show(key: str, value) -> str:
    """A value as a revision note prints it."""
    if value is None:
        return "none"
    if key == "unit_price":
        return format_money(value)
    if isinstance(value, Decimal):
        return format_qty(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def changes_as_json(changes: RevisionChanges) -> dict:
    """A revision's requested changes as JSON (kept while the revision waits for approval)."""

    def text(value: Decimal | date | None) -> str | None:
        return (
            None
            if value is None
            else (value.isoformat() if isinstance(value, date) else str(value))
        )

    return {
        "lines": {
            str(line_id): {
                "qty": text(c.qty),
                "unit_price": text(c.unit_price),
                "discount_percent": text(c.discount_percent),
                "expected_on": text(c.expected_on),
                "clear_expected_on": c.clear_expected_on,
            }
            for line_id, c in changes.lines.items()
        },
        "new_lines": [
            {
                "description": n.description,
                "qty": str(n.qty),
                "uom": n.uom,
                "unit_price": str(n.unit_price),
                "discount_percent": str(n.discount_percent),
                "expected_on": text(n.expected_on),
            }
            for n in changes.new_lines
        ],
    }


def changes_from_json(data: dict) -> RevisionChanges:
    """The RevisionChanges that `changes_as_json` wrote."""

    def dec(value: str | None) -> Decimal | None:
        return None if value is None else Decimal(value)

    def day(value: str | None) -> date | None:
        return None if value is None else date.fromisoformat(value)

    return RevisionChanges(
        lines={
            int(line_id): LineChange(
                qty=dec(c["qty"]),
                unit_price=dec(c["unit_price"]),
                discount_percent=dec(c["discount_percent"]),
                expected_on=day(c["expected_on"]),
                clear_expected_on=bool(c["clear_expected_on"]),
            )
            for line_id, c in data.get("lines", {}).items()
        },
        new_lines=tuple(
            NewLine(
                description=n["description"],
                qty=Decimal(n["qty"]),
                uom=n["uom"],
                unit_price=Decimal(n["unit_price"]),
                discount_percent=Decimal(n["discount_percent"]),
                expected_on=day(n["expected_on"]),
            )
            for n in data.get("new_lines", [])
        ),
    )


def raises_spend(lines: dict[int, LineState], changes: RevisionChanges) -> bool:
    """True when the changes add a line or take any line's amount up (a cut never needs
    approval again)."""
    if changes.new_lines:
        return True
    for line_id, change in changes.lines.items():
        line = lines.get(line_id)
        if line is None:
            continue
        after = line_amount(
            change.qty if change.qty is not None else line.qty,
            change.unit_price if change.unit_price is not None else line.unit_price,
            change.discount_percent
            if change.discount_percent is not None
            else line.discount_percent,
        )
        if after > line.amount:
            return True
    return False

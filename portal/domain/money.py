"""Exact money arithmetic: Decimal only, rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def money(value: Decimal | int | str) -> Decimal:
    """An exact amount rounded to the cent. Floats are refused, never converted."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a str or Decimal")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def quantity(value: Decimal | int | str) -> Decimal:
    """A quantity to three decimals. Floats are refused, never converted."""
    if isinstance(value, float):
        raise TypeError("quantity must not be a float; pass a str or Decimal")
    return Decimal(value).quantize(MILLI, rounding=ROUND_HALF_UP)


def line_total(
    qty: Decimal, unit_price: Decimal, discount_percent: Decimal = Decimal(0)
) -> Decimal:
    """Extended amount of a PO or invoice line, rounded once at the end."""
    return money(qty * unit_price * (100 - discount_percent) / 100)


def format_money(amount: Decimal | None, currency: str = "") -> str:
    """Amount with thousands separators and two decimals, for pages (not for storage)."""
    if amount is None:
        return ""
    text = f"{money(amount):,.2f}"
    return f"{currency} {text}".strip()


def format_qty(value: Decimal | None) -> str:
    """A quantity without trailing zeros: 3.500 reads 3.5, 4.000 reads 4."""
    if value is None:
        return ""
    normal = quantity(value).normalize()
    return f"{normal:f}"

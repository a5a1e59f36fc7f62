"""SQL expressions that read the same on SQLite and PostgreSQL: months, UTC days, seconds, cents,
quantities compared.

The reports and the maverick spend report bucket and sum with these, so both databases give
the same months and the same amounts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Date, Numeric, cast, func, literal, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from portal.services._uow import current_session


def dialect() -> str:
    """'sqlite' or 'postgresql': the few expressions below differ between them."""
    return current_session().get_bind().dialect.name


def month_of(column, *, timestamp: bool) -> ColumnElement[str]:
    """'YYYY-MM' of a date or a UTC timestamp column."""
    if dialect() == "postgresql":
        value = func.timezone("UTC", column) if timestamp else column
        return func.to_char(value, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def day_of(column) -> ColumnElement[date]:
    """The UTC calendar day of a timestamp column, a date comparable with a date column."""
    if dialect() == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return type_coerce(func.date(column), Date)


def seconds_between(start, end) -> ColumnElement[Any]:
    """end - start in seconds (a number; fractions allowed)."""
    if dialect() == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def cents(expr) -> ColumnElement[int]:
    """An amount expression as whole cents, rounded half away from zero on both databases."""
    if dialect() == "postgresql":
        return cast(func.round(expr * 100), BigInteger)  # numeric: exact
    # SQLite multiplies in binary floating point: 0.5 x 10.01 gives 500.4999... cents, not 500.5.
    # A line amount has at most five decimals (qty 3, price 2), so the true value in cents is
    # never closer than 0.001 to a rounding edge; a nudge of 1e-11 of the value away from zero
    # (0.001 cents at a million) restores the edge cases and changes nothing else.
    return cast(func.round(expr * 100 * (1 + 1e-11)), BigInteger)


# SQLite keeps quantities as binary floats: 0.1 + 0.2 is not 0.3 there. Quantities have three
# decimals, so two of them differ when they are half a thousandth or more apart.
EXACT = Numeric(28, 6)
_HALF_MILLI = Decimal("0.0005")


def qty_above(expr, limit) -> ColumnElement[bool]:
    """expr > limit, for quantities, alike on both databases."""
    return cast(expr, EXACT) - cast(limit, EXACT) >= literal(_HALF_MILLI, EXACT)


def qty_differs(a, b) -> ColumnElement[bool]:
    """a != b, for quantities, alike on both databases."""
    return func.abs(cast(a, EXACT) - cast(b, EXACT)) >= literal(_HALF_MILLI, EXACT)


def as_decimal(value) -> Decimal:
    """A number from the database (int, float from SQLite, Decimal from PostgreSQL; None as 0)
    as Decimal."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))

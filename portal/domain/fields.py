"""Field types: the one set of rules for ids, quantities, money, percentages, dates and short
texts that people type or that arrive in a URL.

Pure Python, no Flask. The form fields (portal/fields.py), the URL converter and every
query-string parser call these, so a value is judged the same way wherever it comes in:

- digits are ASCII only: no superscripts (``²``), no full-width digits, no ``1_000``, no
  exponent (``1e309``), no ``NaN``/``sNaN``/``Infinity``;
- the bounds come from the column the value is stored in (``Integer`` ids, ``Numeric(14, 3)``
  quantities, ``Numeric(14, 2)`` money, ``Numeric(7, 3)`` percentages), so the database never
  sees a value it would refuse or round;
- dates lie between 2000-01-01 and 2100-12-31;
- refusals are in words (``FieldRefused``), never Python's exception text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from portal.domain.errors import DomainError

# Ids: surrogate keys are `Integer` columns (4 bytes on PostgreSQL); the audit trail's sequence
# is `BigInteger`.
ID_MAX = 2**31 - 1
BIG_ID_MAX = 2**63 - 1

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

# At most this many characters are read as a number: enough for any column we have.
_NUMBER_MAX_CHARS = 32
_ASCII_INTEGER = re.compile(r"[0-9]+", re.ASCII)
_ASCII_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

# Characters that change how text is drawn without being seen: bidi embeddings, overrides and
# isolates, directional marks, zero-width spaces and joiners, the word joiner and the BOM.
INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff\u180e"
)
_INVISIBLE_TABLE = {ord(ch): None for ch in INVISIBLE}
LINE_BREAKS = frozenset("\t\n\r")


class FieldRefused(DomainError, ValueError):
    """A typed value that is not one of ours; the message says what to type instead."""


@dataclass(frozen=True)
class DecimalKind:
    """A `Numeric(precision, scale)` column: what fits, and how it is named in messages."""

    precision: int
    scale: int
    example: str

    @property
    def largest(self) -> Decimal:
        """The largest value the column holds: 10^(precision - scale) less one step."""
        step = Decimal(1).scaleb(-self.scale)
        return Decimal(10) ** (self.precision - self.scale) - step


QUANTITY = DecimalKind(precision=14, scale=3, example="1.25")
MONEY = DecimalKind(precision=14, scale=2, example="12.50")
PERCENT = DecimalKind(precision=7, scale=3, example="2.5")
RATE = DecimalKind(precision=18, scale=8, example="1.085")  # an exchange rate

# One line of a PO or an invoice may come to less than a billion: so that a document of up to
# a thousand lines still sums inside a money column.
LINE_AMOUNT_MAX = Decimal("999999999.99")


def _words(number: Decimal | int) -> str:
    """A bound as a person reads it: 99,999,999,999.999; 2,147,483,647."""
    if isinstance(number, int):
        return f"{number:,}"
    return f"{number:,f}"


def parse_int(
    text: str | None, *, label: str, minimum: int = 0, maximum: int = ID_MAX
) -> int | None:
    """A whole number in ASCII digits between `minimum` and `maximum`; None when empty."""
    raw = (text or "").strip()
    if not raw:
        return None
    if len(raw) > _NUMBER_MAX_CHARS or not _ASCII_INTEGER.fullmatch(raw):
        raise FieldRefused(f"{label} must be a whole number written with the digits 0 to 9.")
    number = int(raw)
    if number < minimum or number > maximum:
        raise FieldRefused(f"{label} must be between {_words(minimum)} and {_words(maximum)}.")
    return number


def parse_id(text: str | None, *, maximum: int = ID_MAX) -> int | None:
    """A record id from a URL, a hidden field or a query string; None when it cannot be one."""
    raw = (text or "").strip()
    if not raw or len(raw) > _NUMBER_MAX_CHARS or not _ASCII_INTEGER.fullmatch(raw):
        return None
    number = int(raw)
    return number if 1 <= number <= maximum else None


def plain_number(text: str | None, *, label: str, example: str = "1.5") -> str:
    """The typed number as plain ASCII text ("" when empty), a decimal comma read as a point;
    FieldRefused for anything else (superscripts, full-width digits, 1_000, 1e5, NaN)."""
    raw = (text or "").strip()
    if raw.count(",") == 1 and "." not in raw:
        raw = raw.replace(",", ".")
    if raw and (len(raw) > _NUMBER_MAX_CHARS or not _ASCII_DECIMAL.fullmatch(raw)):
        raise FieldRefused(
            f"{label} must be a number written with the digits 0 to 9, like {example}."
        )
    return raw


def coerce_id(value: object) -> int | None:
    """`coerce` of a select whose options are record ids (0: the "none" option): None for
    empty, ValueError (in words) for anything that cannot be an id."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if value == "0":  # the "nobody yet" / "choose one" option
        return 0
    number = parse_id(str(value))
    if number is None:
        raise FieldRefused("Choose one of the options in the list.")
    return number


def parse_decimal(
    text: str | None,
    kind: DecimalKind,
    *,
    label: str,
    minimum: Decimal | None = Decimal(0),
    maximum: Decimal | None = None,
    above_zero: bool = False,
) -> Decimal | None:
    """An exact number for a `kind` column, or FieldRefused in words; None when empty.

    A single decimal comma (``1,5`` on many phone keypads) reads as ``1.5``. `above_zero`
    refuses 0 and less ("must be more than 0"); otherwise `minimum` is the least allowed
    (None: as low as the column goes).
    """
    raw = plain_number(text, label=label, example=kind.example)
    if not raw:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:  # the pattern above admits only plain numbers; kept for safety
        raise FieldRefused(f"{label} must be a number, like {kind.example}.") from None
    if above_zero and number <= 0:
        raise FieldRefused(f"{label} must be more than 0.")
    low = minimum
    high = kind.largest if maximum is None else min(maximum, kind.largest)
    if low is not None and number < low:
        raise FieldRefused(f"{label} must be at least {_words(low)}.")
    if number > high:
        raise FieldRefused(f"{label} must be at most {_words(high)}.")
    if low is None and number < -kind.largest:
        raise FieldRefused(f"{label} must be at least {_words(-kind.largest)}.")
    # Only now, inside the column's range, is the rounding below within Decimal's precision
    # (28 digits): 26 nines rounded to 0.001 would raise InvalidOperation, not a refusal.
    if number != number.quantize(Decimal(1).scaleb(-kind.scale)):
        raise FieldRefused(
            f"{label}: use at most {kind.scale} decimal places, like {kind.example}."
        )
    return number


def check_line_amount(qty: Decimal, unit_price: Decimal, *, label: str = "The line") -> None:
    """FieldRefused unless qty x unit price stays under LINE_AMOUNT_MAX."""
    if abs(qty * unit_price) > LINE_AMOUNT_MAX:
        raise FieldRefused(
            f"{label} comes to more than {_words(LINE_AMOUNT_MAX)}: check the quantity and "
            "the unit price."
        )


def parse_day(
    text: str | None,
    *,
    label: str,
    earliest: date = EARLIEST_DAY,
    latest: date = LATEST_DAY,
) -> date | None:
    """A day written YYYY-MM-DD between `earliest` and `latest`; None when empty."""
    raw = (text or "").strip()
    if not raw:
        return None
    if not _ISO_DAY.fullmatch(raw):
        raise FieldRefused(f"{label}: write the day as year-month-day, like 2026-03-31.")
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise FieldRefused(f"{label}: {raw} is not a day on the calendar.") from None
    if not earliest <= day <= latest:
        raise FieldRefused(
            f"{label} must be between {earliest.isoformat()} and {latest.isoformat()}."
        )
    return day


def day_or_none(text: str | None) -> date | None:
    """A day from a query string, or None when it is empty or not one of ours."""
    try:
        return parse_day(text, label="Day")
    except FieldRefused:
        return None


def without_invisibles(text: str | None) -> str | None:
    """`text` without bidi controls and zero-width characters (they spoof titles and names)."""
    if text is None:
        return None
    return text.translate(_INVISIBLE_TABLE)


def has_control_characters(text: str, *, line_breaks_allowed: bool = False) -> bool:
    """True when `text` holds a NUL or another control character (tab, newline and carriage
    return pass when `line_breaks_allowed`)."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cs") and not (
            line_breaks_allowed and ch in LINE_BREAKS
        ):
            return True
    return False

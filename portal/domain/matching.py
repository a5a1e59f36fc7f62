"""Invoice match engine: a pure function from one JSON-shaped input to one JSON-shaped result.

The rules are ../shared/domain/match-spec.md; the vectors in match-vectors/ are the law. Money and
quantities are Decimal only (never float). Arithmetic runs in the engine's own decimal context,
whose precision and exponent range are the largest decimal allows, so nothing is ever rounded
except where the spec says so (round2: quantize to cents HALF_UP for money; 6 dp HALF_UP after a
reverse unit-of-measure division) and no input can overflow it; no division is done in Decimal
(the reverse conversion divides integers exactly), so no input can make the engine round or raise.

Choices the spec leaves open (no vector decides them):
* a blank (empty or whitespace-only) date is ``MISSING_FIELD``, like any blank required string;
* a blank enum string counts as absent (the general blank-string rule), so it takes the default.
"""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    getcontext,
    setcontext,
)

__all__ = ["ERROR_CODES", "REASON_CODES", "compare_expected", "evaluate"]

ERROR_CODES: tuple[str, ...] = (
    "MISSING_FIELD",
    "INVALID_TYPE",
    "MALFORMED_NUMBER",
    "NEGATIVE_VALUE",
    "MALFORMED_DATE",
    "INVALID_ENUM",
    "EMPTY_INVOICE",
    "DUPLICATE_PO_LINE",
    "RECEIPT_UNKNOWN_LINE",
    "REJECTED_EXCEEDS_RECEIVED",
    "INVALID_UOM_FACTOR",
)

# Canonical order of §1.5: header codes first, then line codes.
REASON_CODES: tuple[str, ...] = (
    "DUPLICATE_INVOICE",
    "POSSIBLE_DUPLICATE",
    "VENDOR_MISMATCH",
    "CURRENCY_MISMATCH",
    "PO_CLOSED",
    "AFTER_THE_FACT",
    "TOTAL_MISMATCH",
    "FREIGHT_OVER",
    "UNKNOWN_LINE",
    "UOM_MISMATCH",
    "ZERO_QUANTITY",
    "PRICE_OVER",
    "NOT_RECEIVED",
    "QTY_OVER_RECEIVED",
    "QTY_OVER_ORDERED",
    "CREDIT_EXCEEDS_BILLED",
)

# Exact arithmetic: additions and multiplications never round, quantize never overflows.
_CONTEXT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN, rounding=ROUND_HALF_UP)
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZERO = Decimal(0)
_ZERO_MONEY = Decimal("0.00")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_MILLION = 10**6

# Valid numbers and dates seen before, keyed by their text: inputs repeat the same few strings
# (prices, quantities, dates), and a lookup is several times cheaper than parsing. Bounded;
# cleared when full.
_CACHE_SIZE = 8192
_NUMBERS: dict[str, Decimal] = {}
_DATES: set[str] = set()

_PO_STATUSES = frozenset({"open", "closed", "cancelled"})
_KINDS = frozenset({"goods", "service"})
_DOC_TYPES = frozenset({"invoice", "credit_memo"})
_DOC_STATUSES = frozenset({"active", "cancelled"})
_SERVICE_MATCH = frozenset({"two_way", "three_way"})


class _Invalid(Exception):
    """A validation failure: the first defect found, with its spec code and path."""

    def __init__(self, code: str, path: str) -> None:
        """Keep the error code and the dotted path of the offending field."""
        super().__init__(code, path)
        self.code = code
        self.path = path


# --------------------------------------------------------------------------- field readers
# Each reader gets the object, the key, and where the object sits: ``where`` is its path
# (``"po"``, ``"invoice.lines"``) and ``index`` its position when it is a list element, else -1.
# The path string is only built when there is an error to report.


def _path(where: str, index: int, key: str) -> str:
    """The spec's path of ``key`` in the object at ``where``/``index``."""
    if index >= 0:
        where = f"{where}[{index}]"
    return f"{where}.{key}" if where else key


def _invalid(code: str, where: str, index: int, key: str) -> _Invalid:
    """The error for ``key`` in the object at ``where``/``index``."""
    return _Invalid(code, _path(where, index, key))


def _is_blank(value: str) -> bool:
    """True for an empty or whitespace-only string (Python's ``str.isspace``)."""
    return not value or value.isspace()


def _req_str(obj: dict, key: str, where: str, index: int = -1) -> str:
    """A required string field; blank counts as absent."""
    value = obj.get(key)
    if isinstance(value, str):
        if value and not value.isspace():
            return value
        raise _invalid("MISSING_FIELD", where, index, key)
    if value is None:
        raise _invalid("MISSING_FIELD", where, index, key)
    raise _invalid("INVALID_TYPE", where, index, key)


def _opt_str(obj: dict, key: str, where: str, index: int = -1) -> str | None:
    """An optional string field; null or blank gives None."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return None if _is_blank(value) else value
    raise _invalid("INVALID_TYPE", where, index, key)


def _parse_number(value: object, key: str, where: str, index: int) -> Decimal:
    """A non-negative plain decimal given as a JSON string; ``-0`` is zero."""
    if not isinstance(value, str) or _NUMBER.fullmatch(value) is None:
        raise _invalid("MALFORMED_NUMBER", where, index, key)
    number = Decimal(value)
    if not number:
        number = _ZERO  # also turns "-0" into a plain zero
    elif number < _ZERO:
        raise _invalid("NEGATIVE_VALUE", where, index, key)
    if len(_NUMBERS) >= _CACHE_SIZE:
        _NUMBERS.clear()
    _NUMBERS[value] = number
    return number


def _req_num(obj: dict, key: str, where: str, index: int = -1) -> Decimal:
    """A required numeric field."""
    value = obj.get(key)
    if type(value) is str:
        number = _NUMBERS.get(value)
        if number is not None:
            return number
    elif value is None:
        raise _invalid("MISSING_FIELD", where, index, key)
    return _parse_number(value, key, where, index)


def _opt_num(obj: dict, key: str, where: str, index: int = -1) -> Decimal | None:
    """An optional numeric field; None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if type(value) is str:
        number = _NUMBERS.get(value)
        if number is not None:
            return number
    return _parse_number(value, key, where, index)


def _opt_money(obj: dict, key: str, where: str) -> Decimal:
    """An optional header money field, rounded half-up to cents on input; zero when absent."""
    number = _opt_num(obj, key, where)
    return _ZERO_MONEY if number is None else number.quantize(_CENT)


def _req_date(obj: dict, key: str, where: str, index: int = -1) -> str:
    """A required ``YYYY-MM-DD`` calendar date, kept as its (sortable) string."""
    value = obj.get(key)
    if type(value) is str and value in _DATES:
        return value
    if value is None:
        raise _invalid("MISSING_FIELD", where, index, key)
    if not isinstance(value, str) or _is_blank(value):
        code = "MISSING_FIELD" if isinstance(value, str) else "MALFORMED_DATE"
        raise _invalid(code, where, index, key)
    if _DATE.fullmatch(value) is None:
        raise _invalid("MALFORMED_DATE", where, index, key)
    try:
        datetime.date(int(value[:4]), int(value[5:7]), int(value[8:]))
    except ValueError:
        raise _invalid("MALFORMED_DATE", where, index, key) from None
    if len(_DATES) >= _CACHE_SIZE:
        _DATES.clear()
    _DATES.add(value)
    return value


def _opt_enum(
    obj: dict, key: str, allowed: frozenset[str], default: str, where: str, index: int = -1
) -> str:
    """An optional enum: exact and case-sensitive; null or blank takes the default."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _invalid("INVALID_ENUM", where, index, key)
    if value in allowed:
        return value
    if _is_blank(value):
        return default
    raise _invalid("INVALID_ENUM", where, index, key)


def _list(obj: dict, key: str, required: bool, where: str, index: int = -1) -> list:
    """A list field; an absent optional list is empty."""
    value = obj.get(key)
    if isinstance(value, list):
        return value
    if value is None:
        if required:
            raise _invalid("MISSING_FIELD", where, index, key)
        return []
    raise _invalid("INVALID_TYPE", where, index, key)


def _not_object(where: str, index: int) -> _Invalid:
    """The error for a list element that is not an object."""
    return _Invalid("INVALID_TYPE", f"{where}[{index}]")


def _limit(policy: dict, key: str, default: Decimal | None) -> Decimal | None:
    """A policy limit: absent takes the default, null means unlimited (None)."""
    if key not in policy:
        return default
    return _opt_num(policy, key, "policy")


# --------------------------------------------------------------------------- normalisation


def _norm_party(value: str) -> str:
    """Vendor ids and PO numbers: NFKC, trim, casefold."""
    if value.isascii():
        return value.strip().lower()
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _norm_code(value: str) -> str:
    """UoM, currency and item codes: NFKC, trim, upper-case."""
    if value.isascii():
        return value.strip().upper()
    return unicodedata.normalize("NFKC", value).strip().upper()


def _norm_doc_number(value: str) -> str:
    """Invoice numbers: NFKC, casefold, and every whitespace character removed."""
    folded = value.lower() if value.isascii() else unicodedata.normalize("NFKC", value).casefold()
    return "".join(folded.split())


def _req_party(obj: dict, key: str, where: str) -> str:
    """A required vendor id or PO number, normalised (plain ASCII is done inline)."""
    value = obj.get(key)
    if type(value) is str and value.isascii():
        value = value.strip().lower()
        if value:
            return value
    return _norm_party(_req_str(obj, key, where))


def _req_code(obj: dict, key: str, where: str) -> str:
    """A required currency code, normalised (plain ASCII is done inline)."""
    value = obj.get(key)
    if type(value) is str and value.isascii():
        value = value.strip().upper()
        if value:
            return value
    return _norm_code(_req_str(obj, key, where))


def _req_doc_number(obj: dict, key: str, where: str) -> str:
    """A required invoice number, normalised (plain ASCII is done inline)."""
    value = obj.get(key)
    if type(value) is str and value.isascii():
        value = "".join(value.lower().split())
        if value:
            return value
    return _norm_doc_number(_req_str(obj, key, where))


# --------------------------------------------------------------------------- arithmetic
# Money values are always made by quantize(_CENT) or by adding/subtracting such values, so they
# carry exactly 2 decimals and str() prints them as the spec wants; none is ever a negative zero
# (inputs turn "-0" into 0, and x - x is +0 when rounding half up).


def _divide6(qty: Decimal, factor: Decimal) -> Decimal:
    """``qty / factor`` rounded half up to 6 dp, computed on integers so it is exact."""
    qty_num, qty_den = qty.as_integer_ratio()
    fac_num, fac_den = factor.as_integer_ratio()
    numerator = qty_num * fac_den * _MILLION
    denominator = qty_den * fac_num
    quotient, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return Decimal(quotient).scaleb(-6)


def _exceeded(variance: Decimal, base: Decimal, pct: Decimal | None, abs_: Decimal | None) -> bool:
    """The spec's inclusive tolerance test: exceeding either configured limit fires."""
    if variance <= _ZERO:
        return False
    if pct is not None and variance * _HUNDRED > pct * base:
        return True
    return abs_ is not None and variance > abs_


def _qty_str(value: Decimal) -> str:
    """A quantity as a plain decimal without exponent or trailing zeros; ``"0"`` for zero."""
    if not value:
        return "0"
    text = str(value)
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --------------------------------------------------------------------------- parsed input


class _Doc:
    """A validated invoice or credit memo (the one evaluated, or a prior one)."""

    __slots__ = (
        "active",
        "credit",
        "currency",
        "date",
        "freight",
        "lines",
        "number",
        "po_number",
        "tax",
        "total",
        "vendor",
    )
    # Declared, not assigned: the slots above hold them (set by _read_doc).
    active: bool
    credit: bool
    currency: str
    date: str  # ISO date, compared as text
    freight: Decimal
    lines: list[_DocLine]
    number: str  # normalised
    po_number: str | None  # normalised; priors only
    tax: Decimal
    total: Decimal | None  # the evaluated invoice only, when it states one
    vendor: str  # normalised


# A PO line: (line_id, item, uom, qty_ordered, unit_price, is_goods). Item and UoM are kept as
# given (validated, not blank) and normalised only when a conversion has to be looked up.
_PoLine = tuple[str, str, str, Decimal, Decimal, bool]
# A receipt: (line_id, qty_received, qty_rejected or None).
_Receipt = tuple[str, Decimal, Decimal | None]
# A conversion: (normalised item or None, normalised from, normalised to, factor).
_Conversion = tuple[str | None, str, str, Decimal]
_Conversions = dict[tuple[str | None, str, str], Decimal]
# An invoice or prior-document line: (line_id, qty, unit_price, uom or None).
_DocLine = tuple[str, Decimal, Decimal, str | None]
# The tolerance policy: (price_pct, price_abs, qty_pct, qty_abs, amount_abs, freight_abs,
# service_match); a limit of None is not checked.
_Policy = tuple[
    Decimal | None,
    Decimal | None,
    Decimal | None,
    Decimal | None,
    Decimal | None,
    Decimal | None,
    str,
]

# Rows (PO lines, receipts, conversions, document lines) have two readers. The ``_plain_*`` one
# accepts only a row whose every field is plainly valid (strings of the right type, not blank,
# ASCII where they get normalised; numbers and dates already seen valid) and never raises;
# anything else gives None, and the checked ``_read_*`` reader decides field by field, in spec
# order. The shortcut only saves time; a test checks that both readers give the same fields.


def _plain_po_line(raw: dict) -> _PoLine | None:
    """A PO line's fields when all are plainly valid, else None."""
    line_id = raw.get("line_id")
    item = raw.get("item")
    uom = raw.get("uom")
    qty = raw.get("qty_ordered")
    price = raw.get("unit_price")
    kind = raw.get("kind")
    if not (
        type(line_id) is str
        and type(item) is str
        and type(uom) is str
        and type(qty) is str
        and type(price) is str
        and line_id
        and item
        and uom
        and not line_id.isspace()
        and not item.isspace()
        and not uom.isspace()
    ):
        return None
    qty = _NUMBERS.get(qty)
    price = _NUMBERS.get(price)
    if qty is None or price is None:
        return None
    if kind is None or kind == "goods":
        return (line_id, item, uom, qty, price, True)
    if kind == "service":
        return (line_id, item, uom, qty, price, False)
    return None


def _read_po_line(raw: dict, index: int) -> _PoLine:
    """A PO line's fields, checked in spec order."""
    return (
        _req_str(raw, "line_id", "po.lines", index),
        _req_str(raw, "item", "po.lines", index),
        _req_str(raw, "uom", "po.lines", index),
        _req_num(raw, "qty_ordered", "po.lines", index),
        _req_num(raw, "unit_price", "po.lines", index),
        _opt_enum(raw, "kind", _KINDS, "goods", "po.lines", index) == "goods",
    )


def _plain_receipt(raw: dict) -> _Receipt | None:
    """A receipt's fields when all are plainly valid, else None."""
    line_id = raw.get("line_id")
    received = raw.get("qty_received")
    rejected = raw.get("qty_rejected")
    date = raw.get("date")
    if not (
        type(line_id) is str
        and type(received) is str
        and type(date) is str
        and line_id
        and not line_id.isspace()
        and date in _DATES
    ):
        return None
    received = _NUMBERS.get(received)
    if received is None:
        return None
    if rejected is None:
        return (line_id, received, None)
    rejected = _NUMBERS.get(rejected) if type(rejected) is str else None
    return None if rejected is None else (line_id, received, rejected)


def _read_receipt(raw: dict, index: int) -> _Receipt:
    """A receipt's fields, checked in spec order."""
    fields = (
        _req_str(raw, "line_id", "receipts", index),
        _req_num(raw, "qty_received", "receipts", index),
        _opt_num(raw, "qty_rejected", "receipts", index),
    )
    _req_date(raw, "date", "receipts", index)
    return fields


def _plain_conversion(raw: dict) -> _Conversion | None:
    """A conversion's fields when all are plainly valid (factor not zero), else None."""
    source = raw.get("from")
    target = raw.get("to")
    factor = raw.get("factor")
    item = raw.get("item")
    if not (
        type(source) is str
        and type(target) is str
        and type(factor) is str
        and source.isascii()
        and target.isascii()
    ):
        return None
    source = source.strip().upper()
    target = target.strip().upper()
    factor = _NUMBERS.get(factor)
    if not source or not target or not factor:
        return None
    if item is None:
        return (None, source, target, factor)
    if type(item) is str and item.isascii():
        item = item.strip().upper()
        if item:
            return (item, source, target, factor)
    return None


def _read_conversion(raw: dict, index: int) -> _Conversion:
    """A conversion's fields, checked in spec order, then its factor against zero."""
    source = _norm_code(_req_str(raw, "from", "uom_conversions", index))
    target = _norm_code(_req_str(raw, "to", "uom_conversions", index))
    factor = _req_num(raw, "factor", "uom_conversions", index)
    item = _opt_str(raw, "item", "uom_conversions", index)
    if not factor:
        raise _Invalid("INVALID_UOM_FACTOR", f"uom_conversions[{index}].factor")
    return (None if item is None else _norm_code(item), source, target, factor)


def _plain_doc_line(raw: dict) -> _DocLine | None:
    """An invoice or prior line's fields when all are plainly valid, else None."""
    line_id = raw.get("line_id")
    qty = raw.get("qty")
    price = raw.get("unit_price")
    uom = raw.get("uom")
    if not (
        type(line_id) is str
        and type(qty) is str
        and type(price) is str
        and line_id
        and not line_id.isspace()
    ):
        return None
    qty = _NUMBERS.get(qty)
    price = _NUMBERS.get(price)
    if qty is None or price is None:
        return None
    if uom is None:
        return (line_id, qty, price, None)
    if type(uom) is str and uom and not uom.isspace():
        return (line_id, qty, price, uom)
    return None


def _read_doc_line(raw: dict, where: str, index: int) -> _DocLine:
    """An invoice or prior line's fields, checked in spec order."""
    return (
        _req_str(raw, "line_id", where, index),
        _req_num(raw, "qty", where, index),
        _req_num(raw, "unit_price", where, index),
        _opt_str(raw, "uom", where, index),
    )


def _read_policy(data: dict) -> _Policy:
    """The tolerance policy with defaults applied."""
    policy = data.get("policy")
    if policy is None:
        policy = {}
    elif not isinstance(policy, dict):
        raise _Invalid("INVALID_TYPE", "policy")
    return (
        _limit(policy, "price_pct", _ZERO),
        _limit(policy, "price_abs", None),
        _limit(policy, "qty_pct", _ZERO),
        _limit(policy, "qty_abs", None),
        _limit(policy, "amount_abs", _ZERO),
        _limit(policy, "freight_abs", None),
        _opt_enum(policy, "service_match", _SERVICE_MATCH, "two_way", "policy"),
    )


def _read_po(data: dict) -> tuple[dict[str, str], dict[str, _PoLine]]:
    """The PO header and its lines, keyed by exact ``line_id``, in PO order."""
    po = data.get("po")
    if po is None:
        raise _Invalid("MISSING_FIELD", "po")
    if not isinstance(po, dict):
        raise _Invalid("INVALID_TYPE", "po")
    header = {
        "po_number": _req_party(po, "po_number", "po"),
        "vendor": _req_party(po, "vendor", "po"),
        "currency": _req_code(po, "currency", "po"),
        "status": _opt_enum(po, "status", _PO_STATUSES, "open", "po"),
        "created_date": _req_date(po, "created_date", "po"),
    }
    lines: dict[str, _PoLine] = {}
    for index, raw in enumerate(_list(po, "lines", True, "po")):
        if not isinstance(raw, dict):
            raise _not_object("po.lines", index)
        line = _plain_po_line(raw) or _read_po_line(raw, index)
        if line[0] in lines:
            raise _Invalid("DUPLICATE_PO_LINE", f"po.lines[{index}].line_id")
        lines[line[0]] = line
    return header, lines


def _read_receipts(data: dict, lines: dict[str, _PoLine]) -> dict[str, Decimal]:
    """Accepted quantity per PO line that has receipts (received minus rejected)."""
    receipts = _list(data, "receipts", False, "")
    accepted: dict[str, Decimal] = {}
    any_rejected = False
    for index, raw in enumerate(receipts):
        if not isinstance(raw, dict):
            raise _not_object("receipts", index)
        line_id, received, rejected = _plain_receipt(raw) or _read_receipt(raw, index)
        if line_id not in lines:
            raise _Invalid("RECEIPT_UNKNOWN_LINE", f"receipts[{index}].line_id")
        if rejected:
            received -= rejected
            any_rejected = True
        accepted[line_id] = accepted.get(line_id, _ZERO) + received
    if any_rejected:
        # Sum rejected > sum received exactly when the accepted sum is negative.
        for line_id in lines:  # PO order: the first such line is the one reported
            if accepted.get(line_id, _ZERO) < _ZERO:
                last = max(i for i, raw in enumerate(receipts) if raw["line_id"] == line_id)
                raise _Invalid("REJECTED_EXCEEDS_RECEIVED", f"receipts[{last}].qty_rejected")
    return accepted


def _read_conversions(data: dict) -> _Conversions:
    """Conversions keyed by (item or None, from, to); the first entry in list order wins."""
    table: _Conversions = {}
    for index, raw in enumerate(_list(data, "uom_conversions", False, "")):
        if not isinstance(raw, dict):
            raise _not_object("uom_conversions", index)
        item, source, target, factor = _plain_conversion(raw) or _read_conversion(raw, index)
        table.setdefault((item, source, target), factor)
    return table


def _read_doc(raw: dict, where: str, evaluated: bool) -> _Doc:
    """An invoice or credit memo; only the evaluated one states a total, only priors a status."""
    doc = _Doc()
    doc.vendor = _req_party(raw, "vendor", where)
    doc.number = _req_doc_number(raw, "number", where)
    doc.date = _req_date(raw, "date", where)
    doc.currency = _req_code(raw, "currency", where)
    doc.credit = _opt_enum(raw, "type", _DOC_TYPES, "invoice", where) == "credit_memo"
    if evaluated:
        doc.active = True
        doc.po_number = None
        total = _opt_num(raw, "total_amount", where)
        doc.total = None if total is None else total.quantize(_CENT)
    else:
        doc.active = _opt_enum(raw, "status", _DOC_STATUSES, "active", where) == "active"
        po_number = _opt_str(raw, "po_number", where)
        doc.po_number = None if po_number is None else _norm_party(po_number)
        doc.total = None
    doc.freight = _opt_money(raw, "freight_amount", where)
    doc.tax = _opt_money(raw, "tax_amount", where)
    raw_lines = _list(raw, "lines", True, where)
    if evaluated and not raw_lines:
        raise _Invalid("EMPTY_INVOICE", f"{where}.lines")
    lines: list[_DocLine] = []
    for index, line in enumerate(raw_lines):
        if not isinstance(line, dict):
            raise _not_object(f"{where}.lines", index)
        lines.append(_plain_doc_line(line) or _read_doc_line(line, f"{where}.lines", index))
    doc.lines = lines
    return doc


# --------------------------------------------------------------------------- evaluation


def _find_conversion(uom: str, line: _PoLine, table: _Conversions) -> tuple[Decimal, bool] | None:
    """(factor, is_reverse) for an invoice UoM into the PO line's UoM (§1.4 order), or None."""
    uom = _norm_code(uom)
    po_uom = _norm_code(line[2])
    if uom == po_uom:
        return (_ONE, False)
    for item in (_norm_code(line[1]), None):
        factor = table.get((item, uom, po_uom))
        if factor is not None:
            return (factor, False)
        factor = table.get((item, po_uom, uom))
        if factor is not None:
            return (factor, True)
    return None


def _to_po_uom(
    qty: Decimal, uom: str, line: _PoLine, table: _Conversions, found: dict
) -> Decimal | None:
    """The quantity in the PO line's UoM, or None when it cannot be converted."""
    key = (line[0], uom)
    conversion = found.get(key, False)
    if conversion is False:
        conversion = found[key] = _find_conversion(uom, line, table)
    if conversion is None:
        return None
    factor, reverse = conversion
    return _divide6(qty, factor) if reverse else qty * factor


def _gross(doc: _Doc) -> Decimal:
    """Gross amount: the sum of round2(qty * unit_price) over all lines, plus freight and tax."""
    total = doc.freight + doc.tax
    for _line_id, qty, price, _uom in doc.lines:
        total += (qty * price).quantize(_CENT)
    return total


def _header_reasons(
    invoice: _Doc, priors: list[_Doc], po: dict[str, str], computed_total: Decimal, policy: _Policy
) -> list[str]:
    """The header reasons (§1.5), in canonical order."""
    is_invoice = not invoice.credit
    reasons: list[str] = []
    if any(p.active and p.vendor == invoice.vendor and p.number == invoice.number for p in priors):
        reasons.append("DUPLICATE_INVOICE")
    if is_invoice:
        gross = computed_total + invoice.freight + invoice.tax
        for p in priors:
            if (
                p.active
                and not p.credit
                and p.vendor == invoice.vendor
                and p.number != invoice.number
                and p.date == invoice.date
                and p.currency == invoice.currency
                and _gross(p) == gross
            ):
                reasons.append("POSSIBLE_DUPLICATE")
                break
    if invoice.vendor != po["vendor"]:
        reasons.append("VENDOR_MISMATCH")
    if invoice.currency != po["currency"]:
        reasons.append("CURRENCY_MISMATCH")
    if is_invoice and po["status"] != "open":
        reasons.append("PO_CLOSED")
    if is_invoice and po["created_date"] > invoice.date:
        reasons.append("AFTER_THE_FACT")
    amount_abs, freight_abs = policy[4], policy[5]
    if (
        invoice.total is not None
        and amount_abs is not None
        and abs(invoice.total - computed_total) > amount_abs
    ):
        reasons.append("TOTAL_MISMATCH")
    if is_invoice and freight_abs is not None and invoice.freight > freight_abs:
        reasons.append("FREIGHT_OVER")
    return reasons


class _Input:
    """A validated engine input."""

    __slots__ = ("accepted", "conversions", "invoice", "po", "po_lines", "policy", "priors")
    # Declared, not assigned: the slots above hold them (set by _read_input).
    accepted: dict[str, Decimal]  # accepted quantity per PO line with receipts
    conversions: _Conversions
    invoice: _Doc
    po: dict[str, str]  # the PO header, validated and normalised
    po_lines: dict[str, _PoLine]
    policy: _Policy
    priors: list[_Doc]


def _read_input(data: object) -> _Input:
    """Validate the whole input in spec order; raises _Invalid for the first defect."""
    if not isinstance(data, dict):
        raise _Invalid("INVALID_TYPE", "")
    parsed = _Input()
    parsed.policy = _read_policy(data)
    parsed.po, parsed.po_lines = _read_po(data)
    parsed.accepted = _read_receipts(data, parsed.po_lines)
    parsed.conversions = _read_conversions(data)
    priors = []
    for index, raw in enumerate(_list(data, "prior_invoices", False, "")):
        if not isinstance(raw, dict):
            raise _not_object("prior_invoices", index)
        priors.append(_read_doc(raw, f"prior_invoices[{index}]", False))
    parsed.priors = priors
    raw_invoice = data.get("invoice")
    if raw_invoice is None:
        raise _Invalid("MISSING_FIELD", "invoice")
    if not isinstance(raw_invoice, dict):
        raise _Invalid("INVALID_TYPE", "invoice")
    parsed.invoice = _read_doc(raw_invoice, "invoice", True)
    return parsed


def _billed_so_far(
    parsed: _Input, found: dict[tuple[str, str], tuple[Decimal, bool] | None]
) -> dict[str, Decimal]:
    """Billed so far per PO line: active priors on this PO, whatever their vendor or currency."""
    po_lines, table = parsed.po_lines, parsed.conversions
    running: dict[str, Decimal] = {}
    po_number = parsed.po["po_number"]
    for prior in parsed.priors:
        if not prior.active or prior.po_number != po_number:
            continue
        for line_id, qty, _price, uom in prior.lines:
            line = po_lines.get(line_id)
            if line is None:
                continue
            q_po = qty if uom is None else _to_po_uom(qty, uom, line, table, found)
            if q_po is not None:
                before = running.get(line_id, _ZERO)
                running[line_id] = before - q_po if prior.credit else before + q_po
    return running


def _match(parsed: _Input) -> dict:
    """Match a validated input: the result of §1.6."""
    # long because it follows match-spec §1.6 line by line, in the spec's order: each check's
    # reason code and each figure of the result sit where the spec names them.
    policy = parsed.policy
    price_pct, price_abs, qty_pct, qty_abs = policy[:4]
    three_way_services = policy[6] == "three_way"
    po, po_lines, accepted_by_line = parsed.po, parsed.po_lines, parsed.accepted
    table, priors, invoice = parsed.conversions, parsed.priors, parsed.invoice

    found: dict[tuple[str, str], tuple[Decimal, bool] | None] = {}
    running = _billed_so_far(parsed, found)

    is_invoice = not invoice.credit
    check_price = invoice.currency == po["currency"]
    amounts = [(qty * price).quantize(_CENT) for _line_id, qty, price, _uom in invoice.lines]
    computed_total = sum(amounts, _ZERO_MONEY)
    header = _header_reasons(invoice, priors, po, computed_total, policy)

    texts: dict[str, str] = {}  # billed_after of the last line on each PO line, as text
    out_lines = []
    held = bool(header)
    for index, (line_id, qty, _price, uom) in enumerate(invoice.lines):
        amount = amounts[index]
        reasons = header.copy()
        q_text = expected_text = variance_text = before_text = after_text = None
        accepted_text = over_received_text = over_ordered_text = None
        line = po_lines.get(line_id)
        if line is None:
            reasons.append("UNKNOWN_LINE")
        else:
            q_po = qty if uom is None else _to_po_uom(qty, uom, line, table, found)
            if q_po is None:
                reasons.append("UOM_MISMATCH")
            elif not qty:
                reasons.append("ZERO_QUANTITY")
                q_text = "0"
            else:
                _id, _item, _uom, ordered, unit_price, goods = line
                before = running.get(line_id, _ZERO)
                after = running[line_id] = before + q_po if is_invoice else before - q_po
                accepted = accepted_by_line.get(line_id, _ZERO)
                expected = (q_po * unit_price).quantize(_CENT)
                q_text = _qty_str(q_po)
                before_text = texts.get(line_id) or _qty_str(before)
                after_text = texts[line_id] = _qty_str(after)
                accepted_text = _qty_str(accepted)
                expected_text = str(expected)
                if is_invoice:
                    if check_price:
                        variance = amount - expected
                        variance_text = str(variance)
                        if variance > _ZERO and _exceeded(variance, expected, price_pct, price_abs):
                            reasons.append("PRICE_OVER")
                    if goods or three_way_services:
                        over = after - accepted
                        over_received_text = _qty_str(over) if over > _ZERO else "0"
                        if not accepted:
                            reasons.append("NOT_RECEIVED")
                        elif over > _ZERO and _exceeded(over, accepted, qty_pct, qty_abs):
                            reasons.append("QTY_OVER_RECEIVED")
                    over = after - ordered
                    if over > _ZERO:
                        over_ordered_text = _qty_str(over)
                        if _exceeded(over, ordered, qty_pct, qty_abs):
                            reasons.append("QTY_OVER_ORDERED")
                    else:
                        over_ordered_text = "0"
                elif after < _ZERO:
                    reasons.append("CREDIT_EXCEEDS_BILLED")
        if reasons:
            held = True
        out_lines.append(
            {
                "index": index,
                "line_id": line_id,
                "status": "hold" if reasons else "matched",
                "reasons": reasons,
                "qty_po_uom": q_text,
                "invoice_amount": str(amount),
                "expected_amount": expected_text,
                "price_variance": variance_text,
                "billed_before": before_text,
                "billed_after": after_text,
                "received_accepted": accepted_text,
                "qty_over_received": over_received_text,
                "qty_over_ordered": over_ordered_text,
            }
        )

    return {
        "status": "hold" if held else "matched",
        "header_reasons": header,
        "computed_total": str(computed_total),
        "small_difference": None if invoice.total is None else str(invoice.total - computed_total),
        "lines": out_lines,
    }


def evaluate(data: object) -> dict:
    """Match one invoice or credit memo: the spec's result (§1.6) or its error result (§1.2)."""
    # setcontext/getcontext rather than localcontext(), which copies the context on every call;
    # _CONTEXT traps nothing the engine can reach, and its flags are never read.
    saved = getcontext()
    setcontext(_CONTEXT)
    try:
        return _match(_read_input(data))
    except _Invalid as invalid:
        return {"error": {"code": invalid.code, "path": invalid.path}}
    except Exception:  # noqa: BLE001 - the engine must never raise; property tests show it is unused
        return {"error": {"code": "INVALID_TYPE", "path": ""}}
    finally:
        setcontext(saved)


# --------------------------------------------------------------------------- comparison


def _as_decimal(value: object) -> Decimal | None:
    """The Decimal value of a plain-decimal string, else None."""
    if isinstance(value, str) and _NUMBER.fullmatch(value) is not None:
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid decimals
            return None
    return None


def _same(expected: object, actual: object) -> bool:
    """Scalar or list equality; plain-decimal strings compare by value, bool is never int."""
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() <= actual.keys()
            and all(_same(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, str) and isinstance(actual, str):
        if expected == actual:
            return True
        left, right = _as_decimal(expected), _as_decimal(actual)
        return left is not None and right is not None and left == right
    return type(expected) is type(actual) and expected == actual


def _show(value: object) -> str:
    """A value as it appears in a failure message (JSON)."""
    return json.dumps(value, ensure_ascii=False)


def _compare(expected: object, actual: object, path: str, failures: list[str]) -> None:
    """Append one failure per differing leaf (objects and lists of objects are recursed)."""
    name = path or "result"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            child = f"{path}.{key}" if path else key
            if key not in actual:
                failures.append(f"{child}: expected {_show(value)}, got nothing (field missing)")
            else:
                _compare(value, actual[key], child, failures)
        return
    if (
        isinstance(expected, list)
        and isinstance(actual, list)
        and any(isinstance(item, dict | list) for item in expected)
    ):
        if len(expected) != len(actual):
            failures.append(
                f"{name}: expected {len(expected)} elements, got {len(actual)} elements"
            )
            return
        for index, (item, other) in enumerate(zip(expected, actual, strict=True)):
            _compare(item, other, f"{path}[{index}]", failures)
        return
    if not _same(expected, actual):
        failures.append(f"{name}: expected {_show(expected)}, got {_show(actual)}")


def compare_expected(expected: dict, result: dict) -> tuple[list[str], list[str]]:
    """Check ``result`` against a vector's ``expected`` (§0): returns (failures, notes)."""
    failures: list[str] = []
    notes: list[str] = []
    want = expected.get("error") if isinstance(expected, dict) else None
    got = result.get("error") if isinstance(result, dict) else None
    if isinstance(want, dict):
        if not isinstance(got, dict):
            status = result.get("status") if isinstance(result, dict) else None
            failures.append(
                f"error.code: expected {_show(want.get('code'))}, "
                f"got no error (status {_show(status)})"
            )
            return failures, notes
        for key, value in want.items():
            if key == "path":
                if not _same(value, got.get("path")):
                    notes.append(
                        f"error.path: expected {_show(value)}, got {_show(got.get('path'))}"
                    )
            elif key not in got:
                failures.append(
                    f"error.{key}: expected {_show(value)}, got nothing (field missing)"
                )
            else:
                _compare(value, got[key], f"error.{key}", failures)
        return failures, notes
    if got is not None:
        failures.append(f"status: expected {_show(expected.get('status'))}, got error {_show(got)}")
        return failures, notes
    _compare(expected, result, "", failures)
    return failures, notes

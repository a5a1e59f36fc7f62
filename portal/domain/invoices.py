"""Vendor invoice rules: numbers, amounts, payment terms, holds in words, the import layout.

Pure Python (no Flask, no SQLAlchemy): the services feed these functions plain values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.domain.errors import DomainError, NotAllowed
from portal.domain.fields import (
    EARLIEST_DAY,
    LATEST_DAY,
    MONEY,
    QUANTITY,
    FieldRefused,
    parse_day,
    parse_id,
)
from portal.domain.money import money
from portal.domain.payment_terms import BadPaymentTerms, parse_terms
from portal.domain.statuses import InvoiceStatus, InvoiceType
from portal.domain.tabular import Parsed, RowProblem, TableSpec

ZERO = Decimal(0)

# Invoices whose quantities count as billed (the engine's "active" documents).
INACTIVE = (InvoiceStatus.cancelled, InvoiceStatus.rejected)
APPROVED_FOR_PAYMENT = (InvoiceStatus.matched, InvoiceStatus.released)
# Whom AP may ask to act on a held invoice, in words.
ASKABLE = {"buyer": "the buyer", "receiver": "the receiver"}

REASON_WORDS: dict[str, str] = {
    "DUPLICATE_INVOICE": "Same number as an invoice already entered",
    "POSSIBLE_DUPLICATE": "Possible duplicate: same vendor, date and amount as another invoice",
    "VENDOR_MISMATCH": "Vendor differs from the PO's vendor",
    "CURRENCY_MISMATCH": "Currency differs from the PO's currency",
    "PO_CLOSED": "The PO is closed or cancelled",
    "AFTER_THE_FACT": "Invoice dated before the PO was approved",
    "TOTAL_MISMATCH": "Vendor's total differs from the lines",
    "FREIGHT_OVER": "Freight above the limit",
    "UNKNOWN_LINE": "Line not on the PO",
    "UOM_MISMATCH": "Unit cannot be converted to the PO's unit",
    "ZERO_QUANTITY": "Line with quantity 0",
    "PRICE_OVER": "Price over tolerance",
    "NOT_RECEIVED": "Nothing received yet",
    "QTY_OVER_RECEIVED": "Quantity over received",
    "QTY_OVER_ORDERED": "Quantity over ordered",
    "CREDIT_EXCEEDS_BILLED": "Credit more than was billed",
}


class DuplicateInvoice(DomainError):
    """The vendor already sent an invoice with this number; the first one is named."""

    def __init__(self, message: str, first_id: int) -> None:
        super().__init__(message)
        self.first_id = first_id


class SeparationOfDuties(NotAllowed):
    """The person who entered an invoice may not release its holds."""


def normalise_invoice_number(number: str) -> str:
    """As the match spec compares them: NFKC, casefold, every whitespace character removed."""
    folded = unicodedata.normalize("NFKC", number).casefold()
    return "".join(folded.split())


def line_amount(qty: Decimal, unit_price: Decimal) -> Decimal:
    """One invoice line's amount, rounded half-up to the cent once."""
    return money(qty * unit_price)


def gross_amount(
    lines: list[tuple[Decimal, Decimal]], freight: Decimal = ZERO, tax: Decimal = ZERO
) -> Decimal:
    """What the vendor asks for in all: lines (qty, unit price) + freight + tax."""
    return money(sum((line_amount(q, p) for q, p in lines), ZERO) + money(freight) + money(tax))


def signed(amount: Decimal, invoice_type: InvoiceType) -> Decimal:
    """A credit memo pays back: its amount counts negative in a payment run."""
    return -amount if invoice_type is InvoiceType.credit_memo else amount


# --------------------------------------------------------------------------- payment terms


@dataclass(frozen=True)
class TermsOutcome:
    """When an invoice falls due, and the early-payment discount if the terms give one."""

    due_on: date | None
    discount_until: date | None = None
    discount_amount: Decimal | None = None


def terms_outcome(terms: str | None, invoice_on: date, amount: Decimal) -> TermsOutcome:
    """Due date and early-payment discount from the payment terms (domain.payment_terms);
    terms that cannot be read give no due date rather than a guess."""
    try:
        parsed = parse_terms(terms)
    except BadPaymentTerms:
        return TermsOutcome(due_on=None)
    until = parsed.discount_until(invoice_on)
    return TermsOutcome(
        due_on=parsed.due_on(invoice_on),
        discount_until=until,
        discount_amount=parsed.discount_amount(amount) if until is not None else None,
    )


def due_on_for(terms: str | None, invoice_on: date) -> date | None:
    """The due date the payment terms give for an invoice dated `invoice_on`."""
    return terms_outcome(terms, invoice_on, ZERO).due_on


# --------------------------------------------------------------------------- status rules


def check_may_release(status: InvoiceStatus, *, entered_by_id: int, approver_id: int) -> None:
    """Only an invoice on hold can be released, and never by the person who entered it."""
    if status is not InvoiceStatus.hold:
        raise NotAllowed(f"Only an invoice on hold can be released; this one is {status.value}.")
    if entered_by_id == approver_id:
        raise SeparationOfDuties("You entered this invoice, so someone else must release its hold.")


def check_may_reject(status: InvoiceStatus) -> None:
    """Entered, matched, held or released invoices can be rejected; exported ones are paid."""
    if status in (InvoiceStatus.exported, InvoiceStatus.rejected, InvoiceStatus.cancelled):
        raise NotAllowed(f"This invoice is {status.value} and can no longer be rejected.")


def written_reason(reason: str | None, *, what: str) -> str:
    """A reason typed by a person: required, trimmed, at most 1,000 characters."""
    text = (reason or "").strip()
    if len(text) < 3:
        raise DomainError(f"Write why you {what} (a few words at least).")
    return text[:1000]


# --------------------------------------------------------------------------- explanation


@dataclass(frozen=True)
class LineFacts:
    """What a sentence about one invoice line needs besides the engine's result."""

    label: str
    billed_qty: Decimal
    billed_price: Decimal
    ordered_qty: Decimal | None
    ordered_price: Decimal | None


def _qty(text: str | Decimal | None) -> str:
    """A quantity as people write it: 12, 2.5."""
    value = Decimal(text) if text is not None else ZERO
    return f"{value.normalize():f}"


def _pct(text: str | Decimal | None) -> str:
    """A tolerance percentage as written in the policy: 2, 0.5."""
    return _qty(text)


def explain_line(result_line: dict, facts: LineFacts, policy: dict) -> str:
    """The arithmetic of one line in words, as the AP clerk would check it by hand."""
    parts = [f"billed {_qty(facts.billed_qty)} at {money(facts.billed_price)}"]
    received = result_line.get("received_accepted")
    if received is not None and result_line.get("qty_over_received") is not None:
        parts.append(f"received {_qty(received)}")
    if facts.ordered_qty is not None and facts.ordered_price is not None:
        parts.append(f"ordered {_qty(facts.ordered_qty)} at {money(facts.ordered_price)}")
    findings: list[str] = []
    variance = result_line.get("price_variance")
    expected = result_line.get("expected_amount")
    reasons = result_line.get("reasons", [])
    if "PRICE_OVER" in reasons and variance is not None and expected is not None:
        base = Decimal(expected)
        over = Decimal(variance) * 100 / base if base else None
        tolerance = policy.get("price_pct")
        share = f"{over.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}% " if over else ""
        limit = f"the {_pct(tolerance)}% tolerance" if tolerance is not None else "the tolerance"
        findings.append(f"price {share}over {limit} ({money(Decimal(variance))} more)")
    if "NOT_RECEIVED" in reasons:
        findings.append("nothing received yet")
    if "QTY_OVER_RECEIVED" in reasons:
        findings.append(f"quantity {_qty(result_line['qty_over_received'])} over received")
    if "QTY_OVER_ORDERED" in reasons:
        findings.append(f"quantity {_qty(result_line['qty_over_ordered'])} over ordered")
    if "CREDIT_EXCEEDS_BILLED" in reasons:
        findings.append(f"credit takes billed to {_qty(result_line.get('billed_after'))}")
    for code in ("UNKNOWN_LINE", "UOM_MISMATCH", "ZERO_QUANTITY"):
        if code in reasons:
            findings.append(REASON_WORDS[code].lower())
    sentence = f"{facts.label}: " + "; ".join(parts)
    if findings:
        return sentence + ": " + ", ".join(findings)
    return sentence + ": within tolerance"


def explain(result: dict, facts: list[LineFacts], policy: dict) -> list[str]:
    """Every line's arithmetic in words, then the header reasons, from a stored match result."""
    if "error" in result:
        error = result["error"]
        return [
            f"The match engine could not read this invoice ({error['code']} at {error['path']})."
        ]
    sentences = [
        explain_line(line, facts[line["index"]], policy)
        for line in result.get("lines", [])
        if line["index"] < len(facts)
    ]
    for code in result.get("header_reasons", []):
        sentences.append(REASON_WORDS.get(code, code) + ".")
    return sentences


# --------------------------------------------------------------------------- CSV import
# The file is read by the one import pipeline (domain/tabular.py, services/csv_import.py);
# these are the invoice file's columns and how one row reads.

COLUMNS = (
    "po_number",
    "invoice_number",
    "invoice_date",
    "type",
    "po_line",
    "qty",
    "unit_price",
    "freight",
    "tax",
)
REQUIRED = ("po_number", "invoice_number", "invoice_date", "po_line", "qty", "unit_price")
MAX_ROWS = 2000
MAX_BYTES = 1024 * 1024
IMPORT_SPEC = TableSpec(columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


class BadInvoiceRow(DomainError):
    """One row of an invoice file that cannot be read; every problem of the row, in words."""


@dataclass(frozen=True)
class CsvRow:
    """One line of an invoice as read from the file (checked on its own)."""

    po_number: str
    invoice_number: str
    invoice_on: date
    type: InvoiceType
    po_line: int
    qty: Decimal
    unit_price: Decimal
    freight: Decimal = ZERO
    tax: Decimal = ZERO

    @property
    def key(self) -> tuple[str, str]:
        """Rows with the same PO and invoice number make one invoice."""
        return (self.po_number.strip().upper(), normalise_invoice_number(self.invoice_number))


def _amount(raw: str, name: str, problems: list[str], *, places: int) -> Decimal | None:
    """A non-negative plain decimal with at most `places` decimals, or a problem noted."""
    text = raw.strip().replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw.strip()
    if not _NUMBER.match(text):
        problems.append(f"{name} must be a number like 12.50, not {raw.strip()!r}")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        problems.append(f"{name} must be a number")
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        problems.append(f"{name} has more than {places} decimals")
        return None
    largest = (QUANTITY if places == 3 else MONEY).largest
    if value > largest:
        problems.append(f"{name} is more than {largest:,f}")
        return None
    return value


def _invoice_date(raw: str, problems: list[str]) -> date | None:
    """The invoice date, YYYY-MM-DD."""
    if not raw:
        return None
    try:
        return parse_day(raw, label="invoice_date")
    except FieldRefused:
        problems.append(
            f"invoice_date must be a day from {EARLIEST_DAY} to {LATEST_DAY} written "
            f"YYYY-MM-DD, not {raw!r}"
        )
        return None


def _invoice_type(raw: str, problems: list[str]) -> InvoiceType:
    """invoice (the default) or credit_memo (also: credit, credit memo)."""
    word = raw.strip().lower().replace(" ", "_") or "invoice"
    if word not in ("invoice", "credit_memo", "credit"):
        problems.append(f"type must be invoice or credit_memo, not {word!r}")
    return InvoiceType.credit_memo if word in ("credit_memo", "credit") else InvoiceType.invoice


def _po_line(raw: str, problems: list[str]) -> int | None:
    """A PO line number: 1, 2, ..."""
    if not raw:
        return None
    number = parse_id(raw)
    if number is not None:
        return number
    problems.append(f"po_line must be a line number like 1, not {raw!r}")
    return None


def parse_invoice_row(cells: dict[str, str]) -> CsvRow:
    """One row of the file on its own (the database checks come later); BadInvoiceRow names
    every problem of the row."""
    problems = [f"{name} is empty" for name in REQUIRED if not (cells.get(name) or "").strip()]
    invoice_number = (cells.get("invoice_number") or "").strip()
    if len(invoice_number) > 40:
        problems.append("invoice_number is longer than 40 characters")
    invoice_on = _invoice_date((cells.get("invoice_date") or "").strip(), problems)
    invoice_type = _invoice_type(cells.get("type") or "", problems)
    po_line = _po_line((cells.get("po_line") or "").strip(), problems)
    qty = unit_price = None
    if (cells.get("qty") or "").strip():
        qty = _amount(cells["qty"], "qty", problems, places=3)
        if qty is not None and qty == 0:
            problems.append("qty is 0: leave the line out instead")
    if (cells.get("unit_price") or "").strip():
        unit_price = _amount(cells["unit_price"], "unit_price", problems, places=2)
    extra = {
        name: _amount(cells[name], name, problems, places=2) or ZERO
        for name in ("freight", "tax")
        if (cells.get(name) or "").strip()
    }
    if problems or invoice_on is None or po_line is None or qty is None or unit_price is None:
        raise BadInvoiceRow("; ".join(problems))
    return CsvRow(
        po_number=(cells.get("po_number") or "").strip(),
        invoice_number=invoice_number,
        invoice_on=invoice_on,
        type=invoice_type,
        po_line=po_line,
        qty=qty,
        unit_price=unit_price,
        **extra,
    )


def rows_disagree(rows: list[Parsed[CsvRow]]) -> list[RowProblem]:
    """Rows of one invoice must agree on its date and type; freight and tax go on its first
    row only."""
    problems: list[RowProblem] = []
    first: dict[tuple[str, str], Parsed[CsvRow]] = {}
    for parsed in rows:
        lead = first.setdefault(parsed.value.key, parsed)
        if lead is parsed:
            continue
        row, head = parsed.value, lead.value
        for name, field in (("invoice_date", "invoice_on"), ("type", "type")):
            if getattr(row, field) != getattr(head, field):
                message = f"{name} differs from row {lead.row} of the same invoice"
                problems.append(RowProblem(parsed.row, message))
        if (row.freight or row.tax) and (row.freight, row.tax) != (head.freight, head.tax):
            problems.append(
                RowProblem(
                    parsed.row,
                    f"freight and tax go on the invoice's first row only (row {lead.row})",
                )
            )
    return problems

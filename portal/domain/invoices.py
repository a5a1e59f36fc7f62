"""Vendor invoice rules: numbers, amounts, payment terms, holds in words, the import layout.

Pure Python (no Flask, no SQLAlchemy): the services feed these functions plain values.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from portal.domain.errors import DomainError, NotAllowed
from portal.domain.money import money
from portal.domain.payment_terms import BadPaymentTerms, parse_terms
from portal.domain.statuses import InvoiceStatus, InvoiceType

ZERO = Decimal(0)

# Invoices whose quantities count as billed (the engine's "active" documents).
INACTIVE = (InvoiceStatus.cancelled, InvoiceStatus.rejected)
APPROVED_FOR_PAYMENT = (InvoiceStatus.matched, InvoiceStatus.released)

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
    if facts.ordered_qty is not None:
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
HEADER_FIELDS = ("po_number", "invoice_date", "type", "freight", "tax")
MAX_ROWS = 2000
_NUMBER = re.compile(r"^[0-9]+(?:\.[0-9]+)?$")


@dataclass
class CsvRow:
    """One line of an invoice as read from the file, with its problems in words."""

    row: int
    po_number: str = ""
    invoice_number: str = ""
    invoice_on: date | None = None
    type: InvoiceType = InvoiceType.invoice
    po_line: int | None = None
    qty: Decimal | None = None
    unit_price: Decimal | None = None
    freight: Decimal = ZERO
    tax: Decimal = ZERO
    problems: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        """Rows with the same PO and invoice number make one invoice."""
        return (self.po_number.strip().upper(), normalise_invoice_number(self.invoice_number))


def _amount(raw: str, name: str, row: CsvRow, *, places: int) -> Decimal | None:
    """A non-negative plain decimal with at most `places` decimals, or a problem on the row."""
    text = raw.strip().replace(",", ".") if raw.count(",") == 1 and "." not in raw else raw.strip()
    if not _NUMBER.match(text):
        row.problems.append(f"{name} must be a number like 12.50, not {raw.strip()!r}")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above only lets numbers through
        row.problems.append(f"{name} must be a number")
        return None
    if value.as_tuple().exponent < -places:
        row.problems.append(f"{name} has more than {places} decimals")
        return None
    return value


def _read_row(number: int, cells: dict[str, str]) -> CsvRow:
    """Check one row's cells on their own (the database checks come later)."""
    row = CsvRow(row=number)
    for name in REQUIRED:
        if not (cells.get(name) or "").strip():
            row.problems.append(f"{name} is empty")
    row.po_number = (cells.get("po_number") or "").strip()
    row.invoice_number = (cells.get("invoice_number") or "").strip()
    if len(row.invoice_number) > 40:
        row.problems.append("invoice_number is longer than 40 characters")
    raw_date = (cells.get("invoice_date") or "").strip()
    if raw_date:
        try:
            row.invoice_on = date.fromisoformat(raw_date)
        except ValueError:
            row.problems.append(f"invoice_date must be YYYY-MM-DD, not {raw_date!r}")
    raw_type = (cells.get("type") or "").strip().lower().replace(" ", "_") or "invoice"
    if raw_type in ("invoice", "credit_memo", "credit"):
        row.type = InvoiceType.credit_memo if raw_type != "invoice" else InvoiceType.invoice
    else:
        row.problems.append(f"type must be invoice or credit_memo, not {raw_type!r}")
    raw_line = (cells.get("po_line") or "").strip()
    if raw_line:
        if raw_line.isdigit() and int(raw_line) > 0:
            row.po_line = int(raw_line)
        else:
            row.problems.append(f"po_line must be a line number like 1, not {raw_line!r}")
    if (cells.get("qty") or "").strip():
        row.qty = _amount(cells["qty"], "qty", row, places=3)
        if row.qty is not None and row.qty == 0:
            row.problems.append("qty is 0: leave the line out instead")
    if (cells.get("unit_price") or "").strip():
        row.unit_price = _amount(cells["unit_price"], "unit_price", row, places=2)
    for name in ("freight", "tax"):
        if (cells.get(name) or "").strip():
            value = _amount(cells[name], name, row, places=2)
            setattr(row, name, value if value is not None else ZERO)
    return row


def read_invoice_csv(text: str) -> tuple[list[CsvRow], list[str]]:
    """Rows of an invoice CSV (header first) with per-row problems, and file-level problems."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return [], ["The file is empty."]
    sample = text[:2000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        return [], [f"The header row lacks {', '.join(missing)}. Start from the template."]
    reader.fieldnames = header
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any((value or "").strip() for value in cells.values() if isinstance(value, str)):
            continue
        if len(rows) >= MAX_ROWS:
            return rows, [f"At most {MAX_ROWS:,} rows per file; split it."]
        rows.append(_read_row(number, cells))
    if not rows:
        return [], ["The file has a header but no rows."]
    _check_headers_agree(rows)
    return rows, []


def _check_headers_agree(rows: list[CsvRow]) -> None:
    """Rows of one invoice must agree on its date, type, freight and tax."""
    first: dict[tuple[str, str], CsvRow] = {}
    for row in rows:
        lead = first.setdefault(row.key, row)
        if lead is row:
            continue
        for name in ("invoice_on", "type", "freight", "tax"):
            if getattr(row, name) != getattr(lead, name) and name not in ("freight", "tax"):
                row.problems.append(
                    f"{name.replace('invoice_on', 'invoice_date')} differs from row {lead.row} "
                    "of the same invoice"
                )
        if (row.freight or row.tax) and (row.freight, row.tax) != (lead.freight, lead.tax):
            row.problems.append(
                f"freight and tax go on the invoice's first row only (row {lead.row})"
            )

"""Booking invoices in the base currency, and the exchange-rate table an administrator keeps.

docs/money.md says where each amount lands. An invoice's lines are booked when it is entered:
each line's amount plus its share of freight and tax, converted by the rate valid on the invoice
date (`domain.costing.booked_amounts`); an invoice in a currency with no rate for its date is
refused, never added as it is. The budget ledger's triggers and the cost roll-ups read the
booked amounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain import costing as rules
from portal.domain.errors import DomainError
from portal.domain.permissions import Capability as C
from portal.domain.tabular import Parsed, RowProblem, TableSpec
from portal.models import ExchangeRate, User, VendorInvoice
from portal.services import audit, csv_import
from portal.services._uow import submitted_once, unit_of_work
from portal.services.authz import authorize

MAX_RATE = Decimal("1000000")


def rate_on(session: Session, currency: str, on: date) -> Decimal | None:
    """The rate of `currency` valid on `on` (the latest set on or before it); None if none is."""
    if currency == rules.BASE_CURRENCY:
        return Decimal(1)
    return session.scalar(
        select(ExchangeRate.rate)
        .where(ExchangeRate.currency == currency, ExchangeRate.valid_from <= on)
        .order_by(ExchangeRate.valid_from.desc())
        .limit(1)
    )


def book_invoice(session: Session, invoice: VendorInvoice) -> None:
    """Set each line's booked amount (docs/money.md); NoExchangeRate when its currency has no
    rate on the invoice date."""
    rate = rules.check_rate(
        invoice.currency,
        rate_on(session, invoice.currency, invoice.invoice_on),
        invoice.invoice_on.isoformat(),
    )
    lines = list(invoice.lines)
    booked = rules.booked_amounts(
        [(line.qty, line.unit_price) for line in lines],
        invoice.freight_amount or Decimal(0),
        invoice.tax_amount or Decimal(0),
        rate,
    )
    for line, amount in zip(lines, booked, strict=True):
        line.booked_amount = amount


# ---------------------------------------------------------------- the rate table


@dataclass(frozen=True)
class NewRate:
    """One rate as typed or imported."""

    currency: str
    valid_from: date
    rate: Decimal


def parse_rate(currency: str, valid_from: date | None, rate: str | Decimal | None) -> NewRate:
    """A rate checked for shape: a three-letter code other than the base, a day, 0 < rate."""
    code = (currency or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise DomainError("Use a three-letter currency code, like EUR.")
    if code == rules.BASE_CURRENCY:
        raise DomainError(f"{code} is the base currency: its rate is always 1.")
    if valid_from is None:
        raise DomainError("Give the day the rate is valid from.")
    try:
        value = Decimal(str(rate).strip()) if rate is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 < value < MAX_RATE:
        raise DomainError(f"Give the rate as a positive number: {rules.BASE_CURRENCY} per {code}.")
    return NewRate(code, valid_from, value.quantize(rules.RATE_PLACES))


def _write_rate(session: Session, row: NewRate, actor: User) -> ExchangeRate:
    """Add the rate, or change the one of the same currency and day; audited."""
    rate = session.scalar(
        select(ExchangeRate).where(
            ExchangeRate.currency == row.currency, ExchangeRate.valid_from == row.valid_from
        )
    )
    before = rate.rate if rate is not None else None
    if rate is None:
        rate = ExchangeRate(currency=row.currency, valid_from=row.valid_from)
        session.add(rate)
    rate.rate = row.rate
    rate.set_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="exchange_rate.set",
        subject=rate,
        subject_label=f"{row.currency} from {row.valid_from.isoformat()}",
        changes={"rate": [before, row.rate]},
    )
    return rate


@submitted_once("exchange_rate")
def set_exchange_rate(
    *,
    currency: str,
    valid_from: date | None,
    rate: str | Decimal | None,
    actor: User,
    submission_id: str | None = None,
) -> ExchangeRate:
    """Set the rate of a currency from a day on (replacing that day's rate if there is one).

    Invoices already booked keep the rate they were booked at."""
    authorize(actor, C.manage_policy)
    row = parse_rate(currency, valid_from, rate)
    with unit_of_work() as session:
        return _write_rate(session, row, actor)


# ---------------------------------------------------------------- CSV import

RATE_COLUMNS = TableSpec(
    columns=("currency", "valid_from", "rate"),
    required=("currency", "valid_from", "rate"),
)


def _parse_csv_row(raw: dict[str, str]) -> NewRate:
    try:
        day = date.fromisoformat((raw.get("valid_from") or "").strip())
    except ValueError as err:
        raise DomainError("valid_from is not a date like 2026-01-31.") from err
    return parse_rate(raw.get("currency", ""), day, raw.get("rate"))


def _check_rows(session: Session, rows: list[Parsed[NewRate]]) -> list[RowProblem]:
    seen: dict[tuple[str, date], int] = {}
    problems = []
    for parsed in rows:
        key = (parsed.value.currency, parsed.value.valid_from)
        if key in seen:
            problems.append(
                RowProblem(parsed.row, f"Row {seen[key]} already sets {key[0]} on that day.")
            )
        seen.setdefault(key, parsed.row)
    return problems


def _write_rows(session: Session, rows: list[Parsed[NewRate]], actor: User) -> list[ExchangeRate]:
    authorize(actor, C.manage_policy)
    return [_write_rate(session, parsed.value, actor) for parsed in rows]


RATE_IMPORTER = csv_import.Importer(
    kind="exchange_rates",
    spec=RATE_COLUMNS,
    parse_row=_parse_csv_row,
    check=_check_rows,
    write=_write_rows,
    example=(("EUR", "2026-01-01", "1.08500000"), ("GBP", "2026-01-01", "1.27000000")),
)

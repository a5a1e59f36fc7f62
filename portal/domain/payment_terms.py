"""Payment terms in words ("Net 30", "2/10 Net 30", "Due on receipt") and the dates they set.

`2/10 Net 30` means 2% off when paid within 10 days of the invoice date, the whole amount due
30 days after it. Both days are counted from the invoice date and are the last day that counts:
an invoice of 1 March on 2/10 Net 30 may take the discount when paid on 11 March and is due on
31 March. Discounts are rounded to the cent, half-up, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from portal.domain.errors import DomainError
from portal.domain.money import money

MAX_DAYS = 365
ZERO = Decimal("0")
EXAMPLES = '"Net 30", "2/10 Net 30" or "Due on receipt"'

_TERMS = re.compile(
    r"""^\s*
    (?:(?P<percent>\d{1,2}(?:\.\d{1,3})?)\s*%?\s*/\s*(?P<discount_days>\d{1,3})\s*,?\s*)?
    net\s*(?P<net_days>\d{1,3})
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_ON_RECEIPT = re.compile(r"^\s*(due\s+(on|upon)\s+receipt|net\s*0)\s*$", re.IGNORECASE)


class BadPaymentTerms(DomainError):
    """Payment terms that cannot be read, or that contradict themselves."""


@dataclass(frozen=True)
class PaymentTerms:
    """Net days, and an optional early-payment discount (percent within discount days)."""

    net_days: int
    discount_percent: Decimal = ZERO
    discount_days: int = 0

    @property
    def has_discount(self) -> bool:
        """True when paying early earns a discount."""
        return self.discount_percent > 0

    @property
    def text(self) -> str:
        """The terms written the standard way: 'Net 30', '2/10 Net 30', 'Due on receipt'."""
        if self.net_days == 0 and not self.has_discount:
            return "Due on receipt"
        net = f"Net {self.net_days}"
        if not self.has_discount:
            return net
        return f"{self.discount_percent.normalize():f}/{self.discount_days} {net}"

    @property
    def in_words(self) -> str:
        """What the terms mean, for a page: '2% off if paid within 10 days; due in 30 days'."""
        due = "due on receipt" if self.net_days == 0 else f"due in {self.net_days} days"
        if not self.has_discount:
            return due[0].upper() + due[1:]
        days = "1 day" if self.discount_days == 1 else f"{self.discount_days} days"
        return f"{self.discount_percent.normalize():f}% off if paid within {days}; {due}"

    def due_on(self, invoice_on: date) -> date:
        """The day the whole amount is due."""
        return invoice_on + timedelta(days=self.net_days)

    def discount_until(self, invoice_on: date) -> date | None:
        """The last day a payment still earns the discount; None without a discount."""
        if not self.has_discount:
            return None
        return invoice_on + timedelta(days=self.discount_days)

    def discount_amount(self, amount: Decimal) -> Decimal:
        """The early-payment discount on `amount`, to the cent (half-up); 0.00 without one."""
        if isinstance(amount, float):
            raise TypeError("amount must not be a float; pass a str or Decimal")
        return money(Decimal(amount) * self.discount_percent / 100)

    def discount_applies(self, invoice_on: date, paid_on: date) -> bool:
        """True when a payment made on `paid_on` may take the discount."""
        until = self.discount_until(invoice_on)
        return until is not None and paid_on <= until

    def __str__(self) -> str:
        return self.text


def parse_terms(text: str | None) -> PaymentTerms:
    """Read payment terms like 'Net 30', '2/10 Net 30', '1.5/15 Net 60' or 'Due on receipt'."""
    raw = (text or "").strip()
    if not raw:
        raise BadPaymentTerms(f"Enter the payment terms, like {EXAMPLES}.")
    if _ON_RECEIPT.match(raw):
        return PaymentTerms(net_days=0)
    found = _TERMS.match(raw)
    if found is None:
        raise BadPaymentTerms(f'"{raw}" is not payment terms we can read: write {EXAMPLES}.')
    net_days = int(found["net_days"])
    if net_days > MAX_DAYS:
        raise BadPaymentTerms(f"Net days must be at most {MAX_DAYS}; {raw!r} says {net_days}.")
    if found["percent"] is None:
        return PaymentTerms(net_days=net_days)
    try:
        percent = Decimal(found["percent"])
    except InvalidOperation:  # the pattern already allows only digits; kept for safety
        raise BadPaymentTerms(f'"{raw}" has a discount we cannot read.') from None
    discount_days = int(found["discount_days"])
    if percent <= 0:
        raise BadPaymentTerms(f'"{raw}": the early-payment discount must be more than 0%.')
    if discount_days < 1:
        raise BadPaymentTerms(f'"{raw}": the discount must last at least 1 day.')
    if discount_days > net_days:
        raise BadPaymentTerms(
            f'"{raw}": the discount days ({discount_days}) cannot be more than the net days '
            f"({net_days})."
        )
    return PaymentTerms(net_days=net_days, discount_percent=percent, discount_days=discount_days)

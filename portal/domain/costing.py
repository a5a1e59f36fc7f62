"""Where an invoice's money lands: each line's share of the whole bill, in the base currency.

docs/money.md is the rule book; these are its pure parts. An invoice line is booked (put on its
work order and its cost centre) at its own amount plus its share of the invoice's freight and tax,
shared out pro rata to the lines' amounts, and converted by the exchange rate valid on the invoice
date. The shares are rounded by largest remainder, so the booked lines always add up exactly to
the invoice's gross amount in the base currency: nothing is lost or made up by rounding.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

from portal.domain.errors import DomainError
from portal.domain.money import CENT, line_total, money

# The currency every work order, asset and budget figure is kept in.
BASE_CURRENCY = "USD"
RATE_PLACES = Decimal("0.00000001")


class NoExchangeRate(DomainError):
    """An amount in another currency with no rate on file for its date: refused, never added."""


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Share `total` (to the cent) out over `weights` pro rata; the parts add up to `total`.

    Largest remainder: every part gets the cents of its exact quota rounded down, then the cents
    still missing go one each to the parts with the largest remainders (the earlier part first on
    a tie). A negative total is shared like its size and given back negative. When no weight is
    above zero, the parts are equal.
    """
    total = money(total)
    if not weights:
        if total != 0:
            raise ValueError("Cannot share an amount over no lines.")
        return []
    if total < 0:
        return [-part for part in allocate(-total, weights)]
    sized = [max(Decimal(w), Decimal(0)) for w in weights]
    whole = sum(sized, Decimal(0))
    if whole == 0:
        sized = [Decimal(1)] * len(weights)
        whole = Decimal(len(weights))
    cents = int(total / CENT)
    quotas = [Decimal(cents) * w / whole for w in sized]
    floors = [int(q.to_integral_value(rounding=ROUND_FLOOR)) for q in quotas]
    missing = cents - sum(floors)
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - floors[i]), i))
    for i in order[:missing]:
        floors[i] += 1
    return [money(Decimal(part) * CENT) for part in floors]


def convert(amount: Decimal, rate: Decimal) -> Decimal:
    """An amount in a document's currency in the base currency (rate: base units per unit)."""
    return money(amount * rate)


def booked_amounts(
    lines: Sequence[tuple[Decimal, Decimal]],
    freight: Decimal,
    tax: Decimal,
    rate: Decimal = Decimal(1),
) -> list[Decimal]:
    """What each invoice line (qty, unit price) puts on its work order and cost centre.

    The gross (lines + freight + tax) converted once, then shared out pro rata to the lines'
    own amounts: each line carries its amount, its share of freight and of tax, in the base
    currency; the booked lines add up exactly to the converted gross. Unsigned: a credit memo's
    lines are booked negative where they are summed.
    """
    amounts = [line_total(qty, price) for qty, price in lines]
    gross = money(sum(amounts, Decimal(0)) + money(freight) + money(tax))
    return allocate(convert(gross, rate), amounts)


def check_rate(currency: str, rate: Decimal | None, on: str) -> Decimal:
    """The rate to use for `currency`, 1 for the base currency; NoExchangeRate when none is set."""
    if currency == BASE_CURRENCY:
        return Decimal(1)
    if rate is None:
        raise NoExchangeRate(
            f"There is no exchange rate for {currency} to {BASE_CURRENCY} on {on}: "
            f"an administrator adds one under Admin, Exchange rates, then enter it again."
        )
    return rate

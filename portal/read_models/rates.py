"""The exchange-rate table as the admin page shows it: newest first per currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.models import ExchangeRate, User
from portal.services._uow import current_session

SHOWN = 200


@dataclass(frozen=True)
class RateRow:
    """One rate on the page."""

    currency: str
    valid_from: date
    rate: Decimal
    set_by: str | None


def rate_table() -> list[RateRow]:
    """The latest SHOWN rates, by currency then newest first."""
    rows = current_session().execute(
        select(ExchangeRate.currency, ExchangeRate.valid_from, ExchangeRate.rate, User.full_name)
        .outerjoin(User, User.id == ExchangeRate.set_by_id)
        .order_by(ExchangeRate.currency, ExchangeRate.valid_from.desc())
        .limit(SHOWN)
    )
    return [RateRow(*row) for row in rows]

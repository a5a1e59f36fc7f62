"""Exchange rates: data an administrator keeps, read by date when an amount is booked."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, UTCDateTime, utcnow


class ExchangeRate(IdMixin, Base):
    """How many units of the base currency one unit of `currency` is worth, from `valid_from`
    until the next rate of the same currency (docs/money.md)."""

    __tablename__ = "exchange_rate"
    __table_args__ = (UniqueConstraint("currency", "valid_from"),)

    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Rate-limit counters kept in the database, for deployments without Redis."""

from __future__ import annotations

from sqlalchemy import Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base


class RateLimitCounter(Base):
    """One counter of the rate limiter (portal/rate_limit_storage.py): every worker sees it.

    `expires_at` is seconds since the epoch, as the `limits` library counts its windows.
    """

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)

"""Form submissions already handled: the one record behind "a double tap gets the first result"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, UTCDateTime, utcnow


class Submission(Base):
    """One posted form, by its submission id (a fresh uuid4 in each rendered form).

    The row is inserted first thing in the transaction that does the work and commits with it:
    a second post of the same form waits for the first, then finds the row and returns the
    first post's result (`result`: what it made, as table name and id) instead of doing the
    work again. If the first post failed, it rolled back, and the row with it.
    """

    __tablename__ = "submission"

    submission_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    result: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

"""Mail waiting to be delivered: written in the transaction of the change that causes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.models.base import Base, IdMixin, UTCDateTime, utcnow


class OutboxMail(IdMixin, Base):
    """One plain-text e-mail to one recipient, and how delivering it has gone.

    A use case adds the row in its own unit of work (services/mailer.queue_mail), so a change
    that rolls back mails nobody and a change that commits cannot lose its mail. The worker
    (`flask portal worker`, services/outbox.py) delivers rows whose `next_attempt_at` has come,
    retrying with exponential back-off and keeping the number of attempts and the last error.
    `status`: pending, sent, skipped (no mail server configured) or failed (given up).
    """

    __tablename__ = "outbox_mail"
    __table_args__ = (Index("ix_outbox_mail_status_next_attempt_at", "status", "next_attempt_at"),)

    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

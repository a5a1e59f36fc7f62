"""The audit trail: append-only, hash-chained events; and document counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.models.base import Base, IdMixin, UTCDateTime, utcnow


class AuditEvent(IdMixin, Base):
    """Who did what to which object, when and why; each event hashes the one before it."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_subject", "subject_type", "subject_id"),)

    # Position in the trail (1, 2, 3...), drawn from the AUDIT counter: a gap shows a removed
    # event, a number past the counter an event written around the portal.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_label: Mapped[str | None] = mapped_column(String(80))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    why: Mapped[str | None] = mapped_column(String(1000))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit event through the ORM."""


def _refuse(*_args) -> None:
    raise AuditTrailIsAppendOnly("audit events are append-only: they are never changed or deleted")


event.listen(AuditEvent, "before_update", _refuse)
event.listen(AuditEvent, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state) -> None:
    """session.execute(update(AuditEvent)...) / delete(AuditEvent) is refused as well."""
    if (state.is_update or state.is_delete) and state.bind_mapper is AuditEvent.__mapper__:
        _refuse()


class DocumentCounter(Base):
    """The last number handed out for one sequence (and year); locked while it is drawn."""

    __tablename__ = "document_counter"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)

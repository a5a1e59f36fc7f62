"""Equipment and places that get maintained, with their QR tags."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import Criticality
from portal.models.base import Base, IdMixin, StrEnumType, UTCDateTime, utcnow
from portal.models.sites import Location


class Asset(IdMixin, Base):
    """A pump, a boiler, flat 4B's kitchen: has a tag, a location, a QR token."""

    __tablename__ = "asset"

    tag: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    criticality: Mapped[Criticality] = mapped_column(
        StrEnumType(Criticality), default=Criticality.medium
    )
    # Opaque and random: the QR code reveals nothing; rotated when a label is lost.
    qr_token: Mapped[str] = mapped_column(String(64), unique=True)
    qr_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Short, unambiguous code a person can type when the camera cannot read the label.
    short_code: Mapped[str] = mapped_column(String(12), unique=True)
    manufacturer: Mapped[str | None] = mapped_column(String(80))
    model: Mapped[str | None] = mapped_column(String(80))
    serial_number: Mapped[str | None] = mapped_column(String(80))
    installed_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    location: Mapped[Location] = relationship()

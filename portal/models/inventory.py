"""Items, storerooms, stock on hand, reservations and stock movements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import ItemKind, MovementKind, ReservationStatus
from portal.models.base import (
    ZERO,
    Base,
    IdMixin,
    Money,
    Quantity,
    StrEnumType,
    UTCDateTime,
    utcnow,
)
from portal.models.sites import Site


class Item(IdMixin, Base):
    """Something that can be stocked or bought: parts, non-stock items and services."""

    __tablename__ = "item"

    part_number: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200))
    uom: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(60), index=True)
    kind: Mapped[ItemKind] = mapped_column(StrEnumType(ItemKind), default=ItemKind.stock)
    standard_cost: Mapped[Decimal | None] = mapped_column(Money)
    reorder_qty: Mapped[Decimal | None] = mapped_column(Quantity)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UomConversion(IdMixin, Base):
    """1 `from_uom` = `factor` `to_uom`, for one item or (item empty) for all."""

    __tablename__ = "uom_conversion"
    __table_args__ = (CheckConstraint("factor > 0", name="factor_positive"),)

    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    from_uom: Mapped[str] = mapped_column(String(12))
    to_uom: Mapped[str] = mapped_column(String(12))
    factor: Mapped[Decimal] = mapped_column(Quantity)


class Storeroom(IdMixin, Base):
    """A place where stock is kept."""

    __tablename__ = "storeroom"

    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    site: Mapped[Site] = relationship()


class StockLevel(IdMixin, Base):
    """On hand and reserved quantity of one item in one storeroom; never negative."""

    __tablename__ = "stock_level"
    __table_args__ = (
        UniqueConstraint("item_id", "storeroom_id"),
        CheckConstraint("on_hand_qty >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved_qty >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved_qty <= on_hand_qty", name="reserved_within_on_hand"),
    )

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    storeroom_id: Mapped[int] = mapped_column(ForeignKey("storeroom.id"), index=True)
    bin: Mapped[str | None] = mapped_column(String(20))
    on_hand_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reserved_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=ZERO)

    item: Mapped[Item] = relationship()
    storeroom: Mapped[Storeroom] = relationship()

    @property
    def available_qty(self) -> Decimal:
        """What can still be reserved: on hand less reserved."""
        return self.on_hand_qty - self.reserved_qty


class Reservation(IdMixin, Base):
    """Stock set aside for a part line of a work order."""

    __tablename__ = "reservation"

    part_line_id: Mapped[int] = mapped_column(ForeignKey("part_line.id"), index=True)
    stock_level_id: Mapped[int] = mapped_column(ForeignKey("stock_level.id"), index=True)
    qty: Mapped[Decimal] = mapped_column(Quantity)
    status: Mapped[ReservationStatus] = mapped_column(
        StrEnumType(ReservationStatus), default=ReservationStatus.active
    )
    reserved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockMovement(IdMixin, Base):
    """A change of on-hand stock, with its cost and what caused it."""

    __tablename__ = "stock_movement"

    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    storeroom_id: Mapped[int] = mapped_column(ForeignKey("storeroom.id"), index=True)
    kind: Mapped[MovementKind] = mapped_column(StrEnumType(MovementKind))
    qty: Mapped[Decimal] = mapped_column(Quantity)  # signed: receipts +, issues -
    unit_cost: Mapped[Decimal] = mapped_column(Money)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    part_line_id: Mapped[int | None] = mapped_column(ForeignKey("part_line.id"), index=True)
    goods_receipt_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("goods_receipt_line.id"), index=True
    )
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

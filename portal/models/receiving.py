"""Goods receipts: what arrived, per PO line, accepted and rejected."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.models.base import ZERO, Base, IdMixin, Quantity, UTCDateTime, utcnow


class GoodsReceipt(IdMixin, Base):
    """One delivery received against a PO, by whom and when."""

    __tablename__ = "goods_receipt"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    received_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    packing_slip_ref: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(1000))

    lines: Mapped[list[GoodsReceiptLine]] = relationship(back_populates="goods_receipt")


class GoodsReceiptLine(IdMixin, Base):
    """Quantity accepted and rejected (with the reason) for one PO line."""

    __tablename__ = "goods_receipt_line"

    goods_receipt_id: Mapped[int] = mapped_column(ForeignKey("goods_receipt.id"), index=True)
    purchase_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order_line.id"), index=True
    )
    # As the match engine reads it: received = accepted + rejected; a return after acceptance is
    # a row with accepted 0 and rejected = the returned quantity.
    accepted_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    rejected_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    reject_reason: Mapped[str | None] = mapped_column(String(200))
    storeroom_id: Mapped[int | None] = mapped_column(ForeignKey("storeroom.id"))

    goods_receipt: Mapped[GoodsReceipt] = relationship(back_populates="lines")

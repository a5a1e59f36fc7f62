"""Vendors, the categories they are preferred for, contracts and price agreements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import VendorStatus
from portal.models.base import Base, IdMixin, Money, StrEnumType

if TYPE_CHECKING:
    from portal.models.inventory import Item


class Vendor(IdMixin, Base):
    """A supplier or outside contractor; blocked vendors cannot be used."""

    __tablename__ = "vendor"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[VendorStatus] = mapped_column(
        StrEnumType(VendorStatus), default=VendorStatus.active
    )
    blocked_reason: Mapped[str | None] = mapped_column(String(300))
    payment_terms: Mapped[str] = mapped_column(String(32), default="Net 30")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    is_contractor: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))

    preferred_for: Mapped[list[PreferredVendor]] = relationship(
        back_populates="vendor", cascade="all, delete-orphan"
    )


class PreferredVendor(IdMixin, Base):
    """This vendor is the preferred source for an item category."""

    __tablename__ = "preferred_vendor"
    __table_args__ = (UniqueConstraint("vendor_id", "category"),)

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    category: Mapped[str] = mapped_column(String(60), index=True)
    vendor: Mapped[Vendor] = relationship(back_populates="preferred_for")


class Contract(IdMixin, Base):
    """A price agreement or service contract with a vendor, valid between dates."""

    __tablename__ = "contract"

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    ceiling_amount: Mapped[Decimal | None] = mapped_column(Money)

    vendor: Mapped[Vendor] = relationship()
    prices: Mapped[list[ContractPrice]] = relationship(
        back_populates="contract", cascade="all, delete-orphan"
    )


class ContractPrice(IdMixin, Base):
    """The agreed unit price for an item, or for every item of a category."""

    __tablename__ = "contract_price"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contract.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(60))
    uom: Mapped[str] = mapped_column(String(12))
    unit_price: Mapped[Decimal] = mapped_column(Money)

    contract: Mapped[Contract] = relationship(back_populates="prices")
    item: Mapped[Item | None] = relationship()

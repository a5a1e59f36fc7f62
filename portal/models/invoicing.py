"""Vendor invoices and credit memos, match results, holds and payment exports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import (
    HoldStatus,
    InvoiceStatus,
    InvoiceType,
    MatchStatus,
    OutOfPocketStatus,
)
from portal.models.accounts import User
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
from portal.models.purchasing import PurchaseOrder
from portal.models.vendors import Vendor

if TYPE_CHECKING:
    from portal.models.work import WorkOrder


class VendorInvoice(IdMixin, Base):
    """The vendor's bill (or credit memo) against a PO."""

    __tablename__ = "vendor_invoice"
    # Not unique: a cancelled invoice's number may be entered again (match-spec choice 11).
    __table_args__ = (
        Index("ix_vendor_invoice_vendor_number", "vendor_id", "normalised_number"),
        # The possible-duplicate check looks up the same vendor and date for every invoice matched.
        Index("ix_vendor_invoice_vendor_date", "vendor_id", "invoice_on"),
        # Reports read invoices of a few statuses by date (spend, exceptions, maverick): status
        # first, so `status IN (...) AND invoice_on BETWEEN` is one index range per status; the
        # other columns they read ride along, so the reports never visit the invoice rows.
        Index(
            "ix_vendor_invoice_status_invoice_on_cover",
            "status",
            "invoice_on",
            "type",
            "vendor_id",
            "purchase_order_id",
        ),
    )

    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    purchase_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order.id"), index=True
    )
    number: Mapped[str] = mapped_column(String(40))
    normalised_number: Mapped[str] = mapped_column(String(40))
    type: Mapped[InvoiceType] = mapped_column(StrEnumType(InvoiceType), default=InvoiceType.invoice)
    invoice_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total_amount: Mapped[Decimal | None] = mapped_column(Money)
    freight_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO)
    status: Mapped[InvoiceStatus] = mapped_column(
        StrEnumType(InvoiceStatus), default=InvoiceStatus.entered, index=True
    )
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payment_export_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_export.id"), index=True
    )
    # What the vendor asks for in all (lines + freight + tax), kept so queues filter on it in SQL.
    gross_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO, index=True)

    lines: Mapped[list[VendorInvoiceLine]] = relationship(
        back_populates="invoice", order_by="VendorInvoiceLine.position"
    )
    holds: Mapped[list[Hold]] = relationship(order_by="Hold.id", viewonly=True)
    vendor: Mapped[Vendor] = relationship()
    purchase_order: Mapped[PurchaseOrder | None] = relationship()
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id])


class VendorInvoiceLine(IdMixin, Base):
    """A billed line, referring to a PO line."""

    __tablename__ = "vendor_invoice_line"
    __table_args__ = (
        # An invoice's lines with what the reports sum (amount, PO line): read from the index
        # alone, without visiting a row per line.
        Index(
            "ix_vendor_invoice_line_invoice_cover",
            "invoice_id",
            "purchase_order_line_id",
            "qty",
            "unit_price",
        ),
    )

    invoice_id: Mapped[int] = mapped_column(ForeignKey("vendor_invoice.id"))
    position: Mapped[int] = mapped_column(Integer)
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_line.id"), index=True
    )
    line_ref: Mapped[str] = mapped_column(String(20))  # the PO line as the vendor quoted it
    qty: Mapped[Decimal] = mapped_column(Quantity)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    uom: Mapped[str | None] = mapped_column(String(12))
    # What the line puts on its work order and cost centre (docs/money.md): its amount plus its
    # share of the invoice's freight and tax, in the base currency, unsigned (a credit memo's
    # lines count negative where summed). Set when the invoice is entered (services.costing).
    booked_amount: Mapped[Decimal | None] = mapped_column(Money)

    invoice: Mapped[VendorInvoice] = relationship(back_populates="lines")


class MatchResult(IdMixin, Base):
    """One run of the match engine on an invoice: its input digest and whole result."""

    __tablename__ = "match_result"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("vendor_invoice.id"), index=True)
    status: Mapped[MatchStatus] = mapped_column(StrEnumType(MatchStatus))
    result: Mapped[dict] = mapped_column(JSON)
    input_digest: Mapped[str] = mapped_column(String(64))
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Hold(IdMixin, Base):
    """A reason an invoice (line) may not be paid, until released or cleared by a re-match."""

    __tablename__ = "hold"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("vendor_invoice.id"), index=True)
    invoice_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("vendor_invoice_line.id"), index=True
    )
    match_result_id: Mapped[int] = mapped_column(ForeignKey("match_result.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[HoldStatus] = mapped_column(
        StrEnumType(HoldStatus), default=HoldStatus.open, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    release_reason: Mapped[str | None] = mapped_column(String(1000))

    match_result: Mapped[MatchResult] = relationship()
    released_by: Mapped[User | None] = relationship(foreign_keys=[released_by_id])


class PaymentExport(IdMixin, Base):
    """A CSV handed to the payment run; invoices in it are never exported again."""

    __tablename__ = "payment_export"

    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invoice_count: Mapped[int] = mapped_column(Integer)
    total_amount: Mapped[Decimal] = mapped_column(Money)
    filename: Mapped[str] = mapped_column(String(80))
    # The file exactly as first handed over: downloading it again gives the same bytes.
    content: Mapped[str] = mapped_column(Text, default="")


class Task(IdMixin, Base):
    """Something a buyer or receiver is asked to do so an invoice on hold can move on."""

    __tablename__ = "task"

    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("vendor_invoice.id"), index=True)
    assignee_role: Mapped[str | None] = mapped_column(String(24), index=True)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    text: Mapped[str] = mapped_column(String(1000))
    done: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invoice: Mapped[VendorInvoice | None] = relationship()


class OutOfPocketPurchase(IdMixin, Base):
    """A technician paid with their own money; reviewed, then reimbursed or refused."""

    __tablename__ = "out_of_pocket_purchase"

    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    amount: Mapped[Decimal] = mapped_column(Money)
    qty: Mapped[Decimal | None] = mapped_column(Quantity)
    bought_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[OutOfPocketStatus] = mapped_column(
        StrEnumType(OutOfPocketStatus), default=OutOfPocketStatus.submitted, index=True
    )
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    review_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where it was bought (a shop's name as typed), why it could not wait for a PO, the receipt.
    shop_name: Mapped[str | None] = mapped_column(String(120))
    why: Mapped[str | None] = mapped_column(String(1000))
    receipt_attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachment.id"), index=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What kind of spend it was (an item, or a spend category), what the purchasing policy said
    # about it ([{"code": "po_required", "rule": ..., "text": ...}]), and who approved it so far
    # (user ids, in order: the approval matrix may ask for more than one).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    category: Mapped[str | None] = mapped_column(String(60))
    policy_warnings: Mapped[list | None] = mapped_column(JSON)
    approved_by: Mapped[list | None] = mapped_column(JSON)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    work_order: Mapped[WorkOrder] = relationship()

"""Purchase requests, their approvals, purchase orders and revisions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.statuses import (
    ApprovalDecision,
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.models.accounts import User
from portal.models.base import (
    ZERO,
    Base,
    IdMixin,
    Money,
    Percent,
    Quantity,
    StrEnumType,
    TimestampMixin,
    UTCDateTime,
    utcnow,
)
from portal.models.vendors import Vendor


def _warned_sql(*codes: str) -> str:
    """SQL true when a line's stored warnings (JSON text) name any of these codes.

    The text match the maverick trend used to make on every request (`"off_contract"` anywhere
    in the text): LIKE, so it runs alike on SQLite and PostgreSQL (whose json type keeps the
    text as written)."""
    named = " OR ".join(f"CAST(policy_warnings AS TEXT) LIKE '%\"{code}\"%'" for code in codes)
    return f"CASE WHEN {named} THEN true ELSE false END"


class PurchaseRequest(IdMixin, TimestampMixin, Base):
    """An internal ask to buy, tied to a work order and a cost centre; needs approval."""

    __tablename__ = "purchase_request"
    __table_args__ = (
        # Reports read PRs by submission or decision time and also need the status and the other
        # time: kept in the index, so they never visit the PR rows.
        Index("ix_purchase_request_submitted_status", "submitted_at", "status"),
        Index("ix_purchase_request_decided_cover", "decided_at", "submitted_at", "status"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    cost_centre_id: Mapped[int] = mapped_column(ForeignKey("cost_centre.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[PurchaseRequestStatus] = mapped_column(
        StrEnumType(PurchaseRequestStatus), default=PurchaseRequestStatus.submitted, index=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    needed_by_on: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a line was raised: the purchasing policy says this need must go through a PO.
    po_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    lines: Mapped[list[PurchaseRequestLine]] = relationship(
        back_populates="purchase_request", order_by="PurchaseRequestLine.id"
    )
    approvals: Mapped[list[Approval]] = relationship(order_by="Approval.id")


class PurchaseRequestLine(IdMixin, Base):
    """One thing to buy: item, quantity, suggested vendor and price."""

    __tablename__ = "purchase_request_line"
    __table_args__ = (
        # A PR's lines, and its flagged lines apart: the maverick trend looks up only those for
        # each PR of the period (the flag is a second equality, so SQLite too takes this index).
        Index(
            "ix_purchase_request_line_request_flagged", "purchase_request_id", "sourcing_flagged"
        ),
    )

    purchase_request_id: Mapped[int] = mapped_column(ForeignKey("purchase_request.id"))
    part_line_id: Mapped[int | None] = mapped_column(ForeignKey("part_line.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LineKind] = mapped_column(StrEnumType(LineKind), default=LineKind.goods)
    qty: Mapped[Decimal] = mapped_column(Quantity)
    uom: Mapped[str] = mapped_column(String(12))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    suggested_vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendor.id"), index=True)
    contract_price_id: Mapped[int | None] = mapped_column(ForeignKey("contract_price.id"))
    policy_warnings: Mapped[list | None] = mapped_column(JSON)
    # Derived by the database from policy_warnings (generated columns), so they can never
    # disagree with it whoever writes the line: the maverick trend counts these lines without
    # reading and text-matching every line's warnings. sourcing_flagged is either of the two.
    # Stored here and on PostgreSQL; the migration adds them VIRTUAL on SQLite (worked out when
    # read), which needs no table rebuild: a rebuild would drop the triggers on this table.
    off_contract: Mapped[bool] = mapped_column(
        Boolean, Computed(_warned_sql("off_contract"), persisted=True)
    )
    non_preferred: Mapped[bool] = mapped_column(
        Boolean, Computed(_warned_sql("non_preferred"), persisted=True)
    )
    sourcing_flagged: Mapped[bool] = mapped_column(
        Boolean, Computed(_warned_sql("off_contract", "non_preferred"), persisted=True)
    )

    purchase_request: Mapped[PurchaseRequest] = relationship(back_populates="lines")
    suggested_vendor: Mapped[Vendor | None] = relationship()


class Approval(IdMixin, Base):
    """One approver's decision on a purchase request, with the reason."""

    __tablename__ = "approval"
    __table_args__ = (UniqueConstraint("purchase_request_id", "approver_id"),)

    purchase_request_id: Mapped[int] = mapped_column(ForeignKey("purchase_request.id"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decision: Mapped[ApprovalDecision] = mapped_column(StrEnumType(ApprovalDecision))
    reason: Mapped[str | None] = mapped_column(String(1000))
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approver: Mapped[User] = relationship()


class PurchaseOrder(IdMixin, TimestampMixin, Base):
    """The formal order to a vendor: PO-2026-000123."""

    __tablename__ = "purchase_order"

    number: Mapped[str] = mapped_column(String(20), unique=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendor.id"), index=True)
    status: Mapped[PurchaseOrderStatus] = mapped_column(
        StrEnumType(PurchaseOrderStatus), default=PurchaseOrderStatus.draft, index=True
    )
    revision: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    payment_terms: Mapped[str] = mapped_column(String(32))
    ship_to: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recurring services: how often the work happens and how it is billed.
    service_frequency: Mapped[str | None] = mapped_column(String(40))
    billing_schedule: Mapped[str | None] = mapped_column(String(40))
    # Spend approval (services/po_approval.py): the contract whose ceiling the PO consumes, the
    # last person who changed its amounts (they may not approve them), and the approval round:
    # it moves on whenever amounts change, so approvals of the old amounts stop counting.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contract.id"), index=True)
    amended_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approval_round: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    vendor: Mapped[Vendor] = relationship()
    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", order_by="PurchaseOrderLine.line_no"
    )


class PurchaseOrderLine(IdMixin, Base):
    """One line of a PO, keeping its WO, cost centre and PR line."""

    __tablename__ = "purchase_order_line"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "line_no"),
        # The dock's "expected today" board reads only lines still to come (services/receiving.py).
        Index(
            "ix_purchase_order_line_open_expected_on",
            "expected_on",
            sqlite_where=text("received_qty < qty"),
            postgresql_where=text("received_qty < qty"),
        ),
    )

    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    kind: Mapped[LineKind] = mapped_column(StrEnumType(LineKind), default=LineKind.goods)
    qty: Mapped[Decimal] = mapped_column(Quantity)
    uom: Mapped[str] = mapped_column(String(12))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_percent: Mapped[Decimal] = mapped_column(Percent, default=ZERO)
    expected_on: Mapped[date | None] = mapped_column(Date)
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centre.id"), index=True)
    purchase_request_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_request_line.id"), index=True
    )
    storeroom_id: Mapped[int | None] = mapped_column(ForeignKey("storeroom.id"))
    received_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    rejected_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    backorder_qty: Mapped[Decimal] = mapped_column(Quantity, default=ZERO)
    # Sourcing warnings in words as they stood at approval / issue: [{"code": ..., "text": ...}].
    warnings: Mapped[list | None] = mapped_column(JSON)
    # What the request line(s) behind it approved (None: no request, a direct buy or added line)
    # and the amount last approved through the matrix on the PO itself (None: never).
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    authorised_amount: Mapped[Decimal | None] = mapped_column(Money)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class PurchaseOrderRevision(IdMixin, Base):
    """A numbered change to a PO after it was issued, with the lines as they were."""

    __tablename__ = "purchase_order_revision"
    __table_args__ = (UniqueConstraint("purchase_order_id", "revision"),)

    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str] = mapped_column(String(1000))
    snapshot: Mapped[dict] = mapped_column(JSON)
    # "applied", or "pending" while a revision above what was approved waits for the matrix;
    # `proposed` keeps the changes asked for until then (RevisionChanges as JSON).
    status: Mapped[str] = mapped_column(
        String(12), default="applied", server_default=text("'applied'")
    )
    proposed: Mapped[dict | None] = mapped_column(JSON)


class PurchaseOrderApproval(IdMixin, Base):
    """One approver's approval of a PO's amounts (an approval round), with who, when and why."""

    __tablename__ = "purchase_order_approval"
    __table_args__ = (UniqueConstraint("purchase_order_id", "round", "approver_id"),)

    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int | None] = mapped_column(Integer)  # the pending revision approved, if any
    approver_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    decision: Mapped[ApprovalDecision] = mapped_column(StrEnumType(ApprovalDecision))
    reason: Mapped[str | None] = mapped_column(String(1000))
    why_needed: Mapped[str] = mapped_column(String(1000))
    total: Mapped[Decimal] = mapped_column(Money)
    over_budget: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approver: Mapped[User] = relationship()


class PurchaseOrderLineFlag(IdMixin, Base):
    """A PO line whose work order was cancelled: the buyer cancels the line or diverts it to
    stock, with a reason (services/po_line_changes.py)."""

    __tablename__ = "purchase_order_line_flag"

    purchase_order_line_id: Mapped[int] = mapped_column(
        ForeignKey("purchase_order_line.id"), index=True
    )
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    reason: Mapped[str] = mapped_column(String(1000))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # None while open; then "cancelled" or "diverted", by whom, when and why.
    resolution: Mapped[str | None] = mapped_column(String(20), index=True)
    resolution_reason: Mapped[str | None] = mapped_column(String(1000))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

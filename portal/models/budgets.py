"""Cost centres, their budgets per period, and the approval matrix."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.roles import Role
from portal.models.base import Base, IdMixin, Money, Percent, StrEnumType, UTCDateTime, utcnow
from portal.models.sites import Site


class CostCentre(IdMixin, Base):
    """The budget owner that pays for work and purchases."""

    __tablename__ = "cost_centre"

    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    site: Mapped[Site | None] = relationship()
    budgets: Mapped[list[Budget]] = relationship(back_populates="cost_centre")


class Budget(IdMixin, Base):
    """What a cost centre may spend in one period."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("cost_centre_id", "period_start"),)

    cost_centre_id: Mapped[int] = mapped_column(ForeignKey("cost_centre.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)

    cost_centre: Mapped[CostCentre] = relationship(back_populates="budgets")


class ApprovalRule(IdMixin, Base):
    """One row of the approval matrix: up to this amount, for this cost centre, this role."""

    __tablename__ = "approval_rule"

    cost_centre_id: Mapped[int | None] = mapped_column(ForeignKey("cost_centre.id"), index=True)
    min_amount: Mapped[Decimal] = mapped_column(Money)
    max_amount: Mapped[Decimal | None] = mapped_column(Money)  # None: no upper limit
    role: Mapped[Role] = mapped_column(StrEnumType(Role))
    approvals_needed: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ApprovalTolerance(IdMixin, Base):
    """How far a PO may go above what was approved without approval again: the smaller of a
    percentage of the approved amount and a fixed amount. The newest row is the policy; the
    older ones are its history (who changed it, when)."""

    __tablename__ = "approval_tolerance"

    percent: Mapped[Decimal] = mapped_column(Percent)
    amount: Mapped[Decimal] = mapped_column(Money)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---------------------------------------------------------------- derived rows for budget sums
# Kept by database triggers in the transaction of the documents that move them (TRIGGERS in
# portal/services/budget_ledger.py); `flask portal budget-check` recomputes them from the
# documents and compares. No foreign keys: they are derived, and the triggers remove them.
# Amounts are unconstrained NUMERIC: exact on PostgreSQL, not rounded before they are summed.


class CommittedPrLine(Base):
    """A line of an approved purchase request (approved, not yet ordered): its value and centre."""

    __tablename__ = "committed_pr_line"
    __table_args__ = (Index("ix_committed_pr_line_cost_centre", "cost_centre_id", "amount"),)

    purchase_request_line_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False
    )
    cost_centre_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))


class CommittedPoLine(Base):
    """A PO line's value not yet invoiced, for each line of a committing PO where it is above 0."""

    __tablename__ = "committed_po_line"
    __table_args__ = (Index("ix_committed_po_line_cost_centre", "cost_centre_id", "amount"),)

    purchase_order_line_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False
    )
    cost_centre_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))


class SpentInvoiceLine(Base):
    """A line of a spent (matched, released, exported) invoice: its amount, centre and date."""

    __tablename__ = "spent_invoice_line"
    __table_args__ = (
        Index("ix_spent_invoice_line_cost_centre_on", "cost_centre_id", "spent_on", "amount"),
    )

    vendor_invoice_line_id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False
    )
    cost_centre_id: Mapped[int] = mapped_column(Integer)
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(asdecimal=True))

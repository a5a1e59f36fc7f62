"""Cost centres, their budgets per period, and the approval matrix."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.domain.roles import Role
from portal.models.base import Base, IdMixin, Money, StrEnumType
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

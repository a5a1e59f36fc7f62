"""The purchasing policy: rules kept as data, edited by an admin, checked when a need is raised."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.domain.policy import RuleKind
from portal.models.base import Base, IdMixin, Money, StrEnumType, TimestampMixin


class PolicyRule(IdMixin, TimestampMixin, Base):
    """One rule that says when a PO is required (see domain/policy.py for the kinds)."""

    __tablename__ = "policy_rule"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[RuleKind] = mapped_column(StrEnumType(RuleKind))
    amount: Mapped[Decimal | None] = mapped_column(Money)  # the limit of amount_at_least
    categories: Mapped[list] = mapped_column(JSON, default=list)
    item_kinds: Mapped[list] = mapped_column(JSON, default=list)  # empty: every kind
    message: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

"""Where each cost centre's budget stands: budget, committed, actual, remaining.

One set of figures serves both the budget page and the approval budget check, so what an approver
is told and what finance sees never disagree.

- **committed**: money promised but not yet spent: approved purchase requests not yet on a PO,
  plus the open value of PO lines (approved, issued or being received) not yet invoiced.
- **actual**: money spent: matched, released or exported vendor invoice lines, stock issued to the
  cost centre's work orders, labour logged on them and reimbursed out-of-pocket purchases for
  them, dated inside the budget period.
- **remaining** = budget - committed - actual (negative when overspent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Numeric, and_, case, cast, func, literal, select

from portal.domain.money import money
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    MovementKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.extensions import db
from portal.models import (
    Budget,
    CostCentre,
    LabourEntry,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)

ZERO = Decimal("0.00")
# PO states whose lines still commit money until invoiced.
COMMITTING_PO = (
    PurchaseOrderStatus.approved,
    PurchaseOrderStatus.issued,
    PurchaseOrderStatus.partially_received,
    PurchaseOrderStatus.received,
)
# Invoice states that count as money spent.
SPENT_INVOICE = (InvoiceStatus.matched, InvoiceStatus.released, InvoiceStatus.exported)


@dataclass(frozen=True)
class BudgetPosition:
    """One cost centre in one budget period."""

    cost_centre_id: int
    code: str
    name: str
    period_start: date | None
    period_end: date | None
    budget: Decimal
    committed: Decimal
    actual: Decimal

    @property
    def remaining(self) -> Decimal:
        """What is left to commit; negative when overspent."""
        return money(self.budget - self.committed - self.actual)

    def exceeded_by(self, extra: Decimal) -> Decimal:
        """How far committing `extra` more would go past the budget (0 when it fits)."""
        over = money(extra) - self.remaining
        return over if over > 0 else ZERO


def _sum(stmt) -> Decimal:
    return money(db.session.scalar(stmt) or 0)


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def amount_sql(qty, price, discount=None):
    """qty x price x (100 - discount) / 100 as SQL, exact numeric on both databases."""
    total = cast(qty, Numeric(28, 6)) * cast(price, Numeric(28, 6))
    if discount is not None:
        total = total * (literal(100) - cast(discount, Numeric(28, 6))) / literal(100)
    return total


def billed_sql():
    """An invoice line's amount as SQL, negative on a credit memo (join VendorInvoice)."""
    billed = amount_sql(VendorInvoiceLine.qty, VendorInvoiceLine.unit_price)
    return case((VendorInvoice.type == InvoiceType.credit_memo, -billed), else_=billed)


def invoiced_sql():
    """What spent invoices have billed so far on the outer query's PO line (a scalar subquery)."""
    return (
        select(func.coalesce(func.sum(billed_sql()), 0))
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(
            VendorInvoiceLine.purchase_order_line_id == PurchaseOrderLine.id,
            VendorInvoice.status.in_(SPENT_INVOICE),
        )
        .scalar_subquery()
    )


def open_value_sql():
    """A PO line's ordered value net of discount, as SQL."""
    return amount_sql(
        PurchaseOrderLine.qty, PurchaseOrderLine.unit_price, PurchaseOrderLine.discount_percent
    )


def still_committed_sql():
    """A PO line's value not yet invoiced (never below zero), as SQL."""
    left = open_value_sql() - invoiced_sql()
    return case((left > 0, left), else_=0)


def stock_cost_sql():
    """Cost of an issue or return movement to a work order: issues (qty < 0) count positive."""
    return -amount_sql(StockMovement.qty, StockMovement.unit_cost)


def position(cost_centre_id: int, on: date | None = None) -> BudgetPosition:
    """The cost centre's figures for the budget period containing `on` (today by default)."""
    on = on or date.today()
    centre = db.session.get(CostCentre, cost_centre_id)
    if centre is None:
        raise LookupError(f"cost centre {cost_centre_id} does not exist")
    budget = db.session.scalar(
        select(Budget).where(
            Budget.cost_centre_id == cost_centre_id,
            Budget.period_start <= on,
            Budget.period_end >= on,
        )
    )
    start = budget.period_start if budget else date(on.year, 1, 1)
    end = budget.period_end if budget else date(on.year, 12, 31)
    return BudgetPosition(
        cost_centre_id=centre.id,
        code=centre.code,
        name=centre.name,
        period_start=budget.period_start if budget else None,
        period_end=budget.period_end if budget else None,
        budget=money(budget.amount) if budget else ZERO,
        committed=committed(cost_centre_id),
        actual=actual(cost_centre_id, start, end),
    )


def positions(on: date | None = None) -> list[BudgetPosition]:
    """Every cost centre's position, by code (a bounded list: cost centres are few)."""
    ids = db.session.scalars(select(CostCentre.id).order_by(CostCentre.code)).all()
    return [position(centre_id, on) for centre_id in ids]


def committed(cost_centre_id: int) -> Decimal:
    """Approved PR lines not yet ordered plus PO line value not yet invoiced."""
    approved_requests = _sum(
        select(func.sum(amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price)))
        .select_from(PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(
            PurchaseRequest.cost_centre_id == cost_centre_id,
            PurchaseRequest.status == PurchaseRequestStatus.approved,
        )
    )
    ordered = _sum(
        select(func.sum(still_committed_sql()))
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .where(
            PurchaseOrderLine.cost_centre_id == cost_centre_id,
            PurchaseOrder.status.in_(COMMITTING_PO),
        )
    )
    return money(approved_requests + ordered)


def actual(cost_centre_id: int, start: date, end: date) -> Decimal:
    """Invoiced, issued from stock, labour and reimbursed purchases inside [start, end]."""
    invoices = _sum(
        select(func.sum(billed_sql()))
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id)
        .where(
            PurchaseOrderLine.cost_centre_id == cost_centre_id,
            VendorInvoice.status.in_(SPENT_INVOICE),
            VendorInvoice.invoice_on.between(start, end),
        )
    )
    # Issues are stored with a negative quantity; returns to stock bring the cost back.
    stock = _sum(
        select(func.sum(stock_cost_sql()))
        .select_from(StockMovement)
        .join(WorkOrder, WorkOrder.id == StockMovement.work_order_id)
        .where(
            WorkOrder.cost_centre_id == cost_centre_id,
            StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
            and_(
                StockMovement.moved_at >= _start(start),
                StockMovement.moved_at < _start(end + timedelta(days=1)),
            ),
        )
    )
    labour = _sum(
        select(func.sum(LabourEntry.cost_amount))
        .select_from(LabourEntry)
        .join(WorkOrder, WorkOrder.id == LabourEntry.work_order_id)
        .where(
            WorkOrder.cost_centre_id == cost_centre_id,
            LabourEntry.worked_on.between(start, end),
        )
    )
    # Technicians' own-money purchases are spent once reimbursed.
    out_of_pocket = _sum(
        select(func.sum(OutOfPocketPurchase.amount))
        .select_from(OutOfPocketPurchase)
        .join(WorkOrder, WorkOrder.id == OutOfPocketPurchase.work_order_id)
        .where(
            WorkOrder.cost_centre_id == cost_centre_id,
            OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed,
            OutOfPocketPurchase.bought_on.between(start, end),
        )
    )
    return money(invoices + stock + labour + out_of_pocket)

"""Where each cost centre's budget stands: budget, committed, actual, remaining.

One set of figures serves both the budget page and the approval budget check, so what an approver
is told and what finance sees never disagree.

- **committed**: money promised but not yet spent: approved purchase requests not yet on a PO,
  plus the open value of PO lines (approved, issued or being received) not yet invoiced.
- **actual**: money spent: matched, released or exported vendor invoice lines, stock issued to the
  cost centre's work orders, labour logged on them and reimbursed out-of-pocket purchases for
  them, dated inside the budget period.
- **remaining** = budget - committed - actual (negative when overspent).

The sums that grow with the documents (approved PR lines, PO lines not yet invoiced, spent
invoice lines) are read from derived rows (`committed_pr_line`, `committed_po_line`,
`spent_invoice_line`) that database triggers keep in the same transaction as the PR, PO,
invoice and line rows that move them: the approval page reads the cost centre's open lines and
one period's invoice lines from an index instead of every PO line the centre ever had (~130 ms
-> ~3 ms at 200k work orders). Each trigger recomputes the affected rows from the documents with
the same SQL expressions as below (never adds deltas), so the order rows change in, or one
statement changing many rows, cannot leave them wrong; triggers also see writes made with Core
statements or plain SQL, which ORM events would miss. services/budget_ledger.py holds them;
`flask portal budget-check` recomputes every row from the documents and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import (
    Numeric,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)

from portal.domain.money import money
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    MovementKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
)
from portal.extensions import db
from portal.models import (
    Budget,
    CommittedPoLine,
    CommittedPrLine,
    CostCentre,
    LabourEntry,
    OutOfPocketPurchase,
    PurchaseOrderLine,
    SpentInvoiceLine,
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
    row = db.session.execute(
        _position_sums(),
        {
            "centre": cost_centre_id,
            "start": start,
            "end": end,
            "moved_from": _start(start),
            "moved_before": _start(end + timedelta(days=1)),
        },
    ).one()
    sums = [money(value or 0) for value in row]
    return BudgetPosition(
        cost_centre_id=centre.id,
        code=centre.code,
        name=centre.name,
        period_start=budget.period_start if budget else None,
        period_end=budget.period_end if budget else None,
        budget=money(budget.amount) if budget else ZERO,
        committed=money(sum(sums[:2], ZERO)),  # as committed() and actual() add them
        actual=money(sum(sums[2:], ZERO)),
    )


def positions(on: date | None = None) -> list[BudgetPosition]:
    """Every cost centre's position, by code (a bounded list: cost centres are few)."""
    ids = db.session.scalars(select(CostCentre.id).order_by(CostCentre.code)).all()
    return [position(centre_id, on) for centre_id in ids]


def committed(cost_centre_id: int) -> Decimal:
    """Approved PR lines not yet ordered plus PO line value not yet invoiced."""
    return money(sum(_sums(_committed_parts(cost_centre_id)), ZERO))


def actual(cost_centre_id: int, start: date, end: date) -> Decimal:
    """Invoiced, issued from stock, labour and reimbursed purchases inside [start, end]."""
    return money(sum(_sums(_actual_parts(cost_centre_id, start, end)), ZERO))


@cache
def _position_sums() -> Select:
    """Every part of a position in one statement, built once per process (it runs on every
    approval page; building and keying it afresh cost ~1 ms of CPU each time)."""
    centre, start, end = bindparam("centre"), bindparam("start"), bindparam("end")
    moved = (bindparam("moved_from"), bindparam("moved_before"))
    parts = _committed_parts(centre) + _actual_parts(centre, start, end, moved)
    return select(*(part.scalar_subquery() for part in parts))


def _sums(parts: list[Select]) -> list[Decimal]:
    """Each part's sum rounded to the cent, all read in one statement (one round trip)."""
    row = db.session.execute(select(*(part.scalar_subquery() for part in parts))).one()
    return [money(value or 0) for value in row]


def _committed_parts(cost_centre_id) -> list[Select]:
    """Approved PR lines (not yet ordered: ordering moves the status on) and open PO lines."""
    return [
        select(func.sum(CommittedPrLine.amount)).where(
            CommittedPrLine.cost_centre_id == cost_centre_id
        ),
        select(func.sum(CommittedPoLine.amount)).where(
            CommittedPoLine.cost_centre_id == cost_centre_id
        ),
    ]


def _of_centre(work_order_id, cost_centre_id):
    """The row's work order belongs to the cost centre, looked up row by row.

    Written as a lookup rather than a join so the date index of the period leads: joined, the
    planner starts from the cost centre's work orders (all it ever had) and reads each one's
    entries, ~10 ms each for labour and stock at 200k work orders to find a handful.
    """
    return (
        select(WorkOrder.cost_centre_id).where(WorkOrder.id == work_order_id).scalar_subquery()
        == cost_centre_id
    )


def _actual_parts(cost_centre_id, start, end, moved=None) -> list[Select]:
    """Spent invoice lines, stock issued less returned, labour, reimbursed own-money buys.

    Values or bind parameters; `moved` is [from, before) for stock movements' timestamps
    (by default the days start to end, in UTC).
    """
    moved_from, moved_before = moved or (_start(start), _start(end + timedelta(days=1)))
    return [
        select(func.sum(SpentInvoiceLine.amount)).where(
            SpentInvoiceLine.cost_centre_id == cost_centre_id,
            SpentInvoiceLine.spent_on.between(start, end),
        ),
        # Issues are stored with a negative quantity; returns to stock bring the cost back.
        select(func.sum(stock_cost_sql())).where(
            _of_centre(StockMovement.work_order_id, cost_centre_id),
            StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
            and_(StockMovement.moved_at >= moved_from, StockMovement.moved_at < moved_before),
        ),
        select(func.sum(LabourEntry.cost_amount)).where(
            _of_centre(LabourEntry.work_order_id, cost_centre_id),
            LabourEntry.worked_on.between(start, end),
        ),
        # Technicians' own-money purchases are spent once reimbursed.
        select(func.sum(OutOfPocketPurchase.amount)).where(
            _of_centre(OutOfPocketPurchase.work_order_id, cost_centre_id),
            OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed,
            OutOfPocketPurchase.bought_on.between(start, end),
        ),
    ]

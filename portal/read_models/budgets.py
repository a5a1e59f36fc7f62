"""Where each cost centre's budget stands: budget, committed, actual, remaining; the budgets page.

One set of figures serves the budgets page, the home page's budget card and the approval budget
check (services/approvals.py reads `position`), so what an approver is told and what finance
sees never disagree.

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
the same SQL expressions (read_models/spend_sql.py; never adds deltas), so the order rows change
in, or one statement changing many rows, cannot leave them wrong; triggers also see writes made
with Core statements or plain SQL, which ORM events would miss. services/budget_ledger.py holds
them; `flask portal budget-check` recomputes every row from the documents and compares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Select, and_, bindparam, func, select

from portal.domain.cost_bars import Segment, bar_description, bar_segments, budget_mark
from portal.domain.errors import NotFound
from portal.domain.money import money
from portal.domain.statuses import OutOfPocketStatus
from portal.models import (
    Budget,
    CommittedPoLine,
    CommittedPrLine,
    CostCentre,
    LabourEntry,
    OutOfPocketPurchase,
    SpentInvoiceLine,
    StockMovement,
    WorkOrder,
)
from portal.read_models.spend_sql import ZERO, charged_movement_sql, stock_cost_sql
from portal.services._uow import current_session

# The earliest and latest day a budget period may be asked for (a day outside cannot be a
# budget period, and the day after the last one must still be a date).
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


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


def period_around(on: date) -> tuple[date, date]:
    """The calendar year of `on`: the period used where a cost centre has no budget set."""
    return date(on.year, 1, 1), date(on.year, 12, 31)


def position(cost_centre_id: int, on: date | None = None) -> BudgetPosition:
    """The cost centre's figures for the budget period containing `on` (today by default)."""
    on = on or date.today()
    if not FIRST_DAY <= on <= LAST_DAY:
        raise NotFound(f"There is no budget period around {on.isoformat()}.")
    session = current_session()
    centre = session.get(CostCentre, cost_centre_id)
    if centre is None:
        raise NotFound(f"Cost centre {cost_centre_id} does not exist.")
    budget = session.scalar(
        select(Budget).where(
            Budget.cost_centre_id == cost_centre_id,
            Budget.period_start <= on,
            Budget.period_end >= on,
        )
    )
    start, end = (budget.period_start, budget.period_end) if budget else period_around(on)
    row = session.execute(
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
    ids = current_session().scalars(select(CostCentre.id).order_by(CostCentre.code)).all()
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
    centre: BindParameter[int] = bindparam("centre")
    start: BindParameter[date] = bindparam("start")
    end: BindParameter[date] = bindparam("end")
    moved: tuple[BindParameter[datetime], BindParameter[datetime]] = (
        bindparam("moved_from"),
        bindparam("moved_before"),
    )
    parts = _committed_parts(centre) + _actual_parts(centre, start, end, moved)
    return select(*(part.scalar_subquery() for part in parts))


def _sums(parts: list[Select]) -> list[Decimal]:
    """Each part's sum rounded to the cent, all read in one statement (one round trip)."""
    row = current_session().execute(select(*(part.scalar_subquery() for part in parts))).one()
    return [money(value or 0) for value in row]


def _committed_parts(cost_centre_id: Any) -> list[Select]:
    """Approved PR lines (not yet ordered: ordering moves the status on) and open PO lines."""
    return [
        select(func.sum(CommittedPrLine.amount)).where(
            CommittedPrLine.cost_centre_id == cost_centre_id
        ),
        select(func.sum(CommittedPoLine.amount)).where(
            CommittedPoLine.cost_centre_id == cost_centre_id
        ),
    ]


def _of_centre(work_order_id: Any, cost_centre_id: Any) -> ColumnElement[bool]:
    """The row's work order belongs to the cost centre, looked up row by row.

    Written as a lookup rather than a join so the date index of the period leads: joined, the
    planner starts from the cost centre's work orders (all it ever had) and reads each one's
    entries, ~10 ms each for labour and stock at 200k work orders to find a handful.
    """
    return (
        select(WorkOrder.cost_centre_id).where(WorkOrder.id == work_order_id).scalar_subquery()
        == cost_centre_id
    )


def _actual_parts(cost_centre_id: Any, start: Any, end: Any, moved: Any = None) -> list[Select]:
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
            charged_movement_sql(),
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


# ---- the budgets page and the home page's card --------------------------------------------------

WATCH_SIZE = 3


@dataclass(frozen=True)
class BudgetRow:
    """One cost centre on the budgets page: its position and its bar."""

    position: BudgetPosition
    segments: list[Segment]
    mark: Decimal | None
    description: str


def budget_periods() -> list[tuple[date, date]]:
    """The budget periods on file, newest first (bounded), for the period picker."""
    rows = current_session().execute(
        select(Budget.period_start, Budget.period_end)
        .distinct()
        .order_by(Budget.period_start.desc(), Budget.period_end.desc())
        .limit(24)
    )
    return [(start, end) for start, end in rows]


def budget_row(position: BudgetPosition) -> BudgetRow:
    """A position with the geometry and words of its bar."""
    figures = (position.budget, position.committed, position.actual)
    return BudgetRow(
        position=position,
        segments=bar_segments(*figures),
        mark=budget_mark(*figures),
        description=bar_description(position.code, *figures),
    )


def budget_board(on: date | None = None) -> list[BudgetRow]:
    """Every cost centre's budget position (the approval check's figures) with its bar."""
    return [budget_row(position) for position in positions(on)]


def budget_watch() -> list[BudgetRow]:
    """The cost centres with the least budget left (share of budget), for the home page card."""

    def left_share(row: BudgetRow) -> Decimal:
        position = row.position
        if position.budget <= 0:
            return Decimal(0) if position.remaining >= 0 else Decimal(-1)
        return position.remaining / position.budget

    return sorted(budget_board(), key=left_share)[:WATCH_SIZE]

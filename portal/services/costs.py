"""What a work order (or an asset over all its work orders) has cost: actual and committed.

The same definitions as portal/services/budgets.py, from the same SQL expressions, so a work
order's figures and its cost centre's budget position never tell different stories:

- **labour**: LabourEntry.cost_amount (actual).
- **stock**: parts issued from stock minus parts returned, qty x unit cost (actual).
- **goods** and **services** (by PO line kind), each
  - committed: approved purchase request lines not yet ordered, plus the value of PO lines on
    approved, issued or (partly) received POs not yet invoiced (never below zero);
  - actual: matched, released or exported vendor invoice lines on those PO lines; credit memos
    count negative.
- **out of pocket**: technicians' own-money purchases once reimbursed (actual).

Every component is one set-based query whatever the number of documents; no period applies
(a work order's cost is its whole life).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache

from sqlalchemy import String, bindparam, cast, func, literal, null, select, union_all

from portal.domain.cost_bars import Segment, bar_description, bar_segments, budget_mark
from portal.domain.errors import NotFound
from portal.domain.money import money
from portal.domain.statuses import (
    InvoiceType,
    LineKind,
    MovementKind,
    OutOfPocketStatus,
    PurchaseRequestStatus,
)
from portal.extensions import db
from portal.models import (
    Budget,
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
from portal.services import budgets
from portal.services.budgets import (
    COMMITTING_PO,
    SPENT_INVOICE,
    ZERO,
    BudgetPosition,
    amount_sql,
    billed_sql,
    invoiced_sql,
    still_committed_sql,
    stock_cost_sql,
)


@dataclass(frozen=True)
class Split:
    """One bought component: what is spent and what is promised but not yet billed."""

    actual: Decimal = ZERO
    committed: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        """Actual plus committed."""
        return money(self.actual + self.committed)


@dataclass(frozen=True)
class CostRollup:
    """A work order's (or an asset's) cost by component."""

    labour: Decimal
    stock: Decimal
    goods: Split
    services: Split
    out_of_pocket: Decimal

    @property
    def actual(self) -> Decimal:
        """Money spent: labour, stock, invoiced goods and services, reimbursed purchases."""
        return money(
            self.labour + self.stock + self.goods.actual + self.services.actual + self.out_of_pocket
        )

    @property
    def bought(self) -> Decimal:
        """Spent on goods, outside services and reimbursed own-money purchases."""
        return money(self.goods.actual + self.services.actual + self.out_of_pocket)

    @property
    def committed(self) -> Decimal:
        """Money promised but not yet billed: goods and services on order."""
        return money(self.goods.committed + self.services.committed)

    @property
    def total(self) -> Decimal:
        """Actual and committed together: what the work will have cost once billed."""
        return money(self.actual + self.committed)

    @property
    def rows(self) -> list[tuple[str, Decimal, Decimal]]:
        """(label, actual, committed) per component, for a table."""
        return [
            ("Labour", self.labour, ZERO),
            ("Parts from stock", self.stock, ZERO),
            ("Purchased goods", self.goods.actual, self.goods.committed),
            ("Outside services", self.services.actual, self.services.committed),
            ("Out of pocket", self.out_of_pocket, ZERO),
        ]


@cache
def _work_orders_rollup():
    """Every component of the roll-up of the work orders `wo_ids` as one UNION ALL of
    (component, kind, amount) rows, built once per process: the figures come from one round
    trip, and SQLAlchemy reuses the compiled SQL instead of rebuilding six expressions per view.

    The work orders come as a list of ids, not a subquery: with the subquery SQLite (never
    ANALYZEd) started from every spent invoice or committing PO, ~120 ms for an asset at 200k
    work orders.
    """

    def of_work(model):
        return model.work_order_id.in_(bindparam("wo_ids", expanding=True))

    no_kind = cast(null(), String)
    # The PO lines of the work come first, then their PO's status and invoices one line at a
    # time (correlated): joined, SQLite (never ANALYZEd) started from every committing PO or
    # every spent invoice line instead, ~120 ms for an asset at 200k work orders.
    po_status = (
        select(PurchaseOrder.status)
        .where(PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .scalar_subquery()
    )

    def component(name: str, kind, amount):
        return select(
            literal(name, String).label("component"), kind.label("kind"), amount.label("amount")
        )

    return union_all(
        component("labour", no_kind, func.sum(LabourEntry.cost_amount)).where(of_work(LabourEntry)),
        component("stock", no_kind, func.sum(stock_cost_sql())).where(
            of_work(StockMovement),
            StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
        ),
        component("out_of_pocket", no_kind, func.sum(OutOfPocketPurchase.amount)).where(
            of_work(OutOfPocketPurchase),
            OutOfPocketPurchase.status == OutOfPocketStatus.reimbursed,
        ),
        component("ordered", PurchaseOrderLine.kind, func.sum(still_committed_sql()))
        .where(of_work(PurchaseOrderLine), po_status.in_(COMMITTING_PO))
        .group_by(PurchaseOrderLine.kind),
        component(
            "requested",
            PurchaseRequestLine.kind,
            func.sum(amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price)),
        )
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(of_work(PurchaseRequest), PurchaseRequest.status == PurchaseRequestStatus.approved)
        .group_by(PurchaseRequestLine.kind),
        component("billed", PurchaseOrderLine.kind, func.sum(invoiced_sql()))
        .where(of_work(PurchaseOrderLine))
        .group_by(PurchaseOrderLine.kind),
    )


def _rollup(wo_ids: list[int]) -> CostRollup:
    """The roll-up of these work orders, from the rows of the statement built once."""
    figures: dict[tuple[str, str | None], Decimal] = {}
    for name, kind, amount in db.session.execute(_work_orders_rollup(), {"wo_ids": wo_ids}):
        figures[(name, kind)] = money(amount or 0)

    def split(kind: LineKind) -> Split:
        committed = figures.get(("ordered", kind.value), ZERO) + figures.get(
            ("requested", kind.value), ZERO
        )
        return Split(actual=figures.get(("billed", kind.value), ZERO), committed=money(committed))

    return CostRollup(
        labour=figures.get(("labour", None), ZERO),
        stock=figures.get(("stock", None), ZERO),
        goods=split(LineKind.goods),
        services=split(LineKind.service),
        out_of_pocket=figures.get(("out_of_pocket", None), ZERO),
    )


def work_order_costs(wo_id: int) -> CostRollup:
    """One work order's cost so far: actual and committed by component."""
    return _rollup([wo_id])


def asset_costs(asset_id: int) -> CostRollup:
    """An asset's lifetime maintenance cost: the same components over all its work orders."""
    wo_ids = db.session.scalars(select(WorkOrder.id).where(WorkOrder.asset_id == asset_id)).all()
    return _rollup(list(wo_ids))


# ---- the budgets page --------------------------------------------------------------------------

DRILL_SIZE = 10


@dataclass(frozen=True)
class BudgetRow:
    """One cost centre on the budgets page: its position and its bar."""

    position: BudgetPosition
    segments: list[Segment]
    mark: Decimal | None
    description: str


@dataclass(frozen=True)
class DrillLine:
    """One document behind a figure: what it is, its work order and its amount."""

    document: str
    description: str
    amount: Decimal
    work_order_id: int | None
    work_order_number: str | None


@dataclass(frozen=True)
class Drilldown:
    """A cost centre's position with its largest commitments and actuals."""

    row: BudgetRow
    commitments: list[DrillLine]
    actuals: list[DrillLine]


def budget_periods() -> list[tuple[date, date]]:
    """The budget periods on file, newest first (bounded), for the period picker."""
    return [
        (start, end)
        for start, end in db.session.execute(
            select(Budget.period_start, Budget.period_end)
            .distinct()
            .order_by(Budget.period_start.desc(), Budget.period_end.desc())
            .limit(24)
        )
    ]


def _row(position: BudgetPosition) -> BudgetRow:
    """A position with the geometry and words of its bar."""
    figures = (position.budget, position.committed, position.actual)
    return BudgetRow(
        position=position,
        segments=bar_segments(*figures),
        mark=budget_mark(*figures),
        description=bar_description(position.code, *figures),
    )


def budget_board(on: date | None = None) -> list[BudgetRow]:
    """Every cost centre's budget position (budgets.positions: the approval check's figures)."""
    return [_row(position) for position in budgets.positions(on)]


def cost_centre_drilldown(cost_centre_id: int, on: date | None = None) -> Drilldown:
    """One cost centre: its position, largest open commitments and largest actuals in the period."""
    try:
        position = budgets.position(cost_centre_id, on)
    except LookupError as err:
        raise NotFound(f"Cost centre {cost_centre_id} does not exist.") from err
    today = on or date.today()
    start = position.period_start or date(today.year, 1, 1)
    end = position.period_end or date(today.year, 12, 31)
    open_value = still_committed_sql()
    ordered = db.session.execute(
        select(
            PurchaseOrder.number,
            PurchaseOrderLine.line_no,
            PurchaseOrderLine.description,
            open_value,
            WorkOrder.id,
            WorkOrder.number,
        )
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .where(
            PurchaseOrderLine.cost_centre_id == cost_centre_id,
            PurchaseOrder.status.in_(COMMITTING_PO),
            open_value > 0,
        )
        .order_by(open_value.desc())
        .limit(DRILL_SIZE)
    )
    requested_value = func.sum(amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price))
    requested = db.session.execute(
        select(PurchaseRequest.number, requested_value, WorkOrder.id, WorkOrder.number)
        .select_from(PurchaseRequest)
        .join(PurchaseRequestLine, PurchaseRequestLine.purchase_request_id == PurchaseRequest.id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseRequest.work_order_id)
        .where(
            PurchaseRequest.cost_centre_id == cost_centre_id,
            PurchaseRequest.status == PurchaseRequestStatus.approved,
        )
        .group_by(PurchaseRequest.id, PurchaseRequest.number, WorkOrder.id, WorkOrder.number)
        .order_by(requested_value.desc())
        .limit(DRILL_SIZE)
    )
    commitments = [
        DrillLine(f"{number} line {line_no}", text, money(amount), wo_id, wo_number)
        for number, line_no, text, amount, wo_id, wo_number in ordered
    ] + [
        DrillLine(number, "Approved request, not yet ordered", money(amount), wo_id, wo_number)
        for number, amount, wo_id, wo_number in requested
    ]
    billed = billed_sql()
    invoiced = db.session.execute(
        select(
            VendorInvoice.number,
            VendorInvoice.type,
            PurchaseOrderLine.description,
            billed,
            WorkOrder.id,
            WorkOrder.number,
        )
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .where(
            PurchaseOrderLine.cost_centre_id == cost_centre_id,
            VendorInvoice.status.in_(SPENT_INVOICE),
            VendorInvoice.invoice_on.between(start, end),
        )
        .order_by(func.abs(billed).desc())
        .limit(DRILL_SIZE)
    )
    labour = (
        select(
            LabourEntry.work_order_id.label("wo_id"),
            LabourEntry.cost_amount.label("amount"),
        )
        .join(WorkOrder, WorkOrder.id == LabourEntry.work_order_id)
        .where(
            WorkOrder.cost_centre_id == cost_centre_id,
            LabourEntry.worked_on.between(start, end),
        )
    )
    stock = (
        select(StockMovement.work_order_id.label("wo_id"), stock_cost_sql().label("amount"))
        .join(WorkOrder, WorkOrder.id == StockMovement.work_order_id)
        .where(
            WorkOrder.cost_centre_id == cost_centre_id,
            StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
            StockMovement.moved_at >= datetime.combine(start, time.min, UTC),
            StockMovement.moved_at < datetime.combine(end + timedelta(days=1), time.min, UTC),
        )
    )
    work = union_all(labour, stock).subquery()
    work_total = func.sum(work.c.amount)
    by_work = db.session.execute(
        select(WorkOrder.id, WorkOrder.number, WorkOrder.title, work_total)
        .join(work, work.c.wo_id == WorkOrder.id)
        .group_by(WorkOrder.id, WorkOrder.number, WorkOrder.title)
        .order_by(work_total.desc())
        .limit(DRILL_SIZE)
    )
    actuals = [
        DrillLine(
            f"{'Credit memo' if kind == InvoiceType.credit_memo else 'Invoice'} {number}",
            text,
            money(amount),
            wo_id,
            wo_number,
        )
        for number, kind, text, amount, wo_id, wo_number in invoiced
    ] + [
        DrillLine("Labour and parts", title, money(amount), wo_id, wo_number)
        for wo_id, wo_number, title, amount in by_work
    ]
    by_size = lambda line: abs(line.amount)  # noqa: E731
    return Drilldown(
        row=_row(position),
        commitments=sorted(commitments, key=by_size, reverse=True)[:DRILL_SIZE],
        actuals=sorted(actuals, key=by_size, reverse=True)[:DRILL_SIZE],
    )


WATCH_SIZE = 3


def budget_watch() -> list[BudgetRow]:
    """The cost centres with the least budget left (share of budget), for the home page card."""
    rows = budget_board()

    def left_share(row: BudgetRow) -> Decimal:
        position = row.position
        if position.budget <= 0:
            return Decimal(0) if position.remaining >= 0 else Decimal(-1)
        return position.remaining / position.budget

    return sorted(rows, key=left_share)[:WATCH_SIZE]

"""One cost centre's budget page: its position and the largest documents behind its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, union_all

from portal.domain.money import money
from portal.domain.permissions import Capability as C
from portal.domain.statuses import InvoiceType, PurchaseRequestStatus
from portal.models import (
    LabourEntry,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.read_models.budgets import BudgetRow, budget_row, period_around, position
from portal.read_models.spend_sql import (
    COMMITTING_PO,
    SPENT_INVOICE,
    amount_sql,
    billed_sql,
    charged_movement_sql,
    still_committed_sql,
    stock_cost_sql,
)
from portal.services._uow import current_session

DRILL_SIZE = 10


@dataclass(frozen=True)
class DrillLine:
    """One document behind a figure: what it is, its work order and its amount, and where the
    document is (endpoint and arguments, and the capability its page asks for)."""

    document: str
    description: str
    amount: Decimal
    work_order_id: int | None
    work_order_number: str | None
    endpoint: str | None = None
    args: dict = field(default_factory=dict)
    capability: str = C.read_work_orders.value


@dataclass(frozen=True)
class Drilldown:
    """A cost centre's position with its largest commitments and actuals."""

    row: BudgetRow
    commitments: list[DrillLine]
    actuals: list[DrillLine]


def cost_centre_drilldown(cost_centre_id: int, on: date | None = None) -> Drilldown:
    """One cost centre: its position, largest open commitments and largest actuals in the period.

    NotFound when there is no such cost centre.
    """
    figures = position(cost_centre_id, on)
    default_start, default_end = period_around(on or date.today())
    start = figures.period_start or default_start
    end = figures.period_end or default_end
    commitments = _open_order_lines(cost_centre_id) + _approved_requests(cost_centre_id)
    actuals = _spent_invoice_lines(cost_centre_id, start, end) + _labour_and_parts(
        cost_centre_id, start, end
    )
    return Drilldown(
        row=budget_row(figures), commitments=_largest(commitments), actuals=_largest(actuals)
    )


def _largest(lines: list[DrillLine]) -> list[DrillLine]:
    """The DRILL_SIZE lines of largest amount (credits by their size), largest first."""
    return sorted(lines, key=lambda line: abs(line.amount), reverse=True)[:DRILL_SIZE]


def _open_order_lines(cost_centre_id: int) -> list[DrillLine]:
    """The largest PO lines of the cost centre still committing money (not yet invoiced)."""
    open_value = still_committed_sql()
    rows = current_session().execute(
        select(
            PurchaseOrder.id,
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
    return [
        DrillLine(
            f"{number} line {line_no}",
            text,
            money(amount),
            wo_id,
            wo_number,
            "purchase_orders.detail",
            {"po_id": po_id},
            C.read_purchase_orders.value,
        )
        for po_id, number, line_no, text, amount, wo_id, wo_number in rows
    ]


def _approved_requests(cost_centre_id: int) -> list[DrillLine]:
    """The largest approved purchase requests of the cost centre not yet ordered."""
    requested_value = func.sum(amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price))
    rows = current_session().execute(
        select(
            PurchaseRequest.id,
            PurchaseRequest.number,
            requested_value,
            WorkOrder.id,
            WorkOrder.number,
        )
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
    return [
        DrillLine(
            number,
            "Approved request, not yet ordered",
            money(amount),
            wo_id,
            wo_number,
            "purchase_requests.detail",
            {"pr_id": pr_id},
            C.read_purchase_requests.value,
        )
        for pr_id, number, amount, wo_id, wo_number in rows
    ]


def _spent_invoice_lines(cost_centre_id: int, start: date, end: date) -> list[DrillLine]:
    """The largest spent invoice lines (credit memos by their size) dated in the period."""
    billed = billed_sql()
    rows = current_session().execute(
        select(
            VendorInvoice.id,
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
    return [
        DrillLine(
            f"{'Credit memo' if kind == InvoiceType.credit_memo else 'Invoice'} {number}",
            f"{text} (with its share of freight and tax)",
            money(amount),
            wo_id,
            wo_number,
            "invoices.detail",
            {"invoice_id": invoice_id},
            C.read_invoice.value,
        )
        for invoice_id, number, kind, text, amount, wo_id, wo_number in rows
    ]


def _labour_and_parts(cost_centre_id: int, start: date, end: date) -> list[DrillLine]:
    """The work orders of the cost centre with the most labour and stock in the period."""
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
            charged_movement_sql(),
            StockMovement.moved_at >= datetime.combine(start, time.min, UTC),
            StockMovement.moved_at < datetime.combine(end + timedelta(days=1), time.min, UTC),
        )
    )
    work = union_all(labour, stock).subquery()
    work_total = func.sum(work.c.amount)
    rows = current_session().execute(
        select(WorkOrder.id, WorkOrder.number, WorkOrder.title, work_total)
        .join(work, work.c.wo_id == WorkOrder.id)
        .group_by(WorkOrder.id, WorkOrder.number, WorkOrder.title)
        .order_by(work_total.desc())
        .limit(DRILL_SIZE)
    )
    return [
        DrillLine(
            "Labour and parts",
            title,
            money(amount),
            wo_id,
            wo_number,
            "work_orders.detail",
            {"wo_id": wo_id, "_anchor": "costs"},
        )
        for wo_id, wo_number, title, amount in rows
    ]

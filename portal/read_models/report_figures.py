"""The figures behind each report: one set-based query per report, summed in the database.

Every figure comes out of the database already summed (money as whole cents, so SQLite's
floating point never touches an amount); Python only fills empty months and turns cents and
seconds into Decimal. read_models/reports.py lays them out as a chart and a table.

Month buckets use a portable expression (read_models/portable_sql.py): strftime on SQLite,
to_char (in UTC) on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from portal.domain.reports import Period, cents_to_money, hours, rate_percent
from portal.domain.statuses import InvoiceStatus, InvoiceType, PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Asset,
    Hold,
    Item,
    LabourEntry,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    StockMovement,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import UTCDateTime, utcnow
from portal.read_models.portable_sql import as_decimal, cents, day_of, month_of, seconds_between
from portal.read_models.spend_sql import billed_sql, charged_movement_sql
from portal.services._uow import current_session

TOP_ROWS = 20  # ranked reports (vendors, categories, assets, sites) show the biggest twenty
SPEND_STATUSES = (InvoiceStatus.matched, InvoiceStatus.released, InvoiceStatus.exported)
EVALUATED_STATUSES = (
    InvoiceStatus.matched,
    InvoiceStatus.hold,
    InvoiceStatus.released,
    InvoiceStatus.rejected,
    InvoiceStatus.exported,
)
# Every invoice but cancelled and rejected ones, named (an IN list can use the status index).
AFTER_THE_FACT_STATUSES = tuple(
    s for s in InvoiceStatus if s not in (InvoiceStatus.cancelled, InvoiceStatus.rejected)
)
WAS_HELD_STATUSES = (InvoiceStatus.hold, InvoiceStatus.released, InvoiceStatus.rejected)
# PRs never decided by an approver (the approval cycle leaves them out) ...
UNDECIDED_PR_STATUSES = (PurchaseRequestStatus.draft, PurchaseRequestStatus.cancelled)
# ... and PRs whose spend never happens (maverick spend leaves these out too).
NO_SPEND_PR_STATUSES = (*UNDECIDED_PR_STATUSES, PurchaseRequestStatus.rejected)
MAVERICK_KINDS = {
    "after_the_fact": "After-the-fact PO",
    "off_contract": "Off-contract price",
    "non_preferred": "Non-preferred vendor",
    "out_of_pocket": "Out-of-pocket",
}


def spend_rows(period: Period, by: str) -> list[tuple[str, Decimal]]:
    """Net spend per month, vendor or category (biggest first), in one grouped query."""
    amount = func.sum(cents(billed_sql())).label("cents")
    stmt = (
        select(amount)
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .where(
            VendorInvoice.status.in_(SPEND_STATUSES),
            VendorInvoice.invoice_on >= period.first,
            VendorInvoice.invoice_on < period.end_on,
        )
    )
    if by == "month":
        key = month_of(VendorInvoice.invoice_on, timestamp=False).label("k")
        rows = current_session().execute(stmt.add_columns(key).group_by(key)).all()
        found = {r.k: cents_to_money(r.cents) for r in rows}
        return [(m, found.get(m, Decimal("0.00"))) for m in period.months]
    if by == "vendor":
        stmt = stmt.join(Vendor, Vendor.id == VendorInvoice.vendor_id).add_columns(
            Vendor.name.label("k")
        )
        stmt = stmt.group_by(Vendor.id, Vendor.name)
    else:
        key = func.coalesce(Item.category, "No category").label("k")
        stmt = (
            stmt.outerjoin(
                PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id
            )
            .outerjoin(Item, Item.id == PurchaseOrderLine.item_id)
            .add_columns(key)
            .group_by(key)
        )
    rows = current_session().execute(stmt.order_by(amount.desc()).limit(TOP_ROWS)).all()
    return [(r.k, cents_to_money(r.cents)) for r in rows]


def wo_cost_rows(period: Period, by: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Labour, stock issued and invoiced per asset or site, biggest total first; one query."""
    zero: ColumnElement[int] = literal_column("0")
    labour = select(
        LabourEntry.work_order_id.label("wo"),
        cents(LabourEntry.cost_amount).label("labour"),
        zero.label("stock"),
        zero.label("invoiced"),
    ).where(LabourEntry.worked_on >= period.first, LabourEntry.worked_on < period.end_on)
    stock = select(
        StockMovement.work_order_id.label("wo"),
        zero,
        cents(-StockMovement.qty * StockMovement.unit_cost),
        zero,
    ).where(
        StockMovement.work_order_id.is_not(None),
        charged_movement_sql(),
        StockMovement.moved_at >= period.start_at,
        StockMovement.moved_at < period.end_at,
    )
    invoiced = (
        select(
            PurchaseOrderLine.work_order_id.label("wo"),
            zero,
            zero,
            cents(billed_sql()),
        )
        .select_from(VendorInvoiceLine)
        .join(VendorInvoice, VendorInvoice.id == VendorInvoiceLine.invoice_id)
        .join(PurchaseOrderLine, PurchaseOrderLine.id == VendorInvoiceLine.purchase_order_line_id)
        .where(
            PurchaseOrderLine.work_order_id.is_not(None),
            VendorInvoice.status.in_(SPEND_STATUSES),
            VendorInvoice.invoice_on >= period.first,
            VendorInvoice.invoice_on < period.end_on,
        )
    )
    costs = union_all(labour, stock, invoiced).subquery()
    # Summed per work order first (whole cents: the sums are exact in any order), so each work
    # order is looked up once for its asset or site, not once per cost line.
    per_wo = (
        select(
            costs.c.wo,
            func.sum(costs.c.labour).label("labour"),
            func.sum(costs.c.stock).label("stock"),
            func.sum(costs.c.invoiced).label("invoiced"),
        )
        .group_by(costs.c.wo)
        .subquery()
    )
    labour_sum = func.sum(per_wo.c.labour)
    stock_sum = func.sum(per_wo.c.stock)
    invoiced_sum = func.sum(per_wo.c.invoiced)
    total = labour_sum + stock_sum + invoiced_sum
    stmt = (
        select(labour_sum, stock_sum, invoiced_sum)
        .select_from(per_wo)
        .join(WorkOrder, WorkOrder.id == per_wo.c.wo)
    )
    name: ColumnElement[str] | InstrumentedAttribute[str]
    if by == "asset":
        name = func.coalesce(Asset.tag + literal(" ") + Asset.name, "No asset")
        stmt = stmt.outerjoin(Asset, Asset.id == WorkOrder.asset_id).group_by(
            Asset.id, Asset.tag, Asset.name
        )
    else:
        name = Site.name
        stmt = stmt.join(Site, Site.id == WorkOrder.site_id).group_by(Site.id, Site.name)
    rows = (
        current_session()
        .execute(stmt.add_columns(name.label("k")).order_by(total.desc()).limit(TOP_ROWS))
        .all()
    )
    return [(r.k, cents_to_money(r[0]), cents_to_money(r[1]), cents_to_money(r[2])) for r in rows]


def approval_cycle_rows(period: Period) -> dict[str, tuple[int, Decimal | None, Decimal | None]]:
    """Per month of decision: PRs decided, median and 90th percentile hours (nearest rank)."""
    # Month and time taken worked out once per PR, then ranked: the window clauses name the
    # columns, not the expressions again (each would be worked out anew per window).
    decided = (
        select(
            month_of(PurchaseRequest.decided_at, timestamp=True).label("m"),
            seconds_between(PurchaseRequest.submitted_at, PurchaseRequest.decided_at).label("s"),
        )
        .where(
            PurchaseRequest.submitted_at.is_not(None),
            PurchaseRequest.decided_at >= period.start_at,
            PurchaseRequest.decided_at < period.end_at,
            PurchaseRequest.status.not_in(UNDECIDED_PR_STATUSES),
        )
        .subquery()
    )
    ranked = select(
        decided.c.m,
        decided.c.s,
        func.row_number().over(partition_by=decided.c.m, order_by=decided.c.s).label("rn"),
        func.count().over(partition_by=decided.c.m).label("n"),
    ).subquery()
    # Nearest-rank percentile: the value at rank ceil(n * p / 100), in integer arithmetic.
    median = func.max(case((ranked.c.rn == (ranked.c.n * 50 + 99) // 100, ranked.c.s)))
    p90 = func.max(case((ranked.c.rn == (ranked.c.n * 90 + 99) // 100, ranked.c.s)))
    rows = (
        current_session()
        .execute(select(ranked.c.m, func.max(ranked.c.n), median, p90).group_by(ranked.c.m))
        .all()
    )
    found = {r[0]: (int(r[1]), hours(as_decimal(r[2])), hours(as_decimal(r[3]))) for r in rows}
    return {m: found.get(m, (0, None, None)) for m in period.months}


def match_exception_rows(period: Period) -> dict[str, tuple[int, int, Decimal | None]]:
    """Per month of invoice date: invoices matched by the engine, of them held, held %."""
    held_ids = select(Hold.invoice_id.label("invoice_id")).distinct().subquery()
    month = month_of(VendorInvoice.invoice_on, timestamp=False).label("m")
    held = or_(held_ids.c.invoice_id.is_not(None), VendorInvoice.status.in_(WAS_HELD_STATUSES))
    rows = (
        current_session()
        .execute(
            select(month, func.count(), func.sum(case((held, 1), else_=0)))
            .select_from(VendorInvoice)
            .outerjoin(held_ids, held_ids.c.invoice_id == VendorInvoice.id)
            .where(
                VendorInvoice.status.in_(EVALUATED_STATUSES),
                VendorInvoice.invoice_on >= period.first,
                VendorInvoice.invoice_on < period.end_on,
            )
            .group_by(month)
        )
        .all()
    )
    found = {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}
    out = {}
    for m in period.months:
        evaluated, was_held = found.get(m, (0, 0))
        out[m] = (evaluated, was_held, rate_percent(was_held, evaluated))
    return out


def maverick_rows(period: Period) -> dict[str, dict[str, tuple[int, Decimal]]]:
    """Per month and kind of maverick spend: how many and how much; one UNION ALL query."""
    union = union_all(
        _after_the_fact_by_month(period),
        _flagged_by_month(period),
        _out_of_pocket_by_month(period),
    )
    out = {m: {k: (0, Decimal("0.00")) for k in MAVERICK_KINDS} for m in period.months}
    for month, kind, n, amount, n2, amount2 in current_session().execute(union).all():
        if month not in out:
            continue
        if kind == "flagged":
            out[month]["off_contract"] = (int(n or 0), cents_to_money(amount))
            out[month]["non_preferred"] = (int(n2 or 0), cents_to_money(amount2))
        else:
            out[month][kind] = (int(n), cents_to_money(amount))
    return out


# Each branch of the maverick union gives (month, kind, count, cents, count 2, cents 2).
_ZERO: ColumnElement[int] = literal_column("0")


def _after_the_fact_by_month(period: Period) -> Select:
    """Invoices dated before their PO was approved, by month of invoice date."""
    inv_month = month_of(VendorInvoice.invoice_on, timestamp=False)
    return (
        select(
            inv_month.label("m"),
            literal("after_the_fact", String).label("kind"),
            func.count(func.distinct(VendorInvoice.id)).label("n"),
            func.coalesce(
                func.sum(cents(VendorInvoiceLine.qty * VendorInvoiceLine.unit_price)), 0
            ).label("cents"),
            _ZERO.label("n2"),
            _ZERO.label("cents2"),
        )
        .select_from(VendorInvoice)
        .join(PurchaseOrder, PurchaseOrder.id == VendorInvoice.purchase_order_id)
        .outerjoin(VendorInvoiceLine, VendorInvoiceLine.invoice_id == VendorInvoice.id)
        .where(
            VendorInvoice.type == InvoiceType.invoice,
            VendorInvoice.status.in_(AFTER_THE_FACT_STATUSES),
            PurchaseOrder.approved_at.is_not(None),
            VendorInvoice.invoice_on < day_of(PurchaseOrder.approved_at),
            VendorInvoice.invoice_on >= period.first,
            VendorInvoice.invoice_on < period.end_on,
        )
        .group_by(inv_month)
    )


def _flagged_by_month(period: Period) -> Select:
    """Off-contract and non-preferred request lines (both in one pass), by month submitted."""
    # Drafts (no submitted_at yet) are left out below anyway; the bare column keeps its index.
    pr_when = PurchaseRequest.submitted_at
    pr_month = month_of(pr_when, timestamp=True)
    # The flags are the warnings' codes, kept by the database: each PR of the period has its
    # flagged lines looked up in the index (PR, flagged), and no other line is read.
    off, nonpref = PurchaseRequestLine.off_contract, PurchaseRequestLine.non_preferred
    line_cents = cents(PurchaseRequestLine.qty * PurchaseRequestLine.unit_price)
    # One pass over the period's flagged request lines counts both (a line may carry both).
    return (
        select(
            pr_month.label("m"),
            literal("flagged", String).label("kind"),
            func.sum(case((off, 1), else_=0)),
            func.sum(case((off, line_cents), else_=0)),
            func.sum(case((nonpref, 1), else_=0)),
            func.sum(case((nonpref, line_cents), else_=0)),
        )
        .select_from(PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .where(
            PurchaseRequestLine.sourcing_flagged == true(),
            PurchaseRequest.status.not_in(NO_SPEND_PR_STATUSES),
            pr_when >= period.start_at,
            pr_when < period.end_at,
        )
        .group_by(pr_month)
    )


def _out_of_pocket_by_month(period: Period) -> Select:
    """Own-money purchases by month bought."""
    oop_month = month_of(OutOfPocketPurchase.bought_on, timestamp=False)
    return (
        select(
            oop_month.label("m"),
            literal("out_of_pocket", String).label("kind"),
            func.count().label("n"),
            func.sum(cents(OutOfPocketPurchase.amount)),
            _ZERO,
            _ZERO,
        )
        .where(
            OutOfPocketPurchase.bought_on >= period.first,
            OutOfPocketPurchase.bought_on < period.end_on,
        )
        .group_by(oop_month)
    )


def waiting_rows(
    period: Period, by: str, now: datetime | None = None
) -> list[tuple[str, int, Decimal, int, Decimal]]:
    """Per site or vendor: waits for parts and their hours, downtimes and their hours."""
    now_value = literal(now or utcnow(), UTCDateTime)
    in_period = and_(
        WorkOrderStatusChange.changed_at >= period.start_at,
        WorkOrderStatusChange.changed_at < period.end_at,
    )
    waited = (
        select(WorkOrderStatusChange.work_order_id)
        .where(WorkOrderStatusChange.to_status == WorkOrderStatus.waiting_parts, in_period)
        .scalar_subquery()
    )
    # Each status change with the time of the next one on the same work order: a wait for
    # parts lasts from the move into waiting_parts to the next move (or now, still waiting).
    moves = (
        select(
            WorkOrderStatusChange.work_order_id.label("wo"),
            WorkOrderStatusChange.to_status.label("to_status"),
            WorkOrderStatusChange.changed_at.label("at"),
            func.lead(WorkOrderStatusChange.changed_at)
            .over(
                partition_by=WorkOrderStatusChange.work_order_id,
                order_by=(WorkOrderStatusChange.changed_at, WorkOrderStatusChange.id),
            )
            .label("left_at"),
        )
        .where(WorkOrderStatusChange.work_order_id.in_(waited))
        .subquery()
    )
    waits = select(
        moves.c.wo.label("wo"),
        literal(1, Integer).label("is_wait"),
        seconds_between(moves.c.at, func.coalesce(moves.c.left_at, now_value)).label("secs"),
    ).where(
        moves.c.to_status == WorkOrderStatus.waiting_parts,
        moves.c.at >= literal(period.start_at, UTCDateTime),
        moves.c.at < literal(period.end_at, UTCDateTime),
    )
    downs = select(
        WorkOrder.id.label("wo"),
        literal(0, Integer),
        seconds_between(WorkOrder.down_at, func.coalesce(WorkOrder.up_at, now_value)),
    ).where(WorkOrder.down_at >= period.start_at, WorkOrder.down_at < period.end_at)
    spans = union_all(waits, downs).subquery()
    wait_n = func.sum(spans.c.is_wait)
    wait_s = func.sum(case((spans.c.is_wait == 1, spans.c.secs), else_=0))
    down_n = func.sum(1 - spans.c.is_wait)
    down_s = func.sum(case((spans.c.is_wait == 0, spans.c.secs), else_=0))
    stmt = select(wait_n, wait_s, down_n, down_s).select_from(spans)
    if by == "site":
        stmt = (
            stmt.join(WorkOrder, WorkOrder.id == spans.c.wo)
            .join(Site, Site.id == WorkOrder.site_id)
            .add_columns(Site.name.label("k"))
            .group_by(Site.id, Site.name)
        )
    else:
        wo_vendor = (
            select(PurchaseOrderLine.work_order_id.label("wo"), PurchaseOrder.vendor_id)
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(PurchaseOrderLine.work_order_id.in_(select(spans.c.wo)))
            .distinct()
            .subquery()
        )
        stmt = (
            stmt.outerjoin(wo_vendor, wo_vendor.c.wo == spans.c.wo)
            .outerjoin(Vendor, Vendor.id == wo_vendor.c.vendor_id)
            .add_columns(func.coalesce(Vendor.name, "No purchase order").label("k"))
            .group_by(Vendor.id, Vendor.name)
        )
    rows = (
        current_session().execute(stmt.order_by(wait_s.desc(), down_s.desc()).limit(TOP_ROWS)).all()
    )
    return [
        (r.k, int(r[0] or 0), hours(as_decimal(r[1])), int(r[2] or 0), hours(as_decimal(r[3])))
        for r in rows
    ]

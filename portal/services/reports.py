"""Reports: one set-based query each, bounded rows, by month for a period; a chart and a table.

Every figure comes out of the database already summed (money as whole cents, so SQLite's
floating point never touches an amount); Python only fills empty months, turns cents and seconds
into Decimal and lays out the chart and the table. The same table feeds the page and the CSV, so
the two always carry the same numbers.

Month buckets use a portable expression: strftime on SQLite, to_char (in UTC) on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import ColumnElement

from portal.domain import charts
from portal.domain.charts import Series
from portal.domain.errors import NotFound
from portal.domain.reports import (
    Period,
    cents_to_money,
    hours,
    month_label,
    period_from,
    rate_percent,
)
from portal.domain.statuses import InvoiceStatus, InvoiceType, MovementKind, PurchaseRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
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


# --- portable SQL pieces ------------------------------------------------------------------------


def _dialect() -> str:
    """'sqlite' or 'postgresql': the few expressions below differ between them."""
    return db.session.get_bind().dialect.name


def month_of(column, *, timestamp: bool) -> ColumnElement:
    """'YYYY-MM' of a date or a UTC timestamp column."""
    if _dialect() == "postgresql":
        value = func.timezone("UTC", column) if timestamp else column
        return func.to_char(value, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def day_of(column) -> ColumnElement:
    """The UTC calendar day of a timestamp column, comparable with a date column."""
    if _dialect() == "postgresql":
        return cast(func.timezone("UTC", column), db.Date)
    return func.date(column)


def seconds_between(start, end) -> ColumnElement:
    """end - start in seconds (a number; fractions allowed)."""
    if _dialect() == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def cents(expr) -> ColumnElement:
    """An amount expression as whole cents, rounded half away from zero on both databases."""
    if _dialect() == "postgresql":
        return cast(func.round(expr * 100), BigInteger)  # numeric: exact
    # SQLite multiplies in binary floating point: 0.5 x 10.01 gives 500.4999... cents, not 500.5.
    # A line amount has at most five decimals (qty 3, price 2), so the true value in cents is
    # never closer than 0.001 to a rounding edge; a nudge of 1e-11 of the value away from zero
    # (0.001 cents at a million) restores the edge cases and changes nothing else.
    return cast(func.round(expr * 100 * (1 + 1e-11)), BigInteger)


def _invoice_sign() -> ColumnElement:
    """+1 for an invoice, -1 for a credit memo: the type carries the sign, the lines never do."""
    return case((VendorInvoice.type == InvoiceType.credit_memo, -1), else_=1)


def _dec(value) -> Decimal:
    """A number from the database (int, float from SQLite, Decimal from PostgreSQL) as Decimal."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- what a report page shows -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportInfo:
    """A report in the index: its URL name, title, one-line purpose and its breakdowns."""

    slug: str
    title: str
    blurb: str
    breakdowns: dict[str, str] = field(default_factory=dict)  # by -> label; empty: by month


@dataclass
class Table:
    """The rows of a report as text, the same for the page and the CSV."""

    headers: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # right-aligned column positions


@dataclass(frozen=True)
class Chart:
    """A drawn chart and its title, shown above it."""

    title: str
    svg: str


def _draw(draw: Callable[..., str], chart_id: str, title: str, *args) -> Chart:
    """Draw a chart with one of portal.domain.charts and keep its title to show above it."""
    return Chart(title, draw(chart_id, title, *args))


@dataclass
class ReportPage:
    """Everything a report page (or its CSV) shows."""

    info: ReportInfo
    period: Period
    by: str
    charts: list[Chart]
    table: Table
    notes: list[str] = field(default_factory=list)

    @property
    def csv_rows(self) -> list[list[str]]:
        """The table as CSV rows, header first; text a spreadsheet would run as a formula is
        quoted with a leading apostrophe (numbers, negative ones too, stay numbers)."""
        return [[_csv_safe(cell) for cell in row] for row in [self.table.headers, *self.table.rows]]

    @property
    def filename(self) -> str:
        """A name for the download that says what and when."""
        by = f"-by-{self.by}" if self.by else ""
        return f"{self.info.slug}{by}-{self.period.months[0]}-to-{self.period.months[-1]}.csv"


def _csv_safe(cell: str) -> str:
    """A cell as a spreadsheet will read it: never a formula (CSV injection)."""
    if cell[:1] in ("=", "+", "@", "\t", "\r") or (cell[:1] == "-" and not _is_number(cell)):
        return "'" + cell
    return cell


def _is_number(text: str) -> bool:
    """True for '-12.50', '3', '0.5'."""
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


REPORTS: dict[str, ReportInfo] = {
    info.slug: info
    for info in (
        ReportInfo(
            "spend",
            "Spend",
            "Matched, released and exported invoice lines, net of credit memos.",
            {"month": "Month", "vendor": "Vendor", "category": "Category"},
        ),
        ReportInfo(
            "wo-cost",
            "Work order cost",
            "Labour, stock issued and invoices on work orders' PO lines.",
            {"asset": "Asset", "site": "Site"},
        ),
        ReportInfo(
            "approval-cycle",
            "PR approval time",
            "Hours from a PR's submission to its decision: median and 90th percentile.",
        ),
        ReportInfo(
            "match-exceptions",
            "Match exceptions",
            "Share of matched invoices that were held, per month.",
        ),
        ReportInfo(
            "maverick",
            "Maverick spend trend",
            "After-the-fact POs, off-contract prices, non-preferred vendors, out-of-pocket buys.",
        ),
        ReportInfo(
            "waiting",
            "Waiting for parts and downtime",
            "Hours work orders waited for parts, and hours assets were down.",
            {"site": "Site", "vendor": "Vendor"},
        ),
    )
}


def report_info(slug: str) -> ReportInfo:
    """The report of this URL name; NotFound for any other."""
    info = REPORTS.get(slug)
    if info is None:
        raise NotFound(f"There is no report called {slug}.")
    return info


def choose_breakdown(info: ReportInfo, by: str | None) -> str:
    """The breakdown asked for when the report has it, else its first one ('' for none)."""
    if not info.breakdowns:
        return ""
    return by if by in info.breakdowns else next(iter(info.breakdowns))


def period_for(start: str | None, end: str | None) -> Period:
    """The period asked for as 'YYYY-MM' texts (either may be empty); BadPeriod in words."""
    return period_from(start, end, utcnow().date())


def run_report(slug: str, period: Period, by: str | None = None) -> ReportPage:
    """One report for one period and breakdown: its query, charts and table."""
    info = report_info(slug)
    chosen = choose_breakdown(info, by)
    builder: Callable[[ReportInfo, Period, str], ReportPage] = _BUILDERS[slug]
    return builder(info, period, chosen)


def _money_text(amount: Decimal) -> str:
    """An amount as the table and the CSV both show it: two decimals, no separators."""
    return f"{amount:.2f}"


# --- spend --------------------------------------------------------------------------------------


def spend_rows(period: Period, by: str) -> list[tuple[str, Decimal]]:
    """Net spend per month, vendor or category (biggest first), in one grouped query."""
    amount = func.sum(
        cents(VendorInvoiceLine.qty * VendorInvoiceLine.unit_price) * _invoice_sign()
    ).label("cents")
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
        rows = db.session.execute(stmt.add_columns(key).group_by(key)).all()
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
    rows = db.session.execute(stmt.order_by(amount.desc()).limit(TOP_ROWS)).all()
    return [(r.k, cents_to_money(r.cents)) for r in rows]


def _spend(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """Spend page: columns by month, or ranked bars by vendor or category."""
    rows = spend_rows(period, by)
    title = f"Net spend by {info.breakdowns[by].lower()}, {period.words}"
    if by == "month":
        labels = [month_label(m) for m in period.months]
        chart = _draw(charts.column_chart, "chart-spend", title, labels, [a for _, a in rows])
        table_rows = [[month_label(m), _money_text(a)] for m, a in rows]
    else:
        chart = _draw(
            charts.bar_chart, "chart-spend", title, [k for k, _ in rows], [a for _, a in rows]
        )
        table_rows = [[k, _money_text(a)] for k, a in rows]
    table = Table([info.breakdowns[by], "Net spend"], table_rows, {1})
    notes = [] if by == "month" else [f"The {TOP_ROWS} biggest, biggest first."]
    return ReportPage(info, period, by, [chart], table, notes)


# --- work order cost ----------------------------------------------------------------------------


def wo_cost_rows(period: Period, by: str) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """Labour, stock issued and invoiced per asset or site, biggest total first; one query."""
    zero = literal_column("0")
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
        StockMovement.kind.in_((MovementKind.issue, MovementKind.return_)),
        StockMovement.moved_at >= period.start_at,
        StockMovement.moved_at < period.end_at,
    )
    invoiced = (
        select(
            PurchaseOrderLine.work_order_id.label("wo"),
            zero,
            zero,
            cents(VendorInvoiceLine.qty * VendorInvoiceLine.unit_price) * _invoice_sign(),
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
    if by == "asset":
        name = func.coalesce(Asset.tag + literal(" ") + Asset.name, "No asset")
        stmt = stmt.outerjoin(Asset, Asset.id == WorkOrder.asset_id).group_by(
            Asset.id, Asset.tag, Asset.name
        )
    else:
        name = Site.name
        stmt = stmt.join(Site, Site.id == WorkOrder.site_id).group_by(Site.id, Site.name)
    rows = db.session.execute(
        stmt.add_columns(name.label("k")).order_by(total.desc()).limit(TOP_ROWS)
    ).all()
    return [(r.k, cents_to_money(r[0]), cents_to_money(r[1]), cents_to_money(r[2])) for r in rows]


def _wo_cost(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """WO cost page: a bar per asset or site of the total, and the three parts in the table."""
    rows = wo_cost_rows(period, by)
    totals = [labour + stock + inv for _, labour, stock, inv in rows]
    title = f"Work order cost by {by}, {period.words}"
    chart = _draw(charts.bar_chart, "chart-wo-cost", title, [r[0] for r in rows], totals)
    table = Table(
        [info.breakdowns[by], "Labour", "Stock issued", "Invoiced", "Total"],
        [
            [k, _money_text(labour), _money_text(stock), _money_text(inv), _money_text(total)]
            for (k, labour, stock, inv), total in zip(rows, totals, strict=True)
        ],
        {1, 2, 3, 4},
    )
    notes = [
        f"The {TOP_ROWS} costliest, costliest first. Stock returned to the store counts "
        "against the issue."
    ]
    return ReportPage(info, period, by, [chart], table, notes)


# --- PR approval cycle time ---------------------------------------------------------------------


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
    rows = db.session.execute(
        select(ranked.c.m, func.max(ranked.c.n), median, p90).group_by(ranked.c.m)
    ).all()
    found = {r[0]: (int(r[1]), hours(_dec(r[2])), hours(_dec(r[3]))) for r in rows}
    return {m: found.get(m, (0, None, None)) for m in period.months}


def _approval_cycle(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """Approval time page: median and p90 lines per month."""
    rows = approval_cycle_rows(period)
    labels = [month_label(m) for m in rows]
    chart = _draw(
        charts.line_chart,
        "chart-approval-cycle",
        f"Hours from submission to decision, {period.words}",
        labels,
        [
            Series("Median", tuple(r[1] for r in rows.values())),
            Series("90th percentile", tuple(r[2] for r in rows.values())),
        ],
    )
    table = Table(
        ["Month", "PRs decided", "Median hours", "90th percentile hours"],
        [
            [label, str(n), "" if med is None else str(med), "" if p90 is None else str(p90)]
            for label, (n, med, p90) in zip(labels, rows.values(), strict=True)
        ],
        {1, 2, 3},
    )
    notes = [
        "Counted in the month of the decision (approved or rejected). Percentiles are "
        "nearest-rank: the median of 4 values is the 2nd."
    ]
    return ReportPage(info, period, by, [chart], table, notes)


# --- match exception rate -----------------------------------------------------------------------


def match_exception_rows(period: Period) -> dict[str, tuple[int, int, Decimal | None]]:
    """Per month of invoice date: invoices matched by the engine, of them held, held %."""
    held_ids = select(Hold.invoice_id.label("invoice_id")).distinct().subquery()
    month = month_of(VendorInvoice.invoice_on, timestamp=False).label("m")
    held = or_(held_ids.c.invoice_id.is_not(None), VendorInvoice.status.in_(WAS_HELD_STATUSES))
    rows = db.session.execute(
        select(month, func.count(), func.sum(case((held, 1), else_=0)))
        .select_from(VendorInvoice)
        .outerjoin(held_ids, held_ids.c.invoice_id == VendorInvoice.id)
        .where(
            VendorInvoice.status.in_(EVALUATED_STATUSES),
            VendorInvoice.invoice_on >= period.first,
            VendorInvoice.invoice_on < period.end_on,
        )
        .group_by(month)
    ).all()
    found = {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}
    out = {}
    for m in period.months:
        evaluated, was_held = found.get(m, (0, 0))
        out[m] = (evaluated, was_held, rate_percent(was_held, evaluated))
    return out


def _match_exceptions(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """Exception rate page: a line of held % per month."""
    rows = match_exception_rows(period)
    labels = [month_label(m) for m in rows]
    chart = _draw(
        charts.line_chart,
        "chart-match-exceptions",
        f"Invoices held, % of matched, {period.words}",
        labels,
        [Series("Held %", tuple(r[2] for r in rows.values()))],
    )
    table = Table(
        ["Month", "Invoices matched", "Held", "Held %"],
        [
            [label, str(n), str(h), "" if rate is None else str(rate)]
            for label, (n, h, rate) in zip(labels, rows.values(), strict=True)
        ],
        {1, 2, 3},
    )
    notes = [
        "An invoice counts as held if it ever had a hold, even when released since. "
        "Invoices still waiting to be matched are left out."
    ]
    return ReportPage(info, period, by, [chart], table, notes)


# --- maverick spend trend -----------------------------------------------------------------------


def maverick_rows(period: Period) -> dict[str, dict[str, tuple[int, Decimal]]]:
    """Per month and kind of maverick spend: how many and how much; one UNION ALL query."""
    zero = literal_column("0")
    inv_month = month_of(VendorInvoice.invoice_on, timestamp=False)
    after = (
        select(
            inv_month.label("m"),
            literal("after_the_fact", String).label("kind"),
            func.count(func.distinct(VendorInvoice.id)).label("n"),
            func.coalesce(
                func.sum(cents(VendorInvoiceLine.qty * VendorInvoiceLine.unit_price)), 0
            ).label("cents"),
            zero.label("n2"),
            zero.label("cents2"),
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
    # Drafts (no submitted_at yet) are left out below anyway; the bare column keeps its index.
    pr_when = PurchaseRequest.submitted_at
    pr_month = month_of(pr_when, timestamp=True)
    # The flags are the warnings' codes, kept by the database: each PR of the period has its
    # flagged lines looked up in the index (PR, flagged), and no other line is read.
    off, nonpref = PurchaseRequestLine.off_contract, PurchaseRequestLine.non_preferred
    line_cents = cents(PurchaseRequestLine.qty * PurchaseRequestLine.unit_price)
    # One pass over the period's flagged request lines counts both (a line may carry both).
    flagged = (
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
    oop_month = month_of(OutOfPocketPurchase.bought_on, timestamp=False)
    pocket = (
        select(
            oop_month.label("m"),
            literal("out_of_pocket", String).label("kind"),
            func.count().label("n"),
            func.sum(cents(OutOfPocketPurchase.amount)),
            zero,
            zero,
        )
        .where(
            OutOfPocketPurchase.bought_on >= period.first,
            OutOfPocketPurchase.bought_on < period.end_on,
        )
        .group_by(oop_month)
    )
    rows = db.session.execute(union_all(after, flagged, pocket)).all()
    out = {m: {k: (0, Decimal("0.00")) for k in MAVERICK_KINDS} for m in period.months}
    for month, kind, n, amount, n2, amount2 in rows:
        if month not in out:
            continue
        if kind == "flagged":
            out[month]["off_contract"] = (int(n or 0), cents_to_money(amount))
            out[month]["non_preferred"] = (int(n2 or 0), cents_to_money(amount2))
        else:
            out[month][kind] = (int(n), cents_to_money(amount))
    return out


def _maverick(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """Maverick trend page: amount per kind stacked by month; counts and amounts in the table."""
    rows = maverick_rows(period)
    labels = [month_label(m) for m in rows]
    chart = _draw(
        charts.stacked_column_chart,
        "chart-maverick",
        f"Maverick spend by kind, {period.words}",
        labels,
        [
            Series(name, tuple(kinds[kind][1] for kinds in rows.values()))
            for kind, name in MAVERICK_KINDS.items()
        ],
    )
    headers = ["Month"]
    for name in MAVERICK_KINDS.values():
        headers += [f"{name} count", f"{name} amount"]
    table_rows = []
    for label, kinds in zip(labels, rows.values(), strict=True):
        row = [label]
        for kind in MAVERICK_KINDS:
            n, amount = kinds[kind]
            row += [str(n), _money_text(amount)]
        table_rows.append(row)
    notes = [
        "After-the-fact: invoices dated before their PO was approved. Off-contract and "
        "non-preferred: purchase request lines the sourcing check warned about (a line can be "
        "both), in the month the request was submitted. Out-of-pocket: in the month bought."
    ]
    return ReportPage(
        info, period, by, [chart], Table(headers, table_rows, set(range(1, len(headers)))), notes
    )


# --- waiting for parts and downtime -------------------------------------------------------------


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
    rows = db.session.execute(stmt.order_by(wait_s.desc(), down_s.desc()).limit(TOP_ROWS)).all()
    return [
        (r.k, int(r[0] or 0), hours(_dec(r[1])), int(r[2] or 0), hours(_dec(r[3]))) for r in rows
    ]


def _waiting(info: ReportInfo, period: Period, by: str) -> ReportPage:
    """Waiting page: bars of hours waiting for parts and of hours down, per site or vendor."""
    rows = waiting_rows(period, by)
    labels = [r[0] for r in rows]
    waiting_chart = _draw(
        charts.bar_chart,
        "chart-waiting",
        f"Hours waiting for parts by {by}, {period.words}",
        labels,
        [r[2] for r in rows],
    )
    down_chart = _draw(
        charts.bar_chart,
        "chart-downtime",
        f"Hours of asset downtime by {by}, {period.words}",
        labels,
        [r[4] for r in rows],
    )
    table = Table(
        [info.breakdowns[by], "Waits for parts", "Hours waiting", "Downtimes", "Hours down"],
        [[k, str(wn), str(ws), str(dn), str(ds)] for k, wn, ws, dn, ds in rows],
        {1, 2, 3, 4},
    )
    notes = [
        "A wait counts in the month it began; one still open runs until now, and so does "
        "downtime not yet ended."
    ]
    if by == "vendor":
        notes.append("A work order with purchase orders to two vendors counts for both.")
    return ReportPage(info, period, by, [waiting_chart, down_chart], table, notes)


_BUILDERS: dict[str, Callable[[ReportInfo, Period, str], ReportPage]] = {
    "spend": _spend,
    "wo-cost": _wo_cost,
    "approval-cycle": _approval_cycle,
    "match-exceptions": _match_exceptions,
    "maverick": _maverick,
    "waiting": _waiting,
}

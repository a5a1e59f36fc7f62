"""Reports: what each report page (and its CSV) shows: charts, a table and notes for a period.

The figures come from read_models/report_figures.py; this module lays them out. The same table
feeds the page and the CSV, so the two always carry the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from portal.domain import charts
from portal.domain.charts import Series
from portal.domain.errors import NotFound
from portal.domain.reports import Period, month_label, period_from
from portal.models.base import utcnow
from portal.read_models.report_figures import (
    MAVERICK_KINDS,
    TOP_ROWS,
    approval_cycle_rows,
    match_exception_rows,
    maverick_rows,
    spend_rows,
    waiting_rows,
    wo_cost_rows,
)


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
    """Everything a report page (or its CSV: the table's headers and rows) shows."""

    info: ReportInfo
    period: Period
    by: str
    charts: list[Chart]
    table: Table
    notes: list[str] = field(default_factory=list)

    @property
    def filename(self) -> str:
        """A name for the download that says what and when."""
        by = f"-by-{self.by}" if self.by else ""
        return f"{self.info.slug}{by}-{self.period.months[0]}-to-{self.period.months[-1]}.csv"


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

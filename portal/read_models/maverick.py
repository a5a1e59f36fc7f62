"""Maverick spend: purchases outside the rules, counted by site, technician, vendor and month.

Four kinds, each one set-based query, united in SQL and grouped there (read_models/maverick_sql.py):

- **after_the_fact**: a vendor invoice dated before its PO was approved (the purchase happened
  before it was authorised). The PO's approval day is taken in UTC; an invoice dated the same
  day as the approval is not after the fact.
- **off_contract** / **non_preferred**: PO lines (approved or later) whose stored sourcing
  warnings carry that code (domain.sourcing.SourceWarning.as_dict), and PR lines carrying it that
  are not on a PO yet (a purchase counts once, where the final choice of vendor lives).
- **out_of_pocket**: a technician's own-money purchase, unless it was refused (then the company
  did not pay for it).

Each row names the site (the work order's, else the cost centre's), the person who raised the
need, the vendor (or the shop, for out-of-pocket), the amount and the documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, Select, func, select

from portal.domain.maverick import GroupBy, MaverickKind
from portal.domain.money import money
from portal.read_models.maverick_sql import dimension, key_filter, spend
from portal.services._uow import current_session

ROW_LIMIT = 100  # rows shown under the groups; the CSV has them all
GROUP_LIMIT = 100
CSV_LIMIT = 50_000


@dataclass
class Group:
    """One line of a tab: how many of each kind, and how much in all."""

    key: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    count: int = 0
    amount: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    """One maverick purchase with the documents behind it."""

    kind: MaverickKind
    day: date
    site: str | None
    person: str | None
    vendor: str | None
    amount: Decimal | None
    detail: str | None
    wo_id: int | None
    wo_number: str | None
    pr_id: int | None
    pr_number: str | None
    po_id: int | None
    po_number: str | None
    invoice_id: int | None
    invoice_number: str | None
    oop_id: int | None


@dataclass
class Report:
    """The report page: the period, the chosen tab's groups, the latest rows, the totals."""

    since: date
    until: date
    group_by: GroupBy
    groups: list[Group]
    rows: list[Row]
    totals: dict[str, int]
    total_count: int
    total_amount: Decimal
    key: str | None = None
    key_label: str | None = None


def report(
    *,
    since: date,
    until: date,
    group_by: GroupBy = GroupBy.site,
    key: str | None = None,
) -> Report:
    """The maverick report for a period: one tab's groups, the latest rows, totals (3 queries)."""
    union, in_period = spend(since, until)
    dim_key, dim_label = dimension(union, group_by)
    grouped = (
        current_session()
        .execute(
            select(
                dim_key.label("key"),
                dim_label.label("label"),
                union.c.kind,
                func.count().label("n"),
                func.sum(union.c.amount).label("amount"),
            )
            .where(in_period)
            .group_by(dim_key, dim_label, union.c.kind)
        )
        .all()
    )
    groups: dict[str, Group] = {}
    totals = {kind.value: 0 for kind in MaverickKind}
    total_amount = Decimal("0")
    for gkey, label, kind, n, amount in grouped:
        group = groups.setdefault(gkey or "", Group(key=gkey or "", label=label))
        group.counts[kind] = group.counts.get(kind, 0) + n
        group.count += n
        group.amount = money(group.amount + (amount or 0))
        totals[kind] += n
        total_amount += amount or 0
    stmt = select(union).where(in_period)
    if key is not None:
        stmt = stmt.where(key_filter(union, group_by, key))
    latest = stmt.order_by(union.c.day.desc(), union.c.kind).limit(ROW_LIMIT)
    return Report(
        since=since,
        until=until,
        group_by=group_by,
        groups=_in_order(groups, group_by)[:GROUP_LIMIT],
        rows=[_row(r) for r in current_session().execute(latest).mappings()],
        totals=totals,
        total_count=sum(totals.values()),
        total_amount=money(total_amount),
        key=key,
        key_label=None if key is None else (groups[key].label if key in groups else key),
    )


def _in_order(groups: dict[str, Group], group_by: GroupBy) -> list[Group]:
    """Months newest first; any other tab biggest amount first."""
    if group_by is GroupBy.month:
        return sorted(groups.values(), key=lambda g: g.key, reverse=True)
    return sorted(groups.values(), key=lambda g: (-g.amount, -g.count, g.label))


def _row(r: RowMapping) -> Row:
    """A report row from a result mapping."""
    return Row(
        kind=MaverickKind(r["kind"]),
        day=r["day"],
        site=r["site"],
        person=r["person"],
        vendor=r["vendor"],
        amount=money(r["amount"]) if r["amount"] is not None else None,
        detail=r["detail"],
        wo_id=r["wo_id"],
        wo_number=r["wo_number"],
        pr_id=r["pr_id"],
        pr_number=r["pr_number"],
        po_id=r["po_id"],
        po_number=r["po_number"],
        invoice_id=r["invoice_id"],
        invoice_number=r["invoice_number"],
        oop_id=r["oop_id"],
    )


CSV_HEADER = [
    "kind",
    "day",
    "site",
    "technician",
    "vendor",
    "amount",
    "work_order",
    "purchase_request",
    "purchase_order",
    "invoice",
    "out_of_pocket_id",
    "detail",
]


def export_rows(*, since: date, until: date) -> Iterator[list[Any]]:
    """The period's maverick rows as CSV cells (CSV_HEADER), oldest first, up to CSV_LIMIT.

    The query is built here, before the first row is asked for; the rows are read as they are
    sent (one query).
    """
    union, in_period = spend(since, until)
    stmt = select(union).where(in_period).order_by(union.c.day, union.c.kind).limit(CSV_LIMIT)
    return _export_rows(stmt)


def _export_rows(stmt: Select) -> Iterator[list[Any]]:
    """The rows of `stmt` as CSV cells, streamed."""
    for mapping in current_session().execute(stmt).mappings():
        row = _row(mapping)
        yield [
            row.kind.value,
            row.day.isoformat(),
            row.site,
            row.person,
            row.vendor,
            None if row.amount is None else f"{row.amount:.2f}",
            row.wo_number,
            row.pr_number,
            row.po_number,
            row.invoice_number,
            row.oop_id,
            row.detail,
        ]

"""Maverick spend: purchases outside the rules, counted by site, technician, vendor and month.

Four kinds, each one set-based query, united in SQL and grouped there:

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

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    String,
    Text,
    and_,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from portal.domain.money import money
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    OutOfPocketStatus,
    PurchaseOrderStatus,
)
from portal.extensions import db
from portal.models import (
    CostCentre,
    OutOfPocketPurchase,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)

ROW_LIMIT = 100  # rows shown under the groups; the CSV has them all
GROUP_LIMIT = 100
CSV_LIMIT = 50_000


class MaverickKind(StrEnum):
    """Why a purchase counts as maverick spend."""

    after_the_fact = "after_the_fact"
    off_contract = "off_contract"
    non_preferred = "non_preferred"
    out_of_pocket = "out_of_pocket"


KIND_LABELS = {
    MaverickKind.after_the_fact: "After the fact",
    MaverickKind.off_contract: "Off contract",
    MaverickKind.non_preferred: "Non-preferred vendor",
    MaverickKind.out_of_pocket: "Out of pocket",
}


class GroupBy(StrEnum):
    """The tabs of the report."""

    site = "site"
    technician = "technician"
    vendor = "vendor"
    month = "month"


GROUP_LABELS = {
    GroupBy.site: "Site",
    GroupBy.technician: "Technician",
    GroupBy.vendor: "Vendor",
    GroupBy.month: "Month",
}


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

    @property
    def kind_label(self) -> str:
        """The kind in words."""
        return KIND_LABELS[self.kind]


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


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months up to today."""
    return today - timedelta(days=365), today


# ---------------------------------------------------------------- SQL pieces


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _utc_day(column):
    """The UTC calendar day of a timestamp column, as a date on both databases."""
    if _postgres():
        return cast(func.timezone("UTC", column), Date)
    return type_coerce(func.date(column), Date)


def _month(column):
    """'YYYY-MM' of a date column."""
    if _postgres():
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _amount(qty, price):
    """qty x price, exact numeric on both databases."""
    return cast(qty, Numeric(28, 6)) * cast(price, Numeric(28, 6))


def _columns(**values):
    """The union's columns, in one order, typed the same in every branch."""
    types = {
        "kind": String(24),
        "day": Date,
        "site_id": Integer,
        "site": String(120),
        "person_id": Integer,
        "person": String(120),
        "vendor": String(120),
        "amount": Numeric(28, 6),
        "detail": Text,
        "wo_id": Integer,
        "wo_number": String(20),
        "pr_id": Integer,
        "pr_number": String(20),
        "po_id": Integer,
        "po_number": String(20),
        "invoice_id": Integer,
        "invoice_number": String(40),
        "oop_id": Integer,
    }
    # A NULL is cast, not just typed: PostgreSQL will not unite an untyped NULL with integers.
    return [
        (type_coerce(values[name], kind) if name in values else cast(null(), kind)).label(name)
        for name, kind in types.items()
    ]


def _after_the_fact():
    """Invoices dated before their PO was approved; site and person from the PO's first line."""
    first = (
        select(
            PurchaseOrderLine.purchase_order_id.label("po_id"),
            func.min(PurchaseOrderLine.id).label("line_id"),
        )
        .group_by(PurchaseOrderLine.purchase_order_id)
        .subquery()
    )
    line = aliased(PurchaseOrderLine)
    billed = (
        select(func.sum(_amount(VendorInvoiceLine.qty, VendorInvoiceLine.unit_price)))
        .where(VendorInvoiceLine.invoice_id == VendorInvoice.id)
        .scalar_subquery()
    )
    approved_day = _utc_day(PurchaseOrder.approved_at)
    return (
        select(
            *_columns(
                kind=literal(MaverickKind.after_the_fact.value),
                day=VendorInvoice.invoice_on,
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=Vendor.name,
                amount=func.coalesce(cast(VendorInvoice.total_amount, Numeric(28, 6)), billed),
                detail=literal("Invoice dated ")
                + cast(VendorInvoice.invoice_on, String)
                + literal(", PO approved ")
                + cast(approved_day, String),
                wo_id=WorkOrder.id,
                wo_number=WorkOrder.number,
                pr_id=PurchaseRequest.id,
                pr_number=PurchaseRequest.number,
                po_id=PurchaseOrder.id,
                po_number=PurchaseOrder.number,
                invoice_id=VendorInvoice.id,
                invoice_number=VendorInvoice.number,
            )
        )
        .select_from(VendorInvoice)
        .join(PurchaseOrder, PurchaseOrder.id == VendorInvoice.purchase_order_id)
        .join(Vendor, Vendor.id == VendorInvoice.vendor_id)
        .outerjoin(first, first.c.po_id == PurchaseOrder.id)
        .outerjoin(line, line.id == first.c.line_id)
        .outerjoin(WorkOrder, WorkOrder.id == line.work_order_id)
        .outerjoin(CostCentre, CostCentre.id == line.cost_centre_id)
        .outerjoin(PurchaseRequestLine, PurchaseRequestLine.id == line.purchase_request_line_id)
        .outerjoin(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .outerjoin(Site, Site.id == func.coalesce(WorkOrder.site_id, CostCentre.site_id))
        .outerjoin(
            User,
            User.id
            == func.coalesce(
                PurchaseRequest.requested_by_id, WorkOrder.assignee_user_id, PurchaseOrder.buyer_id
            ),
        )
        .where(
            PurchaseOrder.approved_at.is_not(None),
            VendorInvoice.invoice_on < approved_day,
            VendorInvoice.type == InvoiceType.invoice,
            VendorInvoice.status.not_in([InvoiceStatus.cancelled, InvoiceStatus.rejected]),
        )
    )


def _flagged_lines(kind: MaverickKind):
    """PR lines whose stored warnings carry the kind's code (off_contract, non_preferred)."""
    # The JSON list is stored as json.dumps wrote it ("code": "..."), kept as text by SQLite and
    # by PostgreSQL's json type, so one LIKE on the text finds the code on both databases (a scan
    # of PR lines in one statement; the PO engineer's `warnings` column will need the same).
    pattern = f'%"code": "{kind.value}"%'
    pr_centre = aliased(CostCentre)
    return (
        select(
            *_columns(
                kind=literal(kind.value),
                day=_utc_day(
                    func.coalesce(PurchaseRequest.submitted_at, PurchaseRequest.created_at)
                ),
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=Vendor.name,
                amount=_amount(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price),
                detail=PurchaseRequestLine.description,
                wo_id=WorkOrder.id,
                wo_number=WorkOrder.number,
                pr_id=PurchaseRequest.id,
                pr_number=PurchaseRequest.number,
            )
        )
        .select_from(PurchaseRequestLine)
        .join(PurchaseRequest, PurchaseRequest.id == PurchaseRequestLine.purchase_request_id)
        .outerjoin(Vendor, Vendor.id == PurchaseRequestLine.suggested_vendor_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseRequest.work_order_id)
        .outerjoin(pr_centre, pr_centre.id == PurchaseRequest.cost_centre_id)
        .outerjoin(Site, Site.id == func.coalesce(WorkOrder.site_id, pr_centre.site_id))
        .outerjoin(User, User.id == PurchaseRequest.requested_by_id)
        .where(cast(PurchaseRequestLine.policy_warnings, Text).like(pattern))
        # Once ordered, the PO line carries the buyer's final choice: count it there, once.
        .where(
            ~exists().where(PurchaseOrderLine.purchase_request_line_id == PurchaseRequestLine.id)
        )
    )


def _flagged_order_lines(kind: MaverickKind):
    """PO lines (approved or later) whose stored sourcing warnings carry the kind's code."""
    pattern = f'%"code": "{kind.value}"%'
    po_centre = aliased(CostCentre)
    return (
        select(
            *_columns(
                kind=literal(kind.value),
                day=_utc_day(func.coalesce(PurchaseOrder.approved_at, PurchaseOrder.created_at)),
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=Vendor.name,
                amount=_amount(PurchaseOrderLine.qty, PurchaseOrderLine.unit_price),
                detail=PurchaseOrderLine.description,
                wo_id=WorkOrder.id,
                wo_number=WorkOrder.number,
                po_id=PurchaseOrder.id,
                po_number=PurchaseOrder.number,
            )
        )
        .select_from(PurchaseOrderLine)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
        .join(Vendor, Vendor.id == PurchaseOrder.vendor_id)
        .outerjoin(WorkOrder, WorkOrder.id == PurchaseOrderLine.work_order_id)
        .outerjoin(po_centre, po_centre.id == PurchaseOrderLine.cost_centre_id)
        .outerjoin(Site, Site.id == func.coalesce(WorkOrder.site_id, po_centre.site_id))
        .outerjoin(User, User.id == PurchaseOrder.buyer_id)
        .where(
            PurchaseOrder.status.not_in((PurchaseOrderStatus.draft, PurchaseOrderStatus.cancelled)),
            cast(PurchaseOrderLine.warnings, Text).like(pattern),
        )
    )


def _out_of_pocket():
    """Own-money purchases that were not refused."""
    return (
        select(
            *_columns(
                kind=literal(MaverickKind.out_of_pocket.value),
                day=OutOfPocketPurchase.bought_on,
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=OutOfPocketPurchase.shop_name,
                amount=cast(OutOfPocketPurchase.amount, Numeric(28, 6)),
                detail=OutOfPocketPurchase.description,
                wo_id=WorkOrder.id,
                wo_number=WorkOrder.number,
                oop_id=OutOfPocketPurchase.id,
            )
        )
        .select_from(OutOfPocketPurchase)
        .join(WorkOrder, WorkOrder.id == OutOfPocketPurchase.work_order_id)
        .join(Site, Site.id == WorkOrder.site_id)
        .join(User, User.id == OutOfPocketPurchase.user_id)
        .where(OutOfPocketPurchase.status != OutOfPocketStatus.refused)
    )


def _spend(since: date, until: date):
    """Every maverick row of the period, as one subquery."""
    union = union_all(
        _after_the_fact(),
        _flagged_lines(MaverickKind.off_contract),
        _flagged_lines(MaverickKind.non_preferred),
        _flagged_order_lines(MaverickKind.off_contract),
        _flagged_order_lines(MaverickKind.non_preferred),
        _out_of_pocket(),
    ).subquery("maverick")
    return union, and_(union.c.day >= since, union.c.day <= until)


def _dimension(spend, group_by: GroupBy):
    """(key, label) columns of the tab."""
    c = spend.c
    if group_by is GroupBy.site:
        return cast(c.site_id, String), func.coalesce(c.site, "No site")
    if group_by is GroupBy.technician:
        return cast(c.person_id, String), func.coalesce(c.person, "Nobody named")
    if group_by is GroupBy.vendor:
        return func.coalesce(c.vendor, ""), func.coalesce(c.vendor, "No vendor named")
    month = _month(c.day)
    return month, month


def _key_filter(spend, group_by: GroupBy, key: str):
    """Rows of one group of the tab."""
    dim_key, _label = _dimension(spend, group_by)
    if group_by in (GroupBy.site, GroupBy.technician) and key == "":
        column = spend.c.site_id if group_by is GroupBy.site else spend.c.person_id
        return column.is_(None)
    return dim_key == key


# ---------------------------------------------------------------- the report


def report(
    *,
    since: date,
    until: date,
    group_by: GroupBy = GroupBy.site,
    key: str | None = None,
) -> Report:
    """The maverick report for a period: one tab's groups, the latest rows, totals (3 queries)."""
    spend, in_period = _spend(since, until)
    dim_key, dim_label = _dimension(spend, group_by)
    grouped = db.session.execute(
        select(
            dim_key.label("key"),
            dim_label.label("label"),
            spend.c.kind,
            func.count().label("n"),
            func.sum(spend.c.amount).label("amount"),
        )
        .where(in_period)
        .group_by(dim_key, dim_label, spend.c.kind)
    ).all()
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
    if group_by is GroupBy.month:
        ordered = sorted(groups.values(), key=lambda g: g.key, reverse=True)
    else:
        ordered = sorted(groups.values(), key=lambda g: (-g.amount, -g.count, g.label))
    key_label = None
    stmt = select(spend).where(in_period)
    if key is not None:
        stmt = stmt.where(_key_filter(spend, group_by, key))
        key_label = groups[key].label if key in groups else key
    rows = [
        _row(r)
        for r in db.session.execute(
            stmt.order_by(spend.c.day.desc(), spend.c.kind).limit(ROW_LIMIT)
        ).mappings()
    ]
    return Report(
        since=since,
        until=until,
        group_by=group_by,
        groups=ordered[:GROUP_LIMIT],
        rows=rows,
        totals=totals,
        total_count=sum(totals.values()),
        total_amount=money(total_amount),
        key=key,
        key_label=key_label,
    )


def _row(r) -> Row:
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


def _cell(value) -> str:
    """A CSV cell; text a spreadsheet would run as a formula is quoted with a leading '."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(*, since: date, until: date) -> Iterator[str]:
    """The period's maverick rows as CSV, one line at a time (streamed, one query)."""
    spend, in_period = _spend(since, until)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    result = db.session.execute(
        select(spend).where(in_period).order_by(spend.c.day, spend.c.kind).limit(CSV_LIMIT)
    ).mappings()
    for r in result:
        row = _row(r)
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                row.kind.value,
                row.day.isoformat(),
                _cell(row.site),
                _cell(row.person),
                _cell(row.vendor),
                "" if row.amount is None else f"{row.amount:.2f}",
                _cell(row.wo_number),
                _cell(row.pr_number),
                _cell(row.po_number),
                _cell(row.invoice_number),
                "" if row.oop_id is None else str(row.oop_id),
                _cell(row.detail),
            ]
        )
        yield buffer.getvalue()

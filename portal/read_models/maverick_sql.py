"""The maverick spend report's one query: each kind of purchase outside the rules as a branch of
a UNION ALL with the same columns, grouped and filtered in SQL (see read_models/maverick.py).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Numeric,
    Select,
    String,
    Subquery,
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
from sqlalchemy.types import TypeEngine

from portal.domain.maverick import GroupBy, MaverickKind
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    OutOfPocketStatus,
    PurchaseOrderStatus,
)
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
from portal.read_models.portable_sql import day_of, month_of
from portal.read_models.spend_sql import amount_sql

# The union's columns, in one order, typed the same in every branch.
_COLUMNS: dict[str, TypeEngine[Any]] = {
    "kind": String(24),
    "day": Date(),
    "site_id": Integer(),
    "site": String(120),
    "person_id": Integer(),
    "person": String(120),
    "vendor": String(120),
    "amount": Numeric(28, 6),
    "detail": Text(),
    "wo_id": Integer(),
    "wo_number": String(20),
    "pr_id": Integer(),
    "pr_number": String(20),
    "po_id": Integer(),
    "po_number": String(20),
    "invoice_id": Integer(),
    "invoice_number": String(40),
    "oop_id": Integer(),
}


def _columns(**values: Any) -> list[ColumnElement[Any]]:
    """The union's columns from the values a branch has; NULL for the others."""
    # A NULL is cast, not just typed: PostgreSQL will not unite an untyped NULL with integers.
    return [
        (type_coerce(values[name], kind) if name in values else cast(null(), kind)).label(name)
        for name, kind in _COLUMNS.items()
    ]


def _after_the_fact() -> Select:
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
        select(func.sum(amount_sql(VendorInvoiceLine.qty, VendorInvoiceLine.unit_price)))
        .where(VendorInvoiceLine.invoice_id == VendorInvoice.id)
        .scalar_subquery()
    )
    approved_day = day_of(PurchaseOrder.approved_at)
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


def _flagged_lines(kind: MaverickKind) -> Select:
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
                day=day_of(func.coalesce(PurchaseRequest.submitted_at, PurchaseRequest.created_at)),
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=Vendor.name,
                amount=amount_sql(PurchaseRequestLine.qty, PurchaseRequestLine.unit_price),
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


def _flagged_order_lines(kind: MaverickKind) -> Select:
    """PO lines (approved or later) whose stored sourcing warnings carry the kind's code."""
    pattern = f'%"code": "{kind.value}"%'
    po_centre = aliased(CostCentre)
    return (
        select(
            *_columns(
                kind=literal(kind.value),
                day=day_of(func.coalesce(PurchaseOrder.approved_at, PurchaseOrder.created_at)),
                site_id=Site.id,
                site=Site.name,
                person_id=User.id,
                person=User.full_name,
                vendor=Vendor.name,
                amount=amount_sql(PurchaseOrderLine.qty, PurchaseOrderLine.unit_price),
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


def _out_of_pocket() -> Select:
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


def spend(since: date, until: date) -> tuple[Subquery, ColumnElement[bool]]:
    """Every maverick row, as one subquery, and the condition that keeps the period's."""
    union = union_all(
        _after_the_fact(),
        _flagged_lines(MaverickKind.off_contract),
        _flagged_lines(MaverickKind.non_preferred),
        _flagged_order_lines(MaverickKind.off_contract),
        _flagged_order_lines(MaverickKind.non_preferred),
        _out_of_pocket(),
    ).subquery("maverick")
    return union, and_(union.c.day >= since, union.c.day <= until)


def dimension(spend: Subquery, group_by: GroupBy) -> tuple[ColumnElement, ColumnElement]:
    """(key, label) columns of the tab."""
    c = spend.c
    if group_by is GroupBy.site:
        return cast(c.site_id, String), func.coalesce(c.site, "No site")
    if group_by is GroupBy.technician:
        return cast(c.person_id, String), func.coalesce(c.person, "Nobody named")
    if group_by is GroupBy.vendor:
        return func.coalesce(c.vendor, ""), func.coalesce(c.vendor, "No vendor named")
    month = month_of(c.day, timestamp=False)
    return month, month


def key_filter(spend: Subquery, group_by: GroupBy, key: str) -> ColumnElement[bool]:
    """Rows of one group of the tab."""
    dim_key, _label = dimension(spend, group_by)
    if group_by in (GroupBy.site, GroupBy.technician) and key == "":
        column = spend.c.site_id if group_by is GroupBy.site else spend.c.person_id
        return column.is_(None)
    return dim_key == key

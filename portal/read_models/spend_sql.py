"""How an amount is worked out in SQL, once for every figure that sums money (docs/money.md).

The budget figures (read_models/budgets.py), a work order's cost roll-up (read_models/costs.py)
and the budget ledger's triggers (services/budget_ledger.py) all build on these expressions, so
a work order's figures, its cost centre's position and the derived rows never tell different
stories.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from sqlalchemy import Numeric, ScalarSelect, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from portal.domain.costing import BASE_CURRENCY
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    MovementKind,
    PurchaseOrderStatus,
)
from portal.models import (
    ExchangeRate,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
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


def amount_sql(qty, price, discount=None) -> ColumnElement[Decimal]:
    """qty x price x (100 - discount) / 100 as SQL, exact numeric on both databases."""
    total = cast(qty, Numeric(28, 6)) * cast(price, Numeric(28, 6))
    if discount is not None:
        total = total * (literal(100) - cast(discount, Numeric(28, 6))) / literal(100)
    return total


# False only while budget_ledger builds its triggers on a database migrated to a revision before
# vendor_invoice_line.booked_amount and exchange_rate (the ledger's first migration runs this code
# as it is now).
_BOOKED_COLUMN: ContextVar[bool] = ContextVar("booked_column", default=True)


@contextmanager
def without_booked_column() -> Iterator[None]:
    """Build SQL for a database with no booked amounts and no rates yet (values as they are)."""
    token = _BOOKED_COLUMN.set(False)
    try:
        yield
    finally:
        _BOOKED_COLUMN.reset(token)


def booked_sql() -> ColumnElement[Decimal]:
    """What an invoice line puts on its work order and cost centre, unsigned (join VendorInvoice):
    its booked amount (its amount, share of freight and tax, in the base currency); a line
    written without the invoice service (no booked amount) counts at its own amount when the
    invoice is in the base currency, and not at all in another currency (cost_checks names it):
    an amount is never added in a currency it is not in."""
    own = amount_sql(VendorInvoiceLine.qty, VendorInvoiceLine.unit_price)
    if not _BOOKED_COLUMN.get():
        return own
    return case(
        (VendorInvoiceLine.booked_amount.is_not(None), VendorInvoiceLine.booked_amount),
        (VendorInvoice.currency == BASE_CURRENCY, own),
        else_=literal(0),
    )


def billed_sql() -> ColumnElement[Decimal]:
    """An invoice line's booked amount as SQL, negative on a credit memo (join VendorInvoice)."""
    billed = booked_sql()
    return case((VendorInvoice.type == InvoiceType.credit_memo, -billed), else_=billed)


def invoiced_sql() -> ScalarSelect[Decimal]:
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


def po_rate_sql() -> ScalarSelect[Decimal]:
    """The rate that converts the outer query's PO line to the base currency: 1 in the base
    currency, else the rate valid on the day its PO was approved (NULL when there is none: the
    line then commits nothing, and services.cost_checks names it)."""
    po = aliased(PurchaseOrder)  # its own: the outer query may join purchase_order too
    rate = (
        select(ExchangeRate.rate)
        .where(
            ExchangeRate.currency == po.currency,
            # a day against a timestamp: as dates on PostgreSQL, as ISO texts on SQLite
            ExchangeRate.valid_from <= po.approved_at,
        )
        .correlate(po)
        .order_by(ExchangeRate.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(case((po.currency == BASE_CURRENCY, literal(1)), else_=rate))
        .where(po.id == PurchaseOrderLine.purchase_order_id)
        .correlate_except(po)
        .scalar_subquery()
    )


def open_value_sql() -> ColumnElement[Decimal]:
    """A PO line's ordered value net of discount, in the base currency, as SQL."""
    value = amount_sql(
        PurchaseOrderLine.qty, PurchaseOrderLine.unit_price, PurchaseOrderLine.discount_percent
    )
    if not _BOOKED_COLUMN.get():
        return value
    return value * cast(po_rate_sql(), Numeric(28, 8))


def still_committed_sql() -> ColumnElement[Decimal]:
    """A PO line's value not yet invoiced (never below zero), as SQL."""
    left = open_value_sql() - invoiced_sql()
    return case((left > 0, left), else_=0)


def charged_movement_sql() -> ColumnElement[bool]:
    """The stock movements that put cost on (or take it off) a work order: issues from the
    storeroom and returns to it. An issue on arrival (tied to a goods receipt line) hands over
    goods bought for the work order: their money is the PO line's invoice, counted once there
    (docs/money.md), so the issue is not counted again."""
    return or_(
        StockMovement.kind == MovementKind.return_,
        and_(
            StockMovement.kind == MovementKind.issue,
            StockMovement.goods_receipt_line_id.is_(None),
        ),
    )


def stock_cost_sql() -> ColumnElement[Decimal]:
    """Cost of an issue or return movement to a work order: issues (qty < 0) count positive."""
    return -amount_sql(StockMovement.qty, StockMovement.unit_cost)

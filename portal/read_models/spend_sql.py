"""How an amount is worked out in SQL, once for every figure that sums money.

The budget figures (read_models/budgets.py), a work order's cost roll-up (read_models/costs.py)
and the budget ledger's triggers (services/budget_ledger.py) all build on these expressions, so
a work order's figures, its cost centre's position and the derived rows never tell different
stories.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, ScalarSelect, case, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from portal.domain.statuses import InvoiceStatus, InvoiceType, PurchaseOrderStatus
from portal.models import PurchaseOrderLine, StockMovement, VendorInvoice, VendorInvoiceLine

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


def billed_sql() -> ColumnElement[Decimal]:
    """An invoice line's amount as SQL, negative on a credit memo (join VendorInvoice)."""
    billed = amount_sql(VendorInvoiceLine.qty, VendorInvoiceLine.unit_price)
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


def open_value_sql() -> ColumnElement[Decimal]:
    """A PO line's ordered value net of discount, as SQL."""
    return amount_sql(
        PurchaseOrderLine.qty, PurchaseOrderLine.unit_price, PurchaseOrderLine.discount_percent
    )


def still_committed_sql() -> ColumnElement[Decimal]:
    """A PO line's value not yet invoiced (never below zero), as SQL."""
    left = open_value_sql() - invoiced_sql()
    return case((left > 0, left), else_=0)


def stock_cost_sql() -> ColumnElement[Decimal]:
    """Cost of an issue or return movement to a work order: issues (qty < 0) count positive."""
    return -amount_sql(StockMovement.qty, StockMovement.unit_cost)

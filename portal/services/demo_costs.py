"""Demo costs: cost centres on the demo work orders, labour, an order and an invoice on one.

Runs inside load_demo's transaction (once, like the rest of the demo), so the WO cost panel, the
asset's cost so far and the budgets page show real figures from the first sign-in.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.domain.numbering import Sequence
from portal.domain.statuses import (
    InvoiceStatus,
    LineKind,
    PurchaseOrderStatus,
    VendorStatus,
)
from portal.models import (
    CostCentre,
    LabourEntry,
    PurchaseOrder,
    PurchaseOrderLine,
    User,
    Vendor,
    VendorInvoice,
    VendorInvoiceLine,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services.numbering import next_number

COMPRESSOR = "Compressor 1 air and oil filter change"


def load_demo_costs(session: Session) -> None:
    """Charge demo work to its site's cost centre; log labour, order and invoice for one WO."""
    for centre in session.scalars(select(CostCentre).where(CostCentre.site_id.is_not(None))):
        session.execute(
            update(WorkOrder)
            .where(WorkOrder.site_id == centre.site_id, WorkOrder.cost_centre_id.is_(None))
            .values(cost_centre_id=centre.id)
        )
    wo = session.scalar(select(WorkOrder).where(WorkOrder.title == COMPRESSOR))
    tech = session.scalar(select(User).where(User.username == "technician"))
    clerk = session.scalar(select(User).where(User.username == "ap_clerk"))
    vendor = session.scalar(
        select(Vendor).where(Vendor.status == VendorStatus.active).order_by(Vendor.id).limit(1)
    )
    if wo is None or tech is None or clerk is None or vendor is None:
        return
    today = utcnow().date()
    session.add(
        LabourEntry(
            work_order_id=wo.id,
            user_id=tech.id,
            worked_on=today - timedelta(days=1),
            hours=Decimal("2.5"),
            rate=Decimal("42.00"),
            cost_amount=Decimal("105.00"),
            note="Filters changed, oil separator found worn",
        )
    )
    now = utcnow()
    po = PurchaseOrder(
        number=next_number(session, Sequence.purchase_order),
        vendor_id=vendor.id,
        status=PurchaseOrderStatus.partially_received,
        payment_terms=vendor.payment_terms,
        approved_at=now - timedelta(days=6),
        issued_at=now - timedelta(days=6),
    )
    session.add(po)
    session.flush()
    common = {
        "purchase_order_id": po.id,
        "work_order_id": wo.id,
        "cost_centre_id": wo.cost_centre_id,
        "qty": Decimal("1"),
    }
    separator = PurchaseOrderLine(
        line_no=1,
        description="Oil separator element",
        kind=LineKind.goods,
        uom="EA",
        unit_price=Decimal("185.00"),
        received_qty=Decimal("1"),
        **common,
    )
    visit = PurchaseOrderLine(
        line_no=2,
        description="Compressor service visit",
        kind=LineKind.service,
        uom="VISIT",
        unit_price=Decimal("320.00"),
        backorder_qty=Decimal("1"),
        **common,
    )
    session.add_all([separator, visit])
    session.flush()
    invoice = VendorInvoice(
        vendor_id=vendor.id,
        purchase_order_id=po.id,
        number="SEP-88127",
        normalised_number="SEP88127",
        invoice_on=today - timedelta(days=2),
        currency="USD",
        status=InvoiceStatus.matched,
        entered_by_id=clerk.id,
    )
    session.add(invoice)
    session.flush()
    # Billed a little above the order price: a price variance inside tolerance.
    session.add(
        VendorInvoiceLine(
            invoice_id=invoice.id,
            position=1,
            purchase_order_line_id=separator.id,
            line_ref="1",
            qty=Decimal("1"),
            unit_price=Decimal("192.00"),
        )
    )

"""Budget figures: committed and actual per cost centre, checked against hand-made cases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    MovementKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.models import LabourEntry, StockMovement, VendorInvoice, VendorInvoiceLine
from portal.models.base import utcnow
from portal.services import budgets
from tests.factories import (
    make_cost_centre,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_storeroom,
    make_user,
    make_vendor,
    make_work_order,
)

D = Decimal


def _invoice(database, po, line, qty, price, *, status, kind=InvoiceType.invoice):
    clerk = make_user(database, roles=["ap_clerk"])
    invoice = VendorInvoice(
        vendor_id=po.vendor_id,
        purchase_order_id=po.id,
        number=f"INV-{line.id}-{qty}-{kind}",
        normalised_number=f"INV{line.id}{qty}{kind}",
        type=kind,
        invoice_on=date.today(),
        currency="USD",
        status=status,
        entered_by_id=clerk.id,
    )
    database.session.add(invoice)
    database.session.flush()
    database.session.add(
        VendorInvoiceLine(
            invoice_id=invoice.id,
            position=1,
            purchase_order_line_id=line.id,
            line_ref=str(line.line_no),
            qty=D(qty),
            unit_price=D(price),
        )
    )
    database.session.commit()


def test_budget_position_adds_requests_orders_invoices_stock_and_labour(database):
    centre = make_cost_centre(database, budget="5000.00")
    other = make_cost_centre(database, budget="1000.00")
    # Approved PR not yet ordered: 2 x 150.00 = 300.00 committed; a submitted one is not.
    make_purchase_request(
        database,
        cost_centre=centre,
        status=PurchaseRequestStatus.approved,
        lines=[{"qty": "2", "unit_price": "150.00"}],
    )
    make_purchase_request(database, cost_centre=centre, lines=[{"qty": "9", "unit_price": "99"}])
    # Issued PO line 10 x 20.00 less 10 % = 180.00; 4 invoiced and matched at 18.00 = 72.00.
    po = make_purchase_order(
        database,
        vendor=make_vendor(database),
        lines=[
            {
                "qty": "10",
                "unit_price": "20.00",
                "discount_percent": D("10"),
                "cost_centre_id": centre.id,
            },
            {"qty": "1", "unit_price": "999.00", "cost_centre_id": other.id},
        ],
    )
    _invoice(database, po, po.lines[0], "4", "18.00", status=InvoiceStatus.matched)
    _invoice(database, po, po.lines[0], "3", "18.00", status=InvoiceStatus.hold)  # not spent yet
    _invoice(
        database,
        po,
        po.lines[0],
        "1",
        "18.00",
        status=InvoiceStatus.matched,
        kind=InvoiceType.credit_memo,
    )
    # A cancelled PO commits nothing.
    make_purchase_order(
        database,
        status=PurchaseOrderStatus.cancelled,
        lines=[{"qty": "1", "unit_price": "700.00", "cost_centre_id": centre.id}],
    )
    # Stock issued to one of its WOs: 3 at 12.50 = 37.50; labour 2.5 h at 40.00 = 100.00.
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech, cost_centre_id=centre.id)
    item = make_item(database)
    store = make_storeroom(database)
    database.session.add_all(
        [
            StockMovement(
                item_id=item.id,
                storeroom_id=store.id,
                kind=MovementKind.issue,
                qty=D("-3"),
                unit_cost=D("12.50"),
                work_order_id=wo.id,
                moved_at=utcnow(),
            ),
            LabourEntry(
                work_order_id=wo.id,
                user_id=tech.id,
                worked_on=date.today(),
                hours=D("2.5"),
                rate=D("40.00"),
                cost_amount=D("100.00"),
            ),
        ]
    )
    database.session.commit()

    figures = budgets.position(centre.id)

    # Invoiced and spent: 4 x 18 - 1 x 18 = 54.00; committed 300 + (180 - 54) = 426.00.
    assert figures.budget == D("5000.00")
    assert figures.committed == D("426.00")
    assert figures.actual == D("54.00") + D("37.50") + D("100.00")
    assert figures.remaining == D("5000.00") - D("426.00") - D("191.50")
    assert figures.exceeded_by(D("4000.00")) == D("0.00")
    assert figures.exceeded_by(D("4400.00")) == D("17.50")
    assert budgets.position(other.id).committed == D("999.00")

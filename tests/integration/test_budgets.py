"""Budget figures: committed and actual per cost centre, checked against hand-made cases."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select, text, update

from portal import create_app
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    MovementKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.extensions import db
from portal.models import (
    CommittedPoLine,
    LabourEntry,
    PurchaseOrder,
    PurchaseRequest,
    PurchaseRequestLine,
    StockMovement,
    VendorInvoice,
    VendorInvoiceLine,
)
from portal.models.base import utcnow
from portal.read_models import budgets
from portal.services import budget_ledger
from tests.concurrency import run_at_once as race
from tests.conftest import base_config, scratch_database
from tests.factories import (
    make_cost_centre,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_storeroom,
    make_user,
    make_vendor,
    make_vendor_invoice,
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


def _assert_ledger_matches_documents():
    assert budget_ledger.check_ledger() == []


def test_derived_budget_rows_follow_every_document_change(database):
    """Triggers keep committed PR and PO lines and spent invoice lines equal to a recompute."""
    a = make_cost_centre(database, budget="5000.00")
    b = make_cost_centre(database, budget="5000.00")
    po = make_purchase_order(
        database,
        lines=[
            {
                "qty": "10",
                "unit_price": "20.00",
                "discount_percent": D("10"),
                "cost_centre_id": a.id,
            },
            {"qty": "3", "unit_price": "33.33", "cost_centre_id": a.id},
            {"qty": "1", "unit_price": "500.00", "cost_centre_id": b.id},
        ],
    )
    one, two, _ = po.lines
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("279.99") and budgets.committed(b.id) == D("500.00")

    _invoice(database, po, one, "4", "18.00", status=InvoiceStatus.entered)  # not spent yet
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("279.99")
    entered = database.session.scalar(
        select(VendorInvoice).where(VendorInvoice.status == "entered")
    )
    entered.status = InvoiceStatus.matched  # now spent: 72.00 off line one
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("207.99")
    assert budgets.actual(a.id, date.today(), date.today()) == D("72.00")

    # Two invoice lines on line two in one invoice, then one statement changing both rows.
    invoice = VendorInvoice(
        vendor_id=po.vendor_id,
        purchase_order_id=po.id,
        number="INV-TWO",
        normalised_number="INVTWO",
        type=InvoiceType.invoice,
        invoice_on=date.today(),
        currency="USD",
        status=InvoiceStatus.released,
        entered_by_id=make_user(database, roles=["ap_clerk"]).id,
    )
    database.session.add(invoice)
    database.session.flush()
    for position in (1, 2):
        database.session.add(
            VendorInvoiceLine(
                invoice_id=invoice.id,
                position=position,
                purchase_order_line_id=two.id,
                line_ref="2",
                qty=D("1"),
                unit_price=D("33.33"),
            )
        )
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("141.33")
    database.session.execute(
        update(VendorInvoiceLine)
        .where(VendorInvoiceLine.invoice_id == invoice.id)
        .values(qty=VendorInvoiceLine.qty + 1)
    )
    database.session.commit()
    _assert_ledger_matches_documents()  # billed 133.32 > 99.99 ordered: line two commits 0
    assert budgets.committed(a.id) == D("108.00")

    # A credit memo, a moved invoice date, a line moved to another centre, a receipt.
    _invoice(
        database, po, one, "1", "18.00", status=InvoiceStatus.matched, kind=InvoiceType.credit_memo
    )
    invoice.invoice_on = date(2020, 1, 1)
    one.cost_centre_id = b.id
    one.received_qty = D("5")
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("0.00")
    assert budgets.committed(b.id) == D("500.00") + D("126.00")
    assert budgets.actual(a.id, date.today(), date.today()) == D("0.00")
    assert budgets.actual(b.id, date.today(), date.today()) == D("54.00")

    # An invoice back on hold, an invoice line removed, the PO cancelled in one statement.
    invoice.status = InvoiceStatus.hold
    database.session.commit()
    _assert_ledger_matches_documents()
    database.session.execute(
        delete(VendorInvoiceLine).where(VendorInvoiceLine.invoice_id == invoice.id)
    )
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("99.99")
    database.session.execute(
        update(PurchaseOrder)
        .where(PurchaseOrder.id == po.id)
        .values(status=PurchaseOrderStatus.cancelled)
    )
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("0.00") and budgets.committed(b.id) == D("0.00")

    # A PR commits from approval until it is ordered; its lines and centre may change meanwhile.
    pr = make_purchase_request(
        database,
        cost_centre=a,
        lines=[{"qty": "2", "unit_price": "150.00"}, {"qty": "1", "unit_price": "0.50"}],
    )
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("0.00")  # submitted: not yet
    pr.status = PurchaseRequestStatus.approved
    database.session.commit()
    assert budgets.committed(a.id) == D("300.50")
    pr.lines[1].qty = D("3")
    database.session.add(
        PurchaseRequestLine(
            purchase_request_id=pr.id,
            description="Extra",
            qty=D("1"),
            uom="ea",
            unit_price=D("9.99"),
        )
    )
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("311.49")
    pr.cost_centre_id = b.id
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(a.id) == D("0.00") and budgets.committed(b.id) == D("311.49")
    database.session.execute(
        update(PurchaseRequest)
        .where(PurchaseRequest.id == pr.id)
        .values(status=PurchaseRequestStatus.ordered)
    )
    database.session.commit()
    _assert_ledger_matches_documents()
    assert budgets.committed(b.id) == D("0.00")


def test_budget_check_command_finds_drift_and_repairs_it(app, database):
    centre = make_cost_centre(database, budget="100.00")
    make_purchase_order(
        database, lines=[{"qty": "2", "unit_price": "10.00", "cost_centre_id": centre.id}]
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["portal", "budget-check"]).exit_code == 0
    database.session.execute(update(CommittedPoLine).values(amount=CommittedPoLine.amount + 1))
    database.session.commit()
    drifted = runner.invoke(args=["portal", "budget-check"])
    assert drifted.exit_code == 1 and "1 derived rows differ" in drifted.output
    repaired = runner.invoke(args=["portal", "budget-check", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert budgets.committed(centre.id) == D("20.00")
    # A migration rebuilding a table on SQLite drops its triggers: the check names them.
    drop = "DROP TRIGGER budget_po_line_added"
    if database.session.get_bind().dialect.name == "postgresql":
        drop += " ON purchase_order_line"
    database.session.execute(text(drop))
    database.session.commit()
    missing = runner.invoke(args=["portal", "budget-check"])
    assert missing.exit_code == 1 and "budget_po_line_added" in missing.output
    assert runner.invoke(args=["portal", "budget-check", "--repair"]).exit_code == 0
    assert budget_ledger.missing_triggers() == []


def test_derived_rows_stay_right_when_two_transactions_move_the_same_invoice(tmp_path):
    """A line added to an invoice while another transaction matches it: both count, once."""
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
            centre = make_cost_centre(db, budget="1000.00")
            po = make_purchase_order(
                db,
                lines=[
                    {"qty": "10", "unit_price": "10.00", "cost_centre_id": centre.id},
                    {"qty": "10", "unit_price": "5.00", "cost_centre_id": centre.id},
                ],
            )
            invoice = make_vendor_invoice(
                db, po, lines={1: ("2", "10.00")}, status=InvoiceStatus.entered
            )
            invoice_id, line_two, centre_id = invoice.id, po.lines[1].id, centre.id
            db.session.remove()

        def match(_):
            db.session.get(VendorInvoice, invoice_id).status = InvoiceStatus.matched
            db.session.flush()
            time.sleep(0.3)  # hold the transaction open while the other adds its line
            db.session.commit()

        def add_line(_):
            time.sleep(0.1)
            db.session.add(
                VendorInvoiceLine(
                    invoice_id=invoice_id,
                    position=2,
                    purchase_order_line_id=line_two,
                    line_ref="2",
                    qty=D("4"),
                    unit_price=D("5.00"),
                )
            )
            db.session.commit()

        _, errors = race(app, [match, add_line])
        assert errors == []
        with app.app_context():
            assert budget_ledger.check_ledger() == []
            # 150.00 ordered; 20.00 + 20.00 invoiced and matched.
            assert budgets.committed(centre_id) == D("110.00")
            assert budgets.actual(centre_id, date.today(), date.today()) == D("40.00")
            db.session.remove()
            db.drop_all()

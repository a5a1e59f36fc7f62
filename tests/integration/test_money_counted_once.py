"""Issue 13, reproduction 2: a stock part bought for a work order is counted once, with its
share of the invoice's freight and tax, on the work order and on its cost centre's budget."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal as D

from sqlalchemy import select

from portal.domain.reports import Period
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequestLine,
    StockMovement,
    VendorInvoice,
    WorkOrder,
)
from portal.read_models.budgets import position
from portal.read_models.costs import asset_costs, work_order_costs
from portal.read_models.report_figures import spend_rows, wo_cost_rows
from portal.services import cost_checks
from tests.factories import (
    make_approval_rule,
    make_asset,
    make_cost_centre,
    make_item,
    make_storeroom,
    make_user,
    make_vendor,
)


def sid() -> str:
    return uuid.uuid4().hex


def _world(database):
    people = {
        name: make_user(database, roles=[role], username=f"{name}-13")
        for name, role in (
            ("tech", "technician"),
            ("supervisor", "supervisor"),
            ("approver", "approver"),
            ("buyer", "buyer"),
            ("keeper", "storekeeper"),
            ("clerk", "ap_clerk"),
        )
    }
    asset = make_asset(database, tag="P-13")
    site = asset.location.site
    centre = make_cost_centre(database, site=site, code="CC-13", budget="10000.00")
    make_approval_rule(database, role="approver", min_amount="0.00")
    make_vendor(database, name="Northern Bearings", preferred_for=["Bearings"])
    bearing = make_item(
        database,
        part_number="BRG-6205",
        description="Ball bearing 6205",
        category="Bearings",
        standard_cost="7.60",
    )
    make_storeroom(database, site=site, code="MAIN", stock=[(bearing, 0, "7.60")])
    return people, asset, centre, bearing


def _buy_two_bearings_for_a_work_order(database, login_as, *, freight="3.00", tax="1.82"):
    """Raise a WO, mark 2 x BRG-6205 unavailable, approve, order, receive and invoice them, all
    over HTTP as the people whose work it is; the invoice carries freight and tax."""
    people, asset, centre, bearing = _world(database)
    tech = login_as(people["tech"])
    raised = tech.post(
        "/work-orders/new",
        data={
            "title": "Bearing noise on P-13",
            "priority": "high",
            "type": "corrective",
            "asset_id": str(asset.id),
            "cost_centre_id": str(centre.id),
            "assignee_user_id": str(people["tech"].id),
            "submission_id": sid(),
        },
    )
    assert raised.status_code == 303, raised.text
    wo = database.session.scalar(select(WorkOrder))
    if wo.cost_centre_id is None:  # the form may not offer it: the asset's site decides
        wo.cost_centre_id = centre.id
        database.session.commit()
    for target, who in (
        ("approved", "supervisor"),
        ("assigned", "supervisor"),
        ("in_progress", "tech"),
    ):
        login_as(people[who]).post(f"/work-orders/{wo.id}/status", data={"target": target})
    tech = login_as(people["tech"])
    added = tech.post(
        f"/work-orders/{wo.id}/parts",
        data={"item_id": str(bearing.id), "qty": "2", "submission_id": sid()},
    )
    assert added.status_code in (200, 303), added.text
    part_line = database.session.scalar(select(PartLine))
    marked = tech.post(f"/part-lines/{part_line.id}/unavailable", data={"submission_id": sid()})
    assert marked.status_code in (200, 303), marked.text
    pr_line = database.session.scalar(select(PurchaseRequestLine))
    assert pr_line.unit_price == D("7.60")
    approved = login_as(people["approver"]).post(
        f"/purchase-requests/{pr_line.purchase_request_id}/approve",
        data={"approve-submission_id": sid(), "approve-reason": ""},
    )
    assert approved.status_code == 303, approved.text
    buyer = login_as(people["buyer"])
    ordered = buyer.post(
        "/purchase-orders/to-order",
        data={
            "submission_id": sid(),
            "line": [str(pr_line.id)],
            "group": [f"{pr_line.id}:{pr_line.suggested_vendor_id}"],
        },
    )
    assert ordered.status_code == 303, ordered.text
    po = database.session.scalar(select(PurchaseOrder))
    for action in ("approve", "issue"):
        done = buyer.post(f"/purchase-orders/{po.id}/{action}", data={"submission_id": sid()})
        assert done.status_code == 303, (action, done.text)
    po_line = database.session.scalar(select(PurchaseOrderLine))
    received = login_as(people["keeper"]).post(
        f"/receiving/po/{po.id}", data={"submission_id": sid(), f"accepted-{po_line.id}": "2"}
    )
    assert received.status_code == 303, received.text
    invoiced = login_as(people["clerk"]).post(
        f"/invoices/new/{po.id}",
        data={
            "number": "NB-2205",
            "invoice_on": date.today().isoformat(),
            "type": "invoice",
            "freight": freight,
            "tax": tax,
            "lines-0-po_line_id": str(po_line.id),
            "lines-0-qty": "2",
            "lines-0-unit_price": "7.60",
            "submission_id": sid(),
        },
    )
    assert invoiced.status_code == 303, invoiced.text
    database.session.expire_all()
    return people, wo, centre, po_line


def test_reproduction_2_stock_part_bought_for_a_work_order_is_counted_once(database, login_as):
    centre = None
    people, wo, centre, po_line = _buy_two_bearings_for_a_work_order(
        database, login_as, freight="0", tax="0"
    )
    invoice = database.session.scalar(select(VendorInvoice))
    assert invoice.status.value == "matched"
    # The bearings went through the storeroom and were issued to the WO on arrival ...
    arrival = database.session.scalar(
        select(StockMovement).where(StockMovement.goods_receipt_line_id.is_not(None),
                                    StockMovement.work_order_id == wo.id)
    )  # fmt: skip
    assert arrival is not None and arrival.qty == D("-2")
    # ... and the WO and its cost centre bear 15.20 once, not 30.40.
    costs = work_order_costs(wo.id)
    assert costs.stock == D("0.00")
    assert costs.goods.actual == D("15.20")
    assert costs.actual == D("15.20") and costs.committed == D("0.00")
    figures = position(centre.id)
    assert figures.actual == D("15.20") and figures.committed == D("0.00")
    page = login_as(people["supervisor"]).get(f"/work-orders/{wo.id}").text
    assert "30.40" not in page and "15.20" in page
    assert cost_checks.violations(database.session) == []


def test_reproduction_2_freight_and_tax_reach_the_work_order_and_the_budget(database, login_as):
    people, wo, centre, po_line = _buy_two_bearings_for_a_work_order(
        database, login_as, freight="3.00", tax="1.82"
    )
    invoice = database.session.scalar(select(VendorInvoice))
    assert invoice.status.value == "matched"
    assert [line.booked_amount for line in invoice.lines] == [D("20.02")]
    costs = work_order_costs(wo.id)
    assert costs.actual == D("20.02")  # 15.20 + 3.00 freight + 1.82 tax, once
    assert asset_costs(wo.asset_id).actual == D("20.02")
    month = date.today().replace(day=1)
    period = Period(month, month)
    assert spend_rows(period, "vendor") == [("Northern Bearings", D("20.02"))]
    [(_asset, labour, stock, bought)] = wo_cost_rows(period, "asset")
    assert (labour, stock, bought) == (D("0.00"), D("0.00"), D("20.02"))
    assert position(centre.id).actual == D("20.02")
    assert wo.status is not WorkOrderStatus.cancelled
    assert cost_checks.violations(database.session) == []


def test_the_cost_panel_and_the_budget_drilldown_link_each_figure_to_its_documents(
    database, login_as
):
    people, wo, centre, po_line = _buy_two_bearings_for_a_work_order(database, login_as)
    invoice = database.session.scalar(select(VendorInvoice))
    receipt_line = database.session.scalar(
        select(StockMovement).where(StockMovement.goods_receipt_line_id.is_not(None))
    )
    assert receipt_line is not None
    page = login_as(people["approver"]).get(f"/work-orders/{wo.id}").text
    assert f'href="/invoices/{invoice.id}"' in page and "Invoice NB-2205" in page
    assert "arrived on GR-" in page and "its cost is the invoice" in page
    # A technician sees the documents in words; the invoice is not theirs to open.
    tech_page = login_as(people["tech"]).get(f"/work-orders/{wo.id}").text
    assert "Invoice NB-2205" in tech_page and f'href="/invoices/{invoice.id}"' not in tech_page
    drill = login_as(people["approver"]).get(f"/budgets/{centre.id}").text
    assert f'href="/invoices/{invoice.id}"' in drill and "20.02" in drill
    assert f'href="/work-orders/{wo.id}"' in drill


def test_a_credit_memo_takes_back_what_it_credits_with_its_freight(database, login_as):
    people, wo, centre, po_line = _buy_two_bearings_for_a_work_order(database, login_as)
    credited = login_as(people["clerk"]).post(
        f"/invoices/new/{po_line.purchase_order_id}",
        data={
            "number": "NB-2205-CR",
            "invoice_on": date.today().isoformat(),
            "type": "credit_memo",
            "freight": "0.50",
            "tax": "0",
            "lines-0-po_line_id": str(po_line.id),
            "lines-0-qty": "1",
            "lines-0-unit_price": "7.60",
            "submission_id": sid(),
        },
    )
    assert credited.status_code == 303, credited.text
    memo = database.session.scalar(
        select(VendorInvoice).where(VendorInvoice.number == "NB-2205-CR")
    )
    assert memo.status.value == "matched"
    # 7.60 and its 0.50 freight come off the work order and the budget: 20.02 - 8.10
    assert work_order_costs(wo.id).actual == D("11.92")
    assert position(centre.id).actual == D("11.92")
    assert cost_checks.violations(database.session) == []

"""Cost roll-up of a work order and an asset, checked against sums worked out by hand."""

from __future__ import annotations

from decimal import Decimal

from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    LineKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
)
from portal.read_models import budgets, costs
from tests.factories import (
    make_asset,
    make_cost_centre,
    make_goods_receipt,
    make_labour_entry,
    make_out_of_pocket,
    make_purchase_order,
    make_purchase_request,
    make_stock_movement,
    make_user,
    make_vendor_invoice,
    make_work_order,
)

D = Decimal


def _busy_work_order(database):
    """One work order with every kind of cost; the expected figures are in the test below."""
    centre = make_cost_centre(database, budget="10000.00")
    wo = make_work_order(database, cost_centre_id=centre.id)
    on_wo = {"work_order_id": wo.id, "cost_centre_id": centre.id}
    # Labour: 2 h x 50.00 + 1.5 h x 42.00 = 163.00
    make_labour_entry(database, wo, hours="2", rate="50.00")
    make_labour_entry(database, wo, hours="1.5", rate="42.00")
    # Stock: 3 issued at 12.50, 1 returned: 37.50 - 12.50 = 25.00
    make_stock_movement(database, wo, qty="-3", unit_cost="12.50")
    make_stock_movement(database, wo, qty="1", unit_cost="12.50")
    # Goods PO: line 1 10 x 20.00 less 10 % = 180.00; line 2 4 x 5.00 = 20.00.
    goods = make_purchase_order(
        database,
        lines=[
            {"qty": "10", "unit_price": "20.00", "discount_percent": D("10"), **on_wo},
            {"qty": "4", "unit_price": "5.00", **on_wo},
        ],
        status=PurchaseOrderStatus.partially_received,
    )
    make_goods_receipt(database, goods, lines={1: "6"})  # partial receipt: 6 of 10
    # Invoiced 6 at 21.00 (a price variance: 126.00), then credited 1 at 21.00 (-21.00).
    make_vendor_invoice(database, goods, lines={1: ("6", "21.00")})
    make_vendor_invoice(database, goods, lines={1: ("1", "21.00")}, type=InvoiceType.credit_memo)
    # Neither a rejected nor a merely entered invoice is spent.
    make_vendor_invoice(database, goods, lines={2: ("4", "5.00")}, status=InvoiceStatus.rejected)
    make_vendor_invoice(database, goods, lines={2: ("4", "5.00")}, status=InvoiceStatus.entered)
    # Service PO: 300.00 ordered, 250.00 released for payment.
    service = make_purchase_order(
        database, lines=[{"qty": "1", "unit_price": "300.00", "kind": LineKind.service, **on_wo}]
    )
    make_vendor_invoice(
        database, service, lines={1: ("1", "250.00")}, status=InvoiceStatus.released
    )
    # A cancelled and a draft PO commit nothing.
    for status in (PurchaseOrderStatus.cancelled, PurchaseOrderStatus.draft):
        make_purchase_order(
            database, lines=[{"qty": "5", "unit_price": "100.00", **on_wo}], status=status
        )
    # An approved request not yet ordered commits 2 x 15.00; a submitted one nothing.
    for status in (PurchaseRequestStatus.approved, PurchaseRequestStatus.submitted):
        make_purchase_request(
            database,
            work_order=wo,
            cost_centre=centre,
            lines=[{"qty": "2", "unit_price": "15.00"}],
            status=status,
        )
    # Own money: only the reimbursed purchase counts.
    make_out_of_pocket(database, wo, amount="18.40", status=OutOfPocketStatus.reimbursed)
    make_out_of_pocket(database, wo, amount="99.00")
    make_out_of_pocket(database, wo, amount="45.00", status=OutOfPocketStatus.refused)
    return centre, wo


def test_work_order_roll_up_matches_the_hand_sums(database):
    _, wo = _busy_work_order(database)
    rollup = costs.work_order_costs(wo.id)
    assert rollup.labour == D("163.00")
    assert rollup.stock == D("25.00")
    # goods actual 126.00 - 21.00; committed (180.00 - 105.00) + 20.00 + 30.00 requested
    assert rollup.goods == costs.Split(actual=D("105.00"), committed=D("125.00"))
    assert rollup.services == costs.Split(actual=D("250.00"), committed=D("50.00"))
    assert rollup.out_of_pocket == D("18.40")
    assert rollup.actual == D("561.40")
    assert rollup.committed == D("175.00")
    assert rollup.total == D("736.40")


def test_work_order_figures_agree_with_its_cost_centre_budget_position(database):
    centre, wo = _busy_work_order(database)
    rollup = costs.work_order_costs(wo.id)
    position = budgets.position(centre.id)
    assert (position.actual, position.committed) == (rollup.actual, rollup.committed)


def test_an_invoice_above_the_order_value_commits_nothing_more_rather_than_less(database):
    wo = make_work_order(database)
    po = make_purchase_order(
        database, lines=[{"qty": "2", "unit_price": "10.00", "work_order_id": wo.id}]
    )
    make_vendor_invoice(database, po, lines={1: ("2", "12.50")})
    rollup = costs.work_order_costs(wo.id)
    assert rollup.goods == costs.Split(actual=D("25.00"), committed=D("0.00"))


def test_a_work_order_with_no_costs_reads_zero_everywhere(database):
    wo = make_work_order(database)
    rollup = costs.work_order_costs(wo.id)
    assert (rollup.actual, rollup.committed, rollup.total) == (D("0.00"),) * 3


def test_asset_cost_adds_up_all_its_work_orders_and_nothing_else(database):
    asset = make_asset(database)
    first = make_work_order(database, asset=asset)
    second = make_work_order(database, asset=asset)
    elsewhere = make_work_order(database)
    make_labour_entry(database, first, hours="1", rate="40.00")
    make_labour_entry(database, second, hours="2", rate="40.00")
    make_labour_entry(database, elsewhere, hours="9", rate="40.00")
    po = make_purchase_order(
        database, lines=[{"qty": "3", "unit_price": "7.00", "work_order_id": second.id}]
    )
    make_vendor_invoice(database, po, lines={1: ("1", "7.00")})
    rollup = costs.asset_costs(asset.id)
    assert rollup.labour == D("120.00")
    assert rollup.goods == costs.Split(actual=D("7.00"), committed=D("14.00"))
    assert rollup.actual == D("127.00")


def test_asset_cost_takes_a_fixed_number_of_queries(database, count_statements):
    asset = make_asset(database)
    for _ in range(3):
        wo = make_work_order(database, asset=asset)
        make_labour_entry(database, wo)
    few = count_statements(lambda: costs.asset_costs(asset.id))
    for _ in range(5):
        wo = make_work_order(database, asset=asset)
        make_labour_entry(database, wo)
        po = make_purchase_order(database, lines=[{"work_order_id": wo.id}])
        make_vendor_invoice(database, po, lines={1: ("1", "10.00")})
    assert count_statements(lambda: costs.asset_costs(asset.id)) == few


def test_work_order_page_shows_the_cost_panel_and_asset_page_the_cost_so_far(database, login_as):
    _, wo = _busy_work_order(database)
    viewer = make_user(database, roles=["supervisor"])
    page = login_as(viewer).get(f"/work-orders/{wo.id}")
    assert page.status_code == 200
    panel = page.text[page.text.index('id="costs"') :]
    for figure in ("736.40", "561.40", "175.00", "163.00", "105.00", "125.00", "18.40"):
        assert figure in panel
    asset_page = login_as(viewer).get(f"/assets/{wo.asset_id}")
    assert "561.40" in asset_page.text and "175.00 more on order" in asset_page.text

"""cost_checks.violations names, in words, each amount counted twice or missing (docs/money.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from sqlalchemy import update

from portal.models import ExchangeRate, SpentInvoiceLine, StockMovement, VendorInvoiceLine
from portal.read_models.budgets import position
from portal.read_models.costs import work_order_costs
from portal.services import cost_checks
from tests.factories import (
    make_cost_centre,
    make_goods_receipt,
    make_item,
    make_labour_entry,
    make_purchase_order,
    make_stock_movement,
    make_vendor,
    make_vendor_invoice,
    make_work_order,
)


def _bought_for(database, wo, centre, *, currency="USD", vendor=None):
    po = make_purchase_order(
        database,
        vendor=vendor or make_vendor(database, currency=currency),
        currency=currency,
        lines=(
            {
                "qty": "2",
                "unit_price": "7.60",
                "work_order_id": wo.id,
                "cost_centre_id": centre.id,
            },
        ),
    )
    receipt = make_goods_receipt(database, po, lines={1: "2"})
    return po, receipt


def test_documents_that_agree_give_no_violation(database):
    centre = make_cost_centre(database, code="CC-OK")
    wo = make_work_order(database, cost_centre_id=centre.id)
    make_labour_entry(database, wo, hours="2", rate="40.00")
    po, _receipt = _bought_for(database, wo, centre)
    make_vendor_invoice(database, po, lines={1: ("2", "7.60")})
    assert cost_checks.violations(database.session) == []


def test_a_budget_row_counted_twice_is_named(database):
    centre = make_cost_centre(database, code="CC-TWICE")
    wo = make_work_order(database, cost_centre_id=centre.id)
    po, _receipt = _bought_for(database, wo, centre)
    make_vendor_invoice(database, po, lines={1: ("2", "7.60")})
    database.session.execute(update(SpentInvoiceLine).values(amount=D("30.40")))
    database.session.commit()
    found = cost_checks.violations(database.session)
    assert any(
        "Cost centre CC-TWICE: spent shows 30.40" in v
        and "add up to 15.20" in v
        and "15.20 counted twice" in v
        for v in found
    ), found


def test_goods_issued_on_arrival_to_another_work_order_are_named(database):
    centre = make_cost_centre(database, code="CC-ELSE")
    wo, other = (make_work_order(database, cost_centre_id=centre.id) for _ in range(2))
    po, receipt = _bought_for(database, wo, centre)
    make_vendor_invoice(database, po, lines={1: ("2", "7.60")})
    movement = make_stock_movement(database, other, qty=D("-2"), unit_cost=D("7.60"))
    movement.goods_receipt_line_id = receipt.lines[0].id
    database.session.commit()
    found = cost_checks.violations(database.session)
    assert any(
        f"issued goods of {po.number} line 1 to work order {other.id}" in v
        and f"bought for work order {wo.id}" in v
        for v in found
    ), found


def test_an_invoice_whose_lines_lose_its_freight_is_named(database):
    centre = make_cost_centre(database, code="CC-FRT")
    wo = make_work_order(database, cost_centre_id=centre.id)
    po, _receipt = _bought_for(database, wo, centre)
    invoice = make_vendor_invoice(
        database, po, lines={1: ("2", "7.60")}, freight=D("3.00"), number="FRT-1"
    )
    database.session.execute(update(VendorInvoiceLine).values(booked_amount=D("15.20")))
    database.session.commit()
    found = cost_checks.violations(database.session)
    assert any(
        f"Invoice {invoice.number} books 15.20" in v and "bills 18.20" in v and "3.00 missing" in v
        for v in found
    ), found


def test_an_amount_in_another_currency_never_converted_is_named_missing(database):
    centre = make_cost_centre(database, code="CC-EUR")
    wo = make_work_order(database, cost_centre_id=centre.id)
    po, _receipt = _bought_for(database, wo, centre, currency="EUR")
    make_vendor_invoice(database, po, lines={1: ("2", "7.60")}, currency="EUR", number="EU-1")
    found = cost_checks.violations(database.session)
    assert any("Invoice EU-1 is in EUR and has no exchange rate" in v for v in found), found


def test_a_stock_issue_counts_once_and_an_arrival_not_at_all(database):
    centre = make_cost_centre(database, code="CC-STK")
    wo = make_work_order(database, cost_centre_id=centre.id)
    item = make_item(database)
    make_stock_movement(database, wo, qty=D("-1"), unit_cost=D("5.00"), item=item)
    po, receipt = _bought_for(database, wo, centre)
    arrival = make_stock_movement(database, wo, qty=D("-2"), unit_cost=D("7.60"), item=item)
    database.session.execute(
        update(StockMovement)
        .where(StockMovement.id == arrival.id)
        .values(goods_receipt_line_id=receipt.lines[0].id)
    )
    database.session.commit()
    make_vendor_invoice(database, po, lines={1: ("2", "7.60")})
    assert cost_checks.violations(database.session) == []
    costs = work_order_costs(wo.id)
    assert (costs.stock, costs.goods.actual, costs.total) == (D("5.00"), D("15.20"), D("20.20"))


def test_an_order_in_another_currency_is_committed_converted_or_named_missing(database):
    centre = make_cost_centre(database, code="CC-EUR2")
    wo = make_work_order(database, cost_centre_id=centre.id)
    po, _receipt = _bought_for(database, wo, centre, currency="EUR")
    found = cost_checks.violations(database.session)
    assert any(
        f"{po.number} line 1 is in EUR and has no exchange rate for the day it was approved" in v
        for v in found
    ), found
    assert position(centre.id).committed == D("0.00")  # never 15.20 EUR taken as USD
    # The rate arrives: the budget ledger's triggers convert the commitment at once.
    database.session.add(ExchangeRate(currency="EUR", valid_from=date(2000, 1, 1), rate=D("1.1")))
    database.session.commit()
    assert position(centre.id).committed == D("16.72")
    assert work_order_costs(wo.id).committed == D("16.72")
    assert cost_checks.violations(database.session) == []

"""The budgets page: the same figures as budgets.position, a readable bar, drill-down, roles."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from portal.domain.money import format_money
from portal.models import Budget
from portal.read_models import budgets
from tests.factories import (
    make_cost_centre,
    make_labour_entry,
    make_purchase_order,
    make_user,
    make_vendor_invoice,
    make_work_order,
)

D = Decimal


def _two_centres(database):
    plant = make_cost_centre(database, code="PLANT", name="Plant upkeep", budget="5000.00")
    block = make_cost_centre(database, code="BLOCK", name="Apartment block", budget="800.00")
    wo = make_work_order(database, title="Reline the boiler flue", cost_centre_id=block.id)
    make_labour_entry(database, wo, hours="4", rate="55.00")  # 220.00 actual
    po = make_purchase_order(
        database,
        lines=[
            {
                "description": "Flue liner",
                "qty": "2",
                "unit_price": "400.00",
                "work_order_id": wo.id,
                "cost_centre_id": block.id,
            },
        ],
    )
    make_vendor_invoice(database, po, lines={1: ("1", "400.00")}, number="INV-FLUE-1")
    # block: actual 620.00, committed 400.00, remaining 800 - 1020 = -220.00 (over budget)
    return plant, block, wo


def test_budget_page_figures_are_budgets_position(database, login_as):
    plant, block, _ = _two_centres(database)
    page = login_as(make_user(database, roles=["approver"])).get("/budgets/")
    assert page.status_code == 200
    for centre in (plant, block):
        position = budgets.position(centre.id)
        card = page.text[page.text.index(f"{centre.code} · ") :][:3000]
        for figure in (position.budget, position.actual, position.committed, position.remaining):
            assert format_money(figure) in card
    assert budgets.position(block.id).remaining == D("-220.00")


def test_the_bar_is_an_accessible_image_with_the_numbers(database, login_as):
    _two_centres(database)
    page = login_as(make_user(database, roles=["buyer"])).get("/budgets/")
    label = re.search(r'<svg class="budget-bar"[^>]*aria-label="(BLOCK[^"]*)"', page.text)
    assert label and 'role="img"' in page.text
    assert label.group(1) == (
        "BLOCK: budget 800.00, spent 620.00, committed 400.00, over budget by 220.00"
    )
    assert "<title>BLOCK: budget 800.00" in page.text  # a tooltip too, no script needed


def test_period_picker_shows_last_years_figures(database, login_as):
    centre = make_cost_centre(database, code="OLD", budget="1000.00")
    last_year = date.today().year - 1
    database.session.add(
        Budget(
            cost_centre_id=centre.id,
            period_start=date(last_year, 1, 1),
            period_end=date(last_year, 12, 31),
            amount=D("777.00"),
        )
    )
    database.session.commit()
    client = login_as(make_user(database, roles=["supervisor"]))
    page = client.get(f"/budgets/?on={last_year}-01-01", headers={"HX-Request": "true"})
    assert "777.00" in page.text and "<html" not in page.text
    assert f'<option value="{last_year}-01-01"' in client.get("/budgets/").text
    assert client.get("/budgets/?on=someday").status_code == 400


def test_a_day_no_budget_period_can_hold_is_refused_not_a_crash(database, login_as):
    centre = make_cost_centre(database, code="PLANT", budget="1000.00")
    client = login_as(make_user(database, roles=["approver"]))
    for day in ("9999-12-31", "0001-01-01"):  # the last used to be a 500 (no day after it)
        assert client.get(f"/budgets/?on={day}").status_code == 400
        assert client.get(f"/budgets/{centre.id}?on={day}").status_code == 400


def test_drill_down_lists_the_largest_commitments_and_actuals_with_links(database, login_as):
    _, block, wo = _two_centres(database)
    page = login_as(make_user(database, roles=["auditor"])).get(f"/budgets/{block.id}")
    assert page.status_code == 200
    commitments, actuals = page.text.split("Largest actuals")
    assert "line 1" in commitments and "Flue liner" in commitments and "400.00" in commitments
    assert "Invoice INV-FLUE-1" in actuals and "Labour and parts" in actuals
    assert "220.00" in actuals
    assert f'href="/work-orders/{wo.id}"' in actuals
    assert login_as(make_user(database, roles=["auditor"])).get("/budgets/99999").status_code == 404


def test_budgets_are_for_money_roles_only(database, login_as):
    make_cost_centre(database)
    assert login_as(make_user(database, roles=["technician"])).get("/budgets/").status_code == 403
    for role in ("approver", "supervisor", "buyer", "admin", "auditor"):
        assert login_as(make_user(database, roles=[role])).get("/budgets/").status_code == 200


def test_home_shows_money_roles_the_tightest_budgets_first(database, login_as):
    _two_centres(database)
    home = login_as(make_user(database, roles=["approver"])).get("/")
    card = home.text[home.text.index('id="budget-watch-heading"') :]
    assert card.index("BLOCK") < card.index("PLANT")  # over budget comes first
    assert "-220.00 left" in card
    technician_home = login_as(make_user(database, roles=["technician"])).get("/")
    assert "budget-watch-heading" not in technician_home.text

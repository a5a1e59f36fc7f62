"""Costs, budgets and the audit trail on a phone and on a desk, from the demo data."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 800}
COMPRESSOR = "Compressor 1 air and oil filter change"


def whole_page(page, name: str, width: int) -> None:
    """Screenshot at `width` with a viewport as tall as the page (the bottom bar below it)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    screenshot(page, name)


def no_small_targets(page, selector: str) -> int:
    """How many links/buttons/fields under `selector` are under 44 px high."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.height > 0 && r.height < 44).length""",
        selector,
    )


def test_work_order_cost_panel_on_phone_and_desktop(page):
    sign_in(page, "supervisor")
    page.goto("/work-orders/?q=compressor+1&status=all")
    page.locator(".wo-row", has_text=COMPRESSOR).click()
    page.wait_for_url(re.compile(r".*/work-orders/\d+$"))
    panel = page.locator("#costs")
    # Demo: labour 105.00; separator invoiced 192.00; service visit 320.00 still on order.
    expect(panel.locator("tfoot")).to_contain_text("Total")
    expect(panel.locator("tr", has_text="Purchased goods")).to_contain_text("192.00")
    expect(panel.locator("tr", has_text="Outside services")).to_contain_text("320.00")
    expect(panel.locator(".parts-total")).to_contain_text(re.compile(r"\d[\d,]*\.\d\d"))
    expect(page.locator("#audit-timeline")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    panel.scroll_into_view_if_needed()
    assert axe_violations(page) == []
    whole_page(page, "wo-costs-phone", PHONE["width"])
    page.set_viewport_size(DESKTOP)
    whole_page(page, "wo-costs-desktop", DESKTOP["width"])
    assert page.js_errors == []


def test_budgets_page_and_drill_down_on_phone_and_desktop(page, live_server):
    from portal.models import CostCentre
    from portal.read_models import budgets

    def plant_position():
        from sqlalchemy import select

        from portal.extensions import db

        centre = db.session.scalar(select(CostCentre).where(CostCentre.code == "CC-RBP-MNT"))
        return budgets.position(centre.id)

    position = live_server.query(plant_position)
    sign_in(page, "approver")
    # An approver's fourth tab is their approvals; budgets sit under More.
    page.locator(".bottom-nav").get_by_role("link", name="More", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Budgets", exact=True).click()
    page.wait_for_url(re.compile(r".*/budgets/$"))
    card = page.locator(".budget-card", has_text="CC-RBP-MNT")
    bar = card.get_by_role("img")
    expect(bar).to_have_attribute("aria-label", re.compile(r"^CC-RBP-MNT: budget 180,000\.00"))
    for figure in (position.budget, position.actual, position.committed, position.remaining):
        expect(card.locator(".budget-figures")).to_contain_text(f"{figure:,.2f}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert no_small_targets(page, ".content a, .content button, .content select") == 0
    assert axe_violations(page) == []
    whole_page(page, "budgets-phone", PHONE["width"])
    page.set_viewport_size(DESKTOP)
    whole_page(page, "budgets-desktop", DESKTOP["width"])

    page.set_viewport_size(PHONE)
    card.get_by_role("link", name=re.compile("CC-RBP-MNT")).click()
    expect(page.locator("h3", has_text="Largest commitments")).to_be_visible()
    expect(page.get_by_text("Compressor service visit")).to_be_visible()
    assert axe_violations(page) == []
    whole_page(page, "budgets-drill-phone", PHONE["width"])
    assert page.js_errors == []


def test_auditor_searches_the_trail_on_a_phone(page):
    sign_in(page, "auditor")
    page.locator(".bottom-nav").get_by_role("link", name="Audit", exact=True).click()
    page.wait_for_url(re.compile(r".*/audit/$"))
    page.evaluate("window.__marker = 'same page'")
    page.fill("#q", "reserved")
    expect(page.locator(".audit-results-head")).to_contain_text(re.compile(r"^\s*\d+ events?"))
    expect(page.locator(".audit-event").first).to_contain_text("reserved")
    page.select_option("#actor", "technician")
    expect(page.locator(".audit-event").first).to_contain_text("technician")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the results only
    assert "actor=technician" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert no_small_targets(page, ".content a.btn, .content button, .content .input") == 0
    assert axe_violations(page) == []
    whole_page(page, "audit-search", PHONE["width"])
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == "audit-trail.csv"
    assert page.js_errors == []

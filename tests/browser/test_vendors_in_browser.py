"""A buyer checks sources on a phone; a supervisor gives work to a contractor without a contract."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, full_height_screenshot, sign_in

pytestmark = pytest.mark.browser


def small_targets(page, scope: str) -> int:
    """Buttons, inputs and selects in `scope` smaller than 44 px either way."""
    selector = ", ".join(
        f"{scope} {part}" for part in (".btn", "input.input", "select", ".chip-remove")
    )
    return page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.width > 0 && (r.height < 44 || r.width < 44)).length""",
        selector,
    )


def test_buyer_finds_a_vendor_checks_a_source_and_reads_a_contract(page):
    sign_in(page, "buyer")
    page.goto("/vendors/")
    assert axe_violations(page) == []
    page.fill("#q", "north")
    expect(page.locator(".vendor-row")).to_have_count(1)
    expect(page.locator(".vendor-row")).to_contain_text("Northern Bearing Supply")
    page.select_option("#status", "blocked")
    page.fill("#q", "")
    expect(page.locator(".vendor-row")).to_have_count(1)
    expect(page.locator(".vendor-row")).to_contain_text("Blocked: Repeated short deliveries")

    page.goto("/vendors/?q=north")
    page.locator(".vendor-row", has_text="Northern Bearing Supply").click()
    page.wait_for_url(re.compile(r".*/vendors/\d+$"))
    page.evaluate("window.__marker = 'same page'")
    expect(page.locator(".facts")).to_contain_text("2% off if paid within 10 days")
    page.fill("#part", "SEAL-M32")
    page.fill("#price", "180")
    page.get_by_role("button", name="Check").click()
    result = page.locator("#source-result")
    expect(result).to_contain_text("Off contract.")
    expect(result).to_contain_text("above the contract price 172.00 on C-NBS-2026")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the panel only
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, "#main") == 0
    full_height_screenshot(page, "vendor-page")
    assert axe_violations(page) == []

    page.locator(".contract-row", has_text="C-NBS-2026").click()
    page.wait_for_url(re.compile(r".*/vendors/contracts/\d+$"))
    expect(page.locator(".price-row", has_text="SEAL-M32")).to_contain_text("172.00")
    expect(page.locator(".wo-head .badge")).to_have_text(re.compile(r"Valid until|Expires"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "contract-page")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_a_blocked_vendor_says_why_on_its_page(page):
    sign_in(page, "approver")
    page.goto("/vendors/?q=quickparts")
    page.locator(".vendor-row", has_text="QuickParts Industrial").click()
    expect(page.locator(".vendor-blocked")).to_contain_text(
        "Repeated short deliveries and wrong parts"
    )
    page.fill("#part", "BRG-6205")
    page.fill("#price", "5")
    page.get_by_role("button", name="Check").click()
    expect(page.locator("#source-result")).to_contain_text("Refused.")
    assert page.js_errors == []


def _approved_lighting_job() -> int:
    """An approved, unassigned electrical job of its own (other walks move the demo's WOs)."""
    from sqlalchemy import select

    from portal.domain.work_orders import WorkOrderStatus
    from portal.extensions import db
    from portal.models import Asset
    from tests.factories import make_work_order

    asset = db.session.scalar(select(Asset).order_by(Asset.id).limit(1))
    wo = make_work_order(
        db,
        number="WO-990101",
        title="Emergency lighting duration test, stair B",
        asset=asset,
        status=WorkOrderStatus.approved,
    )
    return wo.id


def test_supervisor_assigns_a_contractor_without_contract_and_requests_the_service(
    page, live_server
):
    wo_id = live_server.query(_approved_lighting_job)
    sign_in(page, "supervisor")
    page.goto(f"/work-orders/{wo_id}")
    page.evaluate("window.__marker = 'same page'")
    panel = page.locator("#wo-contractor")
    expect(panel.locator("option", has_text="QuickParts")).to_have_count(0)  # not a contractor
    panel.locator("select").select_option(label="Sparkline Electrical Contractors")
    panel.get_by_role("button", name="Assign").click()
    cover = page.locator("#contractor-cover")
    expect(cover).to_contain_text(
        "Sparkline Electrical Contractors has no valid service contract and no service PO"
    )
    expect(page.locator("#wo-status")).to_have_text("Assigned")

    page.get_by_role("button", name="Start work").click()
    expect(page.locator(".flash-error")).to_contain_text("cannot start")
    expect(page.locator("#wo-status")).to_have_text("Assigned")

    page.locator("#wo-contractor summary", has_text="Raise a service request").click()
    page.fill("#service-qty", "3")
    page.fill("#service-uom", "HOUR")
    page.fill("#service-unit_price", "85")
    page.get_by_role("button", name="Request the service").click()
    expect(page.locator("#wo-contractor")).to_contain_text(re.compile(r"on PR-\d{6}"))
    expect(page.locator("#contractor-cover")).to_contain_text("Requested on PR-")
    assert page.evaluate("window.__marker") == "same page"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, "#wo-contractor") == 0
    expect(page.locator("#wo-contractor summary")).to_have_text("Raise another service request")
    full_height_screenshot(page, "contractor-check")
    assert axe_violations(page) == []
    assert page.js_errors == []

"""On the shop floor with a phone: scan a tag, raise a work order, work it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Asset
from tests.browser.conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def _asset(live_server, tag: str) -> Asset:
    return live_server.query(lambda: db.session.scalar(select(Asset).where(Asset.tag == tag)))


def test_scanning_a_tag_and_raising_a_work_order(page, live_server):
    boiler = _asset(live_server, "B-801")
    sign_in(page, "technician")
    page.goto(f"/a/{boiler.qr_token}")
    expect(page.locator("h1.topbar-title")).to_have_text("B-801")
    assert "Steam boiler" in page.locator(".card-title").first.inner_text()
    screenshot(page, "asset-page")
    assert axe_violations(page) == []
    page.get_by_role("link", name="New work order").click()
    expect(page.locator("h1.topbar-title")).to_have_text("New work order")
    assert "B-801" in page.locator(".asset-chip").inner_text()
    page.fill("#title", "Safety valve weeping")
    page.select_option("#priority", "high")
    page.fill("#checklist", "Isolate boiler\nReplace valve seat\nPressure test")
    screenshot(page, "new-work-order")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Raise work order").click()
    expect(page.locator(".card-title").first).to_have_text("Safety valve weeping")
    assert page.locator("#wo-status").inner_text() == "Requested"
    assert "raised" in page.locator("#flashes").inner_text()
    assert page.locator(".step").count() == 3
    page.locator(".step").first.click()
    expect(page.locator("#steps .section-label")).to_contain_text("1 of 3 done")
    page.fill("#hours", "1.5")
    page.get_by_role("button", name="Log hours").click()
    expect(page.locator("#labour .section-label")).to_contain_text("1.5 h")
    screenshot(page, "work-order-page")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_typing_the_short_code_when_the_camera_cannot_read(page, live_server):
    pump = _asset(live_server, "P-104")
    sign_in(page, "technician")
    page.get_by_role("link", name="Scan").click()
    expect(page.locator("h1.topbar-title")).to_have_text("Scan a tag")
    screenshot(page, "scan")
    assert axe_violations(page) == []
    page.fill("#code", pump.short_code.lower())
    page.get_by_role("button", name="Open the asset").click()
    expect(page.locator("h1.topbar-title")).to_have_text("P-104")


def test_supervisor_starts_and_completes_work_with_the_buttons_shown(page):
    sign_in(page, "supervisor")
    page.goto("/work-orders/?q=compressor")
    page.locator(".wo-row").first.click()
    expect(page.locator("#wo-status")).to_have_text("Assigned")
    page.get_by_role("button", name="Start work").click()
    expect(page.locator("#wo-status")).to_have_text("In progress")
    page.get_by_role("button", name="Complete").click()
    expect(page.locator("#wo-status")).to_have_text("Completed")
    expect(page.get_by_role("button", name="Close")).to_be_visible()


def test_label_sheet_prints_qr_codes(page):
    sign_in(page, "supervisor")
    page.goto("/assets/?q=P-10")
    boxes = page.locator("input[name=ids]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Print labels").click()
    expect(page.locator("article.label")).to_have_count(2)
    assert page.locator("article.label svg").count() == 2
    screenshot(page, "label-sheet")

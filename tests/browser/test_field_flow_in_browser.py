"""On the shop floor with a phone: scan a tag, raise a work order, work it."""

from __future__ import annotations

import re

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


def test_the_whole_walk_from_a_qr_tag_to_a_purchase_request(page, live_server):
    """The issue's walk: /a/<token> signed in, raise a WO, reserve a stocked part, request one
    that is not stocked, and see the PR line on the WO in waiting_parts."""
    from tests.browser.test_parts_in_browser import add_part

    pump = _asset(live_server, "P-101")
    sign_in(page, "supervisor")
    page.goto(f"/a/{pump.qr_token}")
    page.get_by_role("link", name="New work order").click()
    page.fill("#title", "Bearing noise on drive end")
    page.select_option("#assignee_user_id", label="Tomás Rivera")
    page.get_by_role("button", name="Raise work order").click()
    expect(page.locator("#wo-status")).to_have_text("Assigned")

    add_part(page, "6205", "BRG-6205", qty="2")
    bearing = page.locator("li.part-line", has_text="BRG-6205")
    bearing.get_by_role("button", name="Reserve BRG-6205").click()
    expect(bearing.locator(".part-status")).to_have_text("Reserved")

    add_part(page, "motor", "MOTOR-4KW")
    motor = page.locator("li.part-line", has_text="MOTOR-4KW")
    motor.get_by_role("button", name="Mark unavailable MOTOR-4KW").click()
    expect(motor.locator(".pr-number")).to_have_text(re.compile(r"PR-\d{6}"))
    expect(page.locator("#wo-status")).to_have_text("Waiting for parts")
    page.reload()  # what everyone else sees from now on, not just the swapped fragment
    expect(page.locator("li.part-line", has_text="MOTOR-4KW")).to_contain_text("PR-")
    expect(page.locator("#wo-status")).to_have_text("Waiting for parts")


def test_a_signed_out_scan_lands_on_the_public_form_showing_only_name_and_place(
    browser, live_server
):
    boiler = _asset(live_server, "B-801")
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else route.abort()
        ),
    )
    anonymous = context.new_page()
    anonymous.goto(f"/a/{boiler.qr_token}")
    assert "/request?a=" in anonymous.url
    body = anonymous.locator("main").inner_text()
    assert "Steam boiler" in body and "Boiler Room" in body
    assert "Viessmann" not in body and boiler.short_code not in body  # nothing else about it
    context.close()

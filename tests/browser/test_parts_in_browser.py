"""A technician on a phone: find a part, add it, reserve it; request what is not stocked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, htmx_ready, screenshot, sign_in

pytestmark = pytest.mark.browser


def add_part(page, search: str, part_number: str, qty: str = "1") -> None:
    """Type in the part search, pick the part from the results, add it with a quantity."""
    htmx_ready(page, "#part-q")  # after a swap (an earlier add or reserve) it is a new input
    page.fill("#part-q", search)
    pick = page.locator("label.part-pick", has_text=part_number)
    expect(pick).to_be_visible()
    pick.click()
    page.fill("#qty", qty)
    page.get_by_role("button", name="Add to work order").click()
    expect(page.locator("li.part-line", has_text=part_number)).to_be_visible()


def test_technician_reserves_a_seal_and_requests_a_motor_on_a_phone(page):
    sign_in(page, "technician")
    page.locator(".wo-row", has_text="Syrup dosing pump leaking at seal").click()
    page.wait_for_url(re.compile(r".*/work-orders/\d+$"))
    page.evaluate("window.__marker = 'same page'")

    add_part(page, "seal", "SEAL-M32")
    seal = page.locator("li.part-line", has_text="SEAL-M32")
    expect(seal).to_contain_text("free · Plant main storeroom")
    seal.get_by_role("button", name="Reserve SEAL-M32").click()
    expect(seal).to_contain_text("Reserved 1 EA of SEAL-M32")
    expect(seal.locator(".part-status")).to_have_text("Reserved")

    add_part(page, "motor", "MOTOR-4KW")
    motor = page.locator("li.part-line", has_text="MOTOR-4KW")
    expect(motor.get_by_role("button", name="Reserve MOTOR-4KW")).to_have_count(0)
    motor.get_by_role("button", name="Mark unavailable MOTOR-4KW").click()
    expect(motor).to_contain_text(re.compile(r"Requested 1 EA of MOTOR-4KW on PR-\d{6}"))
    expect(motor.locator(".pr-number")).to_have_text(re.compile(r"PR-\d{6}"))
    expect(page.locator("#wo-status")).to_have_text("Waiting for parts")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped, no reload

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate(
        """() => [...document.querySelectorAll('#wo-parts .btn, #wo-parts input.input')]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.height < 44 || r.width < 44).length"""
    )
    assert small == 0
    # A viewport as tall as the page (same 390 px width): the fixed bottom bar lands below the
    # content instead of across the parts list in the full-page picture.
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 390, "height": height})
    screenshot(page, "parts-list")
    page.set_viewport_size({"width": 390, "height": 844})
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_a_bad_quantity_is_told_beside_the_field_in_the_browser(page):
    sign_in(page, "technician")
    page.goto("/work-orders/?q=syrup+dosing")  # open work whatever other tests did to it
    page.locator(".wo-row", has_text="Syrup dosing pump leaking at seal").click()
    page.wait_for_url(re.compile(r".*/work-orders/\d+$"))
    htmx_ready(page, "#part-q")
    page.fill("#part-q", "belt")
    page.locator("label.part-pick", has_text="BELT-SPB1800").click()
    page.fill("#qty", "1.2345")
    page.get_by_role("button", name="Add to work order").click()
    expect(page.locator("#qty-error")).to_have_text("Use at most 3 decimal places, like 1.25.")
    expect(
        page.locator("label.part-pick", has_text="BELT-SPB1800").locator("input")
    ).to_be_checked()
    expect(page.locator("li.part-line", has_text="BELT-SPB1800")).to_have_count(0)
    assert page.js_errors == []

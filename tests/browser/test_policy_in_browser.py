"""On a phone: the policy's reason on a work order, an out-of-pocket buy, the maverick report."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    axe_violations,
    full_height_screenshot,
    htmx_ready,
    sign_in,
)
from tests.factories import JPEG_BYTES

pytestmark = pytest.mark.browser


def small_targets(page, selector: str) -> int:
    return page.evaluate(
        f"""() => [...document.querySelectorAll({selector!r})]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.width > 0 && (r.height < 44 || r.width < 44)).length"""
    )


def test_a_technician_records_an_out_of_pocket_buy_on_a_phone(page):
    sign_in(page, "technician")
    page.goto("/work-orders/?q=filler+line+2")
    page.locator(".wo-row", has_text="Filler Line 2 bowl level sensor faulty").click()
    page.wait_for_url(re.compile(r".*/work-orders/\d+$"))
    # The probe was requested under the policy: the reason is on the parts panel.
    expect(page.locator("#wo-parts .policy-reason")).to_contain_text(
        "Electrical purchases always need a PO."
    )
    page.evaluate("window.__marker = 'same page'")

    section = page.locator("#out-of-pocket")
    # The form comes from the server on demand: wait until htmx has taken the link in hand.
    htmx_ready(page, "#oop-open")
    section.get_by_text("I paid for something myself").click()
    expect(section.locator("#description")).to_be_focused()  # ready to type at once
    page.fill("#description", "Cable gland M20, 2 pieces")
    page.fill("#shop_name", "City Electrical Counter")
    page.fill("#amount", "7,90")
    page.fill("#qty", "2")
    page.fill("#category", "Electrical")
    page.set_input_files(
        "#receipt", files=[{"name": "receipt.jpg", "mimeType": "image/jpeg", "buffer": JPEG_BYTES}]
    )
    page.fill("#why", "The probe cable needed a gland to be safe; the store had none.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, "#out-of-pocket .btn, #out-of-pocket input.input") == 0
    section.scroll_into_view_if_needed()
    full_height_screenshot(page, "out-of-pocket-form")
    assert axe_violations(page) == []

    with page.expect_response(lambda r: r.request.method == "POST" and "/out-of-pocket" in r.url):
        section.get_by_role("button", name="Send for review").click()
    row = page.locator("#out-of-pocket .oop-row", has_text="Cable gland M20, 2 pieces")
    expect(row).to_contain_text("Waiting for review")
    expect(row).to_contain_text("7.90")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped, no reload
    assert page.js_errors == []


def test_the_maverick_report_on_a_phone(page):
    sign_in(page, "approver")
    page.goto("/maverick/")
    expect(page.locator(".mav-tiles")).to_contain_text("After the fact")
    expect(page.locator(".mav-groups")).to_contain_text("Elm Court")
    page.evaluate("window.__marker = 'same page'")
    page.get_by_role("link", name="Technician", exact=True).click()
    expect(page.locator("#mav-groups-title")).to_have_text("By technician")
    expect(page.locator(".mav-groups")).to_contain_text("Tomás Rivera")
    assert page.evaluate("window.__marker") == "same page"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, ".mav-tabs .filter, .mav-group, .mav-export") == 0
    full_height_screenshot(page, "maverick-phone")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_the_policy_rules_page_on_a_phone(page):
    sign_in(page, "admin")
    page.goto("/policy/")
    expect(page.locator(".policy-rules")).to_contain_text("Electrical work goes through a PO")
    expect(page.locator(".policy-rules")).to_contain_text(
        "PO required from 500.00 for outside services and non-stock parts."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, ".policy-rules .btn") == 0
    full_height_screenshot(page, "policy-rules")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Edit Outside spend from 500.00").click()
    page.wait_for_url(re.compile(r".*/policy/\d+/edit$"))
    page.fill("#amount", "abc")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator(".form-error")).to_have_text("Enter the limit as a number, like 500.00.")
    assert axe_violations(page) == []
    assert page.js_errors == []

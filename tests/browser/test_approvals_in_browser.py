"""A PR raised from a work order on a phone: refused to its requester, approved by the approver."""

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

pytestmark = pytest.mark.browser

SMALL_TARGETS = """() => [...document.querySelectorAll(
        '#main .btn, #main input.input, #main textarea, #main .filter')]
    .filter(el => el.offsetParent !== null)
    .map(el => el.getBoundingClientRect())
    .filter(r => r.height < 44 || r.width < 44).length"""


def test_a_pr_from_a_work_order_is_refused_to_its_requester_and_approved_by_the_approver(page):
    # The supervisor finds a probe missing on the emergency lighting job and requests two.
    sign_in(page, "supervisor")
    page.goto("/work-orders/?q=emergency+lighting")
    page.locator(".wo-row", has_text="Emergency lighting duration test").click()
    page.wait_for_url(re.compile(r".*/work-orders/\d+$"))
    htmx_ready(page, "#part-q")
    page.fill("#part-q", "probe")
    page.locator("label.part-pick", has_text="LVL-CAP-250").click()
    page.fill("#qty", "2")
    page.get_by_role("button", name="Add to work order").click()
    probe = page.locator("li.part-line", has_text="LVL-CAP-250")
    probe.get_by_role("button", name="Mark unavailable LVL-CAP-250").click()
    expect(probe.locator(".pr-status")).to_have_text("Waiting for approval")
    number = probe.locator(".pr-number").inner_text()
    assert re.fullmatch(r"PR-\d{6}", number)

    # Their own PR: the page says why they may not decide, and offers no buttons.
    probe.locator(".pr-number").click()
    page.wait_for_url(re.compile(r".*/purchase-requests/\d+$"))
    expect(page.locator(".pr-why-not")).to_contain_text(
        f"You raised {number}: someone else must decide on it"
    )
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    pr_url = page.url

    # The approver sees it waiting, opens it on the phone and approves it.
    page.context.clear_cookies()
    sign_in(page, "approver")
    expect(page.locator(".pr-home")).to_contain_text("purchase requests waiting for you")
    page.goto("/purchase-requests/")
    row = page.locator(".pr-row", has_text=number)
    expect(row).to_contain_text("820.00")
    expect(row).to_contain_text("0 of 1 approval · Approver")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS) == 0
    full_height_screenshot(page, "approval-queue")
    assert axe_violations(page) == []

    page.evaluate("window.__marker = 'same page'")
    page.locator(".filter", has_text="All").click()
    expect(page.locator("#pr-list .card-title")).to_have_text("All")
    assert page.evaluate("window.__marker") == "same page"  # the tab swapped only the list

    page.goto(pr_url)
    expect(page.locator("#pr-status")).to_have_text("Waiting for approval")
    expect(page.locator("#pr-budget")).to_contain_text("This request")
    # The bar draws what is used and what this request adds (a page style once hid both).
    for part in ("used", "adds"):
        assert page.locator(f".pr-budget-bar .budget-{part}").bounding_box()["width"] > 0
    expect(page.locator(".pr-line", has_text="level probe")).to_contain_text("2 EA × 410.00")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(SMALL_TARGETS) == 0
    full_height_screenshot(page, "approval-detail")
    assert axe_violations(page) == []

    page.evaluate("window.__marker = 'same page'")
    page.get_by_role("button", name="Approve 820.00").click()
    expect(page.locator("#pr-status")).to_have_text("Approved")
    expect(page.locator(".pr-decision")).to_contain_text("Arjun Mehta approved")
    expect(page.locator("#flashes")).to_contain_text(f"{number} approved")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped, no reload
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    assert page.js_errors == []

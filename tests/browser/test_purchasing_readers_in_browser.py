"""Who reads purchasing on a phone: a technician sees a PR without the cost centre's budget, an
approver sees the budget, and the auditor reads a draft PO with nothing offered to change it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import full_height_screenshot, sign_in

pytestmark = pytest.mark.browser


def _a_waiting_request(page) -> str:
    """The URL of the first PR in the list of all PRs."""
    page.goto("/purchase-requests/?show=all")
    page.locator("a.pr-row").first.click()
    page.wait_for_url(re.compile(r".*/purchase-requests/\d+$"))
    return page.url


def test_the_budget_on_a_pr_is_for_those_who_read_budgets(page):
    sign_in(page, "approver")
    url = _a_waiting_request(page)
    expect(page.locator("#pr-budget")).to_be_visible()
    page.context.clear_cookies()  # signed out

    sign_in(page, "technician")
    page.goto(url)
    expect(page.locator("#pr-title")).to_be_visible()
    expect(page.locator("#pr-budget")).to_have_count(0)
    full_height_screenshot(page, "purchasing-pr-as-technician")
    assert page.js_errors == []


def test_the_auditor_reads_a_po_with_nothing_that_acts(page):
    sign_in(page, "auditor")
    page.goto("/purchase-orders/?status=draft")  # a buyer would be offered Edit and Approve
    page.locator("#po-rows a").first.click()
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+$"))
    expect(page.locator("#po-lines")).to_be_visible()
    expect(page.locator("#po-actions")).to_have_count(0)
    expect(page.locator("form[method=post]")).to_have_count(0)
    full_height_screenshot(page, "purchasing-po-as-auditor")
    assert page.js_errors == []

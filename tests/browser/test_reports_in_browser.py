"""A supervisor reads the reports on a phone and on a desktop: chart, table, filter, CSV."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def full_height_shot(page, name: str, width: int) -> None:
    """A viewport as tall as the page, so the fixed bottom bar sits below the content."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    screenshot(page, name)


def test_supervisor_reads_spend_by_month_then_by_vendor_on_a_phone_and_a_desktop(page):
    sign_in(page, "supervisor")
    # A supervisor's fourth tab is the request queue; reports sit under More.
    page.locator(".bottom-nav").get_by_role("link", name="More", exact=True).click()
    page.get_by_role("main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name=re.compile("^Spend")).click()
    page.wait_for_url(re.compile(r".*/reports/spend$"))
    chart = page.locator("svg.chart").first
    expect(chart).to_have_attribute("role", "img")
    expect(chart).to_have_attribute("aria-label", re.compile(r"Net spend by month.*highest"))
    assert page.locator("svg.chart rect.bar").count() >= 10  # a year of demo history
    expect(page.locator(".report-table tbody tr")).to_have_count(12)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate(
        """() => [...document.querySelectorAll(
                 '.report-filter .btn, .report-filter .input, #report-body .btn')]
                 .map(el => el.getBoundingClientRect()).filter(r => r.height < 44).length"""
    )
    assert small == 0
    assert axe_violations(page) == []
    full_height_shot(page, "report-spend-phone", 390)

    page.set_viewport_size(DESKTOP)
    page.evaluate("window.__marker = 'same page'")
    page.select_option("#by", "vendor")  # htmx: only the report body changes
    expect(page.locator(".report-table thead")).to_contain_text("Vendor")
    expect(page).to_have_url(re.compile(r"by=vendor"))
    assert page.evaluate("window.__marker") == "same page"
    expect(page.locator(".report-table tbody")).to_contain_text("Northern Bearing Supply")
    csv_link = page.get_by_role("link", name=re.compile("Download CSV"))
    expect(csv_link).to_have_attribute(
        "href", re.compile(r"/reports/spend/export\.csv\?.*by=vendor")
    )
    assert axe_violations(page) == []
    full_height_shot(page, "report-spend-desktop", DESKTOP["width"])
    assert page.js_errors == []


def test_waiting_for_parts_report_by_vendor_on_a_phone_and_a_desktop(page):
    sign_in(page, "supervisor")
    page.goto("/reports/waiting?by=vendor")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(2)
    expect(charts.nth(0)).to_have_attribute("aria-label", re.compile("waiting for parts"))
    expect(charts.nth(1)).to_have_attribute("aria-label", re.compile("downtime"))
    expect(page.locator(".report-table tbody tr").first).not_to_contain_text("No data")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    full_height_shot(page, "report-waiting-phone", 390)

    page.set_viewport_size(DESKTOP)
    page.goto("/reports/waiting?by=site")
    expect(page.locator(".report-table tbody")).to_contain_text("Riverside Bottling Plant")
    assert axe_violations(page) == []
    full_height_shot(page, "report-waiting-desktop", DESKTOP["width"])
    page.set_viewport_size(PHONE)
    assert page.js_errors == []


def test_a_month_range_that_runs_backwards_is_refused_in_words(page):
    sign_in(page, "supervisor")
    page.goto("/reports/approval-cycle?start=2026-05&end=2026-01")
    expect(page.get_by_role("alert")).to_contain_text("must not be after")

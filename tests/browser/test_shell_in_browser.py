"""The demo technician on a phone: sign in, home, search, accessibility."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, sign_in, wait_until

pytestmark = pytest.mark.browser


def test_technician_signs_in_on_a_phone_and_sees_their_queue(page):
    page.goto("/")
    assert page.url.endswith("/login?next=%2F")
    screenshot(page, "login")
    sign_in(page, "technician")
    assert page.locator("h1.topbar-title").inner_text() == "Hello, Tomás"
    queue = page.locator(".card-flush .list > li")
    assert queue.count() >= 5
    assert "Syrup dosing pump leaking at seal" in queue.first.inner_text()  # emergency first
    nav = page.locator("nav.bottom-nav a")
    assert [nav.nth(i).inner_text() for i in range(nav.count())] == ["Home", "Work", "Scan", "Me"]
    screenshot(page, "home-technician")
    assert page.js_errors == []


def test_the_phone_layout_has_thumb_sized_targets_and_no_sideways_scroll(page):
    sign_in(page, "technician")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate(
        """() => [...document.querySelectorAll('a.bottom-nav-item, .wo-row, .btn, .tile')]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.height < 44 || r.width < 44).length"""
    )
    assert small == 0
    nav_box = page.locator("nav.bottom-nav").bounding_box()
    assert nav_box["y"] + nav_box["height"] == pytest.approx(844, abs=1)  # pinned to the bottom


def test_wrong_password_is_told_plainly_in_the_browser(page):
    sign_in(page, "technician", password="wrong")
    assert "Wrong username or password" in page.locator(".form-error").inner_text()
    assert page.locator("input[name=username]").input_value() == "technician"


def test_typing_a_search_refreshes_only_the_rows(page):
    sign_in(page, "technician")
    page.goto("/work-orders/")
    page.evaluate("window.__marker = 'same page'")
    page.fill("#q", "boiler")
    wait_until(page, "() => document.querySelectorAll('#wo-rows li').length === 1")
    assert "Monthly boiler inspection" in page.locator("#wo-rows").inner_text()
    assert page.evaluate("window.__marker") == "same page"  # no full reload: htmx swapped rows
    assert "q=boiler" in page.url  # the address can be shared and the back button works
    screenshot(page, "work-orders-search")


def test_boosted_links_keep_the_page_and_the_back_button(page):
    sign_in(page, "technician")
    page.evaluate("window.__marker = 'same page'")
    page.locator(".wo-row").first.click()
    page.wait_for_url("**/work-orders/*")
    assert page.evaluate("window.__marker") == "same page"
    assert "Syrup dosing pump" in page.locator(".card-title").first.inner_text()
    screenshot(page, "work-order")
    page.go_back()
    expect(page.locator("h1.topbar-title")).to_have_text("Hello, Tomás")


@pytest.mark.parametrize(
    "path, who",
    [
        ("/login", None),
        ("/", "technician"),
        ("/work-orders/", "technician"),
        ("/admin/users", "admin"),
    ],
)
def test_pages_pass_the_accessibility_check(page, path, who):
    if who:
        sign_in(page, who)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert axe_violations(page) == []


def test_unknown_page_is_the_friendly_404_in_the_shell(page):
    sign_in(page, "technician")
    response = page.goto("/nowhere")
    assert response.status == 404
    assert "Nothing here" in page.content()
    assert page.locator("nav.bottom-nav").is_visible()

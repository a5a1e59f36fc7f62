"""The Content-Security-Policy in a real browser: the main pages of every role break none of it.

A page that breaks the policy does not fail loudly: Chromium drops the script or the style and
writes an error to the console. So each role signs in, walks its tabs (boosted by htmx, as a
person taps them) and its main detail pages, and any policy error in the console fails the test.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.domain.roles import Role
from portal.extensions import db
from portal.models import (
    Asset,
    PurchaseOrder,
    PurchaseRequest,
    VendorInvoice,
    WorkOrder,
    WorkRequest,
)
from tests.browser.conftest import sign_in, wait_until

pytestmark = pytest.mark.browser

ROLES = [role.value for role in Role]
POLICY_WORDS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")


def _policy_errors(page) -> list[str]:
    """Start collecting what the browser says about the page's security policies."""
    found: list[str] = []

    def on_console(message):
        if any(word in message.text for word in POLICY_WORDS):
            found.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    # The DOM event names even violations that a report-only rule would not print.
    page.add_init_script(
        """document.addEventListener('securitypolicyviolation', e =>
             console.error(`Content Security Policy: ${e.violatedDirective} blocked `
                           + `${e.blockedURI || 'inline code'} at line ${e.lineNumber}`));"""
    )
    return found


def _first_ids(live_server) -> dict[str, object]:
    def read():
        first = {
            name: db.session.scalar(select(model.id).order_by(model.id).limit(1))
            for name, model in {
                "wo": WorkOrder,
                "po": PurchaseOrder,
                "pr": PurchaseRequest,
                "invoice": VendorInvoice,
                "asset": Asset,
                "wr": WorkRequest,
            }.items()
        }
        first["qr"] = db.session.scalar(select(Asset.qr_token).limit(1))
        first["track"] = db.session.scalar(select(WorkRequest.tracking_token).limit(1))
        return first

    return live_server.query(read)


def _detail_pages(ids: dict[str, object]) -> list[str]:
    return [
        f"/work-orders/{ids['wo']}",
        f"/purchase-requests/{ids['pr']}",
        f"/purchase-orders/{ids['po']}",
        f"/purchase-orders/{ids['po']}/document",
        f"/invoices/{ids['invoice']}",
        f"/assets/{ids['asset']}",
        f"/assets/labels?ids={ids['asset']}",
        f"/work-requests/{ids['wr']}",
        "/reports/",
        "/reports/spend",
        "/budgets/",
        "/scan",
        "/receiving/",
        "/account",
    ]


# No htmx request in flight (htmx marks the element that asked with .htmx-request).
IDLE = "() => document.querySelector('.htmx-request') === null"


@pytest.mark.parametrize("role", ROLES)
def test_the_main_pages_of_each_role_break_no_security_policy(page, live_server, role):
    errors = _policy_errors(page)
    sign_in(page, role)
    tabs = page.locator("nav.bottom-nav a")
    labels = [tabs.nth(i).inner_text() for i in range(tabs.count())]
    assert labels, f"{role} has no tabs"
    for label in labels:
        # A tap while the previous tap's boosted request is still in flight would race it.
        wait_until(page, IDLE)
        page.locator("nav.bottom-nav").get_by_role("link", name=label, exact=True).click()
        expect(page.locator("nav.bottom-nav a[aria-current=page]")).to_have_text(label)
        wait_until(page, IDLE)
        page.wait_for_load_state("networkidle")
    for url in _detail_pages(_first_ids(live_server)):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert page.js_errors == []
    assert errors == []


def test_signed_out_pages_break_no_security_policy(page, live_server):
    errors = _policy_errors(page)
    ids = _first_ids(live_server)
    for url in ("/login", "/request", f"/a/{ids['qr']}", f"/track/{ids['track']}"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    assert page.js_errors == []
    assert errors == []


def test_htmx_still_swaps_under_the_policy(page):
    """htmx is loaded from the pinned URL with its hash, and its swaps need nothing inline."""
    errors = _policy_errors(page)
    sign_in(page, "technician")
    page.goto("/work-orders/")
    page.evaluate("window.__marker = 'same page'")
    page.fill("#q", "boiler")
    wait_until(page, "() => document.querySelectorAll('#wo-rows li').length === 1")
    assert page.evaluate("window.__marker") == "same page"
    assert page.evaluate("typeof htmx") == "object"
    assert errors == []


def test_only_the_scan_page_may_use_the_camera_even_when_reached_by_a_tap(page):
    sign_in(page, "technician")
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is False
    page.locator("nav.bottom-nav").get_by_role("link", name="Scan", exact=True).click()
    page.wait_for_url("**/scan")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.featurePolicy.allowsFeature('camera')") is True

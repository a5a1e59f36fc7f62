"""A buyer on a phone: order approved lines, approve and issue the PO, download its PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def full_height_screenshot(page, name: str) -> None:
    """The whole page at 390 px wide, the fixed bottom bar below the content, not across it."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 390, "height": height})
    screenshot(page, name)
    page.set_viewport_size({"width": 390, "height": 844})


def small_targets(page, selector: str) -> int:
    """How many buttons, inputs and selects under `selector` are below 44 px in either side."""
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.width > 0 && (r.height < 44 || r.width < 44)).length""",
        selector,
    )


def test_buyer_orders_approved_lines_issues_the_po_and_downloads_the_pdf(page, tmp_path: Path):
    sign_in(page, "buyer")
    expect(page.locator("#lines-to-order")).to_have_text(re.compile(r"[1-9]\d*"))
    page.get_by_role("link", name=re.compile("approved request lines? to order")).click()
    page.wait_for_url(re.compile(r".*/purchase-orders/to-order$"))

    hose = page.locator("label.po-pick", has_text="Hydraulic hose crimp")
    expect(hose.locator("input[type=checkbox]")).to_be_checked()
    group = page.locator("fieldset.po-group", has_text="No vendor suggested")
    group.get_by_label("Order from").select_option(label="Northern Bearing Supply (NBS)")
    # Only what goes to Northern Bearing today: other vendors' lines wait (one PO to follow).
    groups = page.locator("fieldset.po-group")
    for n in range(groups.count()):
        legend = groups.nth(n).locator("legend").inner_text()
        if "No vendor suggested" not in legend and "Northern Bearing" not in legend:
            for box in groups.nth(n).locator("input[type=checkbox]").all():
                box.uncheck()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, ".po-to-order .btn, .po-to-order select, .po-pick") == 0
    full_height_screenshot(page, "po-to-order")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Create POs").click()
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+$"))
    number = page.locator("h1.topbar-title").inner_text().strip()
    assert re.fullmatch(r"PO-\d{4}-\d{6}", number)
    expect(page.locator("#po-status")).to_have_text("Draft")
    expect(page.locator("#po-lines")).to_contain_text("Hydraulic hose crimp")
    expect(page.locator("#po-lines")).to_contain_text("Hydraulic oil ISO VG 46")

    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#po-status")).to_have_text("Approved")
    page.get_by_role("button", name="Issue to vendor").click()
    expect(page.locator("#po-status")).to_have_text("Issued")
    expect(page.locator(".flash-success")).to_contain_text(f"{number} is now issued")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    expect(page.get_by_role("link", name="Revise…")).to_be_visible()
    expect(page.locator("#po-lines")).to_contain_text("Backorder 2 DRUM")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert small_targets(page, "#po-head .btn, #po-actions .btn") == 0
    full_height_screenshot(page, "po-page")
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert number in text and "Northern Bearing Supply" in text

    page.get_by_role("link", name="Print view").click()
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+/document$"))
    expect(page.locator(".po-doc-number")).to_have_text(number)
    expect(page.locator(".po-doc-qr svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "po-document")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_the_demo_draft_shows_its_sourcing_warnings_in_words(page):
    sign_in(page, "buyer")
    page.goto("/purchase-orders/?status=draft")
    page.locator(".po-row", has_text="FlowTech").first.click()
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+$"))
    warnings = page.locator(".po-warning")
    expect(warnings.first).to_be_visible()
    expect(page.locator("#po-lines")).to_contain_text("C-NBS-2026")
    expect(page.get_by_role("link", name="Edit draft")).to_be_visible()

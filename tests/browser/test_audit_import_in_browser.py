"""The demo supervisor on a phone: upload an audit CSV, read the dry run, create the work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def small_audit() -> bytes:
    """Three findings on demo assets, due in three weeks (titles avoid words other tests search)."""
    due = (datetime.now(UTC) + timedelta(days=21)).date().isoformat()
    rows = [
        "audit_reference,finding,asset_tag,location,deadline,priority,instructions",
        f"PUWER-2026-07,Coupling guard missing on dosing pump,P-101,,{due},high,"
        "Isolate | Fit guard | Photograph",
        f"PUWER-2026-07,Pressure relief valve certificate expired,B-801,,{due},emergency,",
        f"PUWER-2026-07,Emergency light in lobby fails 3-hour test,EC-EL,,{due},normal,"
        "Replace battery pack | Retest",
    ]
    return ("\n".join(rows) + "\n").encode()


def test_supervisor_uploads_an_audit_checks_it_and_creates_the_work(page):
    sign_in(page, "supervisor")
    page.goto("/audits/import")
    expect(page.locator("h1.topbar-title")).to_have_text("Audit findings")
    screenshot(page, "audit-import-form")
    assert axe_violations(page) == []

    page.set_input_files(
        "input[type=file]",
        files=[{"name": "puwer.csv", "mimeType": "text/csv", "buffer": small_audit()}],
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#audit-summary")).to_have_text("3 rows checked")
    rows = page.locator(".audit-row")
    expect(rows).to_have_count(3)
    assert "P-101" in rows.nth(0).inner_text()
    assert "Emergency" in rows.nth(1).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # cards, not a table
    screenshot(page, "audit-import-preview")
    assert axe_violations(page) == []

    page.locator("#confirm-import").get_by_role("button", name="Create 3 work orders").click()
    page.wait_for_url("**/audits/imports/*")
    numbers = page.locator(".wo-number")
    expect(numbers).to_have_count(3)
    assert all(text.startswith("WO-") for text in numbers.all_inner_texts())
    expect(page.locator(".flash-success")).to_contain_text("Created 3 work orders.")
    screenshot(page, "audit-import-result")
    page.locator(".wo-row").first.click()
    page.wait_for_url("**/work-orders/*")
    assert "PUWER-2026-07" in page.locator(".facts").inner_text()
    assert page.js_errors == []


def test_a_bad_row_is_shown_in_red_and_nothing_can_be_created(page):
    sign_in(page, "supervisor")
    page.goto("/audits/import")
    bad = small_audit().replace(b"B-801", b"B-999")
    page.set_input_files(
        "input[type=file]", files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".audit-row.has-problems")).to_have_count(1)
    expect(page.locator(".audit-row.has-problems")).to_contain_text("asset tag B-999 is not known")
    expect(page.get_by_role("button", name="Create 3 work orders")).to_have_count(0)
    screenshot(page, "audit-import-preview-bad-row")
    assert page.js_errors == []


def test_add_another_line_appends_a_line_in_place(page):
    sign_in(page, "supervisor")
    page.goto("/audits/new")
    page.fill("#lines-0-finding", "Ladder tag missing")
    page.evaluate("window.__marker = 'same page'")
    page.get_by_role("button", name="Add another line").click()
    expect(page.locator("fieldset.audit-line")).to_have_count(6)
    assert page.evaluate("window.__marker") == "same page"  # htmx appended; no reload
    assert page.input_value("#lines-0-finding") == "Ladder tag missing"
    expect(page.locator("#lines-5-finding")).to_be_focused()
    assert axe_violations(page) == []
    screenshot(page, "audit-new-lines")

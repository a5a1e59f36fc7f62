"""An AP clerk on a phone: an invoice over the received quantity is held with the arithmetic in
words, a late receipt releases it, a second invoice with the same number is refused, and the
invoice goes into the payment export once."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import PaymentExport, User
from tests.browser.conftest import axe_violations, full_height_screenshot, sign_in
from tests.factories import make_goods_receipt, make_purchase_order

pytestmark = pytest.mark.browser


def _new_po() -> dict:
    """A PO for 12 seal kits at 10.00 with 10 received, made in the live app's database."""
    storekeeper = db.session.scalar(select(User).where(User.username == "storekeeper"))
    po = make_purchase_order(
        db, lines=({"qty": "12", "unit_price": "10.00", "description": "Seal kit"},)
    )
    make_goods_receipt(db, po, receiver=storekeeper, lines={1: "10"})
    return {"id": po.id, "number": po.number}


def _receive_the_rest(page, po_id: int) -> None:
    """The storekeeper receives the last 2 on the receiving page (same phone, signed in anew)."""
    page.context.clear_cookies()
    sign_in(page, "storekeeper")
    page.goto(f"/receiving/po/{po_id}")
    line = page.locator("fieldset.rcv-line", has_text="Line 1")
    line.get_by_label("Accepted", exact=True).fill("2")
    page.get_by_role("button", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r".*/receiving/receipts/\d+$"))
    expect(page.locator("main")).to_contain_text("2 EA accepted")
    page.context.clear_cookies()
    sign_in(page, "ap_clerk")


def _enter(page, po_number: str, number: str, qty: str, price: str) -> None:
    page.goto("/invoices/new")
    page.fill("#po", po_number)
    page.get_by_role("button", name="Find the PO").click()
    expect(page.locator("#number")).to_be_visible()
    page.fill("#number", number)
    page.fill("#invoice_on", date.today().isoformat())
    page.fill("#lines-0-qty", qty)
    page.fill("#lines-0-unit_price", price)
    page.get_by_role("button", name="Save and match").click()


def test_clerk_invoice_over_received_is_held_then_released_by_a_late_receipt(page, live_server):
    po = live_server.query(_new_po)
    sign_in(page, "ap_clerk")
    _enter(page, po["number"], "BR-500", "12", "10.00")
    page.wait_for_url(re.compile(r".*/invoices/\d+$"))
    expect(page.locator("#invoice-status")).to_have_text("On hold")
    expect(page.locator("#match-words")).to_contain_text(
        "billed 12 at 10.00; received 10; ordered 12 at 10.00: quantity 2 over received"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "invoice-hold")
    assert axe_violations(page) == []
    invoice_url = page.url

    _receive_the_rest(page, po["id"])
    page.goto(invoice_url)
    expect(page.locator("#invoice-status")).to_have_text("Matched")
    expect(page.locator("#holds")).to_contain_text("released by a late receipt")

    _enter(page, po["number"], " br-500 ", "1", "10.00")
    expect(page.locator("#number-error")).to_contain_text("already entered")
    page.get_by_role("link", name="Open the first one").click()
    page.wait_for_url(invoice_url)

    page.goto("/invoices/exceptions")
    expect(page.locator("#exception-count")).to_contain_text("on hold")
    page.select_option("#reason", "AFTER_THE_FACT")
    expect(page.locator("#exception-rows")).to_contain_text("NBS-0990")
    expect(page.locator("#exception-rows")).not_to_contain_text("FT-78")
    page.select_option("#reason", "")
    expect(page.locator("#exception-rows")).to_contain_text("FT-78")
    full_height_screenshot(page, "exceptions-queue")
    assert axe_violations(page) == []

    page.goto("/invoices/payable")
    expect(page.locator("#payable-rows")).to_contain_text("BR-500")
    full_height_screenshot(page, "payable")
    assert axe_violations(page) == []
    page.get_by_role("button", name=re.compile(r"Export \d+ for payment")).click()
    expect(page.locator("#payable-rows")).to_contain_text("Nothing waiting to be paid")
    expect(page.get_by_role("button", name="Export 0 for payment")).to_be_disabled()
    expect(page.locator("#past-exports")).to_contain_text(re.compile(r"payments-\d+-\d+\.csv"))

    contents = live_server.query(
        lambda: [e.content for e in db.session.scalars(select(PaymentExport))]
    )
    assert sum(content.count(",BR-500,") for content in contents) == 1
    assert page.js_errors == []


def test_clerk_checks_an_invoice_file_fixes_a_row_and_imports_it(page, live_server):
    """The invoice import on the pages every import shares: the bad row named in the summary,
    no import button until the file is right, then one invoice entered and matched."""
    po = live_server.query(_new_po)
    sign_in(page, "ap_clerk")
    page.goto("/invoices/import")
    day = date.today().isoformat()
    header = "po_number,invoice_number,invoice_date,type,po_line,qty,unit_price,freight,tax\n"
    bad = f"{header}{po['number']},CSV-77,{day},invoice,9,2,10.00,,\n"
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}],
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#import-summary")).to_have_text("1 row checked")
    expect(page.locator("#row-problems")).to_contain_text(f"Row 2: {po['number']} has no line 9")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "invoice-import-bad-row")
    assert axe_violations(page) == []

    page.get_by_label("Or paste the rows, header first").fill(bad.replace(",9,2,", ",1,2,"))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".audit-ready")).to_have_text("1 ready")
    page.get_by_role("button", name="Import 1 invoice").click()
    page.wait_for_url(re.compile(r".*/invoices/$"))
    expect(page.locator(".flash-success")).to_contain_text("Imported 1 invoice: 1 matched")
    assert page.js_errors == []

"""The whole purchasing walk on a phone, one document after the other, each by the right person:
a technician's missing part becomes a PR, the requester may not approve it but the approver
does, the buyer orders it and downloads the PO as a PDF, the storekeeper receives part of it and
then the rest, and the technician sees the parts arrived on the work order that waited for them."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import Asset, User
from tests.browser.conftest import htmx_ready, sign_in
from tests.factories import make_work_order

pytestmark = pytest.mark.browser

PART = "LVL-CAP-250"  # a level probe the storerooms do not stock


def _new_work_order() -> dict:
    """A fresh in-progress WO of the demo technician's, on a demo pump, in the live app."""
    tech = db.session.scalar(select(User).where(User.username == "technician"))
    pump = db.session.scalar(select(Asset).where(Asset.tag == "P-101"))
    wo = make_work_order(
        db,
        number="WO-990201",  # 9900xx: the receiving walk; 9901xx: the vendors walk
        title="Tank level reads zero: replace the probe",
        asset=pump,
        assignee=tech,
        status=WorkOrderStatus.in_progress,
    )
    return {"id": wo.id, "number": wo.number}


def _as(page, username: str) -> None:
    page.context.clear_cookies()
    sign_in(page, username)


def test_from_a_missing_part_to_parts_arrived_through_every_desk(page, live_server, tmp_path: Path):
    wo = live_server.query(_new_work_order)

    # The technician lists the probe, finds it unavailable and requests it.
    _as(page, "technician")
    page.goto(f"/work-orders/{wo['id']}")
    htmx_ready(page, "#part-q")
    page.fill("#part-q", "probe")
    page.locator("label.part-pick", has_text=PART).click()
    page.fill("#qty", "3")
    page.get_by_role("button", name="Add to work order").click()
    line = page.locator("li.part-line", has_text=PART)
    line.get_by_role("button", name=f"Mark unavailable {PART}").click()
    expect(line.locator(".pr-status")).to_have_text("Waiting for approval")
    expect(page.locator("#wo-status")).to_have_text("Waiting for parts")
    pr_number = line.locator(".pr-number").inner_text()

    # Their own request: no approve button, and posting the decision anyway is refused.
    line.locator(".pr-number").click()
    page.wait_for_url(re.compile(r".*/purchase-requests/\d+$"))
    pr_url = page.url
    expect(page.locator("#pr-status")).to_have_text("Waiting for approval")
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    token = page.evaluate("JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken']")
    refused = page.request.post(f"{pr_url}/approve", headers={"X-CSRFToken": token})
    assert refused.status in (403, 422)

    # 3 x 410.00 = 1,230.00 is the approver's level.
    _as(page, "approver")
    page.goto(pr_url)
    page.get_by_role("button", name="Approve 1,230.00").click()
    expect(page.locator("#pr-status")).to_have_text("Approved")

    # The buyer orders this request's line (only it), approves and issues the PO.
    _as(page, "buyer")
    page.goto("/purchase-orders/to-order")
    for box in page.locator("label.po-pick").all():
        if pr_number not in box.inner_text():
            box.locator("input[type=checkbox]").uncheck()
    group = page.locator("fieldset.po-group", has_text=pr_number)
    if "No vendor suggested" in group.locator("legend").inner_text():
        group.get_by_label("Order from").select_option(index=1)
    page.get_by_role("button", name="Create POs").click()
    page.wait_for_url(re.compile(r".*/purchase-orders/\d+$"))
    po_number = page.locator("h1.topbar-title").inner_text().strip()
    po_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#po-lines")).to_contain_text(wo["number"])
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#po-status")).to_have_text("Approved")
    page.get_by_role("button", name="Issue to vendor").click()
    expect(page.locator("#po-status")).to_have_text("Issued")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    target = tmp_path / "po.pdf"
    download_info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    assert po_number in "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)

    # The storekeeper receives one, then the other two.
    _as(page, "storekeeper")
    page.goto("/receiving/")
    page.fill("#code", po_number.lower())
    page.get_by_role("button", name="Find the PO").click()
    page.wait_for_url(re.compile(rf".*/receiving/po/{po_id}$"))
    card = page.locator("fieldset.rcv-line", has_text="Line 1")
    card.get_by_label("Accepted", exact=True).fill("1")
    page.get_by_role("button", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r".*/receiving/receipts/\d+$"))
    expect(page.locator("main")).to_contain_text(f"1 EA issued to {wo['number']}")
    expect(page.locator("main")).to_contain_text("Some parts are still on order")

    page.get_by_role("link", name=f"Receive more on {po_number}").click()
    page.wait_for_url(re.compile(rf".*/receiving/po/{po_id}$"))
    card = page.locator("fieldset.rcv-line", has_text="Line 1")
    card.get_by_label("Accepted", exact=True).fill("2")
    page.get_by_role("button", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r".*/receiving/receipts/\d+$"))
    expect(page.locator("main")).to_contain_text("All parts have arrived")

    expect(page.locator("main")).to_contain_text(f"2 EA issued to {wo['number']}")

    # The technician sees the parts arrived, and the work order no longer waits.
    _as(page, "technician")
    arrived = page.get_by_role("link", name=re.compile(f"Parts arrived for {wo['number']}"))
    expect(arrived).to_be_visible()
    arrived.click()
    page.wait_for_url(re.compile(rf".*/work-orders/{wo['id']}$"))
    expect(page.locator("#wo-status")).not_to_have_text("Waiting for parts")
    expect(page.locator("li.part-line", has_text=PART)).to_contain_text("Issued")
    assert page.js_errors == []

"""A storekeeper on a phone receives a PO in two deliveries; the technician sees the parts."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.domain.numbering import Sequence, format_number
from portal.domain.statuses import ItemKind, PartLineStatus, PurchaseOrderStatus
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    CostCentre,
    Item,
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    Storeroom,
    User,
    Vendor,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from tests.browser.conftest import axe_violations, full_height_screenshot, sign_in

pytestmark = pytest.mark.browser
D = Decimal


def issued_po_for_a_waiting_work_order() -> dict:
    """An issued PO due today: six V-belts for stock, two idler pulleys for a waiting WO."""
    s = db.session
    tech = s.scalar(select(User).where(User.username == "technician"))
    store = s.scalar(select(Storeroom).where(Storeroom.code == "RBP-MAIN"))
    site = s.get(Site, store.site_id)
    vendor = s.scalar(select(Vendor).order_by(Vendor.id).limit(1))
    centre = s.scalar(select(CostCentre).order_by(CostCentre.id).limit(1))
    belt = Item(
        part_number="BELT-XPZ-1250",
        description="V-belt XPZ 1250",
        uom="EA",
        category="Belts",
        kind=ItemKind.stock,
        standard_cost=D("12.00"),
    )
    pulley = Item(
        part_number="PULLEY-IDL-80",
        description="Idler pulley 80 mm",
        uom="EA",
        category="Drives",
        kind=ItemKind.non_stock,
        standard_cost=D("48.00"),
    )
    now = utcnow()
    wo = WorkOrder(
        number=format_number(Sequence.work_order, 990001),
        title="Conveyor idler squealing",
        status=WorkOrderStatus.waiting_parts,
        priority=Priority.low,
        site_id=site.id,
        assignee_user_id=tech.id,
        due_at=now + timedelta(days=25),
    )
    s.add_all([belt, pulley, wo])
    s.flush()
    s.add(
        WorkOrderStatusChange(
            work_order_id=wo.id,
            from_status=WorkOrderStatus.assigned,
            to_status=WorkOrderStatus.in_progress,
            changed_by_id=tech.id,
        )
    )
    part = PartLine(
        work_order_id=wo.id,
        item_id=pulley.id,
        needed_qty=D("2"),
        requested_qty=D("2"),
        status=PartLineStatus.requested,
    )
    s.add(part)
    s.flush()
    pr = PurchaseRequest(
        number=format_number(Sequence.purchase_request, 990001),
        work_order_id=wo.id,
        cost_centre_id=centre.id,
        requested_by_id=tech.id,
    )
    s.add(pr)
    s.flush()
    pr_line = PurchaseRequestLine(
        purchase_request_id=pr.id,
        part_line_id=part.id,
        item_id=pulley.id,
        description=pulley.description,
        qty=D("2"),
        uom="EA",
        unit_price=D("48.00"),
    )
    s.add(pr_line)
    po = PurchaseOrder(
        number=format_number(Sequence.purchase_order, 990001, year=now.year),
        vendor_id=vendor.id,
        status=PurchaseOrderStatus.issued,
        payment_terms="Net 30",
        issued_at=now,
    )
    s.add(po)
    s.flush()
    common = {"purchase_order_id": po.id, "uom": "EA", "storeroom_id": store.id}
    s.add_all(
        [
            PurchaseOrderLine(
                line_no=1,
                item_id=belt.id,
                description=belt.description,
                qty=D("6"),
                unit_price=D("11.50"),
                backorder_qty=D("6"),
                expected_on=now.date(),
                **common,
            ),
            PurchaseOrderLine(
                line_no=2,
                item_id=pulley.id,
                description=pulley.description,
                qty=D("2"),
                unit_price=D("48.00"),
                backorder_qty=D("2"),
                expected_on=now.date(),
                work_order_id=wo.id,
                purchase_request_line_id=pr_line.id,
                **common,
            ),
        ]
    )
    s.commit()
    return {"po": po.number, "po_id": po.id, "wo": wo.number, "wo_id": wo.id}


def line_card(page, n: int):
    """The card of PO line n on the receipt page."""
    return page.locator("fieldset.rcv-line", has_text=f"Line {n}")


def test_storekeeper_receives_part_then_the_rest_and_the_technician_sees_the_parts(
    page, live_server
):
    made = live_server.query(issued_po_for_a_waiting_work_order)

    sign_in(page, "storekeeper")
    page.get_by_role("link", name="Receive").click()
    page.wait_for_url(re.compile(r".*/receiving/$"))
    today = page.locator("section", has=page.get_by_role("heading", name="Expected today"))
    expect(today).to_contain_text(made["po"])
    expect(today).to_contain_text("V-belt XPZ 1250")
    expect(today).to_contain_text(f"for {made['wo']}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "receiving-expected")
    assert axe_violations(page) == []

    # Typed the way people type: lower case, spaces, no leading zeros.
    year, serial = made["po"].split("-")[1:]
    page.fill("#code", f"po {year} {int(serial)}")
    page.get_by_role("button", name="Find the PO").click()
    page.wait_for_url(re.compile(rf".*/receiving/po/{made['po_id']}$"))
    expect(line_card(page, 1)).to_contain_text("Open")

    # Too many belts: refused on the line, nothing written, the typing kept.
    line_card(page, 1).get_by_label("Accepted", exact=True).fill("9")
    page.get_by_role("button", name="Confirm receipt").click()
    expect(line_card(page, 1).locator(".field-error")).to_have_text(
        "Line 1 ordered 6, received 0: at most 6 more can be accepted."
    )
    expect(line_card(page, 1).get_by_label("Accepted", exact=True)).to_have_value("9")
    page.goto(f"/receiving/po/{made['po_id']}")  # start again on a clean form

    # First delivery: four belts, one pulley, one belt crushed.
    line_card(page, 1).get_by_label("Accepted", exact=True).fill("4")
    line_card(page, 1).get_by_label("Rejected", exact=True).fill("1")
    line_card(page, 1).get_by_label("Why rejected").fill("Crushed box")
    line_card(page, 2).get_by_label("Accepted", exact=True).fill("1")
    page.get_by_label("Packing slip number").fill("PS-20931")
    small = page.evaluate(
        """() => [...document.querySelectorAll('.rcv-form .btn, .rcv-form input.input')]
              .map(el => el.getBoundingClientRect())
              .filter(r => r.height < 44 || r.width < 44).length"""
    )
    assert small == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    full_height_screenshot(page, "receiving-po")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r".*/receiving/receipts/\d+$"))
    expect(page.locator("main")).to_contain_text("4 EA accepted into Plant main storeroom")
    expect(page.locator("main")).to_contain_text("1 EA rejected: Crushed box")
    expect(page.locator("main")).to_contain_text(f"1 EA issued to {made['wo']} (48.00)")
    expect(page.locator("main")).to_contain_text("Some parts are still on order")

    # Second delivery: the rest.
    page.get_by_role("link", name=f"Receive more on {made['po']}").click()
    page.wait_for_url(re.compile(rf".*/receiving/po/{made['po_id']}$"))
    expect(line_card(page, 1)).to_contain_text("Received4")
    line_card(page, 1).get_by_label("Accepted", exact=True).fill("2")
    line_card(page, 2).get_by_label("Accepted", exact=True).fill("1")
    page.get_by_role("button", name="Confirm receipt").click()
    page.wait_for_url(re.compile(r".*/receiving/receipts/\d+$"))
    main = page.locator("main")
    expect(main).to_contain_text(re.compile(r"GR-\d{4}-\d{6} on " + made["po"]))
    expect(main).to_contain_text("Received", ignore_case=False)
    expect(main).to_contain_text("All parts have arrived")
    expect(main.locator(".badge", has_text="In progress")).to_be_visible()
    full_height_screenshot(page, "receiving-done")
    assert axe_violations(page) == []

    # The technician whose work waited sees the parts arrived.
    page.context.clear_cookies()
    sign_in(page, "technician")
    card = page.get_by_role("link", name=re.compile(f"Parts arrived for {made['wo']}"))
    expect(card).to_be_visible()
    full_height_screenshot(page, "receiving-parts-arrived-home")
    assert axe_violations(page) == []
    card.click()
    page.wait_for_url(re.compile(rf".*/work-orders/{made['wo_id']}$"))
    expect(page.locator("main")).to_contain_text("All parts are here")
    assert page.js_errors == []

"""Approvers on a phone: a direct-buy PO of 7,200.00 waits for two approvers, says why in words,
and its buyer issues it once they approved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.domain.statuses import PurchaseOrderStatus
from portal.extensions import db
from portal.models import CostCentre, User, Vendor
from tests.browser.conftest import axe_violations, full_height_screenshot, sign_in
from tests.factories import make_purchase_order

pytestmark = pytest.mark.browser


class _Db:
    """What the factories need of the `database` fixture: the session."""

    session = db.session


def test_two_approvers_approve_a_direct_buy_po_on_a_phone_before_its_buyer_issues_it(
    page, live_server
):
    with live_server.app.app_context():
        buyer = db.session.scalars(select(User).where(User.username == "buyer")).one()
        vendor = db.session.scalars(select(Vendor).order_by(Vendor.id)).first()
        centre = db.session.scalars(select(CostCentre).order_by(CostCentre.id)).first()
        po = make_purchase_order(
            _Db,
            vendor=vendor,
            buyer=buyer,
            status=PurchaseOrderStatus.draft,
            lines=[
                {
                    "description": "Spare gearbox",
                    "qty": "3",
                    "unit_price": "2400.00",
                    "cost_centre_id": centre.id,
                    "approved_amount": None,
                }
            ],
        )
        po_id, number = po.id, po.number
        db.session.remove()

    sign_in(page, "buyer")
    page.goto(f"/purchase-orders/{po_id}")
    why = page.locator("#po-approval-why")
    expect(why).to_contain_text("7,200.00 is a direct buy with no approved request")
    expect(why).to_contain_text("needs two approvers with the approver role")
    expect(page.get_by_role("button", name="Issue to vendor")).to_have_count(0)
    full_height_screenshot(page, "po-approval-buyer-waits")
    assert axe_violations(page) == []

    for approver, after in (("approver", "1 of 2 approvals so far"), ("approver2", None)):
        page.context.clear_cookies()
        sign_in(page, approver)
        page.goto("/purchase-orders/")
        page.locator("#po-waiting .po-row", has_text=number).click()
        page.wait_for_url(re.compile(rf".*/purchase-orders/{po_id}$"))
        if approver == "approver":
            full_height_screenshot(page, "po-approval-approver")
            assert axe_violations(page) == []
        page.get_by_role("button", name=re.compile(r"^Approve USD 7,200\.00")).click()
        page.wait_for_load_state("networkidle")
        if after:
            expect(page.locator("#po-approval-step")).to_contain_text(after)
    expect(page.locator("#po-status")).to_have_text("Approved")

    page.context.clear_cookies()
    sign_in(page, "buyer")
    page.goto(f"/purchase-orders/{po_id}")
    page.get_by_role("button", name="Issue to vendor").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{number} is now issued")

"""Who may see and do what in purchasing: budget figures only for those the budget page lets in,
the auditor reads without a button that acts, a technician's own-money purchase only on their own
work, and every purchasing use case refuses a role that lacks its capability (a script or a
future API cannot go round the pages).
"""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest

from portal.domain.errors import NotAllowed
from portal.domain.money import format_money
from portal.domain.statuses import PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.services import (
    approvals,
    contractors,
    out_of_pocket,
    po_creation,
    policy,
    purchase_orders,
    vendors,
)
from tests.factories import (
    JPEG_BYTES,
    make_approval_matrix,
    make_contract,
    make_cost_centre,
    make_out_of_pocket_with_receipt,
    make_purchase_order,
    make_purchase_request,
    make_user,
    make_vendor,
    make_work_order,
)
from tests.submitted import once

D = Decimal


# ---------------------------------------------------------------- budget figures on the PR page


def _request_over_a_known_budget(database):
    make_approval_matrix(database)
    tech = make_user(database, roles=["technician"])
    centre = make_cost_centre(database, code="PLANT", budget="7350.00")
    pr = make_purchase_request(
        database, requester=tech, cost_centre=centre, lines=[{"qty": "3", "unit_price": "41.00"}]
    )
    return pr, tech


def test_a_technician_reads_the_purchase_request_without_the_budget(database, login_as):
    pr, tech = _request_over_a_known_budget(database)
    page = login_as(tech).get(f"/purchase-requests/{pr.id}")
    assert page.status_code == 200
    assert "123.00" in page.text  # the request itself: its lines and total
    assert 'id="pr-budget"' not in page.text
    assert format_money(D("7350.00")) not in page.text  # what the cost centre may spend
    assert format_money(D("7227.00")) not in page.text  # what it has left after this request


def test_those_who_read_budgets_see_it_on_the_purchase_request(database, login_as):
    pr, _ = _request_over_a_known_budget(database)
    for role in ("approver", "supervisor", "buyer", "auditor"):
        page = login_as(make_user(database, roles=[role])).get(f"/purchase-requests/{pr.id}")
        assert 'id="pr-budget"' in page.text, role
        assert format_money(D("7350.00")) in page.text and format_money(D("7227.00")) in page.text


# ---------------------------------------------------------------- the auditor only reads


def test_the_auditor_reads_purchasing_documents_and_is_offered_nothing_that_acts(
    database, login_as
):
    make_approval_matrix(database)
    pr = make_purchase_request(database)
    vendor = make_vendor(database, name="Northern Bearing Supply")
    draft = make_purchase_order(database, vendor=vendor, status=PurchaseOrderStatus.draft)
    issued = make_purchase_order(database, vendor=vendor)
    contract = make_contract(database, vendor=vendor, prices=[("Bearings", "EA", "7.60")])
    client = login_as(make_user(database, roles=["auditor"]))
    pages = [
        "/purchase-requests/?show=all",
        f"/purchase-requests/{pr.id}",
        "/purchase-orders/",
        f"/purchase-orders/{draft.id}",
        f"/purchase-orders/{issued.id}",
        "/vendors/",
        f"/vendors/{vendor.id}",
        "/vendors/contracts/",
        f"/vendors/contracts/{contract.id}",
    ]
    for url in pages:
        page = client.get(url)
        assert page.status_code == 200, url
        assert 'method="post"' not in page.text, url
        for acting in ("/edit", "/new", "/to-order", "/revise", "Add a vendor", "Next step"):
            assert acting not in page.text, (url, acting)
    assert client.get(f"/purchase-orders/{draft.id}/edit").status_code == 403
    assert client.post(f"/purchase-orders/{draft.id}/approve", data=once({})).status_code == 403
    refused = client.post(f"/vendors/{vendor.id}/block", data=once({"reason": "x"}))
    assert refused.status_code == 403


# ---------------------------------------------------------------- own money, on one's own work


def _claim() -> dict:
    return once(
        {
            "description": "Fuse 10 A",
            "shop_name": "Corner Hardware",
            "amount": "12.50",
            "bought_on": date.today().isoformat(),
            "why": "The pump was down",
            "category": "Electrical",
        }
    )


def test_a_technician_records_own_money_only_on_their_own_or_unassigned_work(database, login_as):
    tech, other = make_user(database, roles=["technician"]), make_user(database)
    theirs = make_work_order(database, assignee=other, status=WorkOrderStatus.in_progress)
    unassigned = make_work_order(database, status=WorkOrderStatus.approved)
    client = login_as(tech)
    assert client.get(f"/work-orders/{theirs.id}/out-of-pocket/new").status_code == 403
    refused = client.post(
        f"/work-orders/{theirs.id}/out-of-pocket",
        data={**_claim(), "receipt": (io.BytesIO(JPEG_BYTES), "r.jpg")},
    )
    assert refused.status_code == 403
    assert client.get(f"/work-orders/{unassigned.id}/out-of-pocket/new").status_code == 200
    with pytest.raises(NotAllowed):
        out_of_pocket.submit_purchase(
            theirs.id,
            description="Fuse",
            shop_name="Shop",
            amount=D("1.00"),
            qty=None,
            bought_on=date.today(),
            why="Needed",
            category="Electrical",
            receipt=(JPEG_BYTES, "r.jpg"),
            actor=tech,
        )


# ---------------------------------------------------------------- every use case asks


def _refusals(database):
    """(use case, arguments, a role that lacks its capability) for each purchasing write."""
    wo = make_work_order(database, status=WorkOrderStatus.approved)
    vendor = make_vendor(database, is_contractor=True)
    po = make_purchase_order(database, vendor=vendor, status=PurchaseOrderStatus.draft)
    pr = make_purchase_request(database)
    purchase = make_out_of_pocket_with_receipt(database)
    draft = vendors.VendorDraft(code="NEW", name="New vendor")
    return [
        (approvals.approve_purchase_request, (pr.id,), {"approver": "buyer"}),
        (approvals.reject_purchase_request, (pr.id,), {"approver": "technician", "reason": "No"}),
        (po_creation.create_purchase_orders, ([pr.lines[0].id],), {"buyer": "approver"}),
        (purchase_orders.approve_purchase_order, (po.id,), {"actor": "approver"}),
        (purchase_orders.cancel_purchase_order, (po.id,), {"actor": "ap_clerk", "reason": "x"}),
        (vendors.create_vendor, (draft,), {"actor": "approver"}),
        (vendors.block_vendor, (vendor.id,), {"actor": "supervisor", "reason": "Late"}),
        (contractors.assign_contractor, (wo.id,), {"vendor_id": vendor.id, "actor": "buyer"}),
        (
            contractors.request_service,
            (wo.id,),
            {
                "vendor_id": vendor.id,
                "description": "A visit",
                "qty": "1",
                "uom": "VISIT",
                "unit_price": "90.00",
                "actor": "technician",
            },
        ),
        (
            out_of_pocket.review_purchase,
            (purchase.id,),
            {"approve": True, "reason": None, "actor": "technician"},
        ),
        (
            policy.create_rule,
            (),
            {
                "name": "Big buys",
                "kind": "amount_at_least",
                "amount": "500",
                "categories": "",
                "item_kinds": ["stock"],
                "message": None,
                "actor": "approver",
            },
        ),
        (
            approvals.set_budget_authority,
            (pr.requested_by_id,),
            {"granted": True, "actor": "approver"},
        ),
    ]


def test_every_purchasing_use_case_refuses_a_role_without_its_capability(database):
    for use_case, args, kwargs in _refusals(database):
        role_key = next(k for k in ("approver", "buyer", "actor") if k in kwargs)
        who = make_user(database, roles=[kwargs[role_key]])
        once_only = (
            {"submission_id": uuid.uuid4().hex} if hasattr(use_case, "submission_kind") else {}
        )
        with pytest.raises(NotAllowed):
            use_case(*args, **{**kwargs, role_key: who, **once_only})

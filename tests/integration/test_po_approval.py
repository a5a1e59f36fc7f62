"""Approval binds spend (issue 13, reproduction 1), replayed over HTTP with the test client.

A purchase request approved at 67.00 became a PO of 50 x 134.00 = 6,700.00 that its buyer approved
and issued alone; an issued PO was revised from 4,420.00 to 88,400.00 with only a reason. Now the
PO carries what was approved, goes back through the approval matrix when it goes above it, and
nobody who wrote or changed it approves it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.domain.purchase_orders import LineChange, RevisionChanges
from portal.domain.statuses import LineKind, PurchaseOrderStatus, PurchaseRequestStatus
from portal.extensions import db
from portal.models import (
    AuditEvent,
    PurchaseOrder,
    PurchaseOrderApproval,
    PurchaseOrderRevision,
)
from portal.services import po_approval, po_creation, po_revisions
from tests.factories import (
    make_approval_matrix,
    make_contract,
    make_cost_centre,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_user,
    make_vendor,
)

D = Decimal
S = PurchaseOrderStatus


def sid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def people(database):
    """The demo's approval matrix, a buyer, two approvers and a buyer who also approves."""
    make_approval_matrix(database)
    return {
        "buyer": make_user(database, roles=["buyer"], full_name="Bea Nakamura"),
        "approver": make_user(
            database, roles=["approver"], full_name="Arjun Mehta", budget_authority=True
        ),
        "approver2": make_user(
            database, roles=["approver"], full_name="Grace Adeyemi", budget_authority=True
        ),
        "buyer_approver": make_user(
            database, roles=["buyer", "approver"], full_name="Bo Both", budget_authority=True
        ),
    }


def approved_request(database, *, qty="50", unit_price="1.34", vendor=None, centre=None, **line):
    """A PR approved at qty x unit_price (67.00 by default), suggested to a vendor."""
    vendor = vendor or make_vendor(database, name="Northern Bearings")
    centre = centre or make_cost_centre(database, budget="500000.00")
    return make_purchase_request(
        database,
        cost_centre=centre,
        status=PurchaseRequestStatus.approved,
        lines=[
            {
                "item": make_item(database, category="Bearings"),
                "qty": qty,
                "unit_price": unit_price,
                "suggested_vendor_id": vendor.id,
                **line,
            }
        ],
    )


def order_over_http(client, pr) -> PurchaseOrder:
    """The buyer ticks the request line on To order and creates the draft PO."""
    line = pr.lines[0]
    answer = client.post(
        "/purchase-orders/to-order",
        data={"line": str(line.id), "group": f"{line.id}:0", "submission_id": sid()},
    )
    assert answer.status_code == 303, answer.text
    po_id = int(answer.headers["Location"].rstrip("/").split("/")[-1])
    return db.session.get(PurchaseOrder, po_id)


def edit_line_over_http(client, po, *, qty, unit_price):
    """The buyer saves the draft with a new quantity and price on its first line."""
    line = po.lines[0]
    return client.post(
        f"/purchase-orders/{po.id}/edit",
        data={
            "payment_terms": po.payment_terms,
            "lines-0-line_id": str(line.id),
            "lines-0-qty": qty,
            "lines-0-unit_price": unit_price,
            "lines-0-discount_percent": "",
            "lines-0-expected_on": "",
            "submission_id": sid(),
        },
    )


def move(client, po_id, action):
    return client.post(f"/purchase-orders/{po_id}/{action}", data={"submission_id": sid()})


def approve(client, po_id, reason=""):
    return client.post(
        f"/purchase-orders/{po_id}/approve-spend", data={"submission_id": sid(), "reason": reason}
    )


def status_of(po_id) -> S:
    db.session.expire_all()
    po = db.session.get(PurchaseOrder, po_id)
    assert po is not None
    return po.status


def test_reproduction_1_the_6700_po_cannot_be_issued_until_two_approvers_other_than_the_buyer(
    database, login_as, people
):
    pr = approved_request(database)  # 50 x 1.34 = 67.00, approved
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert po.lines[0].approved_amount == D("67.00")
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert f"Approved 67.00 on {pr.number}" in page.text

    answer = edit_line_over_http(buyer, po, qty="50", unit_price="134.00")
    assert answer.status_code == 303, answer.text
    page = buyer.get(f"/purchase-orders/{po.id}")
    words = (
        f"6,700.00 is 6,633.00 above the 67.00 approved on {pr.number}; "
        "needs two approvers with the approver role."
    )
    assert words in page.text
    assert "Issue to vendor" not in page.text

    # The buyer can neither approve it as a buyer nor issue it.
    refused = move(buyer, po.id, "approve")
    assert refused.status_code == 422
    assert "cannot be approved by its buyer yet" in refused.text and words in refused.text
    assert move(buyer, po.id, "issue").status_code == 422
    assert status_of(po.id) is S.draft

    # The first approver finds it on the PO list: one of two, still a draft.
    first = login_as(people["approver"])
    listed = first.get("/purchase-orders/").text
    assert "Waiting for your approval" in listed and words in listed
    shown = first.get(f"/purchase-orders/{po.id}").text
    assert shown.count("Approve USD 6,700.00") == 1, shown[shown.find("po-approval") :][:1500]
    assert approve(first, po.id, "Price checked: 134.00 is the list price").status_code == 303
    assert status_of(po.id) is S.draft
    page = first.get(f"/purchase-orders/{po.id}")
    assert "1 of 2 approvals so far" in page.text
    again = approve(first, po.id)
    assert again.status_code == 422 and "Someone else must give the next approval" in again.text

    # The buyer still cannot issue; the second approver completes it.
    assert move(login_as(people["buyer"]), po.id, "issue").status_code == 422
    assert "Waiting for your approval" not in first.get("/purchase-orders/").text
    assert approve(login_as(people["approver2"]), po.id).status_code == 303
    assert status_of(po.id) is S.approved

    buyer = login_as(people["buyer"])
    assert move(buyer, po.id, "issue").status_code == 303
    assert status_of(po.id) is S.issued
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert "Approved by Arjun Mehta" in page.text and "Approved by Grace Adeyemi" in page.text
    assert "Price checked: 134.00 is the list price" in page.text
    assert po_approval.violations(db.session) == []

    # Audited: who, when, what, why.
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("purchase_order.spend_approv%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "purchase_order.spend_approval_added",
        "purchase_order.spend_approved",
    ]
    assert events[0].changes["approvals"] == "1 of 2 approvals"
    assert events[0].changes["total"] == "6700.00"
    assert "6,633.00 above the 67.00 approved" in events[0].why
    assert events[0].at is not None and events[0].actor_id == people["approver"].id
    assert events[1].actor_id == people["approver2"].id


def test_the_buyer_cannot_approve_their_own_po_even_holding_the_approver_role(
    database, login_as, people
):
    pr = approved_request(database, qty="10", unit_price="10.00")  # 100.00
    me = login_as(people["buyer_approver"])
    po = order_over_http(me, pr)
    assert edit_line_over_http(me, po, qty="10", unit_price="100.00").status_code == 303
    page = me.get(f"/purchase-orders/{po.id}")
    assert "You wrote or changed" in page.text
    answer = approve(me, po.id)
    assert answer.status_code == 422
    assert "separation of duties" in answer.text
    assert db.session.scalars(select(PurchaseOrderApproval)).all() == []
    # Someone who only approves may: 1,000.00 needs one approver.
    assert approve(login_as(people["approver"]), po.id).status_code == 303
    assert status_of(po.id) is S.approved


def test_an_edit_within_the_tolerance_needs_no_approval_again(database, login_as, people):
    pr = approved_request(database, qty="10", unit_price="100.00")  # 1,000.00
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    # +40.00: under both 5 % (50.00) and 50.00.
    assert edit_line_over_http(buyer, po, qty="10", unit_price="104.00").status_code == 303
    assert "Approval of the amounts" not in buyer.get(f"/purchase-orders/{po.id}").text
    assert move(buyer, po.id, "approve").status_code == 303
    assert move(buyer, po.id, "issue").status_code == 303
    assert status_of(po.id) is S.issued


def test_an_edit_beyond_the_tolerance_needs_approval(database, login_as, people):
    pr = approved_request(database, qty="10", unit_price="100.00")  # 1,000.00
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    # +60.00: above 50.00, the smaller of 5 % (50.00) and 50.00.
    assert edit_line_over_http(buyer, po, qty="10", unit_price="106.00").status_code == 303
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert "1,060.00 is 60.00 above the 1,000.00 approved" in page.text
    assert move(buyer, po.id, "approve").status_code == 422


def test_an_edit_into_a_higher_band_needs_approval_even_within_the_tolerance(
    database, login_as, people
):
    pr = approved_request(database, qty="1", unit_price="4990.00")  # one approver's band
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert edit_line_over_http(buyer, po, qty="1", unit_price="5030.00").status_code == 303
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert "5,030.00 is in a higher approval band than the 4,990.00 approved" in page.text
    assert "needs two approvers" in page.text


def test_reproduction_1_revision_from_4420_to_88400_needs_approval_before_it_takes_effect(
    database, login_as, people
):
    pr = approved_request(database, qty="52", unit_price="85.00", kind=LineKind.service)  # 4,420.00
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert move(buyer, po.id, "approve").status_code == 303
    assert move(buyer, po.id, "issue").status_code == 303
    line = po.lines[0]
    answer = buyer.post(
        f"/purchase-orders/{po.id}/revise",
        data={
            "lines-0-line_id": str(line.id),
            "lines-0-qty": "52",
            "lines-0-unit_price": "1700.00",
            "lines-0-discount_percent": "",
            "lines-0-expected_on": "",
            "reason": "Scope extended to all buildings",
            "submission_id": sid(),
        },
    )
    assert answer.status_code == 303, answer.text
    db.session.expire_all()
    po = db.session.get(PurchaseOrder, po.id)
    # Not in effect: the vendor's document still says 4,420.00.
    assert po.revision == 0 and po.lines[0].unit_price == D("85.00")
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert "Revision 1 waits for approval: 88,400.00 is 83,980.00 above the 4,420.00" in page.text
    assert "Waiting for approval" in page.text
    # Another revision waits for this one.
    second = buyer.post(
        f"/purchase-orders/{po.id}/revise",
        data={
            "lines-0-line_id": str(line.id),
            "lines-0-qty": "52",
            "lines-0-unit_price": "80.00",
            "lines-0-discount_percent": "",
            "reason": "Cheaper",
            "submission_id": sid(),
        },
    )
    assert second.status_code == 422 and "waiting for approval" in second.text

    assert approve(login_as(people["buyer_approver"]), po.id).status_code == 303  # not an author
    db.session.expire_all()
    assert db.session.get(PurchaseOrder, po.id).revision == 0  # one of two
    assert approve(login_as(people["approver"]), po.id, "Tender awarded").status_code == 303
    db.session.expire_all()
    po = db.session.get(PurchaseOrder, po.id)
    assert po.revision == 1 and po.lines[0].unit_price == D("1700.00")
    assert po.lines[0].authorised_amount == D("88400.00")
    revision = db.session.scalars(select(PurchaseOrderRevision)).one()
    assert revision.status == "applied" and revision.snapshot["total"] == "4420.00"
    assert po_approval.violations(db.session) == []


def test_the_reviser_cannot_approve_their_own_revision(database, login_as, people):
    pr = approved_request(database, qty="10", unit_price="100.00")
    me = login_as(people["buyer_approver"])
    po = order_over_http(me, pr)
    assert move(me, po.id, "approve").status_code == 303
    assert move(me, po.id, "issue").status_code == 303
    po_revisions.revise_purchase_order(
        po.id,
        changes=RevisionChanges(lines={po.lines[0].id: LineChange(unit_price=D("200.00"))}),
        reason="Price rise",
        actor=people["buyer_approver"],
    )
    answer = approve(me, po.id)
    assert answer.status_code == 422 and "separation of duties" in answer.text


def test_a_direct_buy_po_goes_through_the_matrix(database, login_as, people):
    vendor = make_vendor(database, name="Spot Supplies")
    centre = make_cost_centre(database, budget="50000.00")
    po = make_purchase_order(
        database,
        vendor=vendor,
        buyer=people["buyer"],
        status=S.draft,
        lines=[
            {
                "qty": "3",
                "unit_price": "400.00",
                "cost_centre_id": centre.id,
                "approved_amount": None,
            }
        ],
    )
    buyer = login_as(people["buyer"])
    page = buyer.get(f"/purchase-orders/{po.id}")
    assert "1,200.00 is a direct buy with no approved request" in page.text
    assert "needs someone with the approver role" in page.text
    assert "No request behind this line" in page.text
    assert move(buyer, po.id, "approve").status_code == 422
    assert approve(login_as(people["approver"]), po.id).status_code == 303
    assert status_of(po.id) is S.approved
    assert move(login_as(people["buyer"]), po.id, "issue").status_code == 303


def test_contract_ceiling_warns_at_90_percent_and_needs_approval_above_100(
    database, login_as, people
):
    vendor = make_vendor(database, name="Bright Cleaning")
    item = make_item(database, category="Cleaning")
    contract = make_contract(
        database,
        vendor=vendor,
        reference="CLN-2026",
        prices=[(item, "EA", "100.00")],
        ceiling_amount=D("1000.00"),
    )
    price_id = contract.prices[0].id
    centre = make_cost_centre(database, budget="500000.00")
    buyer = login_as(people["buyer"])

    def ordered(qty: str) -> PurchaseOrder:
        pr = approved_request(
            database,
            qty=qty,
            unit_price="100.00",
            vendor=vendor,
            centre=centre,
            contract_price_id=price_id,
        )
        return order_over_http(buyer, pr)

    first = ordered("9")  # 900.00 of 1,000.00: 90 %
    assert first.contract_id == contract.id
    page = buyer.get(f"/purchase-orders/{first.id}")
    assert "Contract CLN-2026: 900.00 of its 1,000.00 ceiling consumed with this PO (90.0 %)" in (
        page.text
    )
    assert move(buyer, first.id, "approve").status_code == 303
    assert move(buyer, first.id, "issue").status_code == 303
    shown = buyer.get(f"/vendors/contracts/{contract.id}").text
    assert "USD 900.00 (90.0 % of the ceiling)" in shown

    second = ordered("2")  # 1,100.00: past the ceiling by 100.00
    page = buyer.get(f"/purchase-orders/{second.id}")
    assert "it takes contract CLN-2026 100.00 past its 1,000.00 ceiling" in page.text
    assert move(buyer, second.id, "approve").status_code == 422
    # 200.00 is in the supervisor's band of the matrix: an approver is the wrong role.
    wrong = approve(login_as(people["approver"]), second.id)
    assert wrong.status_code == 422 and "needs someone with the supervisor role" in wrong.text
    supervisor = make_user(database, roles=["supervisor"])
    assert approve(login_as(supervisor), second.id).status_code == 303
    assert status_of(second.id) is S.approved


def test_violations_name_a_line_above_what_was_approved_without_an_approval(database, people):
    pr = approved_request(database)  # 67.00
    (po,) = po_creation.create_purchase_orders(
        [pr.lines[0].id], buyer=people["buyer"], submission_id=sid()
    )
    assert po_approval.violations(db.session) == []
    # Planted as the bug did it: the price raised and the PO issued without an approval.
    po.lines[0].unit_price = D("134.00")
    po.status = S.issued
    db.session.commit()
    (found,) = po_approval.violations(db.session)
    assert po.number in found and "line 1" in found
    assert "6,700.00 is 6,633.00 above the 67.00 approved" in found
    assert "no approval of the excess is recorded" in found


def test_the_tolerance_is_policy_data_edited_on_the_policy_page(database, login_as, people):
    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    page = client.get("/policy/")
    assert "5 % or 50.00, whichever is smaller" in page.text
    answer = client.post(
        "/policy/approval-tolerance",
        data={"percent": "2", "amount": "20.00", "reason": "Audit finding", "submission_id": sid()},
    )
    assert answer.status_code == 303, answer.text
    assert "2 % or 20.00, whichever is smaller" in client.get("/policy/").text
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "approval_tolerance.changed")
    ).one()
    assert event.why == "Audit finding"
    bad = client.post(
        "/policy/approval-tolerance",
        data={"percent": "150", "amount": "20.00", "submission_id": sid()},
    )
    # The shared percent field (portal/fields.py) refuses it before the domain's own check.
    assert bad.status_code == 422
    assert "Percent of the approved amount must be at most 100." in bad.text
    # Now +30.00 on 1,000.00 is beyond it.
    pr = approved_request(database, qty="10", unit_price="100.00")
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert edit_line_over_http(buyer, po, qty="10", unit_price="103.00").status_code == 303
    assert move(buyer, po.id, "approve").status_code == 422


def test_a_po_that_would_overspend_its_budget_needs_budget_authority_and_a_reason(
    database, login_as, people
):
    centre = make_cost_centre(database, budget="1000.00")
    pr = approved_request(database, qty="10", unit_price="50.00", centre=centre)  # 500.00
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert edit_line_over_http(buyer, po, qty="10", unit_price="150.00").status_code == 303
    plain = make_user(database, roles=["approver"], full_name="No Authority")
    refused = approve(login_as(plain), po.id)
    assert refused.status_code == 422
    assert "only an approver with budget authority may approve it" in refused.text
    no_reason = approve(login_as(people["approver"]), po.id)
    assert no_reason.status_code == 422 and "write why" in no_reason.text
    assert approve(login_as(people["approver"]), po.id, "Plant down: pay it").status_code == 303
    assert status_of(po.id) is S.approved
    row = db.session.scalars(select(PurchaseOrderApproval)).one()
    assert row.over_budget and row.reason == "Plant down: pay it"


def test_an_approver_sends_a_po_back_with_a_reason_and_it_waits_for_its_buyer(
    database, login_as, people
):
    pr = approved_request(database)  # 67.00
    buyer = login_as(people["buyer"])
    po = order_over_http(buyer, pr)
    assert edit_line_over_http(buyer, po, qty="50", unit_price="134.00").status_code == 303
    approver = login_as(people["approver"])
    no_reason = approver.post(
        f"/purchase-orders/{po.id}/reject-spend", data={"submission_id": sid(), "reason": ""}
    )
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    sent = approver.post(
        f"/purchase-orders/{po.id}/reject-spend",
        data={"submission_id": sid(), "reason": "1.34 each, not 134.00: a typing slip?"},
    )
    assert sent.status_code == 303
    assert "Waiting for your approval" not in approver.get("/purchase-orders/").text
    page = login_as(people["buyer"]).get(f"/purchase-orders/{po.id}")
    assert "Sent back by Arjun Mehta: 1.34 each, not 134.00: a typing slip?" in page.text
    assert move(login_as(people["buyer"]), po.id, "approve").status_code == 422
    # A lower price still above what was approved goes back to the approvers.
    buyer = login_as(people["buyer"])
    assert edit_line_over_http(buyer, po, qty="50", unit_price="100.00").status_code == 303
    assert "Waiting for your approval" in login_as(people["approver"]).get("/purchase-orders/").text
    # The buyer puts the price right: within what was approved, they approve and issue it.
    buyer = login_as(people["buyer"])
    assert edit_line_over_http(buyer, po, qty="50", unit_price="1.34").status_code == 303
    assert move(buyer, po.id, "approve").status_code == 303
    assert move(buyer, po.id, "issue").status_code == 303
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "purchase_order.spend_rejected")
    ).all()
    assert event.actor_id == people["approver"].id and "typing slip" in event.why

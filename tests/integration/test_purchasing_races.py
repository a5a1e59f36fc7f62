"""A double tap on every purchasing form, and two reviewers deciding one purchase at once.

Each double tap posts the same form twice at the same instant (each post on its own connection:
real concurrent transactions on PostgreSQL) and checks there is one effect (one row, one audit
event) and that both answers land on the first result: the same redirect, never an error page
and never "already used". One scratch database serves the module, emptied between tests.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.statuses import (
    ApprovalDecision,
    ItemKind,
    LineKind,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    VendorStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Approval,
    AuditEvent,
    Contract,
    ContractPrice,
    OutOfPocketPurchase,
    PolicyRule,
    PreferredVendor,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderLineFlag,
    PurchaseOrderRevision,
    PurchaseRequest,
    PurchaseRequestLine,
    User,
    Vendor,
    WorkOrder,
    WorkOrderStatusChange,
)
from tests.concurrency import post_at_once, run_at_once
from tests.conftest import _empty_all_tables, racing_app, sign_in
from tests.factories import (
    JPEG_BYTES,
    make_approval_matrix,
    make_asset,
    make_contract,
    make_cost_centre,
    make_item,
    make_out_of_pocket_with_receipt,
    make_policy_rule,
    make_purchase_order,
    make_purchase_request,
    make_user,
    make_vendor,
    make_work_order,
)

D = Decimal


@pytest.fixture(scope="module")
def tap_app(tmp_path_factory):
    """One app on a scratch database for the module, a connection per racing post."""
    with racing_app(tmp_path_factory.mktemp("purchasing-races")) as app:
        yield app


@pytest.fixture
def world(tap_app):
    """The module's database, empty at the start of each test."""
    with tap_app.app_context():
        yield db
        _empty_all_tables()
        db.session.remove()


def tap_twice(app, user, url: str, data: dict) -> str:
    """Post the form twice at once as `user`; both answers are the same redirect: its target."""
    user_id = user.id
    db.session.commit()  # nothing of this thread's session stays open while the posts race
    answers = post_at_once(app, user_id, url, data)
    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    db.session.expire_all()
    return answers[0].headers["Location"]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def audited(action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == action))


def sid() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------- purchase requests


def _waiting_request(world):
    make_approval_matrix(world)
    tech = make_user(world, roles=["technician"])
    supervisor = make_user(world, roles=["supervisor"])
    pr = make_purchase_request(world, requester=tech, lines=[{"qty": "2", "unit_price": "40.00"}])
    return pr, supervisor


def test_approving_twice_at_once_records_one_approval(tap_app, world):
    pr, supervisor = _waiting_request(world)
    url = f"/purchase-requests/{pr.id}/approve"
    tapped = tap_twice(tap_app, supervisor, url, {"approve-submission_id": sid()})
    assert tapped.endswith(f"/purchase-requests/{pr.id}")
    assert count(Approval) == 1 and audited("purchase_request.approved") == 1


def test_rejecting_twice_at_once_records_one_rejection(tap_app, world):
    pr, supervisor = _waiting_request(world)
    data = {"reject-reason": "Not this quarter", "reject-submission_id": sid()}
    tap_twice(tap_app, supervisor, f"/purchase-requests/{pr.id}/reject", data)
    [decision] = db.session.scalars(select(Approval)).all()
    assert decision.decision is ApprovalDecision.rejected
    assert audited("purchase_request.rejected") == 1


def test_cancelling_a_request_twice_at_once_cancels_it_once(tap_app, world):
    pr, _supervisor = _waiting_request(world)
    requester = db.session.get(User, pr.requested_by_id)
    data = {"cancel-reason": "Found one in the van", "cancel-submission_id": sid()}
    tap_twice(tap_app, requester, f"/purchase-requests/{pr.id}/cancel", data)
    assert db.session.get(PurchaseRequest, pr.id).status is PurchaseRequestStatus.cancelled
    assert audited("purchase_request.cancelled") == 1


def test_a_flagged_po_line_decided_twice_at_once_is_decided_once(tap_app, world):
    buyer = make_user(world, roles=["buyer"])
    wo = make_work_order(world, status=WorkOrderStatus.cancelled)
    po = make_purchase_order(
        world, buyer=buyer, lines=({"qty": "5", "unit_price": "8.00", "work_order_id": wo.id},)
    )
    flag = PurchaseOrderLineFlag(
        purchase_order_line_id=po.lines[0].id, work_order_id=wo.id, reason="Cancelled work"
    )
    world.session.add(flag)
    world.session.commit()
    data = {"resolution": "cancelled", "reason": "Vendor agreed", "submission_id": sid()}
    tap_twice(tap_app, buyer, f"/purchase-orders/line-flags/{flag.id}/resolve", data)
    assert audited("purchase_order_line.cancelled") == 1
    assert db.session.get(PurchaseOrderLine, po.lines[0].id).qty == 0


# ---------------------------------------------------------------- purchase orders


def _buyer(world):
    return make_user(world, roles=["buyer"])


def test_ordering_approved_lines_twice_at_once_makes_one_po(tap_app, world):
    buyer, vendor = _buyer(world), make_vendor(world)
    pr = make_purchase_request(
        world,
        status=PurchaseRequestStatus.approved,
        lines=[{"qty": "3", "unit_price": "9.00", "suggested_vendor_id": vendor.id}],
    )
    line_id = pr.lines[0].id
    data = {"submission_id": sid(), "line": [str(line_id)], "group": f"{line_id}:{vendor.id}"}
    tapped = tap_twice(tap_app, buyer, "/purchase-orders/to-order", data)
    [po] = db.session.scalars(select(PurchaseOrder)).all()
    assert tapped.endswith(f"/purchase-orders/{po.id}")
    assert audited("purchase_order.created") == 1


def test_saving_a_draft_twice_at_once_saves_it_once(tap_app, world):
    buyer = _buyer(world)
    po = make_purchase_order(world, status=PurchaseOrderStatus.draft, lines=[{"qty": "2"}])
    data = {
        "submission_id": sid(),
        "payment_terms": "",
        "ship_to": "Dock 2",
        "notes": "",
        "service_frequency": "",
        "billing_schedule": "",
        "lines-0-line_id": str(po.lines[0].id),
        "lines-0-qty": "4",
        "lines-0-unit_price": "10.00",
        "lines-0-discount_percent": "",
        "lines-0-expected_on": "",
    }
    tap_twice(tap_app, buyer, f"/purchase-orders/{po.id}/edit", data)
    assert audited("purchase_order.updated") == 1
    assert db.session.get(PurchaseOrder, po.id).lines[0].qty == D("4")


def test_revising_twice_at_once_makes_one_revision(tap_app, world):
    buyer = _buyer(world)
    po = make_purchase_order(world, lines=[{"qty": "3"}])
    data = {
        "submission_id": sid(),
        "lines-0-line_id": str(po.lines[0].id),
        # A cut takes effect at once (more than was approved waits for approval).
        "lines-0-qty": "2",
        "lines-0-unit_price": "10.00",
        "lines-0-discount_percent": "",
        "lines-0-expected_on": "",
        "reason": "Fewer needed",
    }
    tap_twice(tap_app, buyer, f"/purchase-orders/{po.id}/revise", data)
    assert count(PurchaseOrderRevision) == 1
    assert db.session.get(PurchaseOrder, po.id).revision == 1


@pytest.mark.parametrize(
    ("action", "start", "reason", "after"),
    [
        ("approve", PurchaseOrderStatus.draft, "", PurchaseOrderStatus.approved),
        ("issue", PurchaseOrderStatus.approved, "", PurchaseOrderStatus.issued),
        ("cancel", PurchaseOrderStatus.issued, "Ordered twice", PurchaseOrderStatus.cancelled),
        ("close", PurchaseOrderStatus.received, "", PurchaseOrderStatus.closed),
    ],
)
def test_a_po_move_tapped_twice_at_once_happens_once(tap_app, world, action, start, reason, after):
    buyer = _buyer(world)
    received = "10" if start is PurchaseOrderStatus.received else "0"
    po = make_purchase_order(
        world, status=start, lines=[{"qty": "10", "received_qty": D(received)}]
    )
    data = {"submission_id": sid(), "reason": reason}
    tapped = tap_twice(tap_app, buyer, f"/purchase-orders/{po.id}/{action}", data)
    assert tapped.endswith(f"/purchase-orders/{po.id}")
    assert db.session.get(PurchaseOrder, po.id).status is after
    assert audited(f"purchase_order.{after.value}") == 1


# ---------------------------------------------------------------- vendors and contracts


def test_adding_a_vendor_twice_at_once_adds_one(tap_app, world):
    data = {"submission_id": sid(), "code": "VOLT", "name": "Voltaic", "payment_terms": "Net 30"}
    tapped = tap_twice(tap_app, _buyer(world), "/vendors/new", data)
    [vendor] = db.session.scalars(select(Vendor)).all()
    assert tapped.endswith(f"/vendors/{vendor.id}")
    assert audited("vendor.created") == 1


def test_editing_a_vendor_twice_at_once_audits_one_change(tap_app, world):
    buyer, vendor = _buyer(world), make_vendor(world, code="FLO", name="FlowTech")
    data = {
        "submission_id": sid(),
        "code": "FLO",
        "name": "FlowTech Ltd",
        "payment_terms": "Net 45",
    }
    tap_twice(tap_app, buyer, f"/vendors/{vendor.id}/edit", data)
    assert audited("vendor.updated") == 1


def test_blocking_and_unblocking_twice_at_once_each_happen_once(tap_app, world):
    buyer, vendor = _buyer(world), make_vendor(world)
    url = f"/vendors/{vendor.id}"
    tap_twice(tap_app, buyer, f"{url}/block", {"submission_id": sid(), "reason": "Late again"})
    assert db.session.get(Vendor, vendor.id).status is VendorStatus.blocked
    tap_twice(tap_app, buyer, f"{url}/unblock", {"submission_id": sid(), "reason": "Agreed"})
    assert db.session.get(Vendor, vendor.id).status is VendorStatus.active
    assert (audited("vendor.blocked"), audited("vendor.unblocked")) == (1, 1)


def test_a_preferred_category_added_and_removed_twice_at_once(tap_app, world):
    buyer, vendor = _buyer(world), make_vendor(world)
    url = f"/vendors/{vendor.id}/categories"
    tap_twice(tap_app, buyer, url, {"submission_id": sid(), "category": "Bearings"})
    assert count(PreferredVendor) == 1
    tap_twice(tap_app, buyer, f"{url}/remove", {"submission_id": sid(), "category": "Bearings"})
    assert count(PreferredVendor) == 0
    assert (audited("vendor.preferred_added"), audited("vendor.preferred_removed")) == (1, 1)


def _contract_form(**changes) -> dict:
    today = date.today()
    return {
        "submission_id": sid(),
        "reference": "C-2026",
        "title": "Belts",
        "valid_from": today.isoformat(),
        "valid_to": (today + timedelta(days=365)).isoformat(),
        "ceiling_amount": "",
        **changes,
    }


def test_a_contract_added_and_edited_twice_at_once(tap_app, world):
    buyer, vendor = _buyer(world), make_vendor(world)
    tapped = tap_twice(tap_app, buyer, f"/vendors/{vendor.id}/contracts/new", _contract_form())
    [contract] = db.session.scalars(select(Contract)).all()
    assert tapped.endswith(f"/vendors/contracts/{contract.id}")
    edited = _contract_form(title="Belts and chains")
    tap_twice(tap_app, buyer, f"/vendors/contracts/{contract.id}/edit", edited)
    assert (audited("contract.created"), audited("contract.updated")) == (1, 1)


def test_a_contract_price_added_and_removed_twice_at_once(tap_app, world):
    buyer = _buyer(world)
    item = make_item(world, part_number="BELT-1")
    contract = make_contract(world)
    url = f"/vendors/contracts/{contract.id}/prices"
    data = {"submission_id": sid(), "part_number": "BELT-1", "uom": "EA", "unit_price": "16"}
    tap_twice(tap_app, buyer, url, data)
    [price] = db.session.scalars(select(ContractPrice)).all()
    assert price.item_id == item.id
    # The second post of a removal finds the price gone: it lands on the first's answer, no 404.
    tap_twice(
        tap_app, buyer, f"/vendors/contract-prices/{price.id}/remove", {"submission_id": sid()}
    )
    assert count(ContractPrice) == 0
    assert (audited("contract.price_added"), audited("contract.price_removed")) == (1, 1)


# ---------------------------------------------------------------- contractors on a work order


def test_assigning_a_contractor_twice_at_once_moves_the_work_order_once(tap_app, world):
    supervisor = make_user(world, roles=["supervisor"])
    sparks = make_vendor(world, name="Sparkline", is_contractor=True)
    wo = make_work_order(world, status=WorkOrderStatus.approved)
    data = {"submission_id": sid(), "vendor_id": str(sparks.id)}
    tapped = tap_twice(tap_app, supervisor, f"/work-orders/{wo.id}/contractor", data)
    assert f"/work-orders/{wo.id}" in tapped
    assert db.session.get(WorkOrder, wo.id).status is WorkOrderStatus.assigned
    assert audited("work_order.contractor_assigned") == 1
    assert count(WorkOrderStatusChange) == 1


def test_requesting_a_service_twice_at_once_raises_one_line(tap_app, world):
    supervisor = make_user(world, roles=["supervisor"])
    sparks = make_vendor(world, name="Sparkline", is_contractor=True)
    asset = make_asset(world)
    make_cost_centre(world, site=asset.location.site)
    wo = make_work_order(world, asset=asset, status=WorkOrderStatus.approved)
    wo.assignee_vendor_id = sparks.id
    world.session.commit()
    data = {
        "service-submission_id": sid(),
        "vendor_id": str(sparks.id),
        "service-description": "Rewire the lobby lights",
        "service-qty": "6",
        "service-uom": "HOUR",
        "service-unit_price": "85.00",
    }
    tap_twice(tap_app, supervisor, f"/work-orders/{wo.id}/service-request", data)
    [line] = db.session.scalars(select(PurchaseRequestLine)).all()
    assert line.kind is LineKind.service
    assert audited("purchase_request.service_requested") == 1


# ---------------------------------------------------------------- out-of-pocket purchases


def test_recording_an_own_money_purchase_twice_at_once_records_one(tap_app, world, tmp_path):
    tech = make_user(world, roles=["technician"])
    wo = make_work_order(world, assignee=tech, status=WorkOrderStatus.in_progress)
    photo = tmp_path / "receipt.jpg"
    photo.write_bytes(JPEG_BYTES)  # a path: each post opens the file for itself
    data = {
        "submission_id": sid(),
        "description": "Fuse 10 A",
        "shop_name": "Corner Hardware",
        "amount": "12.50",
        "bought_on": date.today().isoformat(),
        "why": "The pump was down",
        "category": "Electrical",
        "receipt": (photo, "receipt.jpg", "image/jpeg"),
    }
    tap_twice(tap_app, tech, f"/work-orders/{wo.id}/out-of-pocket", data)
    assert count(OutOfPocketPurchase) == 1 and audited("out_of_pocket.submitted") == 1


def test_reviewing_twice_at_once_decides_once(tap_app, world):
    make_approval_matrix(world)
    supervisor = make_user(world, roles=["supervisor"])
    purchase = make_out_of_pocket_with_receipt(world)
    data = {"submission_id": sid(), "decision": "approve", "reason": ""}
    tap_twice(tap_app, supervisor, f"/out-of-pocket/{purchase.id}/review", data)
    assert db.session.get(OutOfPocketPurchase, purchase.id).status is OutOfPocketStatus.reimbursed
    assert audited("out_of_pocket.reimbursed") == 1


def test_two_reviewers_at_once_one_decides_and_the_other_is_told(tap_app, world):
    make_approval_matrix(world)
    first, second = (make_user(world, roles=["supervisor"]) for _ in range(2))
    purchase = make_out_of_pocket_with_receipt(world)
    url = f"/out-of-pocket/{purchase.id}/review"
    people = [(first.id, "approve", ""), (second.id, "refuse", "Not needed")]
    world.session.commit()
    calls = []
    for user_id, decision, reason in people:
        client = tap_app.test_client()
        sign_in(client, user_id)
        data = {"submission_id": sid(), "decision": decision, "reason": reason}
        calls.append(lambda _ready, c=client, d=data: c.post(url, data=d))
    answers, errors = run_at_once(tap_app, calls)
    assert errors == []
    assert sorted(a.status_code for a in answers) == [303, 422]
    [told] = [a for a in answers if a.status_code == 422]
    assert "This purchase was already" in told.text
    db.session.expire_all()
    decided = db.session.get(OutOfPocketPurchase, purchase.id)
    assert decided.status in (OutOfPocketStatus.reimbursed, OutOfPocketStatus.refused)
    assert audited("out_of_pocket.reimbursed") + audited("out_of_pocket.refused") == 1


# ---------------------------------------------------------------- the purchasing policy


def _rule_form(**changes) -> dict:
    return {
        "submission_id": sid(),
        "name": "Services from 500",
        "kind": "amount_at_least",
        "amount": "500",
        "item_kinds": [ItemKind.service.value],
        "categories": "",
        "message": "",
        "reason": "",
        **changes,
    }


def test_a_policy_rule_added_edited_and_deactivated_twice_at_once(tap_app, world):
    admin = make_user(world, roles=["admin"])
    tap_twice(tap_app, admin, "/policy/new", _rule_form())
    [rule] = db.session.scalars(select(PolicyRule)).all()
    tap_twice(tap_app, admin, f"/policy/{rule.id}/edit", _rule_form(amount="750"))
    assert db.session.get(PolicyRule, rule.id).amount == D("750.00")
    data = {"submission_id": sid(), "active": "0", "reason": "Old"}
    tap_twice(tap_app, admin, f"/policy/{rule.id}/active", data)
    assert db.session.get(PolicyRule, rule.id).active is False
    created, updated, off = (
        audited(f"policy_rule.{what}") for what in ("created", "updated", "deactivated")
    )
    assert (created, updated, off) == (1, 1, 1)


def test_a_policy_rule_turned_back_on_twice_at_once_is_audited_once(tap_app, world):
    admin = make_user(world, roles=["admin"])
    rule = make_policy_rule(world, active=False)
    data = {"submission_id": sid(), "active": "1", "reason": ""}
    tap_twice(tap_app, admin, f"/policy/{rule.id}/active", data)
    assert audited("policy_rule.activated") == 1

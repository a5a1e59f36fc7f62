"""An outside contractor on a work order: assign, see the cover, request the service, start."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal.domain.statuses import (
    ItemKind,
    LineKind,
    PurchaseOrderStatus,
    VendorStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import AuditEvent, PurchaseRequest, PurchaseRequestLine, WorkOrder
from portal.read_models import contractors as contractor_reads
from tests.factories import (
    make_asset,
    make_contract,
    make_cost_centre,
    make_item,
    make_purchase_order,
    make_user,
    make_vendor,
    make_work_order,
)


def setup(database, *, status=WorkOrderStatus.approved):
    """A supervisor, an approved work order on a site with a cost centre, a service item."""
    supervisor = make_user(database, roles=["supervisor"])
    asset = make_asset(database)
    make_cost_centre(database, site=asset.location.site)
    wo = make_work_order(database, title="Rewire lobby lights", asset=asset, status=status)
    service = make_item(
        database, kind=ItemKind.service, part_number="SVC-ELEC", category="Electrical services"
    )
    return supervisor, wo, service


def assign(client, wo, vendor, **headers):
    return client.post(
        f"/work-orders/{wo.id}/contractor",
        data={"vendor_id": vendor.id, "submission_id": uuid.uuid4().hex},
        headers=headers,
    )


def start(client, wo):
    return client.post(
        f"/work-orders/{wo.id}/status",
        data={"target": "in_progress"},
        headers={"HX-Request": "true"},
    )


def test_a_contractor_with_a_valid_service_contract_is_assigned_and_may_start(database, login_as):
    supervisor, wo, service = setup(database)
    lift = make_vendor(database, name="Summit Lift Services", is_contractor=True)
    make_contract(database, vendor=lift, reference="C-LIFT", prices=[(service, "HOUR", "85.00")])
    client = login_as(supervisor)
    answer = assign(client, wo, lift, **{"HX-Request": "true"})
    assert answer.status_code == 200
    assert "Summit Lift Services works under service contract C-LIFT." in answer.text
    assert "Raise a service request" not in answer.text
    database.session.refresh(wo)
    assert (wo.assignee_vendor_id, wo.status) == (lift.id, WorkOrderStatus.assigned)
    assert "Summit Lift Services (contractor)" in client.get(f"/work-orders/{wo.id}").text
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "work_order.contractor_assigned")
    )
    assert event.changes["assignee_vendor_id"] == [None, lift.id]
    assert event.changes["covered_by"] == ["C-LIFT"]

    assert start(client, wo).status_code == 200
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.in_progress


def test_a_category_price_on_a_service_category_counts_but_an_expired_one_does_not(database):
    _supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, name="Sparkline", is_contractor=True)
    make_contract(
        database,
        vendor=sparks,
        reference="C-OLD",
        valid_from=date(2020, 1, 1),
        valid_to=date(2020, 12, 31),
        prices=[("Electrical services", "HOUR", "80.00")],
    )
    make_contract(database, vendor=sparks, reference="C-GOODS", prices=[("Bearings", "EA", "1")])
    assert not contractor_reads.cover_for(database.session, wo, sparks).covered
    make_contract(
        database, vendor=sparks, reference="C-NOW", prices=[("Electrical services", "HOUR", "82")]
    )
    assert contractor_reads.cover_for(database.session, wo, sparks).contract_references == (
        "C-NOW",
    )


def test_without_contract_or_po_the_page_says_so_and_work_cannot_start(database, login_as):
    supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, name="Sparkline Electrical", is_contractor=True)
    client = login_as(supervisor)
    answer = assign(client, wo, sparks, **{"HX-Request": "true"})
    assert answer.status_code == 200
    assert (
        "Sparkline Electrical has no valid service contract and no service PO for this work. "
        "Raise a service request with the agreed price before work starts." in answer.text
    )
    assert "Raise a service request" in answer.text
    database.session.refresh(wo)
    assert wo.assignee_vendor_id == sparks.id  # assignment proceeds, with the offer

    refused = start(client, wo)
    assert refused.status_code == 422
    assert (
        f"{wo.number} cannot start: Sparkline Electrical has no valid service contract and no "
        "service PO for it." in refused.text
    )
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.assigned


def test_an_open_service_po_line_for_the_work_order_lets_work_start(database, login_as):
    supervisor, wo, service = setup(database)
    sparks = make_vendor(database, name="Sparkline", is_contractor=True)
    make_purchase_order(
        database,
        vendor=sparks,
        status=PurchaseOrderStatus.draft,
        lines=[{"item": service, "qty": "4", "unit_price": "85.00", "work_order_id": wo.id}],
    )
    other_wo = make_work_order(database, asset=wo.asset)
    make_purchase_order(
        database,
        vendor=sparks,
        lines=[{"item": service, "qty": "4", "work_order_id": other_wo.id}],
    )
    client = login_as(supervisor)
    assign(client, wo, sparks)
    assert start(client, wo).status_code == 422  # a draft PO, or another WO's, is not cover

    po = make_purchase_order(
        database,
        vendor=sparks,
        status=PurchaseOrderStatus.issued,
        lines=[{"item": service, "qty": "4", "unit_price": "85.00", "work_order_id": wo.id}],
    )
    page = client.get(f"/work-orders/{wo.id}")
    assert f"Sparkline works under service PO {po.number}." in page.text
    assert start(client, wo).status_code == 200
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.in_progress


def test_a_blocked_contractor_is_refused_with_the_reason(database, login_as):
    supervisor, wo, _service = setup(database)
    bad = make_vendor(
        database,
        name="Dodgy Sparks",
        is_contractor=True,
        status=VendorStatus.blocked,
        blocked_reason="No valid electrical licence",
    )
    client = login_as(supervisor)
    page = client.get(f"/work-orders/{wo.id}")
    assert "Dodgy Sparks (blocked: No valid electrical licence)" in page.text
    answer = assign(client, wo, bad, **{"HX-Request": "true"})
    assert answer.status_code == 422
    assert "Dodgy Sparks is blocked: No valid electrical licence. Choose another vendor." in (
        answer.text
    )
    database.session.refresh(wo)
    assert wo.assignee_vendor_id is None and wo.status is WorkOrderStatus.approved
    followed = assign(client, wo, bad)  # without JavaScript: PRG with the words in a flash
    assert followed.status_code == 303
    assert "No valid electrical licence" in client.get(f"/work-orders/{wo.id}").text


def test_only_supervisors_assign_contractors(database, login_as):
    _supervisor, wo, _service = setup(database)
    tech = make_user(database, roles=["technician"])
    sparks = make_vendor(database, is_contractor=True)
    assert assign(login_as(tech), wo, sparks).status_code == 403
    not_contractor = make_vendor(database, name="Bearing Shop")
    supervisor = make_user(database, roles=["supervisor"])
    answer = assign(login_as(supervisor), wo, not_contractor, **{"HX-Request": "true"})
    assert answer.status_code == 422 and "Bearing Shop is not an outside contractor" in answer.text


def _service_form(vendor, submission_id, **overrides):
    data = {
        "description": "Electrician: rewire lobby lights",
        "qty": "6",
        "uom": "hour",
        "unit_price": "85",
        "submission_id": submission_id,
    }
    data.update(overrides)
    return {"vendor_id": vendor.id, **{f"service-{k}": v for k, v in data.items()}}


def test_raising_a_service_request_creates_one_service_pr_line_even_when_posted_twice(
    database, login_as
):
    supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, name="Sparkline Electrical", is_contractor=True)
    client = login_as(supervisor)
    assign(client, wo, sparks)
    token = uuid.uuid4().hex
    url = f"/work-orders/{wo.id}/service-request"
    first = client.post(url, data=_service_form(sparks, token), headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert "Requested Electrician: rewire lobby lights (6 HOUR at 85.00) on PR-" in first.text
    second = client.post(url, data=_service_form(sparks, token))
    assert second.status_code == 303

    line = database.session.scalar(select(PurchaseRequestLine))
    assert database.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 1
    assert (line.kind, line.qty, line.uom, line.unit_price, line.suggested_vendor_id) == (
        LineKind.service,
        Decimal("6.000"),
        "HOUR",
        Decimal("85.00"),
        sparks.id,
    )
    pr = database.session.get(PurchaseRequest, line.purchase_request_id)
    assert pr.work_order_id == wo.id and pr.reason.startswith(f"Service for {wo.number}")
    audit = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "purchase_request.service_requested")
    )
    assert audit.changes["unit_price"] == [None, "85.00"]

    page = client.get(f"/work-orders/{wo.id}")
    assert f"Requested on {pr.number}: work can start once it is ordered." in page.text
    assert start(client, wo).status_code == 422  # a request is not an order
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.assigned


def test_a_service_request_needs_a_price_and_a_usable_vendor(database, login_as):
    supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, name="Sparkline", is_contractor=True)
    client = login_as(supervisor)
    assign(client, wo, sparks)
    url = f"/work-orders/{wo.id}/service-request"
    no_price = client.post(url, data=_service_form(sparks, uuid.uuid4().hex, unit_price=""))
    assert no_price.status_code == 422 and "Enter the agreed price" in no_price.text
    bad_qty = client.post(url, data=_service_form(sparks, uuid.uuid4().hex, qty="0"))
    assert bad_qty.status_code == 422
    sparks.status, sparks.blocked_reason = VendorStatus.blocked, "Insurance lapsed"
    database.session.commit()
    blocked = client.post(url, data=_service_form(sparks, uuid.uuid4().hex))
    assert blocked.status_code == 422 and "Sparkline is blocked: Insurance lapsed" in blocked.text
    assert database.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 0
    tech = make_user(database, roles=["technician"])
    assert login_as(tech).post(url, data=_service_form(sparks, "x" * 32)).status_code == 403


def test_a_person_assigned_afterwards_frees_the_work_from_the_contractor_check(database, login_as):
    supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, is_contractor=True)
    client = login_as(supervisor)
    assign(client, wo, sparks)
    tech = make_user(database, roles=["technician"])
    client.post(f"/work-orders/{wo.id}/assign", data={"assignee_user_id": tech.id})
    database.session.refresh(wo)
    assert (wo.assignee_user_id, wo.assignee_vendor_id) == (tech.id, None)
    assert start(client, wo).status_code == 200


def test_the_work_order_page_keeps_a_fixed_number_of_queries_with_a_contractor(
    database, login_as, count_statements
):
    supervisor, wo, _service = setup(database)
    sparks = make_vendor(database, is_contractor=True)
    for _ in range(3):
        make_vendor(database, is_contractor=True)
    client = login_as(supervisor)
    assign(client, wo, sparks)
    for n in range(3):
        client.post(
            f"/work-orders/{wo.id}/service-request",
            data=_service_form(sparks, uuid.uuid4().hex, description=f"Visit {n}"),
        )
    client.get(f"/work-orders/{wo.id}")
    many = count_statements(lambda: client.get(f"/work-orders/{wo.id}"))
    other = make_work_order(database, asset=wo.asset, status=WorkOrderStatus.approved)
    assign(client, other, sparks)
    client.get(f"/work-orders/{other.id}")
    few = count_statements(lambda: client.get(f"/work-orders/{other.id}"))
    assert many == few
    assert database.session.get(WorkOrder, other.id).assignee_vendor_id == sparks.id

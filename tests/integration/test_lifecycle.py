"""A work order's life does not leak: cancelling it cancels its open requests and flags its PO
lines to the buyer; completing, closing or cancelling it releases its reservations; unused
issued parts go back to stock; a purchase request can be cancelled before it is ordered."""

from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from portal.domain.statuses import (
    MovementKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    ReservationStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    AuditEvent,
    CommittedPoLine,
    CommittedPrLine,
    PartLine,
    PurchaseOrderLine,
    PurchaseOrderLineFlag,
    PurchaseRequest,
    Reservation,
    StockLevel,
    StockMovement,
    WorkOrder,
)
from tests.factories import make_approval_matrix, make_purchase_order, make_user
from tests.integration.test_parts import add_line, make_world, the_line

HX = {"HX-Request": "true"}


def sid() -> str:
    return uuid.uuid4().hex


def actions(database, action: str) -> list[AuditEvent]:
    return list(database.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def move(client, wo_id, target, reason="", submission_id=None):
    return client.post(
        f"/work-orders/{wo_id}/status",
        data={"target": target, "reason": reason, "submission_id": submission_id or sid()},
    )


def requested_on(database, login_as, world, number="MOTOR-4KW", qty="1") -> PurchaseRequest:
    """The technician adds the part and marks it unavailable: a submitted PR for the WO."""
    client = login_as(world.tech)
    add_line(client, world, number, qty)
    line = the_line(database, world, number)
    assert client.post(f"/part-lines/{line.id}/unavailable").status_code == 303
    return database.session.scalars(select(PurchaseRequest)).one()


def fresh(database, model, id_):
    database.session.expire_all()
    return database.session.get(model, id_)


# ---------------------------------------------------------------- reproduction 4


def test_reproduction_4_a_cancelled_work_orders_request_line_is_cancelled_and_cannot_be_approved(
    database, login_as
):
    world = make_world(database)
    make_approval_matrix(database)
    pr = requested_on(database, login_as, world)
    supervisor = make_user(database, roles=["supervisor"])
    approver = make_user(database, roles=["approver"])
    cancelled = move(login_as(supervisor), world.wo.id, "cancelled", "Pump replaced under warranty")
    assert cancelled.status_code == 303
    assert fresh(database, WorkOrder, world.wo.id).status is WorkOrderStatus.cancelled
    pr = fresh(database, PurchaseRequest, pr.id)
    assert pr.status is PurchaseRequestStatus.cancelled
    [event] = actions(database, "purchase_request.cancelled")
    assert event.why == f"{world.wo.number} cancelled: Pump replaced under warranty"
    assert event.actor_id == supervisor.id
    line = the_line(database, world, "MOTOR-4KW")
    assert line.requested_qty == 0  # nothing is being bought for it any more
    # The approver, who might still have the old page open, cannot approve it.
    answer = login_as(approver).post(
        f"/purchase-requests/{pr.id}/approve", data={"approve-submission_id": sid()}
    )
    assert answer.status_code == 422
    assert "it is no longer waiting for a decision" in answer.text
    assert fresh(database, PurchaseRequest, pr.id).status is PurchaseRequestStatus.cancelled
    assert (
        "This request was cancelled" in login_as(approver).get(f"/purchase-requests/{pr.id}").text
    )


def test_reproduction_4_closing_a_work_order_releases_its_reservation(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "BRG-6205", "4")
    line = the_line(database, world, "BRG-6205")
    assert client.post(f"/part-lines/{line.id}/reserve").status_code == 303
    assert fresh(database, StockLevel, world.levels["BRG-6205"].id).reserved_qty == D("4")
    supervisor = make_user(database, roles=["supervisor"])
    assert move(client, world.wo.id, "completed").status_code == 303
    assert move(login_as(supervisor), world.wo.id, "closed").status_code == 303
    assert fresh(database, WorkOrder, world.wo.id).status is WorkOrderStatus.closed
    level = fresh(database, StockLevel, world.levels["BRG-6205"].id)
    assert (level.on_hand_qty, level.reserved_qty) == (D("10"), D("0"))
    [reservation] = database.session.scalars(select(Reservation)).all()
    assert reservation.status is ReservationStatus.released
    [event] = actions(database, "stock.released")
    assert event.why.startswith(f"{world.wo.number} completed")
    assert the_line(database, world, "BRG-6205").reserved_qty == 0


def test_a_storekeeper_may_release_what_an_ended_work_order_still_holds(database, login_as):
    """Reservations left from before (or by any path) are never stuck: release is not refused."""
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32", "1")
    line = the_line(database, world, "SEAL-M32")
    client.post(f"/part-lines/{line.id}/reserve")
    database.session.get(WorkOrder, world.wo.id).status = WorkOrderStatus.closed  # as on main
    database.session.commit()
    storekeeper = make_user(database, roles=["storekeeper"])
    answer = login_as(storekeeper).post(f"/part-lines/{line.id}/release", headers=HX)
    assert answer.status_code == 200 and "Released 1 EA" in answer.text
    assert fresh(database, StockLevel, world.levels["SEAL-M32"].id).reserved_qty == 0


def test_cancelling_a_work_order_releases_its_reservations_too(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "BRG-6205", "2")
    client.post(f"/part-lines/{the_line(database, world, 'BRG-6205').id}/reserve")
    supervisor = make_user(database, roles=["supervisor"])
    assert move(login_as(supervisor), world.wo.id, "cancelled", "Duplicate").status_code == 303
    assert fresh(database, StockLevel, world.levels["BRG-6205"].id).reserved_qty == 0


def test_an_approved_request_of_cancelled_work_commits_no_budget(database, login_as):
    world = make_world(database)
    make_approval_matrix(database)
    pr = requested_on(database, login_as, world, "BRG-6205", "20")  # 10 in stock: buys some
    supervisor = make_user(database, roles=["supervisor"], budget_authority=True)  # no budget set
    approved = login_as(supervisor).post(
        f"/purchase-requests/{pr.id}/approve",
        data={"approve-submission_id": sid(), "approve-reason": "Bearings for the overhaul"},
    )
    assert approved.status_code == 303
    committed = select(func.count(CommittedPrLine.purchase_request_line_id))
    assert database.session.scalar(committed) == 1
    other = make_user(database, roles=["supervisor"])
    assert move(login_as(other), world.wo.id, "cancelled", "Asset scrapped").status_code == 303
    assert fresh(database, PurchaseRequest, pr.id).status is PurchaseRequestStatus.cancelled
    assert database.session.scalar(committed) == 0
    [event] = actions(database, "purchase_request.cancelled")
    assert event.changes["commitment_released"] is not None


# ---------------------------------------------------------------- PO lines of cancelled work


def _po_for_work(database, world, *, status=PurchaseOrderStatus.issued):
    buyer = make_user(database, roles=["buyer"])
    item = world.items["BRG-6205"]
    po = make_purchase_order(
        database,
        buyer=buyer,
        status=status,
        lines=(
            {
                "item": item,
                "qty": "6",
                "unit_price": "12.00",
                "work_order_id": world.wo.id,
                "cost_centre_id": world.centre.id,
            },
            {
                "item": item,
                "qty": "4",
                "unit_price": "12.00",
                "work_order_id": world.wo.id,
                "cost_centre_id": world.centre.id,
            },
        ),
    )
    return po, buyer


def test_a_cancelled_work_orders_po_lines_are_flagged_and_the_buyer_cancels_or_diverts(
    database, login_as
):
    world = make_world(database)
    po, buyer = _po_for_work(database, world)
    supervisor = make_user(database, roles=["supervisor"])
    assert move(login_as(supervisor), world.wo.id, "cancelled", "Pump sold").status_code == 303
    flags = database.session.scalars(
        select(PurchaseOrderLineFlag).order_by(PurchaseOrderLineFlag.id)
    ).all()
    assert len(flags) == 2 and all(f.resolution is None for f in flags)
    client = login_as(buyer)
    page = client.get(f"/purchase-orders/{po.id}")
    assert "Lines for cancelled work" in page.text
    assert f"{world.wo.number} was cancelled: Pump sold" in page.text
    queue = client.get("/purchase-orders/to-order")
    assert po.number in queue.text and "Pump sold" in queue.text
    # A reason is needed.
    no_reason = client.post(
        f"/purchase-orders/line-flags/{flags[0].id}/resolve",
        data={"resolution": "cancelled", "reason": "", "submission_id": sid()},
    )
    assert no_reason.status_code == 422
    form = {"resolution": "cancelled", "reason": "Vendor agreed", "submission_id": sid()}
    assert (
        client.post(f"/purchase-orders/line-flags/{flags[0].id}/resolve", data=form).status_code
        == 303
    )
    assert (
        client.post(f"/purchase-orders/line-flags/{flags[0].id}/resolve", data=form).status_code
        == 303
    )  # a double tap
    diverted = client.post(
        f"/purchase-orders/line-flags/{flags[1].id}/resolve",
        data={"resolution": "diverted", "reason": "We use them anyway", "submission_id": sid()},
    )
    assert diverted.status_code == 303
    database.session.expire_all()
    first, second = database.session.scalars(
        select(PurchaseOrderLine)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.line_no)
    ).all()
    assert first.qty == 0  # nothing received, nothing more to come or to commit
    rows = select(CommittedPoLine.purchase_order_line_id, CommittedPoLine.amount)
    committed = {line_id: amount for line_id, amount in database.session.execute(rows)}
    assert first.id not in committed and committed[second.id] == D("48.00")
    assert second.work_order_id is None and second.storeroom_id is not None
    assert len(actions(database, "purchase_order_line.cancelled")) == 1
    [diverted_event] = actions(database, "purchase_order_line.diverted")
    assert diverted_event.why == "We use them anyway"
    assert "Lines for cancelled work" not in client.get(f"/purchase-orders/{po.id}").text


def test_only_a_buyer_decides_on_a_flagged_line(database, login_as):
    world = make_world(database)
    _po, _buyer = _po_for_work(database, world)
    supervisor = make_user(database, roles=["supervisor"])
    move(login_as(supervisor), world.wo.id, "cancelled", "Pump sold")
    flag = database.session.scalars(select(PurchaseOrderLineFlag)).first()
    form = {"resolution": "cancelled", "reason": "x", "submission_id": sid()}
    for role in ("technician", "supervisor", "storekeeper", "approver"):
        client = login_as(make_user(database, roles=[role]))
        assert (
            client.post(f"/purchase-orders/line-flags/{flag.id}/resolve", data=form).status_code
            == 403
        )


# ---------------------------------------------------------------- returns


def _issued(database, login_as, world, qty="3"):
    client = login_as(world.tech)
    add_line(client, world, "BRG-6205", qty)
    line = the_line(database, world, "BRG-6205")
    client.post(f"/part-lines/{line.id}/reserve")
    assert client.post(f"/part-lines/{line.id}/issue").status_code == 303
    return line


def test_unused_issued_parts_go_back_to_stock_after_the_work_is_completed(database, login_as):
    world = make_world(database)
    line = _issued(database, login_as, world)
    assert move(login_as(world.tech), world.wo.id, "completed").status_code == 303
    storekeeper = make_user(database, roles=["storekeeper"])
    client = login_as(storekeeper)
    assert "Return unused" in client.get(f"/work-orders/{world.wo.id}").text
    form = {"qty": "1", "reason": "Only two were needed", "submission_id": sid()}
    answer = client.post(f"/part-lines/{line.id}/return", data=form, headers=HX)
    assert (
        answer.status_code == 200 and "Returned 1 EA of BRG-6205 to stock; 12.35 off" in answer.text
    )
    client.post(f"/part-lines/{line.id}/return", data=form, headers=HX)  # a double tap
    level = fresh(database, StockLevel, world.levels["BRG-6205"].id)
    assert level.on_hand_qty == D("8")  # 10 - 3 issued + 1 back
    [back] = database.session.scalars(
        select(StockMovement).where(StockMovement.kind == MovementKind.return_)
    ).all()
    assert (back.qty, back.unit_cost, back.work_order_id) == (D("1"), D("12.35"), world.wo.id)
    line = fresh(database, PartLine, line.id)
    assert (line.issued_qty, line.issued_cost_amount) == (D("2"), D("24.70"))
    [event] = actions(database, "stock.returned")
    assert event.why == "Only two were needed"
    too_many = client.post(
        f"/part-lines/{line.id}/return",
        data={"qty": "5", "reason": "x", "submission_id": sid()},
        headers=HX,
    )
    assert too_many.status_code == 422 and "Only 2 EA were issued" in too_many.text


def test_a_return_needs_a_reason_and_the_issue_capability(database, login_as):
    world = make_world(database)
    line = _issued(database, login_as, world)
    client = login_as(world.tech)
    no_reason = client.post(
        f"/part-lines/{line.id}/return",
        data={"qty": "1", "reason": "", "submission_id": sid()},
        headers=HX,
    )
    assert no_reason.status_code == 422 and "Say why the parts go back" in no_reason.text
    buyer = login_as(make_user(database, roles=["buyer"]))
    assert (
        buyer.post(
            f"/part-lines/{line.id}/return",
            data={"qty": "1", "reason": "x", "submission_id": sid()},
        ).status_code
        == 403
    )


# ---------------------------------------------------------------- cancelling a request


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("requester", True),
        ("supervisor", True),
        ("technician", False),
        ("buyer", False),
        ("approver", False),
        ("storekeeper", False),
    ],
)
def test_a_request_is_cancelled_by_its_requester_or_a_supervisor(database, login_as, who, allowed):
    world = make_world(database)
    pr = requested_on(database, login_as, world)
    person = world.tech if who == "requester" else make_user(database, roles=[who])
    client = login_as(person)
    page = client.get(f"/purchase-requests/{pr.id}")
    assert ("Cancel request" in page.text) is allowed
    answer = client.post(
        f"/purchase-requests/{pr.id}/cancel",
        data={"cancel-reason": "Found one in the van", "cancel-submission_id": sid()},
    )
    assert answer.status_code == (303 if allowed else 403)
    status = fresh(database, PurchaseRequest, pr.id).status
    assert status is (
        PurchaseRequestStatus.cancelled if allowed else PurchaseRequestStatus.submitted
    )
    if allowed:
        [event] = actions(database, "purchase_request.cancelled")
        assert event.why == "Found one in the van" and event.actor_id == person.id
        # The work order no longer waits for a part nobody is buying.
        assert fresh(database, WorkOrder, world.wo.id).status is WorkOrderStatus.in_progress


def test_cancelling_a_request_needs_a_reason_and_happens_once(database, login_as):
    world = make_world(database)
    pr = requested_on(database, login_as, world)
    client = login_as(world.tech)
    no_reason = client.post(
        f"/purchase-requests/{pr.id}/cancel",
        data={"cancel-reason": "", "cancel-submission_id": sid()},
        headers=HX,
    )
    assert no_reason.status_code == 422 and "Say why it is cancelled." in no_reason.text
    form = {"cancel-reason": "Not needed", "cancel-submission_id": sid()}
    assert client.post(f"/purchase-requests/{pr.id}/cancel", data=form).status_code == 303
    assert client.post(f"/purchase-requests/{pr.id}/cancel", data=form).status_code == 303
    assert len(actions(database, "purchase_request.cancelled")) == 1
    again = client.post(
        f"/purchase-requests/{pr.id}/cancel",
        data={"cancel-reason": "Again", "cancel-submission_id": sid()},
        headers=HX,
    )
    assert again.status_code == 422 and "already cancelled" in again.text


def test_an_ordered_request_is_not_cancelled_here(database, login_as):
    world = make_world(database)
    pr = requested_on(database, login_as, world)
    pr.status = PurchaseRequestStatus.ordered
    database.session.commit()
    answer = login_as(world.tech).post(
        f"/purchase-requests/{pr.id}/cancel",
        data={"cancel-reason": "Late", "cancel-submission_id": sid()},
    )
    assert answer.status_code == 422 and "already on a purchase order" in answer.text
    assert fresh(database, PurchaseRequest, pr.id).status is PurchaseRequestStatus.ordered

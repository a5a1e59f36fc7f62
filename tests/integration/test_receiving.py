"""Goods receipt: the service on a real database, then the pages through the test client."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.errors import NotAllowed
from portal.domain.events import PartsArrived
from portal.domain.receiving import OverReceipt, ReceiptRefused
from portal.domain.statuses import MovementKind, PartLineStatus, PurchaseOrderStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    AuditEvent,
    GoodsReceipt,
    GoodsReceiptLine,
    PartLine,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
)
from portal.read_models import deliveries
from portal.read_models import receiving as receiving_reads
from portal.services import handlers, messagebus, receiving
from portal.services.receiving import LineReceipt
from tests.factories import (
    JPEG_BYTES,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_storeroom,
    make_user,
    make_work_order,
)

D = Decimal


def sid() -> str:
    return uuid.uuid4().hex


@dataclass
class Dock:
    """An issued PO: line 1 ten bearings for stock, line 2 three seals bought for a WO."""

    po: PurchaseOrder
    stock_line: PurchaseOrderLine
    wo_line: PurchaseOrderLine
    part_line: PartLine
    wo: WorkOrder
    tech: object
    keeper: object
    store: object
    bearing: object
    seal: object


def make_dock(database, *, wo_status=WorkOrderStatus.waiting_parts, started=False) -> Dock:
    tech = make_user(database, roles=["technician"], full_name="Tomás Rivera")
    keeper = make_user(database, roles=["storekeeper"], full_name="Sam Keeper")
    bearing = make_item(database, part_number="BRG-6204", description="Ball bearing 6204")
    seal = make_item(database, part_number="SEAL-M32", description="Mechanical seal 32 mm")
    store = make_storeroom(database, code="MAIN", name="Main storeroom", stock=[(bearing, 5, 10)])
    wo = make_work_order(database, title="Replace pump seal", assignee=tech, status=wo_status)
    if started:
        database.session.add(
            WorkOrderStatusChange(
                work_order_id=wo.id,
                from_status=WorkOrderStatus.assigned,
                to_status=WorkOrderStatus.in_progress,
            )
        )
    part_line = PartLine(
        work_order_id=wo.id,
        item_id=seal.id,
        needed_qty=D("3"),
        requested_qty=D("3"),
        status=PartLineStatus.requested,
    )
    database.session.add(part_line)
    database.session.commit()
    pr = make_purchase_request(
        database,
        requester=tech,
        work_order=wo,
        lines=[{"item": seal, "qty": "3", "unit_price": "20.00", "part_line_id": part_line.id}],
    )
    po = make_purchase_order(
        database,
        lines=[
            {"item": bearing, "qty": "10", "unit_price": "20.00", "storeroom_id": store.id},
            {
                "item": seal,
                "qty": "3",
                "unit_price": "20.00",
                "discount_percent": D("10"),
                "storeroom_id": store.id,
                "work_order_id": wo.id,
                "purchase_request_line_id": pr.lines[0].id,
            },
        ],
    )
    return Dock(po, po.lines[0], po.lines[1], part_line, wo, tech, keeper, store, bearing, seal)


def receive(dock, *lines, user=None, submission_id=None, **more):
    return receiving.record_receipt(
        dock.po.id,
        lines=list(lines),
        receiver=user or dock.keeper,
        submission_id=submission_id or sid(),
        **more,
    )


def fresh(database, model, row_id):
    database.session.expire_all()
    return database.session.get(model, row_id)


# ---------------------------------------------------------------- the service


def test_part_then_the_rest_moves_the_po_from_partly_received_to_received(database):
    dock = make_dock(database)
    first = receive(dock, (dock.stock_line.id, "4", "0", None))
    assert first.number.startswith("GR-") and first.number.endswith("-000001")
    line = fresh(database, PurchaseOrderLine, dock.stock_line.id)
    assert (line.received_qty, line.backorder_qty) == (D("4.000"), D("6.000"))
    assert (
        fresh(database, PurchaseOrder, dock.po.id).status is PurchaseOrderStatus.partially_received
    )

    receive(dock, (dock.stock_line.id, "6", "0", None), (dock.wo_line.id, "3", "0", None))
    line = fresh(database, PurchaseOrderLine, dock.stock_line.id)
    assert (line.received_qty, line.backorder_qty) == (D("10.000"), D("0.000"))
    assert fresh(database, PurchaseOrder, dock.po.id).status is PurchaseOrderStatus.received
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 2


def test_accepted_stock_goes_to_the_storeroom_at_the_po_price(database):
    dock = make_dock(database)
    receipt = receive(dock, (dock.stock_line.id, "5", "0", None))
    level = database.session.scalars(
        select(StockLevel).where(StockLevel.item_id == dock.bearing.id)
    ).one()
    assert level.on_hand_qty == D("10.000")
    assert level.unit_cost == D("15.00")  # 5 at 10.00 and 5 at 20.00
    opening, movement = database.session.scalars(
        select(StockMovement).order_by(StockMovement.id)
    ).all()
    assert (opening.kind, opening.qty) == (MovementKind.adjustment, D("5.000"))  # the count
    gr_line = database.session.scalars(select(GoodsReceiptLine)).one()
    assert (movement.kind, movement.qty, movement.unit_cost) == (
        MovementKind.receipt,
        D("5.000"),
        D("20.00"),
    )
    assert movement.goods_receipt_line_id == gr_line.id
    assert gr_line.goods_receipt_id == receipt.id and gr_line.storeroom_id == dock.store.id


def test_rejected_goods_are_not_received_and_never_reach_stock(database):
    dock = make_dock(database)
    receive(dock, (dock.stock_line.id, "2", "3", "Crushed cartons"))
    line = fresh(database, PurchaseOrderLine, dock.stock_line.id)
    assert (line.received_qty, line.rejected_qty, line.backorder_qty) == (
        D("2.000"),
        D("3.000"),
        D("8.000"),
    )
    level = database.session.scalars(
        select(StockLevel).where(StockLevel.item_id == dock.bearing.id)
    ).one()
    assert level.on_hand_qty == D("7.000")
    gr_line = database.session.scalars(select(GoodsReceiptLine)).one()
    assert (gr_line.rejected_qty, gr_line.reject_reason) == (D("3.000"), "Crushed cartons")
    rejected = database.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "goods_receipt.rejected")
    ).one()
    assert rejected.why == "Crushed cartons" and rejected.changes["rejected_qty"] == "3.000"
    assert rejected.actor_id == dock.keeper.id


def test_over_receipt_is_refused_without_tolerance_and_nothing_is_written(database):
    dock = make_dock(database)
    receive(dock, (dock.stock_line.id, "8", "0", None))
    with pytest.raises(OverReceipt) as refused:
        receive(dock, (dock.stock_line.id, "2.5", "0", None), (dock.wo_line.id, "1", "0", None))
    assert str(refused.value) == "Line 1 ordered 10, received 8: at most 2 more can be accepted."
    assert refused.value.po_line_id == dock.stock_line.id
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 1
    assert fresh(database, PurchaseOrderLine, dock.wo_line.id).received_qty == D("0")


def test_over_receipt_within_the_tolerance_is_taken(database, app):
    dock = make_dock(database)
    app.config["RECEIPT_OVER_TOLERANCE_PERCENT"] = D("5")
    try:
        receive(dock, (dock.stock_line.id, "10.5", "0", None))
        with pytest.raises(OverReceipt, match="5% over-receipt allowed"):
            receive(dock, (dock.stock_line.id, "0.001", "0", None))
    finally:
        app.config["RECEIPT_OVER_TOLERANCE_PERCENT"] = D("0")
    line = fresh(database, PurchaseOrderLine, dock.stock_line.id)
    assert (line.received_qty, line.backorder_qty) == (D("10.500"), D("0"))


def test_parts_bought_for_a_wo_are_issued_to_it_with_their_cost(database):
    dock = make_dock(database)
    receive(dock, (dock.wo_line.id, "2", "0", None))
    part = fresh(database, PartLine, dock.part_line.id)
    assert (part.issued_qty, part.requested_qty, part.issued_cost_amount) == (
        D("2.000"),
        D("1.000"),
        D("36.00"),  # 2 at 20.00 less 10 %
    )
    assert part.status is PartLineStatus.requested  # one more is still on order
    kinds = database.session.execute(
        select(StockMovement.kind, StockMovement.qty, StockMovement.work_order_id)
        .where(StockMovement.kind != MovementKind.adjustment)  # not the opening counts
        .order_by(StockMovement.id)
    ).all()
    assert kinds == [
        (MovementKind.receipt, D("2.000"), None),
        (MovementKind.issue, D("-2.000"), dock.wo.id),
    ]
    seal_level = database.session.scalars(
        select(StockLevel).where(StockLevel.item_id == dock.seal.id)
    ).one()
    assert seal_level.on_hand_qty == D("0")  # in and straight out to the machine
    wo = fresh(database, WorkOrder, dock.wo.id)
    assert wo.status is WorkOrderStatus.waiting_parts  # not everything is here yet
    comment = database.session.scalars(select(WorkOrderComment)).one()
    assert "2 EA SEAL-M32" in comment.body and "All parts" not in comment.body


def test_wo_leaves_waiting_parts_only_when_everything_arrived(database):
    dock = make_dock(database, started=True)
    receive(dock, (dock.wo_line.id, "1", "0", None))
    assert fresh(database, WorkOrder, dock.wo.id).status is WorkOrderStatus.waiting_parts
    assert deliveries.parts_arrived_for(dock.tech) == []
    receipt = receive(dock, (dock.wo_line.id, "2", "0", None))
    wo = fresh(database, WorkOrder, dock.wo.id)
    assert wo.status is WorkOrderStatus.in_progress
    part = fresh(database, PartLine, dock.part_line.id)
    assert (part.issued_qty, part.status) == (D("3.000"), PartLineStatus.issued)
    last = database.session.scalars(
        select(WorkOrderComment).order_by(WorkOrderComment.id.desc())
    ).first()
    assert f"Parts arrived on {receipt.number}" in last.body
    assert "All parts are here: the work order is in progress again." in last.body
    cards = deliveries.parts_arrived_for(dock.tech)
    assert [c.number for c in cards] == [dock.wo.number]


def test_wo_not_started_goes_back_to_assigned(database):
    dock = make_dock(database)
    receive(dock, (dock.wo_line.id, "3", "0", None))
    assert fresh(database, WorkOrder, dock.wo.id).status is WorkOrderStatus.assigned
    change = database.session.scalars(
        select(WorkOrderStatusChange).order_by(WorkOrderStatusChange.id.desc())
    ).first()
    assert (change.from_status, change.to_status) == (
        WorkOrderStatus.waiting_parts,
        WorkOrderStatus.assigned,
    )


def test_rejected_parts_for_a_wo_are_not_issued(database):
    dock = make_dock(database)
    receive(dock, (dock.wo_line.id, "0", "3", "Wrong size"))
    part = fresh(database, PartLine, dock.part_line.id)
    assert (part.issued_qty, part.requested_qty) == (D("0"), D("3.000"))
    assert fresh(database, WorkOrder, dock.wo.id).status is WorkOrderStatus.waiting_parts
    received = StockMovement.kind != MovementKind.adjustment  # not the opening counts
    assert database.session.scalar(select(func.count(StockMovement.id)).where(received)) == 0


def test_the_same_submission_twice_is_one_receipt(database):
    dock = make_dock(database)
    token = sid()
    first = receive(dock, (dock.stock_line.id, "4", "0", None), submission_id=token)
    again = receive(dock, (dock.stock_line.id, "4", "0", None), submission_id=token)
    assert again.id == first.id
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 1
    assert fresh(database, PurchaseOrderLine, dock.stock_line.id).received_qty == D("4.000")


def test_bad_numbers_and_unknown_lines_write_nothing(database):
    dock = make_dock(database)
    with pytest.raises(ReceiptRefused, match="Enter a number"):
        receive(dock, (dock.stock_line.id, "four", "0", None))
    with pytest.raises(ReceiptRefused, match="not on"):
        receive(dock, (dock.stock_line.id, "1", "0", None), (999999, "1", "0", None))
    with pytest.raises(ReceiptRefused, match="at least one line"):
        receive(dock)
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 0
    assert database.session.scalar(select(func.count(AuditEvent.id))) == 0
    assert fresh(database, PurchaseOrderLine, dock.stock_line.id).received_qty == D("0")


def test_a_draft_po_cannot_be_received(database):
    dock = make_dock(database)
    dock.po.status = PurchaseOrderStatus.approved
    database.session.commit()
    with pytest.raises(ReceiptRefused, match="only issued purchase orders"):
        receive(dock, (dock.stock_line.id, "1", "0", None))


def test_a_technician_receives_only_the_parts_of_their_own_work_orders(database):
    dock = make_dock(database)
    with pytest.raises(NotAllowed):
        receive(dock, (dock.stock_line.id, "1", "0", None), user=dock.tech)
    receive(dock, (dock.wo_line.id, "3", "0", None), user=dock.tech)
    other = make_user(database, roles=["technician"])
    with pytest.raises(NotAllowed):
        receive(dock, (dock.wo_line.id, "1", "0", None), user=other)


def test_every_receipt_is_audited_with_who_what_and_why(database):
    dock = make_dock(database)
    receipt = receive(
        dock,
        LineReceipt(dock.stock_line.id, D("10"), D("0"), None),
        LineReceipt(dock.wo_line.id, D("3"), D("0"), None),
        packing_slip_ref="PS-4471",
        packing_slip_photo=(JPEG_BYTES, "slip.jpg"),
    )
    actions = database.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "goods_receipt.recorded" in actions and "stock.received" in actions
    assert "stock.issued" in actions and "purchase_order.status_changed" in actions
    assert "work_order.status_changed" in actions and "work_order.parts_arrived" in actions
    recorded = database.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "goods_receipt.recorded")
    ).one()
    assert recorded.subject_label == receipt.number and recorded.why == "Packing slip PS-4471"
    assert recorded.changes["lines"][0]["received_qty"] == ["0.000", "10.000"]
    summary = receiving_reads.receipt_summary(receipt.id)
    assert summary.photo_id is not None
    assert [(w.number, w.all_arrived) for w in summary.work_orders] == [(dock.wo.number, True)]
    assert summary.lines[1].issued == [(dock.wo.number, D("3.000"), D("54.00"))]


def test_expected_lists_todays_and_late_deliveries_by_vendor(database):
    from datetime import date, timedelta

    dock = make_dock(database)
    today = date(2026, 11, 25)
    dock.stock_line.expected_on = today
    dock.wo_line.expected_on = today - timedelta(days=2)
    database.session.commit()
    board = receiving_reads.expected(today)
    assert [ln.line_no for g in board.today for ln in g.lines] == [1]
    assert [ln.wo_number for g in board.overdue for ln in g.lines] == [dock.wo.number]
    assert board.today[0].lines[0].open_qty == D("10.000")
    mine = receiving_reads.expected(today, viewer=dock.tech)
    assert mine.today == [] and len(mine.overdue) == 1
    receive(dock, (dock.stock_line.id, "10", "0", None))
    assert receiving_reads.expected(today).today == []


def test_find_po_forgives_case_spaces_and_zeros(database):
    dock = make_dock(database)
    year, serial = dock.po.number.split("-")[1:]
    assert receiving_reads.find_po(f" po {year} {int(serial)} ").id == dock.po.id
    assert receiving_reads.find_po("PO-1999-000001") is None
    assert receiving_reads.find_po("nonsense") is None


# ---------------------------------------------------------------- the pages


def form_for(dock, **lines):
    """A receipt form post: lines as accepted-<id>=..., plus a fresh submission id."""
    data = {"submission_id": sid()}
    data.update(lines)
    return data


def test_landing_page_lists_todays_deliveries_and_finds_a_typed_po(database, login_as):
    from portal.models.base import utcnow

    dock = make_dock(database)
    dock.stock_line.expected_on = utcnow().date()
    database.session.commit()
    client = login_as(dock.keeper)
    page = client.get("/receiving/")
    assert page.status_code == 200
    assert "Expected today" in page.text and dock.po.number in page.text
    assert "Ball bearing 6204" in page.text and "10 EA" in page.text
    found = client.get(f"/receiving/?q={dock.po.number.lower()}")
    assert found.status_code == 303 and found.location.endswith(f"/receiving/po/{dock.po.id}")
    missing = client.get("/receiving/?q=PO-1999-000001")
    assert missing.status_code == 422 and "No purchase order has the number" in missing.text


def test_people_who_do_not_receive_goods_are_kept_out(database, login_as):
    dock = make_dock(database)
    clerk = make_user(database, roles=["ap_clerk"])
    assert login_as(clerk).get(f"/receiving/po/{dock.po.id}").status_code == 403


def test_receipt_page_shows_one_card_per_open_line_with_phone_inputs(database, login_as):
    dock = make_dock(database)
    page = login_as(dock.keeper).get(f"/receiving/po/{dock.po.id}")
    assert page.status_code == 200
    assert f'name="accepted-{dock.stock_line.id}"' in page.text
    assert page.text.count('inputmode="decimal"') == 4
    assert 'capture="environment"' in page.text and "Confirm receipt" in page.text
    assert 'hx-disabled-elt="find button[type=submit]"' in page.text


def test_a_technician_sees_only_the_lines_for_their_work_orders(database, login_as):
    dock = make_dock(database)
    page = login_as(dock.tech).get(f"/receiving/po/{dock.po.id}")
    assert f'name="accepted-{dock.wo_line.id}"' in page.text
    assert f'name="accepted-{dock.stock_line.id}"' not in page.text
    assert "your work orders only" in page.text


def test_confirming_a_receipt_redirects_to_the_receipt_page(database, login_as):
    dock = make_dock(database)
    client = login_as(dock.keeper)
    data = form_for(
        dock,
        **{
            f"accepted-{dock.stock_line.id}": "4",
            f"accepted-{dock.wo_line.id}": "3",
            "packing_slip_ref": "PS-4471",
        },
    )
    answer = client.post(f"/receiving/po/{dock.po.id}", data=data)
    assert answer.status_code == 303
    receipt = database.session.scalars(select(GoodsReceipt)).one()
    assert answer.location.endswith(f"/receiving/receipts/{receipt.id}")
    again = client.post(f"/receiving/po/{dock.po.id}", data=data)  # a double tap
    assert again.status_code == 303 and again.location == answer.location
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 1
    done = client.get(answer.location)
    assert receipt.number in done.text and "4 EA accepted into Main storeroom" in done.text
    assert f"3 EA issued to {dock.wo.number} (54.00)" in done.text
    assert "All parts have arrived" in done.text and "PS-4471" in done.text


def test_over_receipt_answers_422_with_the_message_on_the_line_and_writes_nothing(
    database, login_as
):
    dock = make_dock(database)
    data = form_for(
        dock, **{f"accepted-{dock.stock_line.id}": "11", f"accepted-{dock.wo_line.id}": "1"}
    )
    answer = login_as(dock.keeper).post(f"/receiving/po/{dock.po.id}", data=data)
    assert answer.status_code == 422
    assert "Line 1 ordered 10, received 0: at most 10 more can be accepted." in answer.text
    assert f'id="rcv-error-{dock.stock_line.id}"' in answer.text
    assert 'value="11"' in answer.text  # what was typed is still there
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 0
    assert database.session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"accepted": "abc"}, "Enter a number, like 2 or 1.5."),
        ({"accepted": "-2"}, "Quantities cannot be negative."),
        ({"rejected": "2"}, "Say why goods were rejected."),
        ({}, "Enter what arrived on at least one line."),
    ],
)
def test_bad_input_answers_422_in_words_and_writes_nothing(database, login_as, typed, message):
    dock = make_dock(database)
    data = form_for(dock, **{f"{k}-{dock.stock_line.id}": v for k, v in typed.items()})
    answer = login_as(dock.keeper).post(f"/receiving/po/{dock.po.id}", data=data)
    assert answer.status_code == 422 and message in answer.text
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 0


def test_a_packing_slip_that_is_not_a_photo_is_refused_beside_the_field(database, login_as):
    import io

    dock = make_dock(database)
    data = form_for(dock, **{f"accepted-{dock.stock_line.id}": "1"})
    data["packing_slip"] = (io.BytesIO(b"%PDF-1.4 not a photo"), "slip.pdf")
    answer = login_as(dock.keeper).post(
        f"/receiving/po/{dock.po.id}", data=data, content_type="multipart/form-data"
    )
    assert answer.status_code == 422 and "slip.pdf is not a photo" in answer.text
    assert database.session.scalar(select(func.count(GoodsReceipt.id))) == 0


def test_the_technician_sees_the_parts_arrived_card_on_the_home_page(database, login_as):
    dock = make_dock(database)
    receive(dock, (dock.wo_line.id, "3", "0", None))
    home = login_as(dock.tech).get("/")
    assert f"Parts arrived for {dock.wo.number}" in home.text
    wo_page = login_as(dock.tech).get(f"/work-orders/{dock.wo.id}")
    assert "Parts arrived on GR-" in wo_page.text


def test_the_receipt_page_reads_in_a_fixed_number_of_queries(database, login_as, count_statements):
    dock = make_dock(database)
    small = receive(dock, (dock.stock_line.id, "1", "0", None))
    big = receive(dock, (dock.stock_line.id, "2", "0", None), (dock.wo_line.id, "3", "0", None))
    client = login_as(dock.keeper)

    def page(receipt_id):
        database.session.expunge_all()  # as a new request finds it: nothing loaded yet
        return client.get(f"/receiving/receipts/{receipt_id}")

    small_id, big_id = small.id, big.id
    assert count_statements(lambda: page(small_id)) == count_statements(lambda: page(big_id))


def test_the_work_order_page_shows_what_is_on_order_and_where_to_receive_it(database, login_as):
    dock = make_dock(database)
    receive(dock, (dock.wo_line.id, "1", "0", None))
    page = login_as(dock.tech).get(f"/work-orders/{dock.wo.id}")
    assert 'id="wo-deliveries"' in page.text
    assert "1 of 3 EA" in page.text and dock.po.number in page.text
    assert f'href="/receiving/po/{dock.po.id}"' in page.text and "Receive 2 EA" in page.text
    receive(dock, (dock.wo_line.id, "2", "0", None))
    page = login_as(dock.tech).get(f"/work-orders/{dock.wo.id}")
    assert "3 of 3 EA" in page.text and "Receive " not in page.text


# ---------------------------------------------------------------- who reads which delivery


def test_a_technician_reads_only_receipts_and_pos_with_a_line_for_their_own_work(
    database, login_as
):
    dock = make_dock(database)
    theirs = receive(dock, (dock.wo_line.id, "1", "0", None))
    others_po = make_purchase_order(
        database, lines=[{"item": dock.bearing, "qty": "4", "storeroom_id": dock.store.id}]
    )
    others = receiving.record_receipt(
        others_po.id,
        lines=[(others_po.lines[0].id, "4", "0", None)],
        receiver=dock.keeper,
        submission_id=sid(),
    )
    tech = login_as(dock.tech)
    assert tech.get(f"/receiving/receipts/{theirs.id}").status_code == 200
    assert tech.get(f"/receiving/po/{dock.po.id}").status_code == 200
    # Not found, not forbidden: a technician learns nothing of other people's orders.
    assert tech.get(f"/receiving/receipts/{others.id}").status_code == 404
    assert tech.get(f"/receiving/po/{others_po.id}").status_code == 404
    stranger = login_as(make_user(database, roles=["technician"]))
    assert stranger.get(f"/receiving/receipts/{theirs.id}").status_code == 404
    assert stranger.get(f"/receiving/po/{dock.po.id}").status_code == 404
    keeper = login_as(dock.keeper)
    assert keeper.get(f"/receiving/receipts/{others.id}").status_code == 200
    clerk = login_as(make_user(database, roles=["ap_clerk"]))  # checks invoices against receipts
    assert clerk.get(f"/receiving/receipts/{others.id}").status_code == 200


def test_a_receipt_says_parts_arrived_for_each_work_order_it_fed(database):
    dock = make_dock(database)
    heard: list[PartsArrived] = []
    listed = {kind: list(found) for kind, found in handlers.HANDLERS.items()}
    listed.setdefault(PartsArrived, []).append(lambda _session, event: heard.append(event))
    messagebus.register(listed)
    try:
        first = receive(
            dock, (dock.wo_line.id, "1", "0", None), (dock.stock_line.id, "2", "0", None)
        )
        last = receive(dock, (dock.wo_line.id, "2", "0", None))
    finally:
        handlers.register()
    assert heard == [
        PartsArrived(dock.wo.id, first.id, all_arrived=False, actor_id=dock.keeper.id),
        PartsArrived(dock.wo.id, last.id, all_arrived=True, actor_id=dock.keeper.id),
    ]
    events = database.session.scalars(
        select(AuditEvent.why).where(AuditEvent.action == "work_order.parts_arrived")
    ).all()
    assert events == [last.number]  # the home card's "parts arrived": only once all are here

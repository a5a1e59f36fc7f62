"""Raising a work order and working it: moves, notes, photos, labour, steps, downtime."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.events import PartsArrived, WorkOrderMoved
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    AuditEvent,
    LabourEntry,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.services import messagebus, work_orders
from portal.services._uow import unit_of_work
from portal.services.messagebus import publish
from tests.conftest import base_config, scratch_database
from tests.factories import (
    JPEG_BYTES,
    make_asset,
    make_goods_receipt,
    make_purchase_order,
    make_site,
    make_user,
    make_work_order,
)


def _raise(client, asset, **fields):
    data = {
        "title": "Seal leaking",
        "priority": "high",
        "type": "corrective",
        "asset_id": str(asset.id),
        "submission_id": fields.pop("submission_id", "a" * 32),
    }
    data.update(fields)
    return client.post("/work-orders/new", data=data)


def test_raising_from_an_asset_fills_asset_location_and_due_date(login_as, database):
    asset = make_asset(database, tag="P-104")
    tech = make_user(database, full_name="Tomás Rivera", department="Maintenance")
    client = login_as(tech)
    form = client.get(f"/work-orders/new?asset={asset.id}")
    assert "P-104" in form.text and 'name="submission_id"' in form.text
    response = _raise(
        client, asset, checklist="Isolate\nReplace seal\n\nTest run", assignee_user_id=str(tech.id)
    )
    assert response.status_code == 303
    wo = database.session.scalar(select(WorkOrder))
    assert wo.number == "WO-000001" and wo.asset_id == asset.id
    assert wo.location_id == asset.location_id and wo.site_id == asset.location.site_id
    assert wo.requester_name == "Tomás Rivera" and wo.department == "Maintenance"
    assert wo.status is WorkOrderStatus.requested  # a technician's WO waits for approval
    assert abs(wo.due_at - (wo.created_at + timedelta(days=1))) < timedelta(seconds=5)
    assert [s.text for s in wo.checklist] == ["Isolate", "Replace seal", "Test run"]
    assert (
        database.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "work_order.created")
        )
        == 1
    )


def test_a_double_tap_on_raise_makes_one_work_order(login_as, database):
    asset = make_asset(database)
    client = login_as(make_user(database))
    first = _raise(client, asset, submission_id="b" * 32)
    second = _raise(client, asset, submission_id="b" * 32)
    assert first.headers["Location"] == second.headers["Location"]
    assert database.session.scalar(select(func.count()).select_from(WorkOrder)) == 1


def test_a_supervisors_work_order_with_an_assignee_starts_assigned(login_as, database):
    asset = make_asset(database)
    tech = make_user(database)
    client = login_as(make_user(database, roles=["supervisor"]))
    _raise(client, asset, assignee_user_id=str(tech.id), priority="emergency")
    wo = database.session.scalar(select(WorkOrder))
    assert wo.status is WorkOrderStatus.assigned and wo.assignee_user_id == tech.id
    assert abs(wo.due_at - (wo.created_at + timedelta(hours=4))) < timedelta(seconds=5)


def test_an_empty_title_is_told_on_the_form_and_nothing_is_written(login_as, database):
    asset = make_asset(database)
    response = _raise(login_as(make_user(database)), asset, title="   ")
    assert response.status_code == 422 and "Say in a few words what needs doing" in response.text
    assert database.session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_storekeepers_cannot_raise_work_orders(login_as, database):
    asset = make_asset(database)
    assert _raise(login_as(make_user(database, roles=["storekeeper"])), asset).status_code == 403


def test_the_page_offers_only_the_moves_this_person_may_make(login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech, status=WorkOrderStatus.assigned)
    page = login_as(tech).get(f"/work-orders/{wo.id}").text
    assert "Start work" in page and "Waiting for parts" in page
    assert "Cancel the work order" not in page and ">Close<" not in page
    sup_page = login_as(make_user(database, roles=["supervisor"])).get(f"/work-orders/{wo.id}").text
    assert "Cancel the work order" in sup_page


def test_moving_a_work_order_is_recorded_audited_and_refused_when_not_allowed(login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech, status=WorkOrderStatus.assigned)
    client = login_as(tech)
    assert (
        client.post(f"/work-orders/{wo.id}/status", data={"target": "in_progress"}).status_code
        == 303
    )
    assert client.post(f"/work-orders/{wo.id}/status", data={"target": "closed"}).status_code == 403
    refused = client.post(
        f"/work-orders/{wo.id}/status", data={"target": "assigned"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422 and "cannot become assigned" in refused.text
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.in_progress
    moves = database.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "work_order.status_changed")
    ).all()
    assert [m.changes["status"] for m in moves] == [["assigned", "in_progress"]]


def test_completing_brings_the_asset_back_up_and_cancelling_needs_a_reason(login_as, database):
    tech = make_user(database)
    wo = make_work_order(
        database,
        assignee=tech,
        status=WorkOrderStatus.in_progress,
        down_at=utcnow() - timedelta(hours=5),
    )
    login_as(tech).post(f"/work-orders/{wo.id}/status", data={"target": "completed"})
    database.session.refresh(wo)
    assert wo.status is WorkOrderStatus.completed and wo.up_at is not None
    other = make_work_order(database, status=WorkOrderStatus.approved)
    sup = login_as(make_user(database, roles=["supervisor"]))
    sup.post(f"/work-orders/{other.id}/status", data={"target": "cancelled", "reason": ""})
    database.session.refresh(other)
    assert other.status is WorkOrderStatus.approved
    sup.post(f"/work-orders/{other.id}/status", data={"target": "cancelled", "reason": "Duplicate"})
    database.session.refresh(other)
    assert other.status is WorkOrderStatus.cancelled


def test_a_technician_can_take_an_approved_job(login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, status=WorkOrderStatus.approved)
    login_as(tech).post(f"/work-orders/{wo.id}/assign", data={"assignee_user_id": str(tech.id)})
    database.session.refresh(wo)
    assert wo.assignee_user_id == tech.id and wo.status is WorkOrderStatus.assigned
    someone = make_user(database)
    response = login_as(tech).post(
        f"/work-orders/{wo.id}/assign", data={"assignee_user_id": str(someone.id)}
    )
    assert response.status_code == 403


def test_labour_puts_hours_times_rate_on_the_work_order(login_as, database):
    tech = make_user(database, hourly_rate=Decimal("42.50"))
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    data = {
        "hours": "2.25",
        "worked_on": utcnow().date().isoformat(),
        "note": "Seal replaced",
        "submission_id": "c" * 32,
    }
    assert client.post(f"/work-orders/{wo.id}/labour", data=data).status_code == 303
    client.post(f"/work-orders/{wo.id}/labour", data=data)  # a retry
    entry = database.session.scalar(select(LabourEntry))
    assert entry.cost_amount == Decimal("95.63") and entry.hours == Decimal("2.250")
    assert database.session.scalar(select(func.count()).select_from(LabourEntry)) == 1
    assert "95.63" in client.get(f"/work-orders/{wo.id}").text


def test_bad_labour_hours_are_told_beside_the_field(login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech)
    for hours in ("0", "-1", "25", "abc"):
        response = login_as(tech).post(
            f"/work-orders/{wo.id}/labour",
            data={"hours": hours, "worked_on": "2026-01-05", "submission_id": "d" * 32},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 422 and "field-error" in response.text, hours
    assert database.session.scalar(select(func.count()).select_from(LabourEntry)) == 0


def test_a_note_with_a_photo_is_kept_and_shown_to_staff_only(client, login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech)
    staff = login_as(tech)
    data = {
        "body": "Shaft scored",
        "submission_id": "e" * 32,
        "photo": (__import__("io").BytesIO(JPEG_BYTES), "shaft.jpg"),
    }
    assert (
        staff.post(
            f"/work-orders/{wo.id}/comments", data=data, content_type="multipart/form-data"
        ).status_code
        == 303
    )
    comment = database.session.scalar(select(WorkOrderComment))
    photo = staff.get(f"/work-orders/{wo.id}/photos/{comment.photo_id}")
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
    staff.post("/logout")
    assert client.get(f"/work-orders/{wo.id}/photos/{comment.photo_id}").status_code == 302


def test_a_fake_or_huge_photo_is_refused_in_words_and_nothing_is_written(login_as, database):
    import io

    tech = make_user(database)
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    fake = {"body": "x", "submission_id": "f" * 32, "photo": (io.BytesIO(b"just text"), "a.jpg")}
    response = client.post(
        f"/work-orders/{wo.id}/comments", data=fake, content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "is not a photo" in response.text
    huge = {
        "body": "x",
        "submission_id": "g" * 32,
        "photo": (io.BytesIO(JPEG_BYTES + b"\x00" * (9 * 1024 * 1024)), "big.jpg"),
    }
    response = client.post(
        f"/work-orders/{wo.id}/comments", data=huge, content_type="multipart/form-data"
    )
    assert response.status_code in (413, 422)
    assert database.session.scalar(select(func.count()).select_from(WorkOrderComment)) == 0


def test_steps_tick_and_untick(login_as, database):
    tech = make_user(database)
    site = make_site(database)
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title="Filter change", site_id=site.id, checklist=["Isolate", "Swap"]
        ),
        actor=tech,
    )
    step = wo.checklist[0]
    client = login_as(tech)
    client.post(f"/work-orders/{wo.id}/steps/{step.id}", data={"done": "1"})
    database.session.refresh(step)
    assert step.done and step.done_by_id == tech.id
    page = client.get(f"/work-orders/{wo.id}").text
    assert "1 of 2 done" in page


def test_downtime_is_recorded_down_then_up(login_as, database):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech, status=WorkOrderStatus.in_progress)
    client = login_as(tech)
    client.post(f"/work-orders/{wo.id}/downtime", data={"event": "down"})
    client.post(f"/work-orders/{wo.id}/downtime", data={"event": "down"})  # double tap
    database.session.refresh(wo)
    went_down = wo.down_at
    client.post(f"/work-orders/{wo.id}/downtime", data={"event": "up"})
    database.session.refresh(wo)
    assert wo.down_at == went_down and wo.up_at >= went_down


def test_many_work_orders_raised_at_once_never_share_a_number(tmp_path):
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
            site = make_site(db)
            tech = make_user(db)
            site_id, tech_id = site.id, tech.id
        errors: list[Exception] = []
        barrier = threading.Barrier(8)

        def raise_some(n: int):
            with app.app_context():
                actor = db.session.get(type(tech), tech_id)
                barrier.wait()
                for i in range(5):
                    try:
                        work_orders.create_work_order(
                            work_orders.NewWorkOrder(
                                title=f"Job {n}-{i}", site_id=site_id, priority=Priority.low
                            ),
                            actor=actor,
                            submission_id=f"race-{n}-{i}-" + "x" * 16,
                        )
                    except Exception as err:  # noqa: BLE001 (asserted below)
                        errors.append(err)
                db.session.remove()

        threads = [threading.Thread(target=raise_some, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with app.app_context():
            numbers = db.session.scalars(select(WorkOrder.number)).all()
            db.engine.dispose()
        assert errors == []
        assert sorted(numbers) == [f"WO-{n:06d}" for n in range(1, 41)]


def test_hours_typed_with_a_decimal_comma_are_understood(login_as, database):
    tech = make_user(database, hourly_rate=Decimal("40.00"))
    wo = make_work_order(database, assignee=tech)
    response = login_as(tech).post(
        f"/work-orders/{wo.id}/labour",
        data={"hours": "1,5", "worked_on": utcnow().date().isoformat(), "submission_id": "h" * 32},
    )
    assert response.status_code == 303
    assert database.session.scalar(select(LabourEntry.cost_amount)) == Decimal("60.00")


# ---------------------------------------------------------------- moves as events


def _parts_arrived(wo, receipt, *, all_arrived: bool, actor) -> None:
    """What receiving publishes when a receipt issues parts to a work order."""
    with unit_of_work() as session:
        publish(session, PartsArrived(wo.id, receipt.id, all_arrived, actor.id))


@pytest.mark.parametrize(
    "started, assigned, back_to",
    [
        (True, True, WorkOrderStatus.in_progress),
        (False, True, WorkOrderStatus.assigned),
        (False, False, WorkOrderStatus.approved),
    ],
)
def test_when_all_parts_arrive_the_work_goes_back_where_it_was(
    database, started, assigned, back_to
):
    tech, storekeeper = make_user(database), make_user(database, roles=["storekeeper"])
    wo = make_work_order(
        database, assignee=tech if assigned else None, status=WorkOrderStatus.waiting_parts
    )
    if started:
        database.session.add(
            WorkOrderStatusChange(work_order_id=wo.id, to_status=WorkOrderStatus.in_progress)
        )
        database.session.commit()
    receipt = make_goods_receipt(database, make_purchase_order(database), receiver=storekeeper)
    _parts_arrived(wo, receipt, all_arrived=True, actor=storekeeper)
    database.session.expire_all()
    assert database.session.get(WorkOrder, wo.id).status is back_to
    move = database.session.scalar(
        select(WorkOrderStatusChange).order_by(WorkOrderStatusChange.id.desc()).limit(1)
    )
    assert move.reason == f"All parts arrived ({receipt.number})"
    assert move.changed_by_id == storekeeper.id


def test_while_parts_are_missing_the_work_keeps_waiting(database):
    storekeeper = make_user(database, roles=["storekeeper"])
    wo = make_work_order(database, status=WorkOrderStatus.waiting_parts)
    receipt = make_goods_receipt(database, make_purchase_order(database), receiver=storekeeper)
    _parts_arrived(wo, receipt, all_arrived=False, actor=storekeeper)
    database.session.expire_all()
    assert database.session.get(WorkOrder, wo.id).status is WorkOrderStatus.waiting_parts


def test_every_move_is_published_as_work_order_moved(database, monkeypatch):
    seen = []
    monkeypatch.setitem(
        messagebus._handlers, WorkOrderMoved, (lambda session, event: seen.append(event),)
    )
    supervisor = make_user(database, roles=["supervisor"])
    wo = make_work_order(database, status=WorkOrderStatus.assigned)
    work_orders.change_status(wo.id, WorkOrderStatus.in_progress, actor=supervisor)
    assert seen == [
        WorkOrderMoved(wo.id, "assigned", "in_progress", supervisor.id, None),
    ]

"""Whose work a technician may touch, what the read-only auditor may write, and what the work
order page offers: asserted by the services (a script cannot skip them) and over HTTP."""

from __future__ import annotations

import io
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.errors import NotAllowed
from portal.domain.work_orders import WorkOrderStatus
from portal.models import AuditEvent, ChecklistItem, LabourEntry, WorkOrder, WorkOrderComment
from portal.services import work_orders
from tests.factories import JPEG_BYTES, make_cost_centre, make_user, make_work_order


@pytest.fixture
def crew(database):
    """Two technicians; a work order of the first's with one step, and one of nobody's."""
    tom = make_user(database, full_name="Tom Field")
    ana = make_user(database, full_name="Ana Other")
    toms = make_work_order(database, assignee=tom, status=WorkOrderStatus.assigned)
    toms.checklist.append(ChecklistItem(position=1, text="Isolate the pump"))
    nobodys = make_work_order(database, status=WorkOrderStatus.approved)
    database.session.commit()
    return tom, ana, toms, nobodys


def _count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def _events(database, action: str) -> int:
    return database.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _sid() -> str:
    return uuid.uuid4().hex


# ---------------------------------------------------------------- another technician's work


def test_a_technician_cannot_take_over_another_technicians_work_order(login_as, database, crew):
    tom, ana, toms, _ = crew
    answer = login_as(ana).post(f"/work-orders/{toms.id}/assign", data={"assignee_user_id": ana.id})
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.assign(toms.id, assignee_user_id=ana.id, actor=ana)
    database.session.expire_all()
    assert database.session.get(WorkOrder, toms.id).assignee_user_id == tom.id


def test_a_technician_cannot_log_labour_on_another_technicians_work_order(login_as, database, crew):
    _, ana, toms, _ = crew
    form = {"hours": "2", "worked_on": date.today().isoformat(), "submission_id": _sid()}
    assert login_as(ana).post(f"/work-orders/{toms.id}/labour", data=form).status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.log_labour(
            toms.id, hours=Decimal("2"), worked_on=date.today(), actor=ana, submission_id=_sid()
        )
    assert _count(database, LabourEntry) == 0


def test_a_technician_cannot_tick_a_step_of_another_technicians_work_order(
    login_as, database, crew
):
    _, ana, toms, _ = crew
    step = toms.checklist[0]
    answer = login_as(ana).post(f"/work-orders/{toms.id}/steps/{step.id}", data={"done": "1"})
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.toggle_step(toms.id, step.id, done=True, actor=ana)
    database.session.expire_all()
    assert not database.session.get(ChecklistItem, step.id).done


def test_a_technician_cannot_start_another_technicians_work_order(login_as, database, crew):
    _, ana, toms, _ = crew
    answer = login_as(ana).post(f"/work-orders/{toms.id}/status", data={"target": "in_progress"})
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.change_status(toms.id, WorkOrderStatus.in_progress, actor=ana)
    database.session.expire_all()
    assert database.session.get(WorkOrder, toms.id).status is WorkOrderStatus.assigned


def test_a_technician_cannot_record_downtime_on_another_technicians_work_order(
    login_as, database, crew
):
    _, ana, toms, _ = crew
    answer = login_as(ana).post(f"/work-orders/{toms.id}/downtime", data={"event": "down"})
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.record_downtime(toms.id, event="down", actor=ana)
    assert _events(database, "asset.down") == 0


def test_a_technician_works_on_work_that_is_nobodys_and_then_it_is_theirs(login_as, database, crew):
    _, ana, _, nobodys = crew
    client = login_as(ana)
    took = client.post(f"/work-orders/{nobodys.id}/assign", data={"assignee_user_id": ana.id})
    assert took.status_code == 303
    started = client.post(f"/work-orders/{nobodys.id}/status", data={"target": "in_progress"})
    assert started.status_code == 303
    form = {"hours": "1.5", "worked_on": date.today().isoformat(), "submission_id": _sid()}
    assert client.post(f"/work-orders/{nobodys.id}/labour", data=form).status_code == 303
    database.session.expire_all()
    wo = database.session.get(WorkOrder, nobodys.id)
    assert wo.assignee_user_id == ana.id and wo.status is WorkOrderStatus.in_progress


def test_the_move_capability_is_asserted_by_the_service_not_only_the_page(database, crew):
    tom, _, toms, _ = crew
    with pytest.raises(NotAllowed):  # cancelling is a supervisor's call, even on one's own work
        work_orders.change_status(toms.id, WorkOrderStatus.cancelled, actor=tom, reason="No")
    storekeeper = make_user(database, roles=["storekeeper"])
    with pytest.raises(NotAllowed):
        work_orders.change_status(toms.id, WorkOrderStatus.in_progress, actor=storekeeper)
    work_orders.change_status(toms.id, WorkOrderStatus.waiting_parts, actor=storekeeper)
    database.session.expire_all()
    assert database.session.get(WorkOrder, toms.id).status is WorkOrderStatus.waiting_parts


# ---------------------------------------------------------------- the read-only auditor


def test_the_auditor_cannot_post_a_note(login_as, database, crew):
    _, _, toms, _ = crew
    auditor = make_user(database, roles=["auditor"])
    form = {"body": "Looks fine to me", "submission_id": _sid()}
    assert login_as(auditor).post(f"/work-orders/{toms.id}/comments", data=form).status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.add_comment(
            toms.id, body="Looks fine to me", actor=auditor, submission_id=_sid()
        )
    assert _count(database, WorkOrderComment) == 0


def test_the_auditor_cannot_post_a_photo(login_as, database, crew):
    _, _, toms, _ = crew
    auditor = make_user(database, roles=["auditor"])
    answer = login_as(auditor).post(
        f"/work-orders/{toms.id}/comments",
        data={"body": "", "photo": (io.BytesIO(JPEG_BYTES), "p.jpg"), "submission_id": _sid()},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 403
    with pytest.raises(NotAllowed):
        work_orders.add_comment(
            toms.id, body="", photo=(JPEG_BYTES, "p.jpg"), actor=auditor, submission_id=_sid()
        )
    assert _count(database, WorkOrderComment) == 0


def test_the_auditor_reads_the_notes_but_is_offered_no_way_to_write(login_as, database, crew):
    tom, _, toms, _ = crew
    work_orders.add_comment(toms.id, body="Seal was cracked", actor=tom, submission_id=_sid())
    page = login_as(make_user(database, roles=["auditor"])).get(f"/work-orders/{toms.id}").text
    assert "Seal was cracked" in page
    assert "Add note" not in page and "Log hours" not in page and "Start work" not in page


# ---------------------------------------------------------------- what the page offers


def test_the_page_offers_another_technicians_work_only_to_read(login_as, database, crew):
    _, ana, toms, _ = crew
    page = login_as(ana).get(f"/work-orders/{toms.id}").text
    assert "Isolate the pump" in page  # the steps are there to read...
    assert f"/work-orders/{toms.id}/steps/" not in page  # ...not to tick
    for offer in ("Start work", "Take this job", "Log hours", "The asset is down now"):
        assert offer not in page, offer
    assert "Add note" in page  # anyone on the staff may leave a note


def test_the_page_offers_the_assignee_the_work(login_as, database, crew):
    tom, _, toms, _ = crew
    page = login_as(tom).get(f"/work-orders/{toms.id}").text
    assert f"/work-orders/{toms.id}/steps/" in page
    for offer in ("Start work", "Log hours", "The asset is down now", "Add note"):
        assert offer in page, offer
    assert "Take this job" not in page  # it is already theirs


def test_the_page_offers_work_that_is_nobodys_to_take(login_as, database, crew):
    _, ana, _, nobodys = crew
    page = login_as(ana).get(f"/work-orders/{nobodys.id}").text
    assert "Take this job" in page


# ---------------------------------------------------------------- the home page's budget card


@pytest.mark.parametrize(
    "role, sees",
    [
        ("technician", False),
        ("storekeeper", False),
        ("ap_clerk", False),
        ("supervisor", True),
        ("approver", True),
        ("buyer", True),
        ("auditor", True),
        ("admin", True),
    ],
)
def test_the_budget_card_is_on_the_home_page_only_for_who_may_read_budgets(
    login_as, database, role, sees
):
    make_cost_centre(database, code="CC-PLANT")
    person = make_user(database, roles=[role])
    assert person.can("read_budgets") is sees
    home = login_as(person).get("/").text
    assert ('id="budget-watch-heading"' in home) is sees

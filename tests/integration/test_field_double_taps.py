"""A double tap on every write form of the field pages: the same form posted twice at the same
instant has one effect, and both posts land on the first one's result (never a 5xx, never
"duplicate"). On PostgreSQL the two posts are real concurrent transactions.

One scratch database for the module (emptied between tests) keeps these fast.
"""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.domain.statuses import RequestIntake, WorkRequestStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Asset,
    AuditEvent,
    AuditFinding,
    ChecklistItem,
    LabourEntry,
    WorkOrder,
    WorkOrderComment,
    WorkRequest,
)
from portal.services import work_requests
from tests.concurrency import post_at_once, run_at_once
from tests.conftest import _empty_all_tables, racing_app, sign_in
from tests.factories import JPEG_BYTES, make_asset, make_site, make_user, make_work_order


@pytest.fixture(scope="module")
def race(tmp_path_factory):
    """One racing app for the module (see tests/conftest.racing_app)."""
    with racing_app(tmp_path_factory.mktemp("field-races")) as app:
        yield app


@pytest.fixture
def race_db(race):
    """The race app's database, emptied after each test."""
    with race.app_context():
        yield db
        _empty_all_tables()
        db.session.remove()


def _sid() -> str:
    return uuid.uuid4().hex


def _landed_together(responses) -> str:
    """Both posts answered 303 to the same place (the first post's result); that place."""
    assert [r.status_code for r in responses] == [303, 303], [r.status_code for r in responses]
    first, second = (r.headers["Location"] for r in responses)
    assert first == second
    return first


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _events(action: str) -> int:
    return _count(AuditEvent, AuditEvent.action == action)


def _post_files_at_once(app, user_id: int, url: str, make_data) -> list:
    """Like post_at_once, for a multipart form: each post gets its own copy of the file."""
    clients = []
    for _ in range(2):
        client = app.test_client()
        sign_in(client, user_id)
        clients.append(client)
    calls = [
        lambda _ready, c=client: c.post(url, data=make_data(), content_type="multipart/form-data")
        for client in clients
    ]
    responses, errors = run_at_once(app, calls)
    assert errors == []
    return responses


# ---------------------------------------------------------------- work orders


def test_a_double_tap_on_raise_makes_one_work_order(race, race_db):
    tech, asset = make_user(race_db), make_asset(race_db)
    form = {
        "title": "Seal leaking",
        "priority": "high",
        "type": "corrective",
        "asset_id": str(asset.id),
        "submission_id": _sid(),
    }
    where = _landed_together(post_at_once(race, tech.id, "/work-orders/new", form))
    [wo_id] = db.session.scalars(select(WorkOrder.id)).all()
    assert where.endswith(f"/work-orders/{wo_id}")
    assert _events("work_order.created") == 1


def test_a_double_tap_on_a_note_adds_one_note(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech)
    form = {"body": "Seal cracked at the shaft", "submission_id": _sid()}
    _landed_together(post_at_once(race, tech.id, f"/work-orders/{wo.id}/comments", form))
    assert _count(WorkOrderComment) == 1 and _events("work_order.commented") == 1


def test_a_double_tap_on_a_note_with_a_photo_adds_one_note_and_one_photo(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech)
    sid = _sid()

    def form():
        return {"body": "", "photo": (io.BytesIO(JPEG_BYTES), "seal.jpg"), "submission_id": sid}

    _landed_together(_post_files_at_once(race, tech.id, f"/work-orders/{wo.id}/comments", form))
    assert _count(WorkOrderComment) == 1
    assert _count(WorkOrderComment, WorkOrderComment.photo_id.is_not(None)) == 1


def test_a_double_tap_on_log_hours_logs_them_once(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech)
    form = {"hours": "1.5", "worked_on": date.today().isoformat(), "submission_id": _sid()}
    _landed_together(post_at_once(race, tech.id, f"/work-orders/{wo.id}/labour", form))
    assert _count(LabourEntry) == 1 and _events("labour.logged") == 1


def test_a_double_tap_on_a_step_ticks_it_once(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech)
    step = ChecklistItem(work_order_id=wo.id, position=1, text="Isolate")
    race_db.session.add(step)
    race_db.session.commit()
    form = {"done": "1", "submission_id": _sid()}
    url = f"/work-orders/{wo.id}/steps/{step.id}"
    _landed_together(post_at_once(race, tech.id, url, form))
    assert _events("work_order.step_ticked") == 1


def test_a_double_tap_on_the_asset_is_down_records_it_once(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech)
    form = {"event": "down", "submission_id": _sid()}
    _landed_together(post_at_once(race, tech.id, f"/work-orders/{wo.id}/downtime", form))
    assert _events("asset.down") == 1


def test_a_double_tap_on_take_this_job_assigns_it_once(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, status=WorkOrderStatus.approved)
    form = {"assignee_user_id": str(tech.id), "submission_id": _sid()}
    _landed_together(post_at_once(race, tech.id, f"/work-orders/{wo.id}/assign", form))
    assert _events("work_order.assigned") == 1
    assert _events("work_order.status_changed") == 1  # approved -> assigned, once


def test_a_double_tap_on_start_work_moves_it_once(race, race_db):
    tech = make_user(race_db)
    wo = make_work_order(race_db, assignee=tech, status=WorkOrderStatus.assigned)
    form = {"target": "in_progress", "submission_id": _sid()}
    _landed_together(post_at_once(race, tech.id, f"/work-orders/{wo.id}/status", form))
    assert _events("work_order.status_changed") == 1


def test_a_double_tap_on_replace_the_qr_code_replaces_it_once(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    asset = make_asset(race_db)
    old_token = asset.qr_token
    form = {"reason": "Label torn off", "submission_id": _sid()}
    _landed_together(post_at_once(race, supervisor.id, f"/assets/{asset.id}/rotate-qr", form))
    assert _events("asset.qr_rotated") == 1
    assert race_db.session.get(Asset, asset.id).qr_token != old_token


# ---------------------------------------------------------------- work requests


def _public_form(site_id: int, sid: str) -> dict:
    return {
        "requester_name": "Ana Tenant",
        "contact_phone": "+1 555 0100",
        "where": f"s{site_id}",
        "description": "The kitchen tap drips all night",
        "urgency": "normal",
        "submission_id": sid,
    }


def test_a_double_tap_on_send_report_records_one_request(race, race_db):
    site = make_site(race_db)
    anyone = make_user(race_db)  # the form is public; a signed-in person may use it too
    responses = post_at_once(race, anyone.id, "/request", _public_form(site.id, _sid()))
    assert "/track/" in _landed_together(responses)
    assert _count(WorkRequest) == 1 and _events("work_request.received") == 1


def test_a_double_tap_on_a_first_come_report_makes_one_work_order(race, race_db):
    site = make_site(race_db, request_intake=RequestIntake.first_come)
    anyone = make_user(race_db)
    _landed_together(post_at_once(race, anyone.id, "/request", _public_form(site.id, _sid())))
    assert _count(WorkRequest) == 1 and _count(WorkOrder) == 1


def _waiting_requests(site, count: int) -> list[int]:
    """`count` requests waiting for triage at `site`, oldest first."""
    made = []
    for n in range(count):
        draft = work_requests.PublicRequest(
            requester_name=f"Tenant {n}",
            description=f"Door {n} does not close",
            contact_phone="+1 555 0101",
            site_id=site.id,
        )
        made.append(work_requests.submit_request(draft, submission_id=_sid()).id)
    return made


def test_a_double_tap_on_accept_makes_one_work_order(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    [wr_id] = _waiting_requests(make_site(race_db), 1)
    form = {"note": "", "submission_id": _sid()}
    url = f"/work-requests/{wr_id}/accept"
    _landed_together(post_at_once(race, supervisor.id, url, form))
    assert _count(WorkOrder) == 1 and _events("work_request.accepted") == 1


def test_a_double_tap_on_reject_rejects_once(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    [wr_id] = _waiting_requests(make_site(race_db), 1)
    form = {"reason": "This is the landlord's to fix", "submission_id": _sid()}
    _landed_together(post_at_once(race, supervisor.id, f"/work-requests/{wr_id}/reject", form))
    assert _events("work_request.rejected") == 1


def test_a_double_tap_on_merge_merges_once(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    first, duplicate = _waiting_requests(make_site(race_db), 2)
    form = {"into": str(first), "note": "", "submission_id": _sid()}
    url = f"/work-requests/{duplicate}/merge"
    _landed_together(post_at_once(race, supervisor.id, url, form))
    assert _events("work_request.merged") == 1
    merged = race_db.session.get(WorkRequest, duplicate)
    assert merged.status is WorkRequestStatus.merged and merged.merged_into_id == first


# ---------------------------------------------------------------- audit findings


def test_a_double_tap_on_create_work_orders_imports_the_file_once(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    asset = make_asset(race_db, tag="P-101")
    due = (date.today() + timedelta(days=30)).isoformat()
    text = (
        "audit_reference,finding,asset_tag,deadline\n"
        f"FS-1,Guard missing,{asset.tag},{due}\n"
        f"FS-1,Sign faded,{asset.tag},{due}\n"
    )
    form = {"csv_text": text, "submission_id": _sid()}
    where = _landed_together(post_at_once(race, supervisor.id, "/audits/import", form))
    assert _count(WorkOrder) == 2 and _count(AuditFinding) == 2
    assert _events("audit_findings.imported") == 1
    client = race.test_client()
    sign_in(client, supervisor.id)
    assert "2 work orders for FS-1" in client.get(where).text


def test_a_double_tap_on_the_findings_form_creates_them_once(race, race_db):
    supervisor = make_user(race_db, roles=["supervisor"])
    make_asset(race_db, tag="P-102")
    form = {
        "submission_id": _sid(),
        "audit_reference": "LOLER-1",
        "deadline": (date.today() + timedelta(days=14)).isoformat(),
        "priority": "normal",
        "lines-0-finding": "Sling tag illegible",
        "lines-0-asset_tag": "P-102",
    }
    _landed_together(post_at_once(race, supervisor.id, "/audits/new", form))
    assert _count(WorkOrder) == 1 and _events("audit_findings.imported") == 1


# ---------------------------------------------------------------- administration


def test_a_double_tap_on_grant_budget_authority_grants_it_once(race, race_db):
    admin = make_user(race_db, roles=["admin"])
    approver = make_user(race_db, roles=["approver"])
    url = f"/admin/users/{approver.id}/budget-authority"
    _landed_together(post_at_once(race, admin.id, url, {"grant": "1"}))
    assert _events("user.budget_authority_changed") == 1

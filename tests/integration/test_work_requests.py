"""Public work requests: the form, spam guards, tracking links, and the supervisors' triage."""

from __future__ import annotations

import re
import uuid
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.domain.statuses import RequestIntake, WorkRequestStatus
from portal.domain.uploads import MAX_PHOTO_BYTES
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Attachment,
    AuditEvent,
    Location,
    WorkOrder,
    WorkOrderStatusChange,
    WorkRequest,
)
from portal.services import work_orders, work_requests
from tests.conftest import isolated_app
from tests.factories import make_asset, make_site, make_user


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), "#36c").save(out, format="PNG")
    return out.getvalue()


PNG = _png()


def _count(database, model) -> int:
    return database.session.scalar(select(func.count()).select_from(model))


def _report(site=None, **overrides) -> dict:
    """A filled-in public form."""
    data = {
        "submission_id": uuid.uuid4().hex,
        "requester_name": "Ana Costa",
        "contact_email": "ana@example.org",
        "contact_phone": "",
        "unit_text": "Flat 4B",
        "description": "Kitchen tap drips all night\nIt started on Monday.",
        "urgency": "high",
        "website": "",
    }
    if site is not None:
        data["where"] = f"s{site.id}"
    data.update(overrides)
    return data


def _send(client, data, *, token=None, **kwargs):
    url = f"/request?a={token}" if token else "/request"
    return client.post(url, data=data, **kwargs)


def _tracking_path(response) -> str:
    assert response.status_code == 303, response.text
    path = response.headers["Location"]
    assert re.fullmatch(r"/track/[A-Za-z0-9_-]{32}", path)
    return path


@pytest.fixture
def triage_site(database):
    return make_site(database, name="Riverside Plant", request_intake=RequestIntake.triage)


@pytest.fixture
def block(database):
    return make_site(database, name="Elm Court", request_intake=RequestIntake.first_come)


@pytest.fixture
def supervisor(database):
    return make_user(database, roles=["supervisor"], username="sam", full_name="Sam Okafor")


def _only_request(database) -> WorkRequest:
    return database.session.scalars(select(WorkRequest)).one()


# ---------------------------------------------------------------- the public form


def test_public_form_creates_a_request_and_shows_the_tracking_link(client, triage_site):
    response = _send(client, _report(triage_site))
    path = _tracking_path(response)
    page = client.get(path)
    assert page.status_code == 200
    assert "Received: waiting for review" in page.text
    assert "Kitchen tap drips all night" in page.text
    assert "your report is in" in page.text  # the flash after the redirect
    wr = _only_request(db)
    assert path == f"/track/{wr.tracking_token}"
    assert wr.status is WorkRequestStatus.new and wr.work_order_id is None
    assert wr.urgency is Priority.high and wr.site_id == triage_site.id
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_form_offers_every_site_with_its_places_grouped(client, database, triage_site):
    hall = Location(site=triage_site, code="HALL", name="Production Hall", kind="building")
    database.session.add(
        Location(site=triage_site, parent=hall, code="MIX", name="Mixing Room", kind="area")
    )
    database.session.commit()
    page = client.get("/request")
    assert page.status_code == 200
    assert '<optgroup label="Riverside Plant">' in page.text
    assert "Production Hall › Mixing Room" in page.text
    assert f'value="s{triage_site.id}"' in page.text  # "somewhere else at" the site


def test_a_chosen_place_is_kept_on_the_request(client, database, triage_site):
    room = Location(site=triage_site, code="BOIL", name="Boiler Room", kind="area")
    database.session.add(room)
    database.session.commit()
    _tracking_path(_send(client, _report(where=f"l{room.id}")))
    wr = _only_request(database)
    assert (wr.site_id, wr.location_id) == (triage_site.id, room.id)
    assert "Boiler Room" in client.get(f"/track/{wr.tracking_token}").text


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"contact_email": "", "contact_phone": ""}, "Leave an e-mail address or a phone number"),
        ({"description": "leak"}, "Between 10 and 4000 characters"),
        ({"description": "x" * 4001}, "Between 10 and 4000 characters"),
        ({"requester_name": "n" * 121}, "Field cannot be longer than 120 characters"),
        ({"contact_email": "not an address"}, "does not look like an e-mail address"),
        ({"where": ""}, "Choose the site"),
    ],
)
def test_incomplete_or_overlong_forms_are_refused_in_words(
    client, database, triage_site, overrides, message
):
    response = _send(client, _report(triage_site, **overrides))
    assert response.status_code == 422
    assert message in response.text
    assert _count(database, WorkRequest) == 0


def test_a_post_without_the_hidden_submission_id_is_refused_in_words(client, database, triage_site):
    data = _report(triage_site)
    del data["submission_id"]
    response = _send(client, data)
    assert response.status_code == 422 and "Press Send report again" in response.text
    assert re.search(r'name="submission_id" type="hidden" value="[0-9a-f]{32}"', response.text)
    assert _count(database, WorkRequest) == 0


def test_filled_honeypot_writes_nothing_and_asks_to_send_again(client, database, triage_site):
    # Our call: a clear refusal, not a fake "thanks". Autofill can fill the hidden field for a
    # real person; they must know it was not sent. The field comes back empty, so a second
    # press of the button goes through for a human, while a bot filling it again is refused.
    response = _send(client, _report(triage_site, website="http://cheap-pills.example"))
    assert response.status_code == 422
    assert "was not sent" in response.text and "anti-spam" in response.text
    assert "cheap-pills" not in response.text
    assert _count(database, WorkRequest) == 0 and _count(database, AuditEvent) == 0


def test_too_many_reports_from_one_client_get_429_and_nothing_more_is_written(
    client, database, triage_site
):
    for _ in range(5):
        _tracking_path(_send(client, _report(triage_site)))
    response = _send(client, _report(triage_site, description="The sixth report in a minute"))
    assert response.status_code == 429
    assert "several reports in a short time" in response.text
    assert "The sixth report in a minute" in response.text  # what they typed is not lost
    assert _count(database, WorkRequest) == 5
    assert client.get("/request").status_code == 200  # reading the form is not limited


def test_photo_is_stored_as_an_attachment_of_the_request(
    client, database, triage_site, login_as, supervisor
):
    data = _report(triage_site, photo=(BytesIO(PNG), "leak.png"))
    _tracking_path(_send(client, data, content_type="multipart/form-data"))
    wr = _only_request(database)
    photo = database.session.scalars(select(Attachment)).one()
    assert photo.work_request_id == wr.id and photo.content_type == "image/png"
    assert photo.size_bytes == len(photo.data) and photo.uploaded_by_id is None
    image = login_as(supervisor).get(f"/work-requests/{wr.id}/photos/{photo.id}")
    assert image.status_code == 200 and image.data == photo.data and image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"


def test_oversize_photo_is_refused_in_words_and_nothing_is_written(client, database, triage_site):
    big = b"\xff\xd8\xff" + b"\x00" * MAX_PHOTO_BYTES
    data = _report(triage_site, photo=(BytesIO(big), "huge.jpg"))
    response = _send(client, data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "huge.jpg is 8.0 MB; photos can be at most 8 MB." in response.text
    assert _count(database, WorkRequest) == 0 and _count(database, Attachment) == 0


def test_a_jpg_that_is_really_text_is_refused_and_nothing_is_written(client, database, triage_site):
    data = _report(triage_site, photo=(BytesIO(b"<?php echo 'hi'; ?>"), "cat.jpg"))
    response = _send(client, data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "cat.jpg is not a photo (JPEG, PNG, WebP or HEIC)." in response.text
    assert _count(database, WorkRequest) == 0 and _count(database, Attachment) == 0


def test_a_body_over_the_upload_limit_gets_the_form_back_with_a_clear_413(tmp_path):
    with isolated_app(tmp_path, MAX_CONTENT_LENGTH=64 * 1024) as app, app.app_context():
        site = make_site(db)
        data = _report(site, photo=(BytesIO(b"\xff\xd8\xff" + b"\x00" * 100_000), "big.jpg"))
        response = app.test_client().post("/request", data=data, content_type="multipart/form-data")
        assert response.status_code == 413
        assert "The photo is too large to send" in response.text
        assert 'name="description"' in response.text  # the form, not a dead end
        assert db.session.scalar(select(func.count()).select_from(WorkRequest)) == 0


# ---------------------------------------------------------------- QR labels


def test_qr_token_locks_the_asset_and_shows_only_its_name_and_place(client, database, block):
    asset = make_asset(
        database, site=block, name="Flat 4B kitchen", tag="EC-4B", serial_number="SN-SECRET-9"
    )
    page = client.get(f"/request?a={asset.qr_token}")
    assert page.status_code == 200
    assert "Flat 4B kitchen" in page.text and asset.location.path in page.text
    assert 'name="where"' not in page.text  # locked: nothing to choose
    assert "EC-4B" not in page.text and "SN-SECRET-9" not in page.text
    assert f'action="/request?a={asset.qr_token}"' in page.text


def test_a_report_from_a_qr_label_is_tied_to_the_asset_and_its_place(client, database, triage_site):
    asset = make_asset(database, site=triage_site, name="Dock leveller")
    data = _report(where="")  # no place chosen: the label says where
    _tracking_path(_send(client, data, token=asset.qr_token))
    wr = _only_request(database)
    assert (wr.asset_id, wr.location_id, wr.site_id) == (
        asset.id,
        asset.location_id,
        triage_site.id,
    )


def test_unknown_qr_token_shows_a_clear_message_and_the_generic_form(client, database, triage_site):
    page = client.get("/request?a=forged-token-123")
    assert page.status_code == 200
    assert "That QR code is not one of ours" in page.text
    assert 'name="where"' in page.text  # the generic form still works...
    assert 'action="/request"' in page.text  # ...and posts without the bad token
    assert _count(database, WorkRequest) == 0


def test_posting_with_a_forged_qr_token_writes_nothing(client, database, triage_site):
    response = _send(client, _report(triage_site), token="forged-token-123")
    assert response.status_code == 422
    assert "That QR code is not one of ours" in response.text
    assert _count(database, WorkRequest) == 0 and _count(database, AuditEvent) == 0


def test_a_retired_assets_label_is_treated_as_unknown(client, database, triage_site):
    asset = make_asset(database, site=triage_site, active=False)
    assert "That QR code is not one of ours" in client.get(f"/request?a={asset.qr_token}").text


# ---------------------------------------------------------------- idempotency and tracking


def test_the_same_submission_twice_makes_one_request(client, database, triage_site):
    data = _report(triage_site)
    first = _tracking_path(_send(client, data))
    second = _tracking_path(_send(client, dict(data)))
    assert first == second
    assert _count(database, WorkRequest) == 1
    received = database.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "work_request.received")
    ).all()
    assert len(received) == 1


def test_unknown_tracking_token_gets_a_friendly_404(client, database):
    page = client.get("/track/" + "x" * 32)
    assert page.status_code == 404
    assert "We cannot find that report" in page.text and "Report a problem" in page.text
    assert _count(database, WorkRequest) == 0


def test_tracking_tokens_are_long_random_and_distinct(client, database, triage_site):
    for _ in range(3):
        _send(client, _report(triage_site))
    tokens = database.session.scalars(select(WorkRequest.tracking_token)).all()
    assert len(set(tokens)) == 3 and all(len(t) == 32 for t in tokens)


# ---------------------------------------------------------------- first come


def test_first_come_site_turns_a_request_into_an_approved_work_order_at_once(
    client, database, block
):
    asset = make_asset(database, site=block, name="Flat 2B bathroom")
    path = _tracking_path(_send(client, _report(urgency="normal"), token=asset.qr_token))
    wr = _only_request(database)
    wo = database.session.get(WorkOrder, wr.work_order_id)
    assert wr.status is WorkRequestStatus.accepted
    assert wo.status is WorkOrderStatus.approved and re.fullmatch(r"WO-\d{6}", wo.number)
    assert wo.asset_id == asset.id and wo.requester_name == "Ana Costa"
    assert wo.title == "Kitchen tap drips all night" and wo.priority is Priority.normal
    page = client.get(path).text
    assert wo.number in page and "Scheduled" in page


def test_first_come_requests_become_work_orders_in_arrival_order(client, database, block):
    for text in ("First report of the day", "Second report of the day"):
        _send(client, _report(block, description=text))
    numbers = database.session.execute(
        select(WorkOrder.number, WorkOrder.title).order_by(WorkOrder.number)
    ).all()
    assert [title for _n, title in numbers] == [
        "First report of the day",
        "Second report of the day",
    ]


# ---------------------------------------------------------------- triage


def _new_request(client, database, site, **overrides) -> WorkRequest:
    _tracking_path(_send(client, _report(site, **overrides)))
    return database.session.scalars(select(WorkRequest).order_by(WorkRequest.id.desc())).first()


def test_supervisor_accepts_a_request_and_the_tenant_sees_it_scheduled(
    client, database, login_as, triage_site, supervisor
):
    wr = _new_request(client, database, triage_site, urgency="emergency")
    track = f"/track/{wr.tracking_token}"
    assert "waiting for review" in client.get(track).text
    staff = login_as(supervisor)
    queue = staff.get("/work-requests/")
    assert queue.status_code == 200 and "Kitchen tap drips all night" in queue.text
    response = staff.post(
        f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex}
    )
    assert response.status_code == 303
    database.session.refresh(wr)
    wo = database.session.get(WorkOrder, wr.work_order_id)
    assert wr.status is WorkRequestStatus.accepted and wr.decided_at is not None
    assert wo.title == "Kitchen tap drips all night"  # the description's first line
    assert wo.priority is Priority.emergency and wo.requester_name == "Ana Costa"
    assert wo.status is WorkOrderStatus.approved and wo.site_id == triage_site.id
    assert "ana@example.org" in wo.description and "Flat 4B" in wo.description
    first_change = database.session.scalars(
        select(WorkOrderStatusChange).where(WorkOrderStatusChange.work_order_id == wo.id)
    ).first()
    assert first_change.reason == f"Accepted from request #{wr.id}"
    page = client.get(track).text
    assert f"Accepted as work order {wo.number}" in page and "Scheduled" in page


def test_accepting_twice_makes_one_work_order(client, database, login_as, triage_site, supervisor):
    wr = _new_request(client, database, triage_site)
    staff = login_as(supervisor)
    form = {"submission_id": uuid.uuid4().hex}
    assert staff.post(f"/work-requests/{wr.id}/accept", data=form).status_code == 303
    again = staff.post(f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex})
    assert again.status_code == 303  # a double tap lands on the same outcome
    assert _count(database, WorkOrder) == 1


def test_rejection_reason_is_shown_on_the_tracking_page(
    client, database, login_as, triage_site, supervisor
):
    wr = _new_request(client, database, triage_site)
    reason = "That streetlight belongs to the city; we reported it for you (ref 4471)."
    staff = login_as(supervisor)
    response = staff.post(
        f"/work-requests/{wr.id}/reject", data={"reason": reason, "submission_id": uuid.uuid4().hex}
    )
    assert response.status_code == 303
    page = client.get(f"/track/{wr.tracking_token}").text
    assert "Not accepted" in page and "reported it for you (ref 4471)" in page
    assert _count(database, WorkOrder) == 0


def test_rejecting_without_a_reason_is_refused_in_words(
    client, database, login_as, triage_site, supervisor
):
    wr = _new_request(client, database, triage_site)
    response = login_as(supervisor).post(
        f"/work-requests/{wr.id}/reject", data={"reason": "  ", "submission_id": uuid.uuid4().hex}
    )
    assert response.status_code == 422 and "Write the reason the person will see." in response.text
    database.session.refresh(wr)
    assert wr.status is WorkRequestStatus.new


def test_a_merged_request_follows_the_earlier_ones_progress(
    client, database, login_as, triage_site, supervisor
):
    earlier = _new_request(client, database, triage_site, description="Rapid roll door stuck")
    later = _new_request(client, database, triage_site, description="Cold store door half open")
    staff = login_as(supervisor)
    detail = staff.get(f"/work-requests/{later.id}")
    assert f'value="{earlier.id}"' in detail.text  # offered as the earlier duplicate
    response = staff.post(
        f"/work-requests/{later.id}/merge",
        data={"into": earlier.id, "submission_id": uuid.uuid4().hex},
    )
    assert response.status_code == 303
    track = f"/track/{later.tracking_token}"
    assert "Merged with an earlier report" in client.get(track).text
    staff.post(f"/work-requests/{earlier.id}/accept", data={"submission_id": uuid.uuid4().hex})
    database.session.refresh(earlier)
    number = database.session.get(WorkOrder, earlier.work_order_id).number
    page = client.get(track).text
    assert "Merged with an earlier report" in page and number in page and "Scheduled" in page
    assert "Rapid roll door stuck" not in page  # the other person's words stay theirs


def test_merge_refuses_a_later_request_or_another_site(
    client, database, login_as, triage_site, supervisor
):
    other_site = make_site(database)
    first = _new_request(client, database, triage_site)
    elsewhere = _new_request(client, database, other_site)
    later = _new_request(client, database, triage_site)
    staff = login_as(supervisor)
    backwards = staff.post(
        f"/work-requests/{first.id}/merge",
        data={"into": later.id, "submission_id": uuid.uuid4().hex},
    )
    assert backwards.status_code == 422 and "into the earlier report" in backwards.text
    across = staff.post(
        f"/work-requests/{later.id}/merge",
        data={"into": elsewhere.id, "submission_id": uuid.uuid4().hex},
    )
    assert across.status_code == 422 and "same site" in across.text
    statuses = database.session.scalars(select(WorkRequest.status)).all()
    assert set(statuses) == {WorkRequestStatus.new}


def test_a_decided_request_cannot_be_decided_again(
    client, database, login_as, triage_site, supervisor
):
    wr = _new_request(client, database, triage_site)
    staff = login_as(supervisor)
    staff.post(
        f"/work-requests/{wr.id}/reject",
        data={"reason": "Not ours.", "submission_id": uuid.uuid4().hex},
    )
    response = staff.post(
        f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex}
    )
    assert response.status_code == 422 and "already rejected" in response.text
    assert _count(database, WorkOrder) == 0


def test_every_state_change_is_audited_with_who_and_why(
    client, database, login_as, triage_site, supervisor
):
    a = _new_request(client, database, triage_site)
    b = _new_request(client, database, triage_site)
    c = _new_request(client, database, triage_site)
    staff = login_as(supervisor)
    staff.post(
        f"/work-requests/{a.id}/accept",
        data={"note": "Send Tomás", "submission_id": uuid.uuid4().hex},
    )
    staff.post(
        f"/work-requests/{b.id}/reject",
        data={"reason": "Not ours.", "submission_id": uuid.uuid4().hex},
    )
    staff.post(
        f"/work-requests/{c.id}/merge", data={"into": a.id, "submission_id": uuid.uuid4().hex}
    )
    events = database.session.scalars(
        select(AuditEvent).where(AuditEvent.subject_type == "WorkRequest").order_by(AuditEvent.id)
    ).all()
    trail = [(e.action, e.actor_label, e.subject_id) for e in events]
    assert trail == [
        ("work_request.received", "public", a.id),
        ("work_request.received", "public", b.id),
        ("work_request.received", "public", c.id),
        ("work_request.accepted", "sam", a.id),
        ("work_request.rejected", "sam", b.id),
        ("work_request.merged", "sam", c.id),
    ]
    assert all(e.actor_id is None for e in events[:3])
    assert events[3].why == f"Accepted from request #{a.id}: Send Tomás"
    assert events[4].why == "Not ours."
    assert events[5].changes["merged_into"] == [None, f"Request #{a.id}"]


def test_technician_cannot_reach_the_triage_queue(client, database, login_as, triage_site):
    wr = _new_request(client, database, triage_site)
    tech = login_as(make_user(database, roles=["technician"]))
    assert tech.get("/work-requests/").status_code == 403
    assert tech.get(f"/work-requests/{wr.id}").status_code == 403
    response = tech.post(f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex})
    assert response.status_code == 403
    assert _count(database, WorkOrder) == 0


def test_signed_out_people_are_sent_to_sign_in_for_the_queue(client, database):
    response = client.get("/work-requests/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_queue_filters_by_site_and_status_and_htmx_gets_only_the_rows(
    client, database, login_as, triage_site, supervisor
):
    other = make_site(database, name="Other Site")
    _new_request(client, database, triage_site, description="Leak at the riverside plant")
    _new_request(client, database, other, description="Broken gate at the other site")
    staff = login_as(supervisor)
    rows = staff.get(f"/work-requests/?site={other.id}&status=new", headers={"HX-Request": "true"})
    assert "Broken gate" in rows.text and "Leak at the riverside" not in rows.text
    assert "<html" not in rows.text
    assert "No requests here" in staff.get("/work-requests/?status=accepted").text


def test_the_queue_puts_emergencies_first_then_the_oldest(
    client, database, login_as, triage_site, supervisor
):
    _new_request(
        client, database, triage_site, description="Oldest normal report", urgency="normal"
    )
    _new_request(
        client, database, triage_site, description="Water pouring from ceiling", urgency="emergency"
    )
    _new_request(client, database, triage_site, description="Newer normal report", urgency="normal")
    text = login_as(supervisor).get("/work-requests/").text
    assert text.index("Water pouring") < text.index("Oldest normal") < text.index("Newer normal")


# ---------------------------------------------------------------- what the tenant sees of the work


def test_tracking_shows_work_progress_in_public_words_and_nothing_internal(
    client, database, login_as, triage_site, supervisor
):
    tech = make_user(database, full_name="Tomás Rivera")
    wr = _new_request(client, database, triage_site)
    login_as(supervisor).post(
        f"/work-requests/{wr.id}/accept",
        data={"note": "internal: tenant is difficult", "submission_id": uuid.uuid4().hex},
    )
    database.session.refresh(wr)
    wo = database.session.get(WorkOrder, wr.work_order_id)
    wo.assignee_user_id = tech.id
    database.session.commit()
    for status, reason in (
        (WorkOrderStatus.assigned, "Give it to Tomás"),
        (WorkOrderStatus.in_progress, None),
        (WorkOrderStatus.waiting_parts, "Cartridge costs 14.00 at AquaServ"),
    ):
        work_orders.change_status(wo.id, status, actor=supervisor, reason=reason)
    page = client.get(f"/track/{wr.tracking_token}").text
    assert 'class="track-status tone-in_progress">In progress<' in page
    for secret in (
        "Tomás",
        "Sam Okafor",
        "difficult",
        "14.00",
        "AquaServ",
        "Waiting for parts",
        "ana@example.org",
    ):
        assert secret not in page
    work_orders.change_status(wo.id, WorkOrderStatus.in_progress, actor=supervisor)
    work_orders.change_status(wo.id, WorkOrderStatus.completed, actor=supervisor)
    page = client.get(f"/track/{wr.tracking_token}").text
    assert 'tone-done">Done<' in page


def test_a_cancelled_work_order_reads_cancelled_without_the_internal_reason(
    client, database, login_as, triage_site, supervisor
):
    wr = _new_request(client, database, triage_site)
    login_as(supervisor).post(
        f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex}
    )
    database.session.refresh(wr)
    work_orders.change_status(
        wr.work_order_id, WorkOrderStatus.cancelled, actor=supervisor, reason="Budget frozen"
    )
    page = client.get(f"/track/{wr.tracking_token}").text
    assert 'tone-cancelled">Cancelled<' in page and "Budget frozen" not in page


def test_a_signed_out_scan_of_a_qr_label_lands_on_the_locked_form(client, database, block):
    asset = make_asset(database, site=block, name="Flat 4B kitchen")
    response = client.get(f"/a/{asset.qr_token}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/request?a={asset.qr_token}"
    page = client.get(response.headers["Location"])
    assert "Flat 4B kitchen" in page.text and 'name="where"' not in page.text


def test_the_queue_asks_the_database_the_same_number_of_times_for_2_or_12_requests(
    client, database, login_as, triage_site, supervisor
):
    from sqlalchemy import event

    def statements_for_queue() -> int:
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        event.listen(database.engine, "before_cursor_execute", counter)
        try:
            assert staff.get("/work-requests/?status=all").status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", counter)
        return count

    def add_reports(n: int) -> None:
        for i in range(n):
            draft = work_requests.PublicRequest(
                requester_name="Ana Costa",
                contact_phone="+1 555 0100",
                description=f"Report {i}: door sticks",
                asset_token=asset.qr_token if i % 2 else None,
                location_id=None if i % 2 else room.id,
            )
            work_requests.submit_request(draft, submission_id=uuid.uuid4().hex)

    staff = login_as(supervisor)
    asset = make_asset(database, site=triage_site)
    room = Location(site=triage_site, code="ROOM", name="Store room", kind="area")
    database.session.add(room)
    database.session.commit()
    add_reports(2)
    few = statements_for_queue()
    add_reports(10)
    many = statements_for_queue()
    assert few == many

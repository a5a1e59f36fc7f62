"""QR addresses, the scan page, asset pages, label sheets and rotating a lost label."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.domain.statuses import Criticality
from portal.models import AuditEvent
from tests.factories import make_asset, make_user, make_work_order


def test_signed_in_scan_of_a_qr_address_opens_the_asset(login_as, database):
    asset = make_asset(database, tag="P-104", name="Syrup dosing pump")
    client = login_as(make_user(database))
    response = client.get(f"/a/{asset.qr_token}")
    assert response.status_code == 303 and response.headers["Location"] == f"/assets/{asset.id}"


def test_signed_out_scan_goes_to_the_public_request_form(client, database):
    asset = make_asset(database)
    response = client.get(f"/a/{asset.qr_token}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/request?a={asset.qr_token}"


def test_unknown_or_forged_qr_tokens_reveal_nothing(client, login_as, database):
    make_asset(database)
    assert client.get("/a/not-a-real-token").status_code == 404
    staff = login_as(make_user(database))
    response = staff.get("/a/not-a-real-token")
    assert response.status_code == 303 and response.headers["Location"] == "/scan"
    assert "not known" in staff.get("/scan").text


def test_typing_the_short_code_in_any_case_opens_the_asset(login_as, database):
    asset = make_asset(database, short_code="K7PM3Q", tag="AC-901")
    client = login_as(make_user(database))
    for typed in ("k7pm3q", "K7-PM3Q", " K7PM3Q ", "ac-901"):
        response = client.get("/scan", query_string={"code": typed})
        assert response.headers["Location"] == f"/assets/{asset.id}", typed
    missing = client.get("/scan", query_string={"code": "ZZZZZZ"})
    assert missing.status_code == 422 and "No asset has the code" in missing.text


def test_asset_page_shows_open_work_history_and_a_new_work_order_button(login_as, database):
    asset = make_asset(database, tag="B-801", name="Steam boiler", criticality=Criticality.critical)
    make_work_order(database, asset=asset, title="Burner flame failure")
    make_work_order(database, asset=asset, title="Annual inspection", status="closed")
    page = login_as(make_user(database)).get(f"/assets/{asset.id}")
    assert "Steam boiler" in page.text and "Critical asset" in page.text
    open_part, history_part = page.text.split(">History<", 1)
    assert "Burner flame failure" in open_part and "Annual inspection" in history_part
    assert f"/work-orders/new?asset={asset.id}" in page.text


def test_label_sheet_has_a_qr_svg_tag_location_and_code_per_asset(login_as, database):
    first = make_asset(database, tag="P-101", short_code="AAAA22")
    second = make_asset(database, tag="P-102", short_code="BBBB33")
    client = login_as(make_user(database))
    sheet = client.get(f"/assets/labels?ids={first.id}&ids={second.id}&paper=letter")
    assert sheet.status_code == 200
    assert sheet.text.count("<svg") == 2 and "P-101" in sheet.text and "BBBB33" in sheet.text
    assert "/static/css/labels-letter.css" in sheet.text  # its @page size: letter
    assert first.qr_token not in sheet.text  # the token is only inside the QR picture
    assert "/static/css/labels-a4.css" in client.get(f"/assets/labels?ids={first.id}").text


def test_rotating_a_lost_label_kills_the_old_qr_and_is_audited(login_as, database):
    asset = make_asset(database)
    old = asset.qr_token
    supervisor = make_user(database, roles=["supervisor"])
    client = login_as(supervisor)
    response = client.post(f"/assets/{asset.id}/rotate-qr", data={"reason": "Label torn off"})
    assert response.status_code == 303
    database.session.refresh(asset)
    assert asset.qr_token != old and len(asset.qr_token) >= 32
    assert client.get(f"/a/{old}").headers["Location"] == "/scan"
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "asset.qr_rotated")
    )
    assert event.why == "Label torn off" and old not in str(event.changes)


def test_technicians_cannot_rotate_labels(login_as, database):
    asset = make_asset(database)
    response = login_as(make_user(database)).post(f"/assets/{asset.id}/rotate-qr")
    assert response.status_code == 403


def test_asset_list_filters_as_you_type(login_as, database):
    make_asset(database, tag="P-101", name="Transfer pump")
    make_asset(database, tag="B-801", name="Steam boiler")
    client = login_as(make_user(database))
    rows = client.get("/assets/?q=pump", headers={"HX-Request": "true"}).text
    assert "Transfer pump" in rows and "Steam boiler" not in rows and "<html" not in rows
    assert re.search(r'name="ids" value="\d+"', rows)

"""A tenant on a phone reports a problem from a QR label; a supervisor triages it."""

from __future__ import annotations

import re
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.config import HTMX_CDN_URL
from portal.extensions import db
from portal.models import Asset, Attachment, WorkRequest
from tests.browser.conftest import HTMX_FILE, PHONE, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def _qr_token(live_server, tag: str) -> str:
    """The QR token of a demo asset, read from the live server's database."""
    with live_server.app.app_context():
        token = db.session.scalar(select(Asset.qr_token).where(Asset.tag == tag))
    assert token, f"demo asset {tag} is missing"
    return token


def _png(width: int = 24, height: int = 16) -> bytes:
    """A small real PNG (a plain orange picture), as a phone camera would send a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xe0\x80\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _phone_context(browser, live_server, *, javascript: bool = True):
    """Another phone (a second person), routed like the `page` fixture: no network but htmx."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        base_url=live_server,
        java_script_enabled=javascript,
    )
    body = HTMX_FILE.read_bytes()
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server) else route.abort()
        ),
    )
    context.route(
        HTMX_CDN_URL,
        lambda route: route.fulfill(
            status=200,
            body=body,
            content_type="application/javascript",
            headers={"Access-Control-Allow-Origin": "*"},
        ),
    )
    return context


def _staff_screenshot(page, name: str) -> None:
    """A full-page picture with the fixed bottom bar below the content, not across it."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": height})
    screenshot(page, name)
    page.set_viewport_size(PHONE)


def _fill_report(page, description: str, photo=None) -> None:
    page.fill("#description", description)
    page.select_option("#urgency", "high")
    if photo is not None:
        page.set_input_files("#photo", photo)
    page.fill("#requester_name", "Ana Costa")
    page.fill("#contact_phone", "+1 555 0100")


def test_the_generic_form_groups_places_by_site_and_passes_the_accessibility_check(page):
    page.goto("/request")
    groups = page.locator("#where optgroup")
    assert [groups.nth(i).get_attribute("label") for i in range(groups.count())] == [
        "Elm Court Apartments",
        "Riverside Bottling Plant",
    ]
    expect(page.locator("#where")).to_contain_text("Elm Court › Floor 4 › Flat 4B")
    assert page.locator(".hp-field input").get_attribute("tabindex") == "-1"
    screenshot(page, "public-form-generic")
    assert axe_violations(page) == []


def test_a_tenant_reports_from_the_qr_label_and_follows_the_work(page, live_server, tmp_path):
    photo = tmp_path / "dripping-tap.png"
    photo.write_bytes(_png())
    page.goto(f"/request?a={_qr_token(live_server, 'EC-4B')}")
    locked = page.locator(".locked-place")
    expect(locked).to_contain_text("Flat 4B kitchen")
    expect(locked).to_contain_text("Elm Court Apartments › Elm Court › Floor 4 › Flat 4B")
    assert page.locator("#where").count() == 0  # locked: nothing to choose
    assert "EC-4B" not in page.content()
    _fill_report(page, "Kitchen tap drips all night\nStarted on Monday.", photo)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    screenshot(page, "public-form")
    assert axe_violations(page) == []

    page.click("button:has-text('Send report')")
    page.wait_for_url(re.compile(r"/track/[A-Za-z0-9_-]{32}$"))
    # Elm Court is a first-come site: the report is a work order at once.
    expect(page.locator("#track-status")).to_have_text("Scheduled")
    expect(page.locator(".track-wo")).to_contain_text(re.compile(r"WO-\d{6}"))
    expect(page.locator(".flash-success")).to_contain_text("your report is in")
    token = page.url.rsplit("/", 1)[1]
    with live_server.app.app_context():  # the photo went up through htmx's multipart post
        photos = db.session.execute(
            select(Attachment.filename, Attachment.content_type)
            .join(WorkRequest, WorkRequest.id == Attachment.work_request_id)
            .where(WorkRequest.tracking_token == token)
        ).all()
    assert [tuple(p) for p in photos] == [("dripping-tap.png", "image/png")]
    screenshot(page, "tracking")
    assert axe_violations(page) == []
    assert page.js_errors == []


def test_a_supervisor_accepts_a_visitors_report_and_the_visitor_sees_it_scheduled(
    page, browser, live_server
):
    words = f"Dock leveller lip stuck up {uuid.uuid4().hex[:6]}"
    page.goto(f"/request?a={_qr_token(live_server, 'DR-121')}")  # the plant triages its requests
    _fill_report(page, words)
    page.click("button:has-text('Send report')")
    page.wait_for_url(re.compile(r"/track/"))
    expect(page.locator("#track-status")).to_have_text("Received: waiting for review")
    assert page.locator(".track-wo").count() == 0

    staff_context = _phone_context(browser, live_server)
    try:
        staff = staff_context.new_page()
        sign_in(staff, "supervisor")
        staff.goto("/work-requests/")
        row = staff.locator(".wo-row", has_text=words)
        expect(row).to_be_visible()
        _staff_screenshot(staff, "triage-queue")
        assert axe_violations(staff) == []
        row.click()
        staff.wait_for_url(re.compile(r"/work-requests/\d+$"))
        _staff_screenshot(staff, "triage-request")
        assert axe_violations(staff) == []
        staff.click("button:has-text('Accept into a work order')")
        staff.wait_for_url(re.compile(r"/work-requests/$"))
        flash = staff.locator(".flash-success")
        expect(flash).to_contain_text(re.compile(r"accepted as WO-\d{6}"))
        number = re.search(r"WO-\d{6}", flash.inner_text()).group(0)
    finally:
        staff_context.close()

    page.reload()
    expect(page.locator("#track-status")).to_have_text("Scheduled")
    expect(page.locator(".track-wo")).to_contain_text(number)
    assert "Sam Okafor" not in page.content()  # the supervisor stays anonymous to the visitor
    assert page.js_errors == []


def test_the_form_works_with_javascript_off(browser, live_server):
    context = _phone_context(browser, live_server, javascript=False)
    try:
        page = context.new_page()
        page.goto("/request")
        page.select_option("#where", label="Somewhere else at Riverside Bottling Plant")
        _fill_report(page, "Car park barrier arm is bent")
        page.click("button:has-text('Send report')")
        page.wait_for_url(re.compile(r"/track/"))
        expect(page.locator("#track-status")).to_have_text("Received: waiting for review")
    finally:
        context.close()

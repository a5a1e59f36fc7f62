"""Links that leave the portal are built on PUBLIC_BASE_URL, never on the request's Host header;
production refuses to start without it, and TRUSTED_HOSTS turns away requests for other hosts."""

from __future__ import annotations

import io
import uuid

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.config import from_environment
from portal.domain.statuses import RequestIntake
from portal.models import OutboxMail, WorkRequest
from tests.conftest import isolated_app, sign_in
from tests.factories import make_asset, make_purchase_order, make_site, make_user

EVIL = "evil.example"


def signed_in_at(client, user, host: str):
    """The client signed in as `user` on `host` (the session cookie belongs to that host)."""
    sign_in(client, user.id, base_url=f"http://{host}")
    return client


def _report(site) -> dict:
    return {
        "submission_id": uuid.uuid4().hex,
        "requester_name": "Ana Costa",
        "contact_email": "ana@example.org",
        "description": "Kitchen tap drips all night",
        "urgency": "normal",
        "where": f"s{site.id}",
    }


# ---------------------------------------------------------------- Host header ignored in mail


def test_host_header_is_ignored_in_the_tenants_tracking_link(app, client, database, monkeypatch):
    """The reproduction: with MAIL_BASE_URL unset, the link followed the request's Host."""
    monkeypatch.setitem(app.config, "MAIL_BASE_URL", None)
    site = make_site(database, request_intake=RequestIntake.triage)
    answer = client.post("/request", data=_report(site), headers={"Host": EVIL})
    assert answer.status_code == 303
    wr = database.session.scalars(select(WorkRequest)).one()
    mail = database.session.scalars(select(OutboxMail)).one()
    assert EVIL not in mail.body
    assert f"http://127.0.0.1:8000/track/{wr.tracking_token}" in mail.body  # the configured base


def test_the_tracking_link_uses_public_base_url_with_its_path(app, client, database, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example.org/fp/")
    site = make_site(database, request_intake=RequestIntake.triage)
    client.post("/request", data=_report(site), headers={"Host": EVIL})
    wr = database.session.scalars(select(WorkRequest)).one()
    mail = database.session.scalars(select(OutboxMail)).one()
    assert f"https://portal.example.org/fp/track/{wr.tracking_token}" in mail.body
    assert EVIL not in mail.body


# ---------------------------------------------------------------- Host header ignored in labels


def test_host_header_is_ignored_in_qr_labels(app, client, database, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example.org")
    asset = make_asset(database)
    encoded: list[str] = []
    import segno

    real_make = segno.make

    def spy(content, **kwargs):
        encoded.append(content)
        return real_make(content, **kwargs)

    monkeypatch.setattr(segno, "make", spy)
    staff = signed_in_at(client, make_user(database, roles=["supervisor"]), EVIL)
    sheet = staff.get(f"/assets/labels?ids={asset.id}", base_url=f"http://{EVIL}")
    assert sheet.status_code == 200
    assert encoded == [f"https://portal.example.org/a/{asset.qr_token}"]


def test_po_pdf_names_no_host_from_the_request(client, database):
    po = make_purchase_order(database)
    buyer = signed_in_at(client, make_user(database, roles=["buyer"]), EVIL)
    pdf = buyer.get(f"/purchase-orders/{po.id}.pdf", base_url=f"http://{EVIL}")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert po.number in text and EVIL not in text and EVIL.encode() not in pdf.data


# ---------------------------------------------------------------- configuration


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("MAIL_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL is not set"):
        from_environment(tmp_path)


def test_production_trusts_the_base_urls_host_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portal.example.org/")
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    settings = from_environment(tmp_path)
    assert settings["PUBLIC_BASE_URL"] == "https://portal.example.org"
    assert settings["TRUSTED_HOSTS"] == ["portal.example.org"]
    monkeypatch.setenv("TRUSTED_HOSTS", "portal.example.org, .internal.example")
    assert from_environment(tmp_path)["TRUSTED_HOSTS"] == [
        "portal.example.org",
        ".internal.example",
    ]


def test_mail_base_url_is_still_read_as_the_older_name(monkeypatch, tmp_path):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("MAIL_BASE_URL", "https://old.example.org")
    assert from_environment(tmp_path)["PUBLIC_BASE_URL"] == "https://old.example.org"


def test_a_base_url_that_is_not_an_absolute_address_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("PUBLIC_BASE_URL", "portal.example.org")
    with pytest.raises(RuntimeError, match="must be an absolute http"):
        from_environment(tmp_path)


def test_requests_for_an_untrusted_host_get_400(tmp_path):
    with isolated_app(tmp_path, TRUSTED_HOSTS=["portal.example.org"]) as app:
        client = app.test_client()
        assert client.get("/healthz", headers={"Host": "portal.example.org"}).status_code == 200
        assert client.get("/healthz", headers={"Host": EVIL}).status_code == 400
        refused = client.get("/request", headers={"Host": EVIL})
        assert refused.status_code == 400 and "does not answer for that host" in refused.text

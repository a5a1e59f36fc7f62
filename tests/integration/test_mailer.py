"""Tenant e-mail through a real (local) SMTP server: written to the outbox with the change,
delivered by the worker (`flask portal worker --once` here), failures retried, never lost."""

from __future__ import annotations

import logging
import socket
import uuid
from email import message_from_bytes
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.domain.events import WorkOrderMoved
from portal.domain.statuses import RequestIntake
from portal.domain.work_orders import WorkOrderStatus
from portal.models import OutboxMail, Site, WorkOrder, WorkRequest
from portal.services import work_orders
from portal.services._uow import unit_of_work
from portal.services.mailer import Mail, MailNotSent, MailSettings, deliver, queue_mail
from portal.services.messagebus import publish
from tests.factories import make_site, make_user


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(SimpleNamespace(rcpt=envelope.rcpt_tos, message=message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A local SMTP server on a free port; yields its inbox."""
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def mail_on(app, smtp_server, monkeypatch):
    """The test app sends mail to the local server."""
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "MAIL_SENDER", "Elm Court maintenance <care@elm.example>")
    return smtp_server


def run_worker(app) -> str:
    """Run the mail worker once, as `flask portal worker --once`; its summary line."""
    result = app.test_cli_runner().invoke(args=["portal", "worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def _report(site, **overrides) -> dict:
    data = {
        "submission_id": uuid.uuid4().hex,
        "requester_name": "Ana Costa",
        "contact_email": "ana@example.org",
        "description": "Kitchen tap drips all night",
        "urgency": "normal",
        "where": f"s{site.id}",
    }
    data.update(overrides)
    return data


def _send(client, site, **overrides) -> WorkRequest:
    response = client.post("/request", data=_report(site, **overrides))
    assert response.status_code == 303, response.text
    token = response.headers["Location"].rsplit("/", 1)[1]
    from portal.extensions import db

    return db.session.scalar(select(WorkRequest).where(WorkRequest.tracking_token == token))


def _bodies(inbox) -> list[str]:
    return [m.message.get_content() for m in inbox.messages]


def test_the_tenants_mail_arrives_when_received_and_when_accepted(
    app, client, database, login_as, mail_on
):
    site = make_site(database, request_intake=RequestIntake.triage)
    wr = _send(client, site)
    assert mail_on.messages == []  # the request only wrote the outbox
    assert "1 sent" in run_worker(app)
    assert len(mail_on.messages) == 1
    received = mail_on.messages[0]
    assert received.rcpt == ["ana@example.org"]
    assert received.message["Subject"] == "We received your maintenance report"
    assert received.message["From"] == "Elm Court maintenance <care@elm.example>"
    assert f"http://127.0.0.1:8000/track/{wr.tracking_token}" in received.message.get_content()
    supervisor = make_user(database, roles=["supervisor"], full_name="Sam Okafor")
    login_as(supervisor).post(
        f"/work-requests/{wr.id}/accept", data={"submission_id": uuid.uuid4().hex}
    )
    database.session.refresh(wr)
    number = database.session.get(WorkOrder, wr.work_order_id).number
    run_worker(app)
    assert len(mail_on.messages) == 2
    accepted = mail_on.messages[1].message
    assert accepted["Subject"] == f"Your maintenance report is scheduled ({number})"
    assert "Hello Ana Costa" in accepted.get_content()
    assert "Sam Okafor" not in accepted.get_content()  # no staff names in tenant mail


def test_a_first_come_request_mails_received_and_scheduled_at_once(app, client, database, mail_on):
    site = make_site(database, request_intake=RequestIntake.first_come)
    _send(client, site)
    run_worker(app)
    subjects = [m.message["Subject"] for m in mail_on.messages]
    assert subjects[0] == "We received your maintenance report"
    assert subjects[1].startswith("Your maintenance report is scheduled (WO-")


def test_the_rejection_reason_is_mailed_to_the_tenant(app, client, database, login_as, mail_on):
    site = make_site(database, request_intake=RequestIntake.triage)
    wr = _send(client, site)
    supervisor = make_user(database, roles=["supervisor"])
    login_as(supervisor).post(
        f"/work-requests/{wr.id}/reject",
        data={"reason": "The landlord fixes taps in flats.", "submission_id": uuid.uuid4().hex},
    )
    run_worker(app)
    assert "The reason: The landlord fixes taps in flats." in _bodies(mail_on)[-1]


def test_done_mail_reaches_the_tenant_and_whoever_was_merged_in(
    app, client, database, login_as, mail_on
):
    site = make_site(database, request_intake=RequestIntake.triage)
    first = _send(client, site)
    duplicate = _send(client, site, contact_email="ben@example.org", requester_name="Ben")
    staff = login_as(make_user(database, roles=["supervisor"]))
    staff.post(
        f"/work-requests/{duplicate.id}/merge",
        data={"into": first.id, "submission_id": uuid.uuid4().hex},
    )
    run_worker(app)
    assert mail_on.messages[-1].message["Subject"] == (
        "Your maintenance report was merged with an earlier one"
    )
    staff.post(f"/work-requests/{first.id}/accept", data={"submission_id": uuid.uuid4().hex})
    run_worker(app)
    assert sorted(m.rcpt[0] for m in mail_on.messages[-2:]) == [
        "ana@example.org",
        "ben@example.org",
    ]  # both followers hear it was scheduled
    database.session.refresh(first)
    mail_on.messages.clear()
    with unit_of_work() as session:
        wo = session.get(WorkOrder, first.work_order_id)
        before, wo.status = wo.status, WorkOrderStatus.completed
        publish(session, WorkOrderMoved(wo.id, before, WorkOrderStatus.completed, None, None))
        assert mail_on.messages == []  # nothing leaves before the commit
    run_worker(app)
    assert sorted(m.rcpt[0] for m in mail_on.messages) == ["ana@example.org", "ben@example.org"]
    assert all(
        m.message["Subject"].startswith("The work on your report is done") for m in mail_on.messages
    )


def test_moves_that_change_nothing_public_send_nothing(app, client, database, login_as, mail_on):
    site = make_site(database, request_intake=RequestIntake.first_come)
    wr = _send(client, site)
    run_worker(app)
    mail_on.messages.clear()
    with unit_of_work() as session:
        wo = session.get(WorkOrder, wr.work_order_id)
        for before, target in (
            (WorkOrderStatus.approved, WorkOrderStatus.assigned),
            (WorkOrderStatus.assigned, WorkOrderStatus.in_progress),
            (WorkOrderStatus.completed, WorkOrderStatus.closed),
        ):
            publish(session, WorkOrderMoved(wo.id, before, target, None, None))
    run_worker(app)
    assert mail_on.messages == []


def test_completing_the_work_order_mails_the_tenant(app, client, database, mail_on):
    site = make_site(database, request_intake=RequestIntake.first_come)
    wr = _send(client, site)
    supervisor = make_user(database, roles=["supervisor"])
    for status in (WorkOrderStatus.assigned, WorkOrderStatus.in_progress):
        work_orders.change_status(wr.work_order_id, status, actor=supervisor)
    run_worker(app)
    mail_on.messages.clear()
    work_orders.change_status(wr.work_order_id, WorkOrderStatus.completed, actor=supervisor)
    run_worker(app)
    assert len(mail_on.messages) == 1
    assert mail_on.messages[0].message["Subject"].startswith("The work on your report is done")


def test_a_mail_server_that_is_down_does_not_break_the_submission(
    app, client, database, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nobody listens there
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    site = make_site(database, request_intake=RequestIntake.first_come)
    caplog.set_level(logging.INFO, logger="portal.mail")
    response = client.post("/request", data=_report(site))
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    assert database.session.scalar(select(func.count()).select_from(WorkRequest)) == 1
    assert database.session.scalar(select(func.count()).select_from(WorkOrder)) == 1
    assert caplog.records == [] or all(r.levelno < logging.WARNING for r in caplog.records)
    assert "1 to retry" in run_worker(app)  # the pass stops at the first failure: server down
    failures = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 1 and "Mail not sent to a***@example.org" in failures[0].getMessage()
    database.session.expire_all()
    queued = database.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
    assert [m.status for m in queued] == ["pending", "pending"]  # both kept for later
    assert queued[0].attempts == 1 and "ConnectionRefusedError" in queued[0].last_error


def test_without_a_mail_server_mail_is_skipped_with_a_log_line(app, client, database, caplog):
    site = make_site(database, request_intake=RequestIntake.triage)
    caplog.set_level(logging.INFO, logger="portal.mail")
    _send(client, site)
    assert "1 skipped" in run_worker(app)
    assert any("Mail skipped (MAIL_SERVER not set)" in r.getMessage() for r in caplog.records)
    assert all("ana@example.org" not in r.getMessage() for r in caplog.records)  # masked


def test_nobody_is_mailed_when_only_a_phone_number_was_left(app, client, database, mail_on):
    site = make_site(database, request_intake=RequestIntake.first_come)
    _send(client, site, contact_email="", contact_phone="+1 555 0100")
    run_worker(app)
    assert mail_on.messages == []


def test_the_same_submission_twice_mails_once(app, client, database, mail_on):
    site = make_site(database, request_intake=RequestIntake.triage)
    data = _report(site)
    client.post("/request", data=data)
    client.post("/request", data=dict(data))
    run_worker(app)
    assert len(mail_on.messages) == 1


def test_mail_queued_in_a_rolled_back_transaction_is_never_sent(app, database, mail_on):
    with pytest.raises(RuntimeError), unit_of_work() as session:
        session.add(Site(code="GONE", name="Never saved"))
        queue_mail(session, Mail(to="ana@example.org", subject="Should not go", body="..."))
        raise RuntimeError("the use case failed")
    with unit_of_work():
        pass  # a later commit in the same session must not send the dropped mail either
    assert database.session.scalar(select(func.count()).select_from(OutboxMail)) == 0
    run_worker(app)
    assert mail_on.messages == []


def test_links_use_mail_base_url_when_it_is_set(app, client, database, mail_on, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BASE_URL", "https://portal.example.org/")
    site = make_site(database, request_intake=RequestIntake.triage)
    wr = _send(client, site)
    run_worker(app)
    assert f"https://portal.example.org/track/{wr.tracking_token}" in _bodies(mail_on)[0]


def test_deliver_hands_over_or_says_why_not(smtp_server):
    settings = MailSettings(server="127.0.0.1", port=smtp_server.port)
    deliver(settings, Mail(to="ana@example.org", subject="Hi", body="Hello"))
    assert smtp_server.messages[0].rcpt == ["ana@example.org"]
    closed = MailSettings(server="127.0.0.1", port=_free_port(), timeout=2)
    with pytest.raises(MailNotSent, match="ConnectionRefusedError") as refused:
        deliver(closed, Mail(to="ana@example.org", subject="Hi", body="Hello"))
    assert refused.value.permanent is False  # worth trying again later

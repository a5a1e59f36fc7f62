"""Mail off the request path: the outbox row is written with the change, the worker delivers it
with retries and exponential back-off, and a dead mail server slows nothing and loses nothing."""

from __future__ import annotations

import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql

from portal.domain.statuses import RequestIntake
from portal.models import OutboxMail
from portal.models.base import clock_set_to, utcnow
from portal.services import outbox
from portal.services._uow import unit_of_work
from portal.services.mailer import Mail, MailSettings, queue_mail
from tests.concurrency import run_at_once
from tests.conftest import ON_POSTGRES
from tests.factories import make_site
from tests.integration.test_mailer import _free_port, _Inbox, _report, run_worker


@pytest.fixture
def silent_server():
    """A port that accepts TCP connections and never says a word (a hung mail server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock
    finally:
        sock.close()


@contextmanager
def smtp(handler):
    """A local SMTP server with `handler` on a free port; yields its MailSettings."""
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailSettings(server="127.0.0.1", port=port)
    finally:
        controller.stop()


def _rows(database) -> list[OutboxMail]:
    database.session.expire_all()
    return list(database.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))


def test_dead_smtp_healthz_answers_at_once_and_mail_is_delivered_when_the_server_returns(
    app, client, database, monkeypatch, silent_server
):
    """The reproduction: 8 reports with a mail server that never answers held every worker
    thread. Now the requests never touch the mail server; the worker retries until it is back."""
    port = silent_server.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 1)
    monkeypatch.setitem(app.config, "PUBLIC_REQUEST_LIMIT", "20 per minute")
    site = make_site(database, request_intake=RequestIntake.triage)
    for n in range(8):
        answer = client.post("/request", data=_report(site, requester_name=f"Tenant {n}"))
        assert answer.status_code == 303
        assert client.get("/healthz").status_code == 200
    silent_server.setblocking(False)
    with pytest.raises(BlockingIOError):
        silent_server.accept()  # no request so much as opened a connection to the mail server
    assert [r.status for r in _rows(database)] == ["pending"] * 8

    assert "1 to retry" in run_worker(app)  # the worker meets the hung server, gives up on time
    first = _rows(database)[0]
    assert first.attempts == 1 and first.status == "pending" and first.last_error
    assert first.next_attempt_at - first.last_attempt_at == timedelta(seconds=30)

    silent_server.close()  # the mail server comes back on the same port
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert "7 sent" in run_worker(app)  # the other seven go; the failed one waits its back-off
        with clock_set_to(utcnow() + timedelta(minutes=1)):
            assert "1 sent" in run_worker(app)  # ... then it goes too: nothing lost
    finally:
        controller.stop()
    assert sorted(m.rcpt[0] for m in inbox.messages) == ["ana@example.org"] * 8
    rows = _rows(database)
    assert [r.status for r in rows] == ["sent"] * 8
    assert rows[0].attempts == 2 and rows[0].last_error is None and rows[0].sent_at is not None


def test_retries_back_off_exponentially_and_give_up_after_the_last_attempt(database):
    with unit_of_work() as session:
        queue_mail(session, Mail(to="ana@example.org", subject="Hello", body="..."))
    closed = MailSettings(server="127.0.0.1", port=_free_port(), timeout=2)
    policy = outbox.RetryPolicy(base_seconds=30, max_seconds=100, max_attempts=4)
    now = utcnow()
    waits = []
    for _attempt in range(4):
        run = outbox.deliver_due(closed, policy, now=now)
        row = _rows(database)[0]
        if row.status == "pending":
            assert run.retrying == 1
            waits.append((row.next_attempt_at - now).total_seconds())
            assert outbox.deliver_due(closed, policy, now=now).tried == 0  # not due yet
            now = row.next_attempt_at
    assert waits == [30, 60, 100]  # doubling, up to the ceiling
    row = _rows(database)[0]
    assert row.status == "failed" and row.attempts == 4 and "Connection" in row.last_error


class _Refusing(_Inbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        return "550 5.1.1 No such mailbox"


def test_a_mail_refused_for_good_is_not_tried_again(app, database):
    with unit_of_work() as session:
        queue_mail(session, Mail(to="nobody@example.org", subject="Hello", body="..."))
    with smtp(_Refusing()) as settings:
        run = outbox.deliver_due(settings, outbox.RetryPolicy(max_attempts=10))
    assert run.failed == 1
    row = _rows(database)[0]
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error


def test_the_mail_row_is_written_in_the_transaction_of_the_change(client, database):
    site = make_site(database, request_intake=RequestIntake.first_come)
    client.post("/request", data=_report(site))  # received + scheduled: two mails
    rows = _rows(database)
    assert [(r.to, r.status, r.attempts) for r in rows] == [("ana@example.org", "pending", 0)] * 2
    failed = client.post("/request", data={**_report(site), "where": "s999999"})
    assert failed.status_code in (404, 422)
    assert database.session.scalar(select(func.count()).select_from(OutboxMail)) == 2


def test_workers_take_due_mail_with_skip_locked_on_postgresql():
    statement = outbox.due_statement(utcnow())
    sql = str(statement.compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in sql


def test_the_worker_command_says_what_it_did(app, database):
    with unit_of_work() as session:
        queue_mail(session, Mail(to=f"{uuid.uuid4().hex[:6]}@example.org", subject="Hi", body="."))
    assert "0 sent, 0 to retry, 0 failed, 1 skipped; 0 waiting." in run_worker(app)


@pytest.mark.skipif(not ON_POSTGRES, reason="SKIP LOCKED is PostgreSQL's; on SQLite run one worker")
def test_three_workers_at_once_send_each_mail_exactly_once(race_app):
    with race_app.app_context(), unit_of_work() as session:
        for n in range(24):
            queue_mail(session, Mail(to=f"tenant{n}@example.org", subject=f"#{n}", body="."))
    inbox = _Inbox()
    with smtp(inbox) as settings:
        runs, errors = run_at_once(
            race_app, [lambda _: outbox.deliver_due(settings, outbox.RetryPolicy())] * 3
        )
    assert errors == []
    assert sum(run.sent for run in runs) == 24
    assert sorted(m.rcpt[0] for m in inbox.messages) == sorted(
        f"tenant{n}@example.org" for n in range(24)
    )  # each once: no mail twice, none left out


def test_a_mail_that_cannot_be_written_is_failed_not_retried_forever(database):
    with unit_of_work() as session:
        queue_mail(
            session, Mail(to="ana@example.org\r\nBcc: x@evil.example", subject="Hi", body=".")
        )
    inbox = _Inbox()
    with smtp(inbox) as settings:
        run = outbox.deliver_due(settings, outbox.RetryPolicy())
    assert run.failed == 1 and inbox.messages == []
    assert _rows(database)[0].status == "failed"

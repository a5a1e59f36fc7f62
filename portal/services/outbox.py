"""Deliver the mail outbox: what `flask portal worker` runs, one mail per transaction.

`queue_mail` (services/mailer.py) writes a row of `outbox_mail` in the transaction of the change
that causes the mail. Here the worker takes the due rows one at a time, locking each with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (so several workers never send one mail
twice and never wait for each other; SQLite renders no lock clause: run one worker there),
hands it to the SMTP server, and records the attempt: sent, or the error and when to try
again, after a delay that doubles with every failure up to a ceiling. A mail refused for good
(a 5xx answer) or still failing after MAIL_MAX_ATTEMPTS is marked failed and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select

from portal.models import OutboxMail
from portal.models.base import utcnow
from portal.services._uow import current_session, unit_of_work
from portal.services.mailer import Mail, MailNotSent, MailSettings, deliver, masked

log = logging.getLogger("portal.mail")

PENDING, SENT, SKIPPED, FAILED = "pending", "sent", "skipped", "failed"


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait after each failed attempt, and when to give up."""

    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    max_attempts: int = 15

    @classmethod
    def from_config(cls, config: Mapping) -> RetryPolicy:
        """MAIL_RETRY_BASE_SECONDS, MAIL_RETRY_MAX_SECONDS, MAIL_MAX_ATTEMPTS of an app config."""
        return cls(
            base_seconds=float(config.get("MAIL_RETRY_BASE_SECONDS", cls.base_seconds)),
            max_seconds=float(config.get("MAIL_RETRY_MAX_SECONDS", cls.max_seconds)),
            max_attempts=int(config.get("MAIL_MAX_ATTEMPTS", cls.max_attempts)),
        )

    def delay(self, attempts: int) -> timedelta:
        """The wait after the `attempts`-th failure: base, 2 x base, 4 x base ... up to max."""
        exponent = min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.max_seconds))


@dataclass
class DeliveryRun:
    """What one pass over the outbox did."""

    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def tried(self) -> int:
        """How many mails were taken from the outbox in this pass."""
        return self.sent + self.skipped + self.retrying + self.failed


def due_statement(now: datetime) -> Select[OutboxMail]:
    """The oldest due mail, locked for this transaction (skipped if another worker has it)."""
    return (
        select(OutboxMail)
        .where(OutboxMail.status == PENDING, OutboxMail.next_attempt_at <= now)
        .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _attempt(row: OutboxMail, settings: MailSettings, policy: RetryPolicy, now: datetime) -> str:
    """Try to deliver one mail and record how it went; returns its status afterwards."""
    mail = Mail(to=row.to, subject=row.subject, body=row.body)
    if not settings.server:
        log.info("Mail skipped (MAIL_SERVER not set): %r to %s", mail.subject, masked(mail.to))
        row.status = SKIPPED
        return SKIPPED
    row.attempts += 1
    row.last_attempt_at = now
    try:
        deliver(settings, mail)
    except MailNotSent as err:
        row.last_error = str(err)[:500]
        if err.permanent or row.attempts >= policy.max_attempts:
            row.status = FAILED
            log.error(
                "Mail to %s (%r) given up after %d attempt(s): %s",
                masked(mail.to),
                mail.subject,
                row.attempts,
                err,
            )
            return FAILED
        row.next_attempt_at = now + policy.delay(row.attempts)
        log.warning(
            "Mail not sent to %s (%r) via %s:%s, attempt %d, next at %s: %s",
            masked(mail.to),
            mail.subject,
            settings.server,
            settings.port,
            row.attempts,
            row.next_attempt_at.isoformat(timespec="seconds"),
            err,
        )
        return PENDING
    row.status, row.sent_at, row.last_error = SENT, now, None
    log.info("Mail sent to %s: %r", masked(mail.to), mail.subject)
    return SENT


def deliver_due(
    settings: MailSettings, policy: RetryPolicy, *, limit: int = 50, now: datetime | None = None
) -> DeliveryRun:
    """Deliver up to `limit` due mails, each in its own transaction. A mail that fails for a
    passing reason ends the pass: the server is likely down, the rest wait for the next one."""
    run = DeliveryRun()
    for _ in range(limit):
        with unit_of_work():
            moment = now or utcnow()
            row = current_session().scalar(due_statement(moment))
            if row is None:
                break
            status = _attempt(row, settings, policy, moment)
        if status == SENT:
            run.sent += 1
        elif status == SKIPPED:
            run.skipped += 1
        elif status == FAILED:
            run.failed += 1
        else:
            run.retrying += 1
            break
    return run


def waiting() -> int:
    """How many mails wait in the outbox (pending, due or not)."""
    count = current_session().scalar(
        select(func.count(OutboxMail.id)).where(OutboxMail.status == PENDING)
    )
    return count or 0

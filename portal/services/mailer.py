"""Plain-text e-mail over SMTP, sent only after the transaction that asked for it commits.

A service calls `queue_mail(session, mail)` inside its unit of work. The mail waits in the
session until the commit: a rolled-back transaction sends nothing, and a mail server that is
down or refuses the message is logged and never turns a saved request into an error page.
No MAIL_SERVER configured means mail is skipped with a log line (development, tests).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger("portal.mail")

OUTBOX_KEY = "mail_outbox"


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send: read from the app config (MAIL_*) when the mail is queued."""

    server: str | None
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    sender: str = "Field Portal <no-reply@field-portal.invalid>"
    timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping) -> MailSettings:
        """The MAIL_* settings of an app config."""
        return cls(
            server=config.get("MAIL_SERVER") or None,
            port=int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            sender=config.get("MAIL_SENDER") or cls.sender,
            timeout=float(config.get("MAIL_TIMEOUT") or 10),
        )


@dataclass(frozen=True)
class Mail:
    """One plain-text message to one recipient."""

    to: str
    subject: str
    body: str


def _masked(address: str) -> str:
    """An address fit for a log line: t***@example.com."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def build_message(settings: MailSettings, mail: Mail) -> EmailMessage:
    """The EmailMessage for `mail`, from the configured sender."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(
        domain=settings.sender.rpartition("@")[2].strip("> ") or None
    )
    message["Auto-Submitted"] = "auto-generated"  # out-of-office replies stay away
    message.set_content(mail.body)
    return message


def send_now(settings: MailSettings, mail: Mail) -> bool:
    """Send one mail now; True when the server took it. Failures are logged, never raised."""
    if not settings.server:
        log.info("Mail skipped (MAIL_SERVER not set): %r to %s", mail.subject, _masked(mail.to))
        return False
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(build_message(settings, mail))
    except (OSError, smtplib.SMTPException) as err:  # refused, timed out, rejected, bad login
        log.error(
            "Mail not sent to %s (%r) via %s:%s: %s",
            _masked(mail.to),
            mail.subject,
            settings.server,
            settings.port,
            err,
        )
        return False
    log.info("Mail sent to %s: %r", _masked(mail.to), mail.subject)
    return True


def queue_mail(session: Session, mail: Mail) -> None:
    """Send `mail` once the caller's transaction commits; nothing is sent if it rolls back."""
    config = current_app.config if has_app_context() else {}
    session.info.setdefault(OUTBOX_KEY, []).append((MailSettings.from_config(config), mail))


def pending(session: Session) -> list[Mail]:
    """Mails queued in this session and not yet sent (for tests and diagnostics)."""
    return [mail for _settings, mail in session.info.get(OUTBOX_KEY, [])]


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    """The data is safe in the database: now tell people. One bad mail never stops the rest."""
    if session.in_nested_transaction():  # a savepoint released: the real commit is still to come
        return
    outbox = session.info.pop(OUTBOX_KEY, None)
    for settings, mail in outbox or ():
        try:
            send_now(settings, mail)
        except Exception:  # never let a mail bug surface after a successful commit
            log.exception("Mail to %s failed unexpectedly", _masked(mail.to))


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    """What was rolled back did not happen: its mails are not sent."""
    if session.in_nested_transaction():  # only a savepoint (a counter row race): carry on
        return
    session.info.pop(OUTBOX_KEY, None)

"""Plain-text e-mail over SMTP, never inside a web request.

A service calls `queue_mail(session, mail)` inside its unit of work: the mail becomes a row of
`outbox_mail` in the same transaction, so a rolled-back change mails nobody and a committed one
cannot lose its mail. The worker (`flask portal worker`, services/outbox.py) delivers it with
retries and back-off; a mail server that is slow, down or refusing never holds a request.
No MAIL_SERVER configured means the worker skips the mail with a log line (development, tests).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from portal.models import OutboxMail


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


def masked(address: str) -> str:
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


class MailNotSent(Exception):
    """The server did not take the mail. `permanent`: it refused it for good (a 5xx answer to
    the recipient or the message), so trying again would not help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


def deliver(settings: MailSettings, mail: Mail) -> None:
    """Hand one mail to the SMTP server now; MailNotSent (with the reason) if it did not take it."""
    if not settings.server:
        raise MailNotSent("MAIL_SERVER is not set", permanent=True)
    try:
        with smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout) as smtp:
            if settings.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(build_message(settings, mail))
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as err:
        raise MailNotSent(f"refused: {err}", permanent=_permanent(err)) from err
    except smtplib.SMTPResponseException as err:
        raise MailNotSent(f"{err.smtp_code} {err.smtp_error!r}", permanent=_permanent(err)) from err
    except (OSError, smtplib.SMTPException) as err:  # refused, timed out, dropped, bad login
        raise MailNotSent(f"{type(err).__name__}: {err}") from err
    except (ValueError, UnicodeError) as err:  # a header no server could take (a line break)
        raise MailNotSent(f"malformed: {err}", permanent=True) from err


def _permanent(err: smtplib.SMTPException) -> bool:
    """True for a 5xx answer (the address or message is refused for good)."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in err.recipients.values())
    code = getattr(err, "smtp_code", 0)
    return 500 <= code < 600 and not isinstance(err, smtplib.SMTPAuthenticationError)


def queue_mail(session: Session, mail: Mail) -> None:
    """Put `mail` in the outbox within the caller's transaction: it is delivered by the worker
    once that transaction commits, and never if it rolls back."""
    session.add(OutboxMail(to=mail.to[:254], subject=mail.subject[:300], body=mail.body))


def settings_from_app() -> MailSettings:
    """The MAIL_* settings of the running app (none outside an app context)."""
    return MailSettings.from_config(current_app.config if has_app_context() else {})

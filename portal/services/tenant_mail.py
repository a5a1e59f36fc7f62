"""The e-mails a tenant gets about their report: received, scheduled, not accepted, merged,
done, cancelled. Written to the outbox in the caller's unit of work; the worker sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from portal.domain.work_requests import title_from
from portal.models import WorkRequest
from portal.public_urls import external_url
from portal.services.mailer import Mail, queue_mail

Letter = Callable[[WorkRequest], tuple[str, str]]  # a request -> (subject, body)


def tracking_url(token: str) -> str:
    """The tracking link as it goes into a mail: on PUBLIC_BASE_URL, never the request's host."""
    return external_url("work_requests.track", token=token)


def notify(session: Session, requests: Iterable[WorkRequest], build: Letter) -> None:
    """Queue one mail per request that left an address; sent after the commit."""
    for wr in requests:
        if wr.contact_email:
            subject, body = build(wr)
            queue_mail(session, Mail(to=wr.contact_email, subject=subject, body=body))


def _letter(wr: WorkRequest, *paragraphs: str) -> str:
    """Greeting, paragraphs, the tracking link and the sign-off of every tenant mail."""
    parts = [f"Hello {wr.requester_name},", *paragraphs]
    parts.append(f"Follow the progress of your report here:\n{tracking_url(wr.tracking_token)}")
    parts.append("Field Portal maintenance\n(This message was sent automatically.)")
    return "\n\n".join(parts) + "\n"


def received(wr: WorkRequest) -> tuple[str, str]:
    """The report is in."""
    return (
        "We received your maintenance report",
        _letter(
            wr,
            "Thank you: we have received your report and will look at it soon.",
            f"You wrote: {title_from(wr.description)}",
            "Keep this e-mail: anyone with the link below can see how the work is going.",
        ),
    )


def accepted(number: str) -> Letter:
    """The report became work order `number`."""
    return lambda wr: (
        f"Your maintenance report is scheduled ({number})",
        _letter(wr, f"Your report has been accepted and scheduled as work order {number}."),
    )


def rejected(reason: str) -> Letter:
    """The report is not taken forward, and why."""
    return lambda wr: (
        "About your maintenance report",
        _letter(wr, "We will not be taking your report forward.", f"The reason: {reason}"),
    )


def merged(wr: WorkRequest) -> tuple[str, str]:
    """The report now follows an earlier one of the same problem."""
    return (
        "Your maintenance report was merged with an earlier one",
        _letter(
            wr,
            "Someone reported the same problem before you, so we have merged the two reports.",
            "Your link now shows the progress of the earlier report.",
        ),
    )


def done(number: str) -> Letter:
    """The work order of the report is done."""
    return _work_order_news(f"The work on your report is done ({number})", number, "is done")


def cancelled(number: str) -> Letter:
    """The work order of the report was cancelled."""
    subject = f"Work order {number} for your report was cancelled"
    return _work_order_news(subject, number, "was cancelled")


def _work_order_news(subject: str, number: str, news: str) -> Letter:
    """'Work order WO-000123 for your report is done.', and what to do if it is not."""
    return lambda wr: (
        subject,
        _letter(
            wr,
            f"Work order {number} for your report {news}.",
            "If the problem is still there, please send a new report.",
        ),
    )

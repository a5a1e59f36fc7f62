"""Work requests: the public form, the tenant's tracking page, triage, and the tenant's e-mail.

A tenant (or any visitor) is not a user: the audit trail names them "public", and what they
see on their tracking link are public facts only: received, accepted as WO-000123, scheduled,
in progress, done, cancelled, not accepted (with the reason written for them), merged. Never
staff names, costs or internal notes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, has_request_context, url_for
from sqlalchemy import case, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain.errors import DomainError, NotFound
from portal.domain.statuses import RequestIntake, WorkRequestStatus
from portal.domain.uploads import check_photo
from portal.domain.work_orders import PRIORITY_RANK, Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import (
    Asset,
    Attachment,
    Location,
    Site,
    User,
    WorkOrder,
    WorkOrderStatusChange,
    WorkRequest,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work
from portal.services.mailer import Mail, queue_mail
from portal.services.work_orders import NewWorkOrder, Page, add_work_order

PAGE_SIZE = 25
MAX_MERGE_DEPTH = 10
MERGE_CANDIDATES = 50
TITLE_LENGTH = 120

R = WorkRequestStatus
S = WorkOrderStatus

# What a tenant is told about the work order their request became.
PUBLIC_PROGRESS: dict[WorkOrderStatus, str] = {
    S.requested: "Scheduled",
    S.approved: "Scheduled",
    S.assigned: "Scheduled",
    S.in_progress: "In progress",
    S.waiting_parts: "In progress",
    S.completed: "Done",
    S.closed: "Done",
    S.cancelled: "Cancelled",
}

URGENCY_WORDS: dict[Priority, str] = {
    Priority.emergency: "Emergency",
    Priority.high: "Urgent",
    Priority.normal: "Normal",
    Priority.low: "Low",
}


# How the audit trail names someone who is not signed in (a tenant, a visitor).
PUBLIC = "public"


def public_progress(status: WorkOrderStatus | str) -> str:
    """A work order status in the words a tenant sees."""
    return PUBLIC_PROGRESS[WorkOrderStatus(status)]


def title_from(description: str) -> str:
    """A work order title: the description's first non-empty line, cut at a word if long."""
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def _label(wr: WorkRequest) -> str:
    """How staff pages and the audit trail name a request."""
    return f"Request #{wr.id}"


# ---------------------------------------------------------------- reads for the public form


@dataclass(frozen=True)
class AssetCard:
    """What the public form shows about a QR-tagged asset: its name and where it is, no more."""

    asset_id: int
    name: str
    location_path: str


def asset_for_qr(token: str | None) -> AssetCard | None:
    """The active asset a QR token points at, or None for an unknown or forged token."""
    token = (token or "").strip()
    if not token or len(token) > 64:
        return None
    asset = db.session.scalar(select(Asset).where(Asset.qr_token == token, Asset.active.is_(True)))
    if asset is None:
        return None
    return AssetCard(asset_id=asset.id, name=asset.name, location_path=asset.location.path)


@dataclass(frozen=True)
class PlaceGroup:
    """One site of the public form's select, with the places inside it."""

    site_id: int
    site_name: str
    places: list[tuple[int, str]]  # (location id, path inside the site)


def places_by_site() -> list[PlaceGroup]:
    """Every site and its locations, paths built in Python from two queries."""
    sites = db.session.execute(select(Site.id, Site.name).order_by(Site.name)).all()
    rows = db.session.execute(
        select(Location.id, Location.site_id, Location.parent_id, Location.name)
    ).all()
    by_id = {row.id: row for row in rows}

    def path(row) -> str:
        names, node, hops = [], row, 0
        while node is not None and hops < 10:
            names.append(node.name)
            node, hops = by_id.get(node.parent_id), hops + 1
        return " › ".join(reversed(names))

    places: dict[int, list[tuple[int, str]]] = {}
    for row in rows:
        places.setdefault(row.site_id, []).append((row.id, path(row)))
    return [
        PlaceGroup(
            site_id=s.id, site_name=s.name, places=sorted(places.get(s.id, []), key=_by_path)
        )
        for s in sites
    ]


def _by_path(place: tuple[int, str]) -> str:
    return place[1].lower()


# ---------------------------------------------------------------- the public form


@dataclass
class PublicRequest:
    """What someone reported on the public form, as plain values."""

    requester_name: str
    description: str
    urgency: Priority = Priority.normal
    contact_email: str | None = None
    contact_phone: str | None = None
    asset_token: str | None = None
    site_id: int | None = None
    location_id: int | None = None
    unit_text: str | None = None
    photo_name: str | None = None
    photo_data: bytes | None = None


def _clean(text: str | None, limit: int) -> str | None:
    """Trimmed text within `limit`, or None when empty."""
    text = (text or "").strip()
    return text[:limit] or None


def submit_request(draft: PublicRequest, *, submission_id: str) -> WorkRequest:
    """Record a public request (a WO at once on first-come sites); one per submission_id."""
    content_type = None
    if draft.photo_data is not None:
        content_type = check_photo(draft.photo_data, draft.photo_name or "")  # UploadRefused
    name = _clean(draft.requester_name, 120)
    description = (draft.description or "").strip()
    if not name or not description:
        raise DomainError("Give your name and describe the problem.")
    email, phone = _clean(draft.contact_email, 254), _clean(draft.contact_phone, 40)
    if not email and not phone:
        raise DomainError("Leave an e-mail address or a phone number so we can reach you.")
    try:
        with unit_of_work() as session:
            earlier = earlier_submission(session, WorkRequest, submission_id)
            if earlier is not None:
                return earlier  # a double tap or a resent form: the first request stands
            site, location_id, asset_id = _place(session, draft)
            wr = WorkRequest(
                site_id=site.id,
                location_id=location_id,
                asset_id=asset_id,
                requester_name=name,
                contact_email=email,
                contact_phone=phone,
                unit_text=_clean(draft.unit_text, 120),
                description=description[:4000],
                urgency=Priority(draft.urgency),
                status=R.new,
                tracking_token=secrets.token_urlsafe(24),
                submission_id=submission_id,
                created_at=utcnow(),
            )
            session.add(wr)
            session.flush()
            if content_type is not None:
                session.add(
                    Attachment(
                        work_request_id=wr.id,
                        filename=_clean(draft.photo_name, 200) or "photo",
                        content_type=content_type,
                        size_bytes=len(draft.photo_data or b""),
                        data=draft.photo_data,
                    )
                )
            audit.record(
                session,
                actor=None,
                actor_label=PUBLIC,
                action="work_request.received",
                subject=wr,
                subject_label=_label(wr),
                changes={
                    "status": [None, R.new],
                    "site_id": [None, site.id],
                    "asset_id": [None, asset_id],
                    "urgency": [None, wr.urgency],
                },
            )
            _notify(session, [wr], _received_mail)
            if site.request_intake is RequestIntake.first_come:
                accept_into_work_order(
                    session,
                    wr,
                    actor=None,
                    why=f"First come: {site.name} turns every request into a work order",
                    status=S.approved,
                )
    except IntegrityError:
        # Two posts of one form raced past the check above: the UNIQUE submission_id let one in.
        earlier = earlier_submission(db.session, WorkRequest, submission_id)
        if earlier is None:
            raise
        return earlier
    return wr


def _place(session: Session, draft: PublicRequest) -> tuple[Site, int | None, int | None]:
    """(site, location id, asset id) from a QR token, or a chosen location, or a chosen site."""
    if draft.asset_token:
        asset = session.scalar(
            select(Asset).where(Asset.qr_token == draft.asset_token, Asset.active.is_(True))
        )
        if asset is None:
            raise NotFound("That QR code is not one of ours, or it has been replaced.")
        return asset.location.site, asset.location_id, asset.id
    if draft.location_id:
        location = session.get(Location, draft.location_id)
        if location is None:
            raise NotFound("That place is no longer on our list; choose another.")
        return location.site, location.id, None
    site = session.get(Site, draft.site_id) if draft.site_id else None
    if site is None:
        raise DomainError("Choose the site, and the place if it is listed.")
    return site, None, None


# ---------------------------------------------------------------- triage


def _locked(session: Session, wr_id: int) -> WorkRequest:
    """The request, row-locked until the transaction ends, or NotFound."""
    wr = session.get(WorkRequest, wr_id, with_for_update=True)
    if wr is None:
        raise NotFound(f"Request #{wr_id} does not exist.")
    return wr


def _require_new(session: Session, wr: WorkRequest) -> None:
    """Only requests waiting for triage can be decided; say what happened to the others."""
    if wr.status is R.new:
        return
    if wr.status is R.accepted:
        number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == wr.work_order_id))
        raise DomainError(f"{_label(wr)} was already accepted as {number}.")
    if wr.status is R.rejected:
        raise DomainError(f"{_label(wr)} was already rejected.")
    raise DomainError(f"{_label(wr)} was already merged with request #{wr.merged_into_id}.")


def accept_request(
    wr_id: int, *, actor: User, note: str | None = None, submission_id: str | None = None
) -> WorkRequest:
    """Accept a waiting request into a new work order; a second tap changes nothing."""
    with unit_of_work() as session:
        wr = _locked(session, wr_id)
        if wr.status is R.accepted:
            return wr
        _require_new(session, wr)
        why = f"Accepted from request #{wr.id}"
        note = _clean(note, 300)
        accept_into_work_order(
            session,
            wr,
            actor=actor,
            why=f"{why}: {note}" if note else why,
            submission_id=submission_id,
        )
    return wr


def accept_into_work_order(
    session: Session,
    wr: WorkRequest,
    *,
    actor: User | None,
    why: str,
    status: WorkOrderStatus | None = None,
    submission_id: str | None = None,
) -> WorkOrder:
    """Raise the work order for `wr`, link them, audit, and tell the tenant(s)."""
    draft = NewWorkOrder(
        title=title_from(wr.description) or "Reported problem",
        site_id=wr.site_id,
        asset_id=wr.asset_id,
        location_id=wr.location_id,
        description=_work_order_description(wr),
        priority=Priority(wr.urgency),
        requester_name=wr.requester_name,
        status=status,
        why=why,
    )
    wo = add_work_order(session, draft, actor=actor, submission_id=submission_id)
    wr.work_order_id = wo.id
    wr.status = R.accepted
    wr.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        actor_label=None if actor is not None else PUBLIC,
        action="work_request.accepted",
        subject=wr,
        subject_label=_label(wr),
        changes={"status": [R.new, R.accepted], "work_order": [None, wo.number]},
        why=why,
    )
    _notify(session, _with_followers(session, wr), lambda r: _accepted_mail(r, wo.number))
    return wo


def _work_order_description(wr: WorkRequest) -> str:
    """The tenant's words, where they said, and how to reach them (for arranging access)."""
    lines = [wr.description.strip(), ""]
    if wr.unit_text:
        lines.append(f"Where (as reported): {wr.unit_text}")
    contact = " · ".join(c for c in (wr.contact_phone, wr.contact_email) if c)
    lines.append(f"Reported by {wr.requester_name} on the public form ({_label(wr)}).")
    if contact:
        lines.append(f"Contact: {contact}")
    return "\n".join(lines)


def reject_request(wr_id: int, *, actor: User, reason: str) -> WorkRequest:
    """Reject a waiting request with a reason the person who reported it will read."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Write the reason the person will see.")
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters.")
    with unit_of_work() as session:
        wr = _locked(session, wr_id)
        if wr.status is R.rejected and wr.reject_reason == reason:
            return wr
        _require_new(session, wr)
        wr.status = R.rejected
        wr.reject_reason = reason
        wr.decided_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="work_request.rejected",
            subject=wr,
            subject_label=_label(wr),
            changes={"status": [R.new, R.rejected]},
            why=reason,
        )
        _notify(session, _with_followers(session, wr), lambda r: _rejected_mail(r, reason))
    return wr


def merge_request(wr_id: int, *, into_id: int, actor: User, note: str | None = None) -> WorkRequest:
    """Merge a waiting duplicate into an earlier request of the same site; its tenant follows it."""
    with unit_of_work() as session:
        wr = _locked(session, wr_id)
        target = session.get(WorkRequest, into_id)
        if target is None:
            raise NotFound(f"Request #{into_id} does not exist.")
        root = _root(session, target)
        if wr.status is R.merged and wr.merged_into_id == root.id:
            return wr
        _require_new(session, wr)
        if root.id == wr.id:
            raise DomainError("A request cannot be merged with itself.")
        if root.id > wr.id:
            raise DomainError("Merge a duplicate into the earlier report, not the other way.")
        if root.site_id != wr.site_id:
            raise DomainError("Only requests of the same site can be merged.")
        if root.status is R.rejected:
            raise DomainError(f"{_label(root)} was rejected; decide this one on its own.")
        wr.status = R.merged
        wr.merged_into_id = root.id
        wr.decided_at = utcnow()
        # Anyone who followed this request now follows the earlier one directly.
        session.execute(
            update(WorkRequest)
            .where(WorkRequest.merged_into_id == wr.id)
            .values(merged_into_id=root.id)
        )
        note = _clean(note, 300)
        audit.record(
            session,
            actor=actor,
            action="work_request.merged",
            subject=wr,
            subject_label=_label(wr),
            changes={"status": [R.new, R.merged], "merged_into": [None, _label(root)]},
            why=note or f"Same problem as {_label(root)}",
        )
        _notify(session, [wr], _merged_mail)
    return wr


def _root(session: Session, wr: WorkRequest) -> WorkRequest:
    """The request a merged one ends up following (chains are short; cycles are cut)."""
    seen = {wr.id}
    while wr.merged_into_id is not None and len(seen) <= MAX_MERGE_DEPTH:
        nxt = session.get(WorkRequest, wr.merged_into_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        wr = nxt
    return wr


def _with_followers(session: Session, wr: WorkRequest) -> list[WorkRequest]:
    """`wr` and the requests merged into it: everyone who follows its progress."""
    followers = session.scalars(
        select(WorkRequest).where(WorkRequest.merged_into_id == wr.id).order_by(WorkRequest.id)
    )
    return [wr, *followers]


def on_work_order_moved(
    session: Session, wo: WorkOrder, before: WorkOrderStatus, target: WorkOrderStatus
) -> None:
    """Called by move_work_order: when linked work is done or cancelled, e-mail the tenants."""
    target = WorkOrderStatus(target)
    if target not in (S.completed, S.cancelled):
        return
    if before is not None and public_progress(before) == public_progress(target):
        return
    linked = session.scalars(select(WorkRequest).where(WorkRequest.work_order_id == wo.id)).all()
    people: list[WorkRequest] = []
    for wr in linked:
        people.extend(_with_followers(session, wr))
    if target is S.completed:
        _notify(session, people, lambda r: _done_mail(r, wo.number))
    else:
        _notify(session, people, lambda r: _cancelled_mail(r, wo.number))


# ---------------------------------------------------------------- tenant e-mail


def tracking_url(token: str) -> str:
    """The tracking link as it goes into a mail: MAIL_BASE_URL, else this request's host."""
    base = current_app.config.get("MAIL_BASE_URL")
    if base:
        path = current_app.url_map.bind("localhost").build("work_requests.track", {"token": token})
        return base.rstrip("/") + path
    if has_request_context():
        return url_for("work_requests.track", token=token, _external=True)
    current_app.logger.warning("MAIL_BASE_URL is not set: tracking links in mail are relative")
    return current_app.url_map.bind("localhost").build("work_requests.track", {"token": token})


def _notify(session: Session, requests: Iterable[WorkRequest], build) -> None:
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


def _received_mail(wr: WorkRequest) -> tuple[str, str]:
    return (
        "We received your maintenance report",
        _letter(
            wr,
            "Thank you: we have received your report and will look at it soon.",
            f"You wrote: {title_from(wr.description)}",
            "Keep this e-mail: anyone with the link below can see how the work is going.",
        ),
    )


def _accepted_mail(wr: WorkRequest, number: str) -> tuple[str, str]:
    return (
        f"Your maintenance report is scheduled ({number})",
        _letter(wr, f"Your report has been accepted and scheduled as work order {number}."),
    )


def _rejected_mail(wr: WorkRequest, reason: str) -> tuple[str, str]:
    return (
        "About your maintenance report",
        _letter(wr, "We will not be taking your report forward.", f"The reason: {reason}"),
    )


def _merged_mail(wr: WorkRequest) -> tuple[str, str]:
    return (
        "Your maintenance report was merged with an earlier one",
        _letter(
            wr,
            "Someone reported the same problem before you, so we have merged the two reports.",
            "Your link now shows the progress of the earlier report.",
        ),
    )


def _done_mail(wr: WorkRequest, number: str) -> tuple[str, str]:
    return (
        f"The work on your report is done ({number})",
        _letter(
            wr,
            f"Work order {number} for your report is done.",
            "If the problem is still there, please send a new report.",
        ),
    )


def _cancelled_mail(wr: WorkRequest, number: str) -> tuple[str, str]:
    return (
        f"Work order {number} for your report was cancelled",
        _letter(
            wr,
            f"Work order {number} for your report was cancelled.",
            "If the problem is still there, please send a new report.",
        ),
    )


# ---------------------------------------------------------------- the tenant's tracking page


@dataclass(frozen=True)
class Step:
    """One public fact on the tracking timeline."""

    label: str
    at: datetime | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Tracking:
    """Everything the tracking page shows: the person's own report and public facts only."""

    headline: str
    tone: str  # new, scheduled, in_progress, done, cancelled, rejected
    description: str
    where: str
    urgency: str
    received_at: datetime
    work_order_number: str | None
    merged: bool
    steps: list[Step] = field(default_factory=list)


TONES = {"Scheduled": "scheduled", "In progress": "in_progress", "Done": "done"}


def tracking_for(token: str) -> Tracking | None:
    """The public view of the request behind a tracking token, or None if there is none."""
    if not token or len(token) > 64:
        return None
    wr = db.session.scalar(select(WorkRequest).where(WorkRequest.tracking_token == token))
    if wr is None:
        return None
    steps = [Step("Received", wr.created_at)]
    followed = wr
    if wr.status is R.merged:
        followed = _root(db.session, wr)
        steps.append(
            Step(
                "Merged with an earlier report",
                wr.decided_at,
                "Someone reported the same problem before you. "
                "This page now shows the progress of that report.",
            )
        )
    number = None
    headline, tone = "Received: waiting for review", "new"
    if followed.status is R.rejected:
        headline, tone = "Not accepted", "rejected"
        steps.append(Step("Not accepted", followed.decided_at, followed.reject_reason))
    elif followed.status is R.accepted and followed.work_order_id is not None:
        wo = db.session.get(WorkOrder, followed.work_order_id)
        number = wo.number
        steps.append(Step(f"Accepted as work order {wo.number}", followed.decided_at))
        steps.extend(_work_order_steps(wo, since=followed.decided_at))
        headline = public_progress(wo.status)
        tone = TONES.get(headline, "cancelled")
    elif wr.status is R.merged:
        headline, tone = "Merged: waiting for review", "new"
    return Tracking(
        headline=headline,
        tone=tone,
        description=wr.description,
        where=_where(wr),
        urgency=URGENCY_WORDS[Priority(wr.urgency)],
        received_at=wr.created_at,
        work_order_number=number,
        merged=wr.status is R.merged,
        steps=steps,
    )


def _work_order_steps(wo: WorkOrder, *, since: datetime | None) -> list[Step]:
    """The work order's status history in public words; repeats collapsed, reasons left out."""
    changes = db.session.scalars(
        select(WorkOrderStatusChange)
        .where(WorkOrderStatusChange.work_order_id == wo.id)
        .order_by(WorkOrderStatusChange.id)
    ).all()
    steps: list[Step] = []
    for change in changes:
        label = public_progress(change.to_status)
        if steps and steps[-1].label == label:
            continue
        at = change.changed_at
        if since is not None and at is not None and at < since:
            at = since  # a work order raised before the link (demo data) reads in order
        steps.append(Step(label, at))
    if not steps:
        steps.append(Step(public_progress(wo.status), since))
    return steps


def _where(wr: WorkRequest) -> str:
    """Where the person said the problem is, in the words of the form."""
    parts = []
    if wr.asset_id is not None:
        asset = db.session.get(Asset, wr.asset_id)
        parts.append(f"{asset.name}, {asset.location.path}")
    elif wr.location_id is not None:
        parts.append(db.session.get(Location, wr.location_id).path)
    else:
        parts.append(db.session.get(Site, wr.site_id).name)
    if wr.unit_text:
        parts.append(wr.unit_text)
    return " · ".join(parts)


# ---------------------------------------------------------------- staff pages


@dataclass(frozen=True)
class QueueRow:
    """One line of the triage queue."""

    id: int
    title: str
    status: WorkRequestStatus
    urgency: Priority
    requester_name: str
    site_name: str
    place: str | None
    created_at: datetime
    work_order_number: str | None
    has_photo: bool


def site_choices() -> list[tuple[int, str]]:
    """(id, name) of every site, for the queue filter."""
    return [(row.id, row.name) for row in db.session.execute(select(Site.id, Site.name))]


def triage_queue(*, site_id: int | None, status: str | None, page: int = 1) -> Page:
    """Requests by site and status: waiting ones most urgent and oldest first, others newest."""
    rank = case({p.value: r for p, r in PRIORITY_RANK.items()}, value=WorkRequest.urgency, else_=9)
    photo = exists().where(Attachment.work_request_id == WorkRequest.id)
    stmt = (
        select(
            WorkRequest,
            Site.name.label("site_name"),
            Location.name.label("location_name"),
            Asset.name.label("asset_name"),
            WorkOrder.number.label("wo_number"),
            photo.label("has_photo"),
        )
        .join(Site, Site.id == WorkRequest.site_id)
        .outerjoin(Location, Location.id == WorkRequest.location_id)
        .outerjoin(Asset, Asset.id == WorkRequest.asset_id)
        .outerjoin(WorkOrder, WorkOrder.id == WorkRequest.work_order_id)
    )
    if site_id is not None:
        stmt = stmt.where(WorkRequest.site_id == site_id)
    if status is not None:
        stmt = stmt.where(WorkRequest.status == R(status).value)
    if status == R.new:
        stmt = stmt.order_by(rank, WorkRequest.created_at, WorkRequest.id)
    else:
        stmt = stmt.order_by(WorkRequest.created_at.desc(), WorkRequest.id.desc())
    rows = db.session.execute(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    items = [
        QueueRow(
            id=row.WorkRequest.id,
            title=title_from(row.WorkRequest.description),
            status=row.WorkRequest.status,
            urgency=row.WorkRequest.urgency,
            requester_name=row.WorkRequest.requester_name,
            site_name=row.site_name,
            place=row.asset_name or row.location_name or row.WorkRequest.unit_text,
            created_at=row.WorkRequest.created_at,
            work_order_number=row.wo_number,
            has_photo=bool(row.has_photo),
        )
        for row in rows[:PAGE_SIZE]
    ]
    return Page(items=items, number=page, has_next=len(rows) > PAGE_SIZE)


@dataclass(frozen=True)
class PhotoInfo:
    """A photo attached to a request (the bytes are served by their own route)."""

    id: int
    filename: str
    size_bytes: int


@dataclass
class RequestDetail:
    """A request with everything the supervisor's page shows."""

    request: WorkRequest
    site: Site
    location_path: str | None
    asset: Asset | None
    work_order: WorkOrder | None
    merged_into: WorkRequest | None
    followers: list[WorkRequest]
    photos: list[PhotoInfo]
    merge_candidates: list[tuple[int, str]]

    @property
    def title(self) -> str:
        return title_from(self.request.description)


def request_for_page(wr_id: int) -> RequestDetail | None:
    """One request for the triage page, with its photos, WO, duplicates and merge candidates."""
    wr = db.session.get(WorkRequest, wr_id)
    if wr is None:
        return None
    session = db.session
    asset = session.get(Asset, wr.asset_id) if wr.asset_id else None
    location = session.get(Location, wr.location_id) if wr.location_id else None
    photos = [
        PhotoInfo(id=a.id, filename=a.filename, size_bytes=a.size_bytes)
        for a in session.execute(
            select(Attachment.id, Attachment.filename, Attachment.size_bytes)
            .where(Attachment.work_request_id == wr.id)
            .order_by(Attachment.id)
        )
    ]
    candidates = []
    if wr.status is R.new:
        earlier = session.scalars(
            select(WorkRequest)
            .where(
                WorkRequest.site_id == wr.site_id,
                WorkRequest.id < wr.id,
                WorkRequest.status.in_([R.new.value, R.accepted.value]),
            )
            .order_by(WorkRequest.id.desc())
            .limit(MERGE_CANDIDATES)
        )
        candidates = [
            (c.id, f"#{c.id} · {c.created_at:%d %b} · {title_from(c.description)[:60]}")
            for c in earlier
        ]
    return RequestDetail(
        request=wr,
        site=session.get(Site, wr.site_id),
        location_path=location.path if location else None,
        asset=asset,
        work_order=session.get(WorkOrder, wr.work_order_id) if wr.work_order_id else None,
        merged_into=session.get(WorkRequest, wr.merged_into_id) if wr.merged_into_id else None,
        followers=list(
            session.scalars(
                select(WorkRequest)
                .where(WorkRequest.merged_into_id == wr.id)
                .order_by(WorkRequest.id)
            )
        ),
        photos=photos,
        merge_candidates=candidates,
    )


def photo_of_request(wr_id: int, attachment_id: int) -> Attachment | None:
    """A photo attached to request `wr_id` (None if it belongs to something else)."""
    return db.session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.work_request_id == wr_id
        )
    )


def work_order_number(wr: WorkRequest) -> str | None:
    """The number of the work order a request became, if it became one."""
    if wr.work_order_id is None:
        return None
    return db.session.scalar(select(WorkOrder.number).where(WorkOrder.id == wr.work_order_id))

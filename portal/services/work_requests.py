"""Work requests: the public form, triage (accept, reject, merge), and telling the tenant.

A tenant (or any visitor) is not a user: the audit trail names them "public". What the pages
show is in read_models/work_requests.py; the tenant's e-mails are in services/tenant_mail.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.domain.errors import DomainError, NotFound
from portal.domain.events import Event, WorkOrderMoved
from portal.domain.permissions import Capability
from portal.domain.statuses import RequestIntake, WorkRequestStatus
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.domain.work_requests import PUBLIC, request_label, tells_tenant, title_from
from portal.models import Asset, Attachment, Location, Site, User, WorkOrder, WorkRequest
from portal.models.base import utcnow
from portal.read_models.work_requests import followers_of, root_of
from portal.services import audit, tenant_mail
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize
from portal.services.photos import prepare_photo
from portal.services.work_orders import NewWorkOrder, add_work_order

R = WorkRequestStatus
S = WorkOrderStatus


def _clean(text: str | None, limit: int) -> str | None:
    """Trimmed text within `limit`, or None when empty."""
    text = (text or "").strip()
    return text[:limit] or None


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


@submitted_once("work_request")
def submit_request(draft: PublicRequest, *, submission_id: str | None) -> WorkRequest:
    """Record a public request (a WO at once on first-come sites); one per form submission."""
    photo = None
    if draft.photo_data is not None:
        photo = prepare_photo(draft.photo_data, draft.photo_name or "")  # UploadRefused
    name = _clean(draft.requester_name, 120)
    description = (draft.description or "").strip()
    if not name or not description:
        raise DomainError("Give your name and describe the problem.")
    email, phone = _clean(draft.contact_email, 254), _clean(draft.contact_phone, 40)
    if not email and not phone:
        raise DomainError("Leave an e-mail address or a phone number so we can reach you.")
    with unit_of_work() as session:
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
            created_at=utcnow(),
        )
        session.add(wr)
        session.flush()
        if photo is not None:
            session.add(Attachment.of_photo(photo, work_request_id=wr.id))
        audit.record(
            session,
            actor=None,
            actor_label=PUBLIC,
            action="work_request.received",
            subject=wr,
            subject_label=request_label(wr.id),
            changes={
                "status": [None, R.new],
                "site_id": [None, site.id],
                "asset_id": [None, asset_id],
                "urgency": [None, wr.urgency],
            },
        )
        tenant_mail.notify(session, [wr], tenant_mail.received)
        if site.request_intake is RequestIntake.first_come:
            accept_into_work_order(
                session,
                wr,
                actor=None,
                why=f"First come: {site.name} turns every request into a work order",
                status=S.approved,
            )
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


def _waiting(session: Session, wr_id: int) -> WorkRequest:
    """The request, row-locked until the transaction ends; NotFound if there is none."""
    return locked(session, WorkRequest, wr_id, missing=f"Request #{wr_id} does not exist.")


def _require_new(session: Session, wr: WorkRequest) -> None:
    """Only requests waiting for triage can be decided; say what happened to the others."""
    if wr.status is R.new:
        return
    label = request_label(wr.id)
    if wr.status is R.accepted:
        number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == wr.work_order_id))
        raise DomainError(f"{label} was already accepted as {number}.")
    if wr.status is R.rejected:
        raise DomainError(f"{label} was already rejected.")
    raise DomainError(f"{label} was already merged with request #{wr.merged_into_id}.")


@submitted_once("triage_accept")
def accept_request(
    wr_id: int, *, actor: User, note: str | None = None, submission_id: str | None = None
) -> WorkRequest:
    """Accept a waiting request into a new work order; a second tap changes nothing."""
    authorize(actor, Capability.triage_work_requests)
    with unit_of_work() as session:
        wr = _waiting(session, wr_id)
        if wr.status is R.accepted:
            return wr
        _require_new(session, wr)
        why = f"Accepted from request #{wr.id}"
        note = _clean(note, 300)
        accept_into_work_order(session, wr, actor=actor, why=f"{why}: {note}" if note else why)
        return wr


def accept_into_work_order(
    session: Session,
    wr: WorkRequest,
    *,
    actor: User | None,
    why: str,
    status: WorkOrderStatus | None = None,
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
    wo = add_work_order(session, draft, actor=actor)
    wr.work_order_id = wo.id
    wr.status = R.accepted
    wr.decided_at = utcnow()
    audit.record(
        session,
        actor=actor,
        actor_label=None if actor is not None else PUBLIC,
        action="work_request.accepted",
        subject=wr,
        subject_label=request_label(wr.id),
        changes={"status": [R.new, R.accepted], "work_order": [None, wo.number]},
        why=why,
    )
    everyone = [wr, *followers_of(session, wr)]
    tenant_mail.notify(session, everyone, tenant_mail.accepted(wo.number))
    return wo


def _work_order_description(wr: WorkRequest) -> str:
    """The tenant's words, where they said, and how to reach them (for arranging access)."""
    lines = [wr.description.strip(), ""]
    if wr.unit_text:
        lines.append(f"Where (as reported): {wr.unit_text}")
    contact = " · ".join(c for c in (wr.contact_phone, wr.contact_email) if c)
    lines.append(f"Reported by {wr.requester_name} on the public form ({request_label(wr.id)}).")
    if contact:
        lines.append(f"Contact: {contact}")
    return "\n".join(lines)


@submitted_once("triage_reject")
def reject_request(
    wr_id: int, *, actor: User, reason: str, submission_id: str | None = None
) -> WorkRequest:
    """Reject a waiting request with a reason the person who reported it will read."""
    authorize(actor, Capability.triage_work_requests)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Write the reason the person will see.")
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters.")
    with unit_of_work() as session:
        wr = _waiting(session, wr_id)
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
            subject_label=request_label(wr.id),
            changes={"status": [R.new, R.rejected]},
            why=reason,
        )
        everyone = [wr, *followers_of(session, wr)]
        tenant_mail.notify(session, everyone, tenant_mail.rejected(reason))
        return wr


@submitted_once("triage_merge")
def merge_request(
    wr_id: int,
    *,
    into_id: int,
    actor: User,
    note: str | None = None,
    submission_id: str | None = None,
) -> WorkRequest:
    """Merge a waiting duplicate into an earlier request of the same site; its tenant follows it."""
    authorize(actor, Capability.triage_work_requests)
    with unit_of_work() as session:
        wr = _waiting(session, wr_id)
        target = session.get(WorkRequest, into_id)
        if target is None:
            raise NotFound(f"Request #{into_id} does not exist.")
        root = root_of(session, target)
        if wr.status is R.merged and wr.merged_into_id == root.id:
            return wr
        _require_new(session, wr)
        _check_merge(wr, root)
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
            subject_label=request_label(wr.id),
            changes={"status": [R.new, R.merged], "merged_into": [None, request_label(root.id)]},
            why=note or f"Same problem as {request_label(root.id)}",
        )
        tenant_mail.notify(session, [wr], tenant_mail.merged)
        return wr


def _check_merge(wr: WorkRequest, root: WorkRequest) -> None:
    """A duplicate merges into an earlier, not rejected request of the same site."""
    if root.id == wr.id:
        raise DomainError("A request cannot be merged with itself.")
    if root.id > wr.id:
        raise DomainError("Merge a duplicate into the earlier report, not the other way.")
    if root.site_id != wr.site_id:
        raise DomainError("Only requests of the same site can be merged.")
    if root.status is R.rejected:
        raise DomainError(f"{request_label(root.id)} was rejected; decide this one on its own.")


# ---------------------------------------------------------------- reactions


def on_work_order_moved(session: Session, event: Event) -> None:
    """WorkOrderMoved: when work a tenant reported is done or cancelled, e-mail them (and
    everyone who follows their report)."""
    assert isinstance(event, WorkOrderMoved)
    if not tells_tenant(event.before, event.after):
        return
    linked = session.scalars(
        select(WorkRequest).where(WorkRequest.work_order_id == event.work_order_id)
    ).all()
    if not linked:
        return
    number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == event.work_order_id))
    people: list[WorkRequest] = []
    for wr in linked:
        people.extend([wr, *followers_of(session, wr)])
    letter = tenant_mail.done if S(event.after) is S.completed else tenant_mail.cancelled
    tenant_mail.notify(session, people, letter(number or ""))

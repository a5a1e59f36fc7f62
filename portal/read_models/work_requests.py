"""What the work request pages show: the public form's places, the tenant's tracking page, the
triage queue and one request. Plain reads; no unit of work.

The tracking page shows the tenant their own report and public facts only: never staff names,
costs or internal notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session

from portal.domain.errors import NotFound
from portal.domain.statuses import WorkRequestStatus
from portal.domain.work_orders import PRIORITY_RANK, Priority
from portal.domain.work_requests import (
    MAX_MERGE_DEPTH,
    TONES,
    URGENCY_WORDS,
    public_progress,
    title_from,
)
from portal.models import (
    Asset,
    Attachment,
    Location,
    Site,
    WorkOrder,
    WorkOrderStatusChange,
    WorkRequest,
)
from portal.read_models.work_orders import PAGE_SIZE, Page
from portal.services._uow import current_session

MERGE_CANDIDATES = 50
R = WorkRequestStatus


# ---------------------------------------------------------------- merged requests


def root_of(session: Session, wr: WorkRequest) -> WorkRequest:
    """The request a merged one ends up following (chains are short; cycles are cut)."""
    seen = {wr.id}
    while wr.merged_into_id is not None and len(seen) <= MAX_MERGE_DEPTH:
        nxt = session.get(WorkRequest, wr.merged_into_id)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        wr = nxt
    return wr


def followers_of(session: Session, wr: WorkRequest) -> list[WorkRequest]:
    """The requests merged into `wr`, oldest first."""
    return list(
        session.scalars(
            select(WorkRequest).where(WorkRequest.merged_into_id == wr.id).order_by(WorkRequest.id)
        )
    )


# ---------------------------------------------------------------- the public form


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
    asset = current_session().scalar(
        select(Asset).where(Asset.qr_token == token, Asset.active.is_(True))
    )
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
    session = current_session()
    sites = session.execute(select(Site.id, Site.name).order_by(Site.name)).all()
    rows = session.execute(
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


def tracking_for(token: str) -> Tracking | None:
    """The public view of the request behind a tracking token, or None if there is none."""
    if not token or len(token) > 64:
        return None
    session = current_session()
    wr = session.scalar(select(WorkRequest).where(WorkRequest.tracking_token == token))
    if wr is None:
        return None
    steps = [Step("Received", wr.created_at)]
    followed = wr
    if wr.status is R.merged:
        followed = root_of(session, wr)
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
    wo = session.get(WorkOrder, followed.work_order_id) if followed.work_order_id else None
    if followed.status is R.rejected:
        headline, tone = "Not accepted", "rejected"
        steps.append(Step("Not accepted", followed.decided_at, followed.reject_reason))
    elif followed.status is R.accepted and wo is not None:
        number = wo.number
        steps.append(Step(f"Accepted as work order {wo.number}", followed.decided_at))
        steps.extend(_work_order_steps(session, wo, since=followed.decided_at))
        headline = public_progress(wo.status)
        tone = TONES.get(headline, "cancelled")
    elif wr.status is R.merged:
        headline, tone = "Merged: waiting for review", "new"
    return Tracking(
        headline=headline,
        tone=tone,
        description=wr.description,
        where=_where(session, wr),
        urgency=URGENCY_WORDS[Priority(wr.urgency)],
        received_at=wr.created_at,
        work_order_number=number,
        merged=wr.status is R.merged,
        steps=steps,
    )


def _work_order_steps(session: Session, wo: WorkOrder, *, since: datetime | None) -> list[Step]:
    """The work order's status history in public words; repeats collapsed, reasons left out."""
    changes = session.scalars(
        select(WorkOrderStatusChange)
        .where(WorkOrderStatusChange.work_order_id == wo.id)
        .order_by(WorkOrderStatusChange.id)
    ).all()
    steps: list[Step] = []
    for change in changes:
        label = public_progress(change.to_status)
        if steps and steps[-1].label == label:
            continue
        at: datetime | None = change.changed_at
        if since is not None and at is not None and at < since:
            at = since  # a work order raised before the link (demo data) reads in order
        steps.append(Step(label, at))
    if not steps:
        steps.append(Step(public_progress(wo.status), since))
    return steps


def _where(session: Session, wr: WorkRequest) -> str:
    """Where the person said the problem is, in the words of the form."""
    asset = session.get(Asset, wr.asset_id) if wr.asset_id is not None else None
    location = session.get(Location, wr.location_id) if wr.location_id is not None else None
    site = session.get(Site, wr.site_id)
    if asset is not None:
        parts = [f"{asset.name}, {asset.location.path}"]
    elif location is not None:
        parts = [location.path]
    else:
        parts = [site.name if site is not None else ""]
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
    return [(row.id, row.name) for row in current_session().execute(select(Site.id, Site.name))]


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
    rows = current_session().execute(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
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
        for row in rows.all()
    ]
    return Page(items=items[:PAGE_SIZE], number=page, has_next=len(items) > PAGE_SIZE)


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


def _merge_candidates(session: Session, wr: WorkRequest) -> list[tuple[int, str]]:
    """Earlier waiting or accepted requests of the same site, newest first, as choices."""
    if wr.status is not R.new:
        return []
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
    return [
        (c.id, f"#{c.id} · {c.created_at:%d %b} · {title_from(c.description)[:60]}")
        for c in earlier
    ]


def request_for_page(wr_id: int) -> RequestDetail:
    """One request for the triage page, with its photos, WO, duplicates and merge candidates."""
    session = current_session()
    wr = session.get(WorkRequest, wr_id)
    site = session.get(Site, wr.site_id) if wr is not None else None
    if wr is None or site is None:
        raise NotFound(f"Request #{wr_id} does not exist.")
    location = session.get(Location, wr.location_id) if wr.location_id else None
    photos = [
        PhotoInfo(id=a.id, filename=a.filename, size_bytes=a.size_bytes)
        for a in session.execute(
            select(Attachment.id, Attachment.filename, Attachment.size_bytes)
            .where(Attachment.work_request_id == wr.id)
            .order_by(Attachment.id)
        )
    ]
    return RequestDetail(
        request=wr,
        site=site,
        location_path=location.path if location else None,
        asset=session.get(Asset, wr.asset_id) if wr.asset_id else None,
        work_order=session.get(WorkOrder, wr.work_order_id) if wr.work_order_id else None,
        merged_into=session.get(WorkRequest, wr.merged_into_id) if wr.merged_into_id else None,
        followers=followers_of(session, wr),
        photos=photos,
        merge_candidates=_merge_candidates(session, wr),
    )


def photo_of_request(wr_id: int, attachment_id: int) -> Attachment:
    """A photo attached to request `wr_id`; NotFound if it belongs to something else."""
    found = current_session().scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.work_request_id == wr_id
        )
    )
    if found is None:
        raise NotFound("That photo is not on this request.")
    return found


def work_order_number(wr: WorkRequest) -> str | None:
    """The number of the work order a request became, if it became one."""
    if wr.work_order_id is None:
        return None
    return current_session().scalar(
        select(WorkOrder.number).where(WorkOrder.id == wr.work_order_id)
    )

"""Demo work requests: visitors' reports waiting in triage at the plant, tenants' at Elm Court.

Called by load_demo inside its transaction, after the sites, assets and users are added.
No demo request has an e-mail address, so loading the demo never sends mail.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.statuses import WorkRequestStatus
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.models import Asset, Location, Site, User, WorkRequest
from portal.models.base import utcnow
from portal.services import audit
from portal.services.work_orders import move_work_order
from portal.services.work_requests import PUBLIC, accept_into_work_order

# name, phone, asset tag or None, place (location name) or None, unit text, description, urgency,
# hours ago
PLANT_WAITING = [
    (
        "Dave Whitfield (Northline Haulage)",
        "+1 555 0142",
        "DR-121",
        None,
        "Bay 2",
        "Dock leveller lip does not fold down\nThe lip stays up after the truck leaves; "
        "we could not close the dock door.",
        Priority.high,
        5,
    ),
    (
        "Maria Santos (CleanRight contract cleaning)",
        "+1 555 0177",
        "DR-122",
        None,
        None,
        "Cold store rapid roll door stops halfway\nIt stops about a metre up and has to be "
        "pulled down by hand.",
        Priority.normal,
        28,
    ),
    (
        "Leo Brandt (visitor, QA audit)",
        "+1 555 0108",
        None,
        "Boiler Room",
        "Stairs down to the boiler room",
        "Handrail loose on the stairs\nThe top bracket moves when you lean on it.",
        Priority.high,
        3,
    ),
    (
        "Priti Shah (CleanRight contract cleaning)",
        "+1 555 0181",
        "DR-122",
        None,
        None,
        "Roll door at the cold store stuck half open again\nSame as last night.",
        Priority.normal,
        2,
    ),
]
PLANT_REJECTED = (
    "Gary Moss (visitor)",
    "+1 555 0166",
    "Main gate, street side",
    "Streetlight outside the main gate flickers",
    "That streetlight belongs to the city, not to the plant. We have reported it to "
    "Riverside council for you (their reference 4471).",
)
BLOCK_ACCEPTED = [
    (
        "Hana Kim",
        "+1 555 0121",
        "EC-2B",
        "Bathroom extractor fan is very noisy\nIt rattles whenever the light is on.",
        Priority.normal,
        50,
        WorkOrderStatus.approved,
    ),
    (
        "Olu Adeyemi",
        "+1 555 0133",
        "EC-3C",
        "Radiator in the bedroom stays cold\nThe other radiators are warm.",
        Priority.high,
        30,
        WorkOrderStatus.in_progress,
    ),
    (
        "Rosa Lindgren",
        "+1 555 0119",
        "EC-DR",
        "Entrance door closes very slowly\nIt stays open for almost a minute in the cold.",
        Priority.normal,
        8,
        WorkOrderStatus.approved,
    ),
]


def _new(
    session: Session,
    site: Site,
    *,
    name: str,
    phone: str,
    description: str,
    urgency: Priority,
    hours_ago: int,
    asset: Asset | None = None,
    location: Location | None = None,
    unit_text: str | None = None,
) -> WorkRequest:
    """A waiting request as the public form would have made it, audited as received."""
    wr = WorkRequest(
        site_id=site.id,
        location_id=asset.location_id if asset is not None else (location.id if location else None),
        asset_id=asset.id if asset is not None else None,
        requester_name=name,
        contact_phone=phone,
        unit_text=unit_text,
        description=description,
        urgency=urgency,
        status=WorkRequestStatus.new,
        tracking_token=secrets.token_urlsafe(24),
        submission_id=f"demo-{uuid.uuid4().hex}",
        created_at=utcnow() - timedelta(hours=hours_ago),
    )
    session.add(wr)
    session.flush()
    audit.record(
        session,
        actor=None,
        actor_label=PUBLIC,
        action="work_request.received",
        subject=wr,
        subject_label=f"Request #{wr.id}",
        changes={"status": [None, WorkRequestStatus.new]},
    )
    return wr


def load_demo_requests(
    session: Session, *, sites: Mapping[str, Site], assets: Mapping[str, Asset]
) -> int:
    """Add the demo requests (sites by code: RBP, ECA; assets by tag); returns how many.

    A second call finds them and adds nothing (returns 0)."""
    session.flush()  # ids for sites, locations and assets
    loaded = select(WorkRequest.id).where(WorkRequest.submission_id.like("demo-%")).limit(1)
    if session.scalar(loaded) is not None:
        return 0
    plant, block = sites["RBP"], sites["ECA"]
    supervisor = session.scalar(select(User).where(User.username == "supervisor"))
    technician = session.scalar(select(User).where(User.username == "technician"))
    count = 0
    for name, phone, tag, place, unit, text, urgency, hours in PLANT_WAITING:
        location = None
        if place is not None:
            location = session.scalar(
                select(Location).where(Location.site_id == plant.id, Location.name == place)
            )
        _new(
            session,
            plant,
            name=name,
            phone=phone,
            description=text,
            urgency=urgency,
            hours_ago=hours,
            asset=assets[tag] if tag else None,
            location=location,
            unit_text=unit,
        )
        count += 1

    name, phone, unit, text, reason = PLANT_REJECTED
    wr = _new(
        session,
        plant,
        name=name,
        phone=phone,
        description=text,
        urgency=Priority.low,
        hours_ago=40,
        unit_text=unit,
    )
    wr.status = WorkRequestStatus.rejected
    wr.reject_reason = reason
    wr.decided_at = wr.created_at + timedelta(hours=1)
    audit.record(
        session,
        actor=supervisor,
        action="work_request.rejected",
        subject=wr,
        subject_label=f"Request #{wr.id}",
        changes={"status": [WorkRequestStatus.new, WorkRequestStatus.rejected]},
        why=reason,
    )
    count += 1

    # Elm Court is first come: each tenant's request became a work order when it arrived.
    for name, phone, tag, text, urgency, hours, status in BLOCK_ACCEPTED:
        wr = _new(
            session,
            block,
            name=name,
            phone=phone,
            description=text,
            urgency=urgency,
            hours_ago=hours,
            asset=assets[tag],
        )
        wo = accept_into_work_order(
            session,
            wr,
            actor=None,
            why=f"First come: {block.name} turns every request into a work order",
            status=WorkOrderStatus.approved,
        )
        wr.decided_at = wo.created_at = wr.created_at  # it became work the moment it arrived
        for change in wo.status_changes:
            change.changed_at = wr.created_at
        if status is WorkOrderStatus.in_progress and technician is not None:
            wo.assignee_user_id = technician.id
            move_work_order(session, wo, WorkOrderStatus.assigned, actor=supervisor, reason=None)
            move_work_order(session, wo, WorkOrderStatus.in_progress, actor=technician, reason=None)
        count += 1
    return count

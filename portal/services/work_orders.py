"""Work orders: raising them, giving them to someone, moving them through their statuses, and
what is done on them (notes and photos, labour, steps, downtime).

What the pages show is in read_models/work_orders.py. Every use case asserts what the actor may
do (the permission table and whose work it is), so no caller can skip a rule; every form's use
case is idempotent on its submission id (a double tap does the work once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.domain import receiving as receiving_rules
from portal.domain import vendors as vendor_rules
from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.events import Event, PartsArrived, WorkOrderMoved
from portal.domain.money import money, quantity
from portal.domain.numbering import Sequence
from portal.domain.permissions import MOVE_CAPABILITY, Capability, oversees_work
from portal.domain.work_orders import (
    Priority,
    WorkOrderStatus,
    WorkOrderType,
    accepts_work,
    check_move,
    due_at,
    initial_status,
    records_downtime,
)
from portal.models import (
    Asset,
    Attachment,
    ChecklistItem,
    CostCentre,
    GoodsReceipt,
    LabourEntry,
    Location,
    Site,
    User,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.read_models.contractors import cover_of_contractor
from portal.services import audit
from portal.services._uow import locked, submitted_once, unit_of_work
from portal.services.authz import authorize, authorize_on_work_order
from portal.services.messagebus import publish
from portal.services.numbering import next_number
from portal.services.photos import prepare_photo

C = Capability
S = WorkOrderStatus


@dataclass
class NewWorkOrder:
    """What it takes to raise a work order; site, location or asset say where."""

    title: str
    site_id: int | None = None
    asset_id: int | None = None
    location_id: int | None = None
    description: str | None = None
    type: WorkOrderType = WorkOrderType.corrective
    priority: Priority = Priority.normal
    requester_name: str | None = None
    department: str | None = None
    assignee_user_id: int | None = None
    assignee_team_id: int | None = None
    assignee_vendor_id: int | None = None
    due: datetime | None = None
    checklist: list[str] = field(default_factory=list)
    audit_reference: str | None = None
    down_at: datetime | None = None
    status: WorkOrderStatus | None = None
    why: str | None = None


@submitted_once("new_work_order")
def create_work_order(
    draft: NewWorkOrder, *, actor: User | None, submission_id: str | None = None
) -> WorkOrder:
    """Raise a work order (numbered, due by priority, audited); one per form submission."""
    authorize(actor, C.raise_work_order)
    with unit_of_work() as session:
        return add_work_order(session, draft, actor=actor)


@dataclass(frozen=True)
class _Place:
    """Where new work is: the site, and the location and asset when known."""

    site_id: int
    location_id: int | None
    asset: Asset | None


def _place(session: Session, draft: NewWorkOrder) -> _Place:
    """The site, location and asset a draft names, checked; NotFound or words otherwise."""
    asset = session.get(Asset, draft.asset_id) if draft.asset_id else None
    if draft.asset_id and asset is None:
        raise NotFound("That asset does not exist.")
    location_id = draft.location_id or (asset.location_id if asset else None)
    location = session.get(Location, location_id) if location_id else None
    if location_id and location is None:
        raise NotFound("That location does not exist.")
    site_id = location.site_id if location is not None else draft.site_id
    if site_id is None or session.get(Site, site_id) is None:
        raise DomainError("Choose the site, location or asset the work is for.")
    return _Place(site_id, location_id, asset)


def add_work_order(session: Session, draft: NewWorkOrder, *, actor: User | None) -> WorkOrder:
    """Build and add one work order inside the caller's transaction (triage, audit imports)."""
    title = (draft.title or "").strip()
    if not title:
        raise DomainError("Say in a few words what needs doing.")
    place = _place(session, draft)
    if draft.assignee_user_id and session.get(User, draft.assignee_user_id) is None:
        raise NotFound("That assignee does not exist.")
    now = utcnow()
    priority = Priority(draft.priority)
    status = draft.status or initial_status(
        raised_by_approver=actor is not None and actor.can(C.approve_work_order),
        has_assignee=bool(
            draft.assignee_user_id or draft.assignee_team_id or draft.assignee_vendor_id
        ),
    )
    wo = WorkOrder(
        number=next_number(session, Sequence.work_order),
        title=title[:200],
        description=(draft.description or "").strip() or None,
        type=WorkOrderType(draft.type),
        priority=priority,
        status=status,
        site_id=place.site_id,
        location_id=place.location_id,
        asset_id=place.asset.id if place.asset else None,
        cost_centre_id=session.scalar(
            select(CostCentre.id)
            .where(CostCentre.site_id == place.site_id)
            .order_by(CostCentre.id)
            .limit(1)
        ),
        requester_id=actor.id if actor is not None else None,
        requester_name=draft.requester_name or (actor.full_name if actor is not None else None),
        department=draft.department or (actor.department if actor is not None else None),
        assignee_user_id=draft.assignee_user_id,
        assignee_team_id=draft.assignee_team_id,
        assignee_vendor_id=draft.assignee_vendor_id,
        due_at=draft.due or due_at(priority, now),
        audit_reference=draft.audit_reference,
        down_at=draft.down_at if records_downtime(draft.type) else None,
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    session.add(wo)
    steps = [text.strip() for text in draft.checklist if text and text.strip()]
    for position, text in enumerate(steps, start=1):
        wo.checklist.append(ChecklistItem(position=position, text=text[:500]))
    wo.status_changes.append(
        WorkOrderStatusChange(
            to_status=status, changed_by_id=wo.created_by_id, changed_at=now, reason=draft.why
        )
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="work_order.created",
        subject=wo,
        changes={
            "status": [None, status],
            "priority": [None, priority],
            "asset_id": [None, wo.asset_id],
        },
        why=draft.why,
    )
    return wo


# ---------------------------------------------------------------- status moves


@submitted_once("work_order_move")
def change_status(
    wo_id: int,
    target: WorkOrderStatus,
    *,
    actor: User | None,
    reason: str | None = None,
    submission_id: str | None = None,
) -> WorkOrder:
    """A person moves a work order (start, complete, close...): the move needs its capability
    (permissions.MOVE_CAPABILITY) and, for a technician, work that is theirs or nobody's."""
    target = WorkOrderStatus(target)
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        capability = MOVE_CAPABILITY.get(target)
        if capability is None:
            check_move(wo.status, target)  # nothing moves back to requested: says so in words
        else:
            authorize_on_work_order(actor, capability, wo)
        move_work_order(session, wo, target, actor=actor, reason=reason)
        return wo


def move_work_order(
    session: Session,
    wo: WorkOrder,
    target: WorkOrderStatus,
    *,
    actor: User | None,
    reason: str | None,
) -> None:
    """Apply one allowed status move inside the caller's transaction; publishes WorkOrderMoved.

    The rules of the move itself (which moves exist, a contractor's agreed price, a reason to
    cancel) are checked here for every caller. Whether the person may make it is checked by
    the use case that decided it: `change_status` for a person's own move, or another
    feature's use case whose action the move follows (a purchase request rejected, a receipt).
    """
    before = wo.status
    if before == target:
        return
    check_move(before, target)
    if target is S.in_progress:
        # A contractor's work starts only at an agreed price (contract or service PO).
        cover = cover_of_contractor(session, wo)
        if cover is not None:
            vendor_rules.check_may_start(cover, wo.number)
    if target is S.cancelled and not (reason or "").strip():
        raise DomainError("Say why the work order is cancelled.")
    now = utcnow()
    wo.status = target
    if target is S.completed:
        wo.completed_at = now
        if wo.down_at is not None and wo.up_at is None:
            wo.up_at = now
    elif target is S.closed:
        wo.closed_at = now
    actor_id = actor.id if actor is not None else None
    session.add(
        WorkOrderStatusChange(
            work_order_id=wo.id,
            from_status=before,
            to_status=target,
            changed_by_id=actor_id,
            changed_at=now,
            reason=reason,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="work_order.status_changed",
        subject=wo,
        changes={"status": [before, target]},
        why=reason,
    )
    publish(session, WorkOrderMoved(wo.id, before.value, target.value, actor_id, reason))


def on_parts_arrived(session: Session, event: Event) -> None:
    """PartsArrived: a work order waiting for parts goes back to work once all have arrived
    (back in progress if it had started, else back in the queue it came from)."""
    assert isinstance(event, PartsArrived)
    if not event.all_arrived:
        return
    wo = locked(session, WorkOrder, event.work_order_id)
    if wo.status is not S.waiting_parts:
        return
    started = session.scalar(
        select(func.count(WorkOrderStatusChange.id)).where(
            WorkOrderStatusChange.work_order_id == wo.id,
            WorkOrderStatusChange.to_status == S.in_progress.value,
        )
    )
    target = receiving_rules.status_when_parts_arrive(
        work_started=bool(started), assigned=wo.assignee_user_id is not None
    )
    number = session.scalar(
        select(GoodsReceipt.number).where(GoodsReceipt.id == event.goods_receipt_id)
    )
    actor = session.get(User, event.actor_id) if event.actor_id is not None else None
    move_work_order(session, wo, target, actor=actor, reason=f"All parts arrived ({number})")


# ---------------------------------------------------------------- who does the work


@submitted_once("work_order_assign")
def assign(
    wo_id: int, *, assignee_user_id: int, actor: User, submission_id: str | None = None
) -> WorkOrder:
    """Give the work to a person (a technician may take work that is nobody's); an approved
    (or still requested) work order becomes assigned."""
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        authorize_on_work_order(actor, C.assign_work_order, wo)
        person = session.get(User, assignee_user_id)
        if person is None or not person.active:
            raise NotFound("That person does not exist.")
        if person.id != actor.id and not oversees_work(actor.roles):
            raise NotAllowed("Only a supervisor gives work to someone else; you can take it.")
        before = wo.assignee_user_id
        wo.assignee_user_id = person.id
        wo.assignee_team_id = None
        wo.assignee_vendor_id = None
        audit.record(
            session,
            actor=actor,
            action="work_order.assigned",
            subject=wo,
            changes={"assignee_user_id": [before, person.id]},
        )
        if wo.status is S.requested:
            move_work_order(session, wo, S.approved, actor=actor, reason=None)
        if wo.status is S.approved:
            move_work_order(
                session, wo, S.assigned, actor=actor, reason=f"Assigned to {person.full_name}"
            )
        return wo


# ---------------------------------------------------------------- work done on a work order


@submitted_once("work_order_note")
def add_comment(
    wo_id: int,
    *,
    body: str,
    actor: User,
    photo: tuple[bytes, str] | None = None,
    submission_id: str | None = None,
) -> WorkOrderComment:
    """A note (and maybe a photo) on a work order; one per form submission. The read-only
    auditor never writes one."""
    authorize(actor, C.comment_on_work_order)
    body = (body or "").strip()
    if not body and photo is None:
        raise DomainError("Write a note or add a photo.")
    if len(body) > 4000:
        raise DomainError("Keep a note under 4,000 characters.")
    prepared = prepare_photo(*photo) if photo is not None else None  # UploadRefused in words
    with unit_of_work() as session:
        wo = session.get(WorkOrder, wo_id)
        if wo is None:
            raise NotFound(f"Work order {wo_id} does not exist.")
        comment = WorkOrderComment(work_order_id=wo.id, author_id=actor.id, body=body)
        if prepared is not None:
            attachment = Attachment.of_photo(prepared, work_order_id=wo.id, uploaded_by_id=actor.id)
            session.add(attachment)
            session.flush()
            comment.photo_id = attachment.id
        session.add(comment)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="work_order.commented",
            subject=wo,
            changes={"comment_id": [None, comment.id], "photo": photo is not None},
        )
        return comment


@submitted_once("labour_entry")
def log_labour(
    wo_id: int,
    *,
    hours: Decimal,
    worked_on: date,
    actor: User,
    note: str | None = None,
    default_rate: Decimal = Decimal("40.00"),
    submission_id: str | None = None,
) -> LabourEntry:
    """Hours worked at the person's rate: labour cost on the WO; one entry per submission."""
    authorize(actor, C.work_on_work_order)
    if hours <= 0 or hours > 24:
        raise DomainError("Hours must be more than 0 and at most 24 for one day.")
    if worked_on > utcnow().date():
        raise DomainError("Labour cannot be logged for a day that has not come yet.")
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        authorize_on_work_order(actor, C.work_on_work_order, wo)
        if not accepts_work(wo.status):
            raise DomainError(f"{wo.number} is {wo.status.value}: no more labour can be logged.")
        rate = actor.hourly_rate if actor.hourly_rate is not None else default_rate
        entry = LabourEntry(
            work_order_id=wo.id,
            user_id=actor.id,
            worked_on=worked_on,
            hours=quantity(hours),
            rate=money(rate),
            cost_amount=money(quantity(hours) * rate),
            note=(note or "").strip()[:500] or None,
        )
        session.add(entry)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="labour.logged",
            subject=wo,
            changes={"hours": [None, entry.hours], "cost_amount": [None, entry.cost_amount]},
            why=entry.note,
        )
        return entry


@submitted_once("work_order_step")
def toggle_step(
    wo_id: int, step_id: int, *, done: bool, actor: User, submission_id: str | None = None
) -> ChecklistItem:
    """Tick or untick one step of the instructions."""
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        authorize_on_work_order(actor, C.work_on_work_order, wo)
        step = session.get(ChecklistItem, step_id)
        if step is None or step.work_order_id != wo_id:
            raise NotFound("That step is not on this work order.")
        if step.done != done:
            step.done = done
            step.done_by_id = actor.id if done else None
            step.done_at = utcnow() if done else None
            audit.record(
                session,
                actor=actor,
                action="work_order.step_ticked" if done else "work_order.step_unticked",
                subject=wo,
                changes={"step_id": step.id, "text": step.text, "done": done},
            )
        return step


@submitted_once("downtime")
def record_downtime(
    wo_id: int, *, event: str, actor: User, submission_id: str | None = None
) -> WorkOrder:
    """The asset went down now ('down') or is back up now ('up'), for downtime reports."""
    if event not in ("down", "up"):
        raise DomainError("Say whether the asset went down or came back up.")
    with unit_of_work() as session:
        wo = locked(session, WorkOrder, wo_id, missing=f"Work order {wo_id} does not exist.")
        authorize_on_work_order(actor, C.work_on_work_order, wo)
        now = utcnow()
        if event == "down":
            if wo.down_at is not None and wo.up_at is None:
                return wo  # already down
            change = {"down_at": [wo.down_at, now]}
            wo.down_at, wo.up_at = now, None
        else:
            if wo.down_at is None:
                raise DomainError("The asset was not recorded as down.")
            if wo.up_at is not None:
                return wo
            change = {"up_at": [None, now]}
            wo.up_at = now
        audit.record(session, actor=actor, action=f"asset.{event}", subject=wo, changes=change)
        return wo

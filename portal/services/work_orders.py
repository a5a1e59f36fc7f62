"""Work orders: reading them for pages, raising them, and moving them through their statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.domain.money import money, quantity
from portal.domain.numbering import Sequence
from portal.domain.roles import Role
from portal.domain.uploads import check_photo
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
from portal.extensions import db
from portal.models import (
    Asset,
    Attachment,
    ChecklistItem,
    CostCentre,
    LabourEntry,
    Location,
    PartLine,
    Site,
    User,
    WorkOrder,
    WorkOrderComment,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.read_models import audit_trail, costs
from portal.services import audit
from portal.services._uow import earlier_submission, unit_of_work
from portal.services.dashboards import open_work_query
from portal.services.numbering import next_number

PAGE_SIZE = 25


@dataclass
class Page:
    """One page of a list, and whether there are more."""

    items: list
    number: int
    has_next: bool


def _filtered(status: str | None) -> Select:
    """Open work most urgent first; one status by due date, latest first; any status newest first.

    Each order matches an index (queue, status+due, primary key), so a page is an index walk.
    """
    if status not in WorkOrderStatus.__members__ and status != "":
        return open_work_query()  # "open", nothing, or an unknown value: never an error page
    stmt = select(WorkOrder).options(
        joinedload(WorkOrder.asset),
        joinedload(WorkOrder.location),
        joinedload(WorkOrder.assignee_user),
    )
    if status:
        return stmt.where(WorkOrder.status == WorkOrderStatus(status).value).order_by(
            WorkOrder.due_at.desc(), WorkOrder.id.desc()
        )
    return stmt.order_by(WorkOrder.id.desc())


def search(*, text: str | None, status: str | None, page: int = 1) -> Page:
    """Work orders matching text (number, title, asset tag) and status; one page of them."""
    stmt = _filtered(status)
    needle = (text or "").strip().lower()
    if needle:
        like = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        tagged = select(Asset.id).where(func.lower(Asset.tag).like(like, escape="\\"))
        stmt = stmt.where(
            or_(
                func.lower(WorkOrder.number).like(like, escape="\\"),
                func.lower(WorkOrder.title).like(like, escape="\\"),
                WorkOrder.asset_id.in_(tagged),
            )
        )
    rows = list(
        db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique()
    )
    return Page(items=rows[:PAGE_SIZE], number=page, has_next=len(rows) > PAGE_SIZE)


def get(wo_id: int) -> WorkOrder | None:
    """One work order, its own row only (for pages that show little of it)."""
    return db.session.get(WorkOrder, wo_id)


@cache
def _page_statement() -> Select:
    """The WO page's query, built once: SQLAlchemy then reuses it and its compiled form."""
    return (
        select(WorkOrder)
        .where(WorkOrder.id == bindparam("wo_id"))
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.site),
            joinedload(WorkOrder.assignee_user),
            joinedload(WorkOrder.assignee_team),
            joinedload(WorkOrder.assignee_vendor),
            joinedload(WorkOrder.requester),
            selectinload(WorkOrder.part_lines).joinedload(PartLine.item),
            selectinload(WorkOrder.checklist),
            selectinload(WorkOrder.status_changes),
        )
    )


def get_for_page(wo_id: int) -> WorkOrder | None:
    """A work order with everything its page shows, in a fixed number of queries."""
    return db.session.scalars(_page_statement(), {"wo_id": wo_id}).unique().one_or_none()


# ---------------------------------------------------------------- writes


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


def create_work_order(
    draft: NewWorkOrder, *, actor: User | None, submission_id: str | None = None
) -> WorkOrder:
    """Raise a work order (numbered, due by priority, audited); the same submission_id gives one."""
    with unit_of_work() as session:
        earlier = earlier_submission(session, WorkOrder, submission_id)
        if earlier is not None:
            return earlier
        wo = add_work_order(session, draft, actor=actor, submission_id=submission_id)
    return wo


def add_work_order(
    session: Session, draft: NewWorkOrder, *, actor: User | None, submission_id: str | None = None
) -> WorkOrder:
    """Build and add one work order inside the caller's transaction (triage, audit imports)."""
    title = (draft.title or "").strip()
    if not title:
        raise DomainError("Say in a few words what needs doing.")
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
    if draft.assignee_user_id and session.get(User, draft.assignee_user_id) is None:
        raise NotFound("That assignee does not exist.")
    now = utcnow()
    priority = Priority(draft.priority)
    supervisor = actor is not None and actor.has_role(Role.supervisor)
    has_assignee = bool(
        draft.assignee_user_id or draft.assignee_team_id or draft.assignee_vendor_id
    )
    status = draft.status or initial_status(
        raised_by_supervisor=supervisor, has_assignee=has_assignee
    )
    cost_centre_id = session.scalar(
        select(CostCentre.id).where(CostCentre.site_id == site_id).order_by(CostCentre.id).limit(1)
    )
    wo = WorkOrder(
        number=next_number(session, Sequence.work_order),
        title=title[:200],
        description=(draft.description or "").strip() or None,
        type=WorkOrderType(draft.type),
        priority=priority,
        status=status,
        site_id=site_id,
        location_id=location_id,
        asset_id=asset.id if asset else None,
        cost_centre_id=cost_centre_id,
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
        submission_id=submission_id,
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


def change_status(
    wo_id: int, target: WorkOrderStatus, *, actor: User | None, reason: str | None = None
) -> WorkOrder:
    """Move a work order to `target` if the rules allow it; the move is recorded and audited."""
    with unit_of_work() as session:
        wo = session.get(WorkOrder, wo_id, with_for_update=True)
        if wo is None:
            raise NotFound(f"Work order {wo_id} does not exist.")
        move_work_order(session, wo, WorkOrderStatus(target), actor=actor, reason=reason)
    return wo


def move_work_order(
    session: Session,
    wo: WorkOrder,
    target: WorkOrderStatus,
    *,
    actor: User | None,
    reason: str | None,
) -> None:
    """Apply one allowed status move inside the caller's transaction (used by other services)."""
    before = wo.status
    if before == target:
        return
    check_move(before, target)
    if target is WorkOrderStatus.in_progress and wo.assignee_vendor_id is not None:
        # A contractor's work starts only at an agreed price (contract or service PO).
        from portal.services.contractors import check_may_start

        check_may_start(session, wo)
    if target is WorkOrderStatus.cancelled and not (reason or "").strip():
        raise DomainError("Say why the work order is cancelled.")
    now = utcnow()
    wo.status = target
    if target is WorkOrderStatus.completed:
        wo.completed_at = now
        if wo.down_at is not None and wo.up_at is None:
            wo.up_at = now
    elif target is WorkOrderStatus.closed:
        wo.closed_at = now
    session.add(
        WorkOrderStatusChange(
            work_order_id=wo.id,
            from_status=before,
            to_status=target,
            changed_by_id=actor.id if actor else None,
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
    # Tenants who reported this work hear when it is done or cancelled (mail after commit).
    from portal.services import work_requests

    work_requests.on_work_order_moved(session, wo, before, target)


def _locked_order(session: Session, wo_id: int) -> WorkOrder:
    """The work order, locked for this transaction, or NotFound."""
    wo = session.get(WorkOrder, wo_id, with_for_update=True)
    if wo is None:
        raise NotFound(f"Work order {wo_id} does not exist.")
    return wo


def assign(wo_id: int, *, assignee_user_id: int, actor: User) -> WorkOrder:
    """Give the work to a person; an approved WO becomes assigned."""
    with unit_of_work() as session:
        wo = _locked_order(session, wo_id)
        person = session.get(User, assignee_user_id)
        if person is None or not person.active:
            raise NotFound("That person does not exist.")
        if person.id != actor.id and not actor.has_role(Role.supervisor):
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
        if wo.status in (WorkOrderStatus.approved, WorkOrderStatus.requested):
            if wo.status is WorkOrderStatus.requested:
                move_work_order(session, wo, WorkOrderStatus.approved, actor=actor, reason=None)
            move_work_order(
                session,
                wo,
                WorkOrderStatus.assigned,
                actor=actor,
                reason=f"Assigned to {person.full_name}",
            )
    return wo


def add_comment(
    wo_id: int,
    *,
    body: str,
    actor: User,
    submission_id: str,
    photo: tuple[bytes, str] | None = None,
) -> WorkOrderComment:
    """A note (and maybe a photo) on a work order; the same submission_id gives one comment."""
    body = (body or "").strip()
    if not body and photo is None:
        raise DomainError("Write a note or add a photo.")
    if len(body) > 4000:
        raise DomainError("Keep a note under 4,000 characters.")
    content_type = check_photo(photo[0], photo[1]) if photo is not None else None
    with unit_of_work() as session:
        earlier = earlier_submission(session, WorkOrderComment, submission_id)
        if earlier is not None:
            return earlier
        wo = _locked_order(session, wo_id)
        comment = WorkOrderComment(
            work_order_id=wo.id, author_id=actor.id, body=body, submission_id=submission_id
        )
        if photo is not None:
            data, filename = photo
            attachment = Attachment(
                work_order_id=wo.id,
                filename=(filename or "photo")[:200],
                content_type=content_type,
                size_bytes=len(data),
                data=data,
                uploaded_by_id=actor.id,
            )
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


def log_labour(
    wo_id: int,
    *,
    hours: Decimal,
    worked_on: date,
    actor: User,
    submission_id: str,
    note: str | None = None,
    default_rate: Decimal = Decimal("40.00"),
) -> LabourEntry:
    """Hours worked at the person's rate: labour cost on the WO; one entry per submission_id."""
    if hours <= 0 or hours > 24:
        raise DomainError("Hours must be more than 0 and at most 24 for one day.")
    if worked_on > utcnow().date():
        raise DomainError("Labour cannot be logged for a day that has not come yet.")
    with unit_of_work() as session:
        earlier = earlier_submission(session, LabourEntry, submission_id)
        if earlier is not None:
            return earlier
        wo = _locked_order(session, wo_id)
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
            submission_id=submission_id,
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


def toggle_step(wo_id: int, step_id: int, *, done: bool, actor: User) -> ChecklistItem:
    """Tick or untick one step of the instructions."""
    with unit_of_work() as session:
        step = session.get(ChecklistItem, step_id, with_for_update=True)
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
                subject=session.get(WorkOrder, wo_id),
                changes={"step_id": step.id, "text": step.text, "done": done},
            )
    return step


def record_downtime(wo_id: int, *, event: str, actor: User) -> WorkOrder:
    """The asset went down now ('down') or is back up now ('up'), for downtime reports."""
    with unit_of_work() as session:
        wo = _locked_order(session, wo_id)
        now = utcnow()
        if event == "down":
            if wo.down_at is not None and wo.up_at is None:
                return wo  # already down: a double tap
            before = wo.down_at
            wo.down_at, wo.up_at = now, None
            change = {"down_at": [before, now]}
        elif event == "up":
            if wo.down_at is None:
                raise DomainError("The asset was not recorded as down.")
            if wo.up_at is not None:
                return wo
            wo.up_at = now
            change = {"up_at": [None, now]}
        else:
            raise DomainError("Say whether the asset went down or came back up.")
        audit.record(session, actor=actor, action=f"asset.{event}", subject=wo, changes=change)
    return wo


def attachment(attachment_id: int) -> Attachment | None:
    """A stored photo, for signed-in staff."""
    return db.session.get(Attachment, attachment_id)


def page_extras(wo: WorkOrder) -> dict:
    """Comments, labour and costs for the WO page, in a fixed number of queries."""
    comments = list(
        db.session.scalars(
            select(WorkOrderComment)
            .where(WorkOrderComment.work_order_id == wo.id)
            .options(joinedload(WorkOrderComment.author))
            .order_by(WorkOrderComment.id.desc())
            .limit(50)
        )
    )
    labour = list(
        db.session.scalars(
            select(LabourEntry)
            .where(LabourEntry.work_order_id == wo.id)
            .options(joinedload(LabourEntry.user))
            .order_by(LabourEntry.worked_on.desc())
        )
    )
    labour_cost = sum((e.cost_amount for e in labour), Decimal("0"))
    labour_hours = sum((e.hours for e in labour), Decimal("0"))
    parts_cost = sum((line.issued_cost_amount for line in wo.part_lines), Decimal("0"))
    return {
        "comments": comments,
        "labour": labour,
        "labour_cost": labour_cost,
        "labour_hours": labour_hours,
        "parts_cost": parts_cost,
        "costs": costs.work_order_costs(wo.id),
        "timeline": audit_trail.timeline_for("WorkOrder", wo.id),
    }

"""What the home page shows of the work itself: the queue, its counts and the team's load.

The cards other features add (approvals waiting, parts arrived, budgets...) are composed by the
main blueprint from those features' own reads. A fixed number of queries whatever the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, text

from portal.domain.roles import Role
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.models import User, WorkOrder
from portal.models.base import utcnow
from portal.read_models.work_orders import open_work_query
from portal.services._uow import current_session

QUEUE_SIZE = 8

QUEUE_FILTERS = {
    "all": "All",
    "overdue": "Overdue",
    "today": "Due today",
    "parts": "Waiting for parts",
    "emergency": "Emergency",
}


@dataclass
class Tile:
    """One number on the home page, with where it leads."""

    label: str
    value: int
    tone: str = "neutral"  # neutral, warn, alert
    href: str | None = None


@dataclass
class TeamRow:
    """One person's load on the supervisor's board."""

    user_id: int
    name: str
    open: int
    overdue: int


@dataclass
class HomeBoard:
    """Everything the home page shows: the work, and the cards of other features."""

    queue_title: str = "My work"
    queue: list[WorkOrder] = field(default_factory=list)
    queue_total: int = 0
    tiles: list[Tile] = field(default_factory=list)
    show: str = "all"
    team: list[TeamRow] = field(default_factory=list)
    # Cards of other features, filled by the main blueprint (None or empty: no card).
    approvals: Any = None  # purchase requests waiting for this person
    buying: Any = None  # request lines waiting for a PO, draft POs (buyers)
    parts_arrived: list[Any] = field(default_factory=list)  # newest first
    budgets: list[Any] = field(default_factory=list)  # least budget left (read_budgets)
    purchasing: Any = None  # out-of-pocket review, maverick spend, policy
    invoices: Any = None  # holds, payable, tasks asked of this person


def _queue_filter(stmt: Select[WorkOrder], show: str, now: datetime):
    """Narrow the queue to one of QUEUE_FILTERS."""
    if show == "overdue":
        return stmt.where(WorkOrder.due_at < now)
    if show == "today":
        return stmt.where(WorkOrder.due_at < now + timedelta(days=1))
    if show == "parts":
        return stmt.where(WorkOrder.status == WorkOrderStatus.waiting_parts.value)
    if show == "emergency":
        return stmt.where(WorkOrder.priority == Priority.emergency.value)
    return stmt


def home_board(user: User, show: str = "all", *, now: datetime | None = None) -> HomeBoard:
    """The technician's queue, or the team board for supervisors, with the counts that matter."""
    session = current_session()
    board = HomeBoard(show=show if show in QUEUE_FILTERS else "all")
    now = now or utcnow()
    # Which queue a person's home page leads with is a choice made for them, not a permission:
    # a technician (who is not also a supervisor) sees their own work first, the others the
    # team's; either way they may open every work order their capabilities allow.
    team_view = user.has_role(Role.supervisor) or not user.has_role(Role.technician)
    mine = None if team_view else user
    board.queue_title = "Open work" if team_view else "My work"
    queue = _queue_filter(open_work_query(mine), board.show, now)
    board.queue = list(session.scalars(queue.limit(QUEUE_SIZE)).unique())
    counts = select(
        func.count().label("open"),
        func.count().filter(WorkOrder.due_at < now).label("overdue"),
        func.count().filter(WorkOrder.status == WorkOrderStatus.waiting_parts.value).label("parts"),
        func.count().filter(WorkOrder.priority == Priority.emergency.value).label("emergency"),
    ).where(WorkOrder.is_open == 1)
    if mine is not None:
        counts = counts.where(WorkOrder.assignee_user_id == mine.id)
    row = session.execute(counts).one()
    board.queue_total = row.open
    board.tiles = [
        Tile("Open", row.open, href="/?show=all"),
        Tile("Overdue", row.overdue, "alert" if row.overdue else "neutral", "/?show=overdue"),
        Tile("Waiting for parts", row.parts, "warn" if row.parts else "neutral", "/?show=parts"),
        Tile(
            "Emergency", row.emergency, "alert" if row.emergency else "neutral", "/?show=emergency"
        ),
    ]
    if team_view:
        board.team = team_load(now)
    return board


def team_load(now: datetime) -> list[TeamRow]:
    """Open and overdue work per assignee, busiest first, in one grouped query."""
    rows = (
        current_session()
        .execute(
            select(
                User.id,
                User.full_name,
                func.count(WorkOrder.id),
                func.count(WorkOrder.id).filter(WorkOrder.due_at < now),
            )
            .join(WorkOrder, WorkOrder.assignee_user_id == User.id)
            .where(WorkOrder.is_open == 1)
            .group_by(User.id, User.full_name)
            .order_by(func.count(WorkOrder.id).desc(), User.full_name)
        )
        .all()
    )
    return [TeamRow(r[0], r[1], r[2], r[3]) for r in rows]


def database_ok() -> bool:
    """True when a trivial query succeeds."""
    session = current_session()
    try:
        session.execute(text("SELECT 1"))
        return True
    except Exception:  # the health check reports, it must not raise
        session.rollback()
        return False

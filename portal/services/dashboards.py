"""Read models for the home page: a fixed number of queries whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload

from portal.domain.roles import Role
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from portal.models import User, WorkOrder
from portal.models.base import utcnow
from portal.read_models import deliveries
from portal.services import costs, out_of_pocket
from portal.services.out_of_pocket import HomeCard
from portal.services.purchase_orders import buyer_counts

QUEUE_SIZE = 8


@dataclass
class Tile:
    """One number on the home page, with where it leads."""

    label: str
    value: int
    tone: str = "neutral"  # neutral, warn, alert
    href: str | None = None


@dataclass
class HomeBoard:
    """Everything the home page shows."""

    queue_title: str = "My work"
    queue: list[WorkOrder] = field(default_factory=list)
    queue_total: int = 0
    tiles: list[Tile] = field(default_factory=list)
    show: str = "all"
    team: list[TeamRow] = field(default_factory=list)
    approvals: object | None = None  # services.approvals.WaitingCard: PRs waiting for this person
    buying: object | None = None  # services.purchase_orders.BuyerCounts, for buyers
    parts_arrived: list = field(default_factory=list)  # receiving.ArrivedCard, newest first
    budgets: list = field(default_factory=list)  # services.costs.BudgetRow, for money roles
    purchasing: HomeCard | None = None  # out-of-pocket review, maverick spend, policy


def open_work_query(assignee: User | None = None):
    """Open work orders, most urgent first, with what the list shows loaded in the same query."""
    # is_open and priority_rank are generated columns with queue indexes: an index walk + LIMIT.
    stmt = (
        select(WorkOrder)
        .where(WorkOrder.is_open == 1)
        .options(
            joinedload(WorkOrder.asset),
            joinedload(WorkOrder.location),
            joinedload(WorkOrder.assignee_user),
        )
        .order_by(WorkOrder.priority_rank, WorkOrder.due_at, WorkOrder.id)
    )
    if assignee is not None:
        stmt = stmt.where(WorkOrder.assignee_user_id == assignee.id)
    return stmt


QUEUE_FILTERS = {
    "all": "All",
    "overdue": "Overdue",
    "today": "Due today",
    "parts": "Waiting for parts",
    "emergency": "Emergency",
}


@dataclass
class TeamRow:
    """One person's load on the supervisor's board."""

    user_id: int
    name: str
    open: int
    overdue: int


def _queue_filter(stmt, show: str, now):
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


def home_board(user: User, show: str = "all") -> HomeBoard:
    """The technician's queue, or the team board for supervisors, with the counts that matter."""
    session = db.session
    board = HomeBoard(show=show if show in QUEUE_FILTERS else "all")
    now = utcnow()
    team_view = user.has_role(Role.supervisor) or not user.has_role(Role.technician)
    mine = None if team_view else user
    board.queue_title = "Open work" if team_view else "My work"
    queue = _queue_filter(open_work_query(mine), board.show, now)
    board.queue = list(session.scalars(queue.limit(QUEUE_SIZE)).unique())

    open_filter = WorkOrder.is_open == 1
    counts = select(
        func.count().label("open"),
        func.count().filter(WorkOrder.due_at < now).label("overdue"),
        func.count().filter(WorkOrder.status == WorkOrderStatus.waiting_parts.value).label("parts"),
        func.count().filter(WorkOrder.priority == Priority.emergency.value).label("emergency"),
    ).where(open_filter)
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
    # Imported here: approvals -> work_orders -> dashboards would otherwise be a cycle.
    from portal.services.approvals import waiting_card

    board.approvals = waiting_card(user)
    if user.has_role(Role.buyer):
        board.buying = buyer_counts()
    board.parts_arrived = deliveries.parts_arrived_for(user, now=now)
    if user.has_role(Role.approver, Role.buyer, Role.auditor):
        board.budgets = costs.budget_watch()
    board.purchasing = out_of_pocket.home_card(user)
    return board


def team_load(now) -> list[TeamRow]:
    """Open and overdue work per assignee, busiest first, in one grouped query."""
    rows = db.session.execute(
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
    ).all()
    return [TeamRow(r[0], r[1], r[2], r[3]) for r in rows]


def database_ok() -> bool:
    """True when a trivial query succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # the health check reports, it must not raise
        db.session.rollback()
        return False

"""Work order types, priorities and the status moves the rules allow."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from portal.domain.errors import InvalidTransition
from portal.domain.permissions import (
    MOVE_CAPABILITY,
    WorkOrderAccess,
    can,
    may_act_on_work_order,
)


class WorkOrderStatus(StrEnum):
    """Where a work order stands; only this module decides which moves are allowed."""

    requested = "requested"
    approved = "approved"
    assigned = "assigned"
    in_progress = "in_progress"
    waiting_parts = "waiting_parts"
    completed = "completed"
    closed = "closed"
    cancelled = "cancelled"


class WorkOrderType(StrEnum):
    """Why the work exists."""

    corrective = "corrective"
    preventive = "preventive"
    inspection = "inspection"
    compliance = "compliance"


class Priority(StrEnum):
    """How urgent the work is; sets the due date through RESPONSE_TIMES."""

    emergency = "emergency"
    high = "high"
    normal = "normal"
    low = "low"


RESPONSE_TIMES: dict[Priority, timedelta] = {
    Priority.emergency: timedelta(hours=4),
    Priority.high: timedelta(days=1),
    Priority.normal: timedelta(days=7),
    Priority.low: timedelta(days=30),
}

PRIORITY_LABELS: dict[Priority, str] = {
    Priority.emergency: "Emergency (4 hours)",
    Priority.high: "High (1 day)",
    Priority.normal: "Normal (1 week)",
    Priority.low: "Low (30 days)",
}

PRIORITY_RANK: dict[Priority, int] = {
    Priority.emergency: 0,
    Priority.high: 1,
    Priority.normal: 2,
    Priority.low: 3,
}

S = WorkOrderStatus
OPEN_STATUSES = frozenset({S.requested, S.approved, S.assigned, S.in_progress, S.waiting_parts})

TRANSITIONS: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    S.requested: frozenset({S.approved, S.cancelled}),
    # Parts can be found missing before the work starts, so waiting_parts is open from approved on.
    S.approved: frozenset({S.assigned, S.waiting_parts, S.cancelled}),
    S.assigned: frozenset({S.in_progress, S.approved, S.waiting_parts, S.cancelled}),
    S.in_progress: frozenset({S.waiting_parts, S.completed, S.cancelled}),
    # Parts arrived: back to work if it had started, else back in the queue it came from.
    S.waiting_parts: frozenset({S.in_progress, S.assigned, S.approved, S.cancelled}),
    S.completed: frozenset({S.closed, S.in_progress}),
    S.closed: frozenset(),
    S.cancelled: frozenset(),
}
# Moves only the system makes (goods receipt, when every part has arrived); no button offers them.
AUTOMATIC_MOVES: dict[WorkOrderStatus, frozenset[WorkOrderStatus]] = {
    S.waiting_parts: frozenset({S.assigned, S.approved}),
}

STATUS_LABELS: dict[WorkOrderStatus, str] = {
    S.requested: "Requested",
    S.approved: "Approved",
    S.assigned: "Assigned",
    S.in_progress: "In progress",
    S.waiting_parts: "Waiting for parts",
    S.completed: "Completed",
    S.closed: "Closed",
    S.cancelled: "Cancelled",
}


FINISHED_STATUSES = frozenset({S.closed, S.cancelled})


def accepts_work(status: WorkOrderStatus) -> bool:
    """Labour, downtime and notes of work can still be recorded (not closed or cancelled)."""
    return WorkOrderStatus(status) not in FINISHED_STATUSES


def is_overdue(status: WorkOrderStatus, due: datetime | None, now: datetime) -> bool:
    """Open work past its due time."""
    return due is not None and WorkOrderStatus(status) in OPEN_STATUSES and due < now


def records_downtime(type_: WorkOrderType) -> bool:
    """Only corrective work records when the asset went down and came back up."""
    return WorkOrderType(type_) is WorkOrderType.corrective


def allowed_moves(current: WorkOrderStatus) -> frozenset[WorkOrderStatus]:
    """The statuses a work order in `current` may move to."""
    return TRANSITIONS[WorkOrderStatus(current)]


def check_move(current: WorkOrderStatus, target: WorkOrderStatus) -> None:
    """Raise InvalidTransition, in words, unless current -> target is allowed."""
    current, target = WorkOrderStatus(current), WorkOrderStatus(target)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A work order that is {STATUS_LABELS[current].lower()} cannot become "
            f"{STATUS_LABELS[target].lower()}."
        )


def due_at(priority: Priority, raised_at: datetime) -> datetime:
    """When the work is due: raised time plus the priority's response time."""
    return raised_at + RESPONSE_TIMES[Priority(priority)]


def initial_status(*, raised_by_approver: bool, has_assignee: bool) -> WorkOrderStatus:
    """Work raised by someone who may approve work (a supervisor) starts approved, or assigned
    if someone is named; anyone else's is requested."""
    if not raised_by_approver:
        return WorkOrderStatus.requested
    return WorkOrderStatus.assigned if has_assignee else WorkOrderStatus.approved


def parse_priority(value: str) -> Priority:
    """A priority from its name, or ValueError in words."""
    try:
        return Priority(value.strip().lower())
    except ValueError:
        raise ValueError(f"priority must be one of {', '.join(Priority)}") from None


ACTION_LABELS: dict[WorkOrderStatus, str] = {
    S.approved: "Approve",
    S.assigned: "Assign",
    S.in_progress: "Start work",
    S.waiting_parts: "Waiting for parts",
    S.completed: "Complete",
    S.closed: "Close",
    S.cancelled: "Cancel",
}


def moves_for(
    current: WorkOrderStatus,
    roles: Iterable[str],
    *,
    user_id: int | None = None,
    wo: WorkOrderAccess | None = None,
) -> list[WorkOrderStatus]:
    """The moves a person may make from `current`, in a stable order (the buttons a page shows).

    The permission table says which capability each move needs (MOVE_CAPABILITY); with `wo`
    (and the person's id) the object rule applies too: a technician moves only their own work
    or unassigned work.
    """
    allowed = allowed_moves(current) - AUTOMATIC_MOVES.get(WorkOrderStatus(current), frozenset())
    held = set(roles)

    def may(target: WorkOrderStatus) -> bool:
        capability = MOVE_CAPABILITY[target]
        if wo is None or user_id is None:
            return can(held, capability)
        return may_act_on_work_order(held, user_id, capability, wo)

    return [s for s in ACTION_LABELS if s in allowed and may(s)]

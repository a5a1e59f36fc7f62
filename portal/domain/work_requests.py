"""Work requests in a tenant's words: what they are told about the work their report became.

A tenant (or any visitor) is not a user: the audit trail names them "public", and what they see
on their tracking link are public facts only (received, accepted as WO-000123, scheduled, in
progress, done, cancelled, not accepted with the reason written for them, merged).
"""

from __future__ import annotations

from portal.domain.work_orders import Priority, WorkOrderStatus

# How the audit trail names someone who is not signed in (a tenant, a visitor).
PUBLIC = "public"

TITLE_LENGTH = 120
MAX_MERGE_DEPTH = 10

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

# Urgency as the public form words it (not the staff's priority labels with response times).
URGENCY_WORDS: dict[Priority, str] = {
    Priority.emergency: "Emergency",
    Priority.high: "Urgent",
    Priority.normal: "Normal",
    Priority.low: "Low",
}

# The tone of the tracking page's headline, by the public progress word.
TONES = {"Scheduled": "scheduled", "In progress": "in_progress", "Done": "done"}


def public_progress(status: WorkOrderStatus | str) -> str:
    """A work order status in the words a tenant sees."""
    return PUBLIC_PROGRESS[WorkOrderStatus(status)]


def tells_tenant(before: WorkOrderStatus | str | None, after: WorkOrderStatus | str) -> bool:
    """A move the tenant hears about by e-mail: the work became done or cancelled (in their
    words: a move between two statuses that both read "Done" says nothing new)."""
    after = WorkOrderStatus(after)
    if after not in (S.completed, S.cancelled):
        return False
    return before is None or public_progress(before) != public_progress(after)


def title_from(description: str) -> str:
    """A work order title: the description's first non-empty line, cut at a word if long."""
    first = next((line.strip() for line in description.splitlines() if line.strip()), "")
    if len(first) <= TITLE_LENGTH:
        return first
    cut = first[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + "…"


def request_label(wr_id: int) -> str:
    """How staff pages and the audit trail name a request."""
    return f"Request #{wr_id}"

"""The work order page, composed: one function per panel, listed once in PANELS.

A panel function takes what the page knows (the work order, who is looking, the cost roll-up,
and any form or notice a post handed back) and returns the template and context of its
section, or None when the section has nothing to show this person. Each feature's data comes
from that feature's own read function; what the viewer may do comes from the permission table
and the work order's object rule (services.authz), so the page offers only what will be
allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from portal.blueprints.work_orders.forms import (
    CommentForm,
    DowntimeForm,
    LabourForm,
)
from portal.domain.permissions import Capability as C
from portal.domain.permissions import may_handle_delivery
from portal.forms import new_submission_id
from portal.models import User, WorkOrder
from portal.models.base import utcnow
from portal.read_models import (
    audit_trail,
    contractors,
    cost_documents,
    deliveries,
    out_of_pocket,
    parts,
)
from portal.read_models import work_orders as reads
from portal.read_models.costs import CostRollup
from portal.services.authz import may_on_work_order


@dataclass(frozen=True)
class Panel:
    """One section of the work order page: the template and everything it needs."""

    template: str
    context: dict[str, Any]


@dataclass(frozen=True)
class WorkOrderPage:
    """What every panel may read: the work order (loaded by reads.get_for_page), the viewer,
    the costs (computed once, the header shows them too), and what a post handed back."""

    wo: WorkOrder
    viewer: User
    costs: CostRollup
    given: Mapping[str, Any]

    def may(self, capability: C) -> bool:
        """The viewer may do this on this work order (role and whose work it is)."""
        return may_on_work_order(self.viewer, capability, self.wo)


def steps_panel(page: WorkOrderPage) -> Panel | None:
    """The instructions, ticked off by whoever works on the job."""
    if not page.wo.checklist:
        return None
    return Panel(
        "work_orders/_steps.html",
        {
            "wo": page.wo,
            "may_tick": page.may(C.work_on_work_order),
            "fresh_id": new_submission_id,
        },
    )


def contractor_panel(page: WorkOrderPage) -> Panel | None:
    """The outside contractor: who, what covers the work, request a service, (re)assign."""
    wo, viewer = page.wo, page.viewer
    may_assign = viewer.can(C.assign_contractor)
    if not (wo.assignee_vendor_id or (may_assign and wo.is_open)):
        return None
    return Panel(
        "vendors/_wo_contractor.html",
        {
            "wo": wo,
            "cp": contractors.panel_for(wo),
            "notice": page.given.get("contractor_notice"),
            "service_form": page.given.get("service_form"),
            "may_assign": may_assign,
            "may_request": viewer.can(C.request_service),
            "may_read_vendors": viewer.can(C.read_vendors),
        },
    )


def parts_panel(page: WorkOrderPage) -> Panel:
    """Parts: what is needed, reserved, issued or bought, and the actions on each line."""
    given = page.given
    return Panel(
        "parts/_wo_parts.html",
        {
            "wo": page.wo,
            "panel": parts.panel_for(page.wo),
            "notice": given.get("parts_notice"),
            "may_plan": page.may(C.plan_parts),
            "may_issue": page.may(C.issue_stock),
            "fresh_id": new_submission_id,
            "add_form": given.get("add_form"),
            "add_hits": given.get("add_hits", []),
            "chosen_item_id": given.get("chosen_item_id"),
        },
    )


def deliveries_panel(page: WorkOrderPage) -> Panel | None:
    """What is on order for the work: what came, what is still to come, where to receive it."""
    on_order = deliveries.on_order_for(page.wo.id)
    if not on_order:
        return None
    viewer = page.viewer
    may_receive = may_handle_delivery(
        viewer.roles, viewer.id, C.receive_goods, [page.wo.assignee_user_id]
    )
    return Panel(
        "receiving/_wo_deliveries.html",
        {
            "deliveries": on_order,
            "may_receive": may_receive,
            "may_read_orders": viewer.can(C.read_purchase_orders),
        },
    )


def costs_panel(page: WorkOrderPage) -> Panel:
    """What the work has cost so far and what is still on order."""
    return Panel(
        "work_orders/_costs.html",
        {"costs": page.costs, "figures": cost_documents.work_order_cost_documents(page.wo.id)},
    )


def out_of_pocket_panel(page: WorkOrderPage) -> Panel:
    """Purchases someone paid for themselves, and the way to record one."""
    wo = page.wo
    return Panel(
        "policy/_wo_out_of_pocket.html",
        {
            "wo": wo,
            "oop": out_of_pocket.for_work_order(wo.id),
            "oop_form": page.given.get("oop_form"),
            "may_add": page.may(C.record_out_of_pocket) and wo.accepts_work,
        },
    )


def labour_panel(page: WorkOrderPage) -> Panel:
    """Hours worked, and the form to log more."""
    form = page.given.get("labour_form") or LabourForm(formdata=None)
    if form.worked_on.data is None:
        form.worked_on.data = utcnow().date()
    return Panel(
        "work_orders/_labour.html",
        {
            "wo": page.wo,
            "labour": reads.labour_for(page.wo.id),
            "labour_form": form,
            "may_log": page.may(C.work_on_work_order) and page.wo.accepts_work,
        },
    )


def downtime_panel(page: WorkOrderPage) -> Panel | None:
    """The asset went down, or came back up, now (corrective work only)."""
    if not (page.wo.records_downtime and page.may(C.work_on_work_order)):
        return None
    return Panel("work_orders/_downtime.html", {"wo": page.wo, "form": DowntimeForm(formdata=None)})


def notes_panel(page: WorkOrderPage) -> Panel:
    """Notes and photos, newest first, and the form to add one."""
    return Panel(
        "work_orders/_notes.html",
        {
            "wo": page.wo,
            "comments": reads.comments_for(page.wo.id),
            "comment_form": page.given.get("comment_form") or CommentForm(formdata=None),
            "may_comment": page.viewer.can(C.comment_on_work_order),
        },
    )


def history_panel(page: WorkOrderPage) -> Panel:
    """The status history."""
    return Panel("work_orders/_history.html", {"wo": page.wo})


def audit_trail_panel(page: WorkOrderPage) -> Panel:
    """Who did what to the work order, and why."""
    return Panel(
        "audit/_timeline.html", {"timeline": audit_trail.timeline_for("WorkOrder", page.wo.id)}
    )


# The page, top to bottom, below the work order's own head (status, moves, assignee).
PANELS: tuple[Callable[[WorkOrderPage], Panel | None], ...] = (
    steps_panel,
    contractor_panel,
    parts_panel,
    deliveries_panel,
    costs_panel,
    out_of_pocket_panel,
    labour_panel,
    downtime_panel,
    notes_panel,
    history_panel,
    audit_trail_panel,
)


def compose(page: WorkOrderPage) -> list[Panel]:
    """The panels this person sees on this work order, in page order."""
    panels = (build(page) for build in PANELS)
    return [panel for panel in panels if panel is not None]

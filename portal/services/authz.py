"""Services assert what the actor may do, so a CLI, a job or a future API cannot bypass a rule.

The table itself is `portal/domain/permissions.py`; this module only reads the actor's roles.
`actor=None` is the system itself (a scheduled job), which the rules do not limit.
"""

from __future__ import annotations

from portal.domain import permissions
from portal.domain.permissions import Capability, WorkOrderAccess
from portal.models import User, WorkOrder


def authorize(actor: User | None, capability: Capability) -> None:
    """Raise NotAllowed unless the actor's roles hold `capability`."""
    if actor is not None:
        permissions.check(actor.roles, capability)


def work_order_access(wo: WorkOrder) -> WorkOrderAccess:
    """What the object rule needs to know of a work order."""
    return WorkOrderAccess(assignee_user_id=wo.assignee_user_id)


def authorize_on_work_order(actor: User | None, capability: Capability, wo: WorkOrder) -> None:
    """Raise NotAllowed unless the actor may do this on this work order (whose work it is)."""
    if actor is not None:
        permissions.check_work_order(actor.roles, actor.id, capability, work_order_access(wo))


def may_on_work_order(actor: User, capability: Capability, wo: WorkOrder) -> bool:
    """True when the actor may do this on this work order (what a page offers)."""
    return permissions.may_act_on_work_order(
        actor.roles, actor.id, capability, work_order_access(wo)
    )

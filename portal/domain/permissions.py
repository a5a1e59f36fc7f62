"""Who may do what: every capability of the product mapped to roles, and the object rules.

This is the one table. Views declare the capability they need (`portal.security.requires`),
services assert it for the actor (`portal.services.authz`), and the navigation shows a tab only
when its page's capability is held. Object rules (whose work order, read-only roles) live here
too, as plain functions of plain values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from portal.domain.errors import NotAllowed
from portal.domain.roles import Role

R = Role


class Capability(StrEnum):
    """Something a person may do in the portal; granted to roles in GRANTS below."""

    # Work orders and the shop floor
    read_work_orders = "read_work_orders"
    raise_work_order = "raise_work_order"
    comment_on_work_order = "comment_on_work_order"  # notes and photos
    work_on_work_order = "work_on_work_order"  # steps, labour, downtime, start, complete
    assign_work_order = "assign_work_order"  # assign anyone (a technician may take unassigned work)
    approve_work_order = "approve_work_order"
    close_work_order = "close_work_order"
    cancel_work_order = "cancel_work_order"
    flag_waiting_parts = "flag_waiting_parts"
    read_assets = "read_assets"
    rotate_qr_token = "rotate_qr_token"
    triage_work_requests = "triage_work_requests"
    import_audit_findings = "import_audit_findings"
    # Parts and stock
    search_items = "search_items"
    plan_parts = "plan_parts"  # add, reserve, release, mark unavailable
    issue_stock = "issue_stock"
    # Purchasing
    read_purchase_requests = "read_purchase_requests"
    approve_purchase_requests = "approve_purchase_requests"  # up to the matrix's amount
    cancel_purchase_requests = "cancel_purchase_requests"  # anyone's; a requester cancels their own
    read_vendors = "read_vendors"
    manage_vendors = "manage_vendors"
    assign_contractor = "assign_contractor"
    request_service = "request_service"
    read_purchase_orders = "read_purchase_orders"
    manage_purchase_orders = "manage_purchase_orders"
    receive_goods = "receive_goods"  # a technician: only deliveries for their own work
    read_goods_receipts = "read_goods_receipts"
    see_all_deliveries = "see_all_deliveries"  # every PO's deliveries and receipts, not just mine
    # Accounts payable
    read_invoices = "read_invoices"
    answer_invoice_tasks = "answer_invoice_tasks"
    enter_invoices = "enter_invoices"
    work_invoice_exceptions = "work_invoice_exceptions"  # reject, ask someone to act
    release_invoice_holds = "release_invoice_holds"
    export_payments = "export_payments"
    # Out-of-pocket purchases
    record_out_of_pocket = "record_out_of_pocket"
    review_out_of_pocket = "review_out_of_pocket"
    # Oversight
    read_budgets = "read_budgets"
    read_reports = "read_reports"
    read_maverick_spend = "read_maverick_spend"
    read_audit_trail = "read_audit_trail"
    # Administration
    manage_policy = "manage_policy"
    manage_users = "manage_users"
    # -- stock (parts, receiving, invoices)
    read_invoice = "read_invoice"  # one invoice's page: its readers, and whom AP asks to act


C = Capability

# Who reads the purchasing documents: everyone who works with them, and the auditor.
_PURCHASING_READERS = frozenset({R.buyer, R.approver, R.storekeeper, R.ap_clerk, R.supervisor})
_STAFF = frozenset({R.technician, R.supervisor, R.storekeeper, R.buyer, R.approver, R.ap_clerk})

# capability -> roles that hold it. Admin holds every capability (see `can`).
GRANTS: dict[Capability, frozenset[Role]] = {
    C.read_work_orders: _STAFF | {R.auditor},
    C.raise_work_order: frozenset({R.technician, R.supervisor}),
    C.comment_on_work_order: _STAFF,
    C.work_on_work_order: frozenset({R.technician, R.supervisor}),
    C.assign_work_order: frozenset({R.supervisor, R.technician}),
    C.approve_work_order: frozenset({R.supervisor}),
    C.close_work_order: frozenset({R.supervisor}),
    C.cancel_work_order: frozenset({R.supervisor}),
    C.flag_waiting_parts: frozenset({R.technician, R.supervisor, R.storekeeper}),
    C.read_assets: _STAFF | {R.auditor},
    C.rotate_qr_token: frozenset({R.supervisor}),
    C.triage_work_requests: frozenset({R.supervisor}),
    C.import_audit_findings: frozenset({R.supervisor}),
    C.search_items: frozenset({R.technician, R.supervisor, R.storekeeper}),
    C.plan_parts: frozenset({R.technician, R.supervisor, R.storekeeper}),
    C.issue_stock: frozenset({R.technician, R.storekeeper}),
    C.read_purchase_requests: _STAFF | {R.auditor},
    C.approve_purchase_requests: frozenset({R.supervisor, R.approver}),
    C.cancel_purchase_requests: frozenset({R.supervisor}),
    C.read_vendors: _PURCHASING_READERS | {R.auditor},
    C.manage_vendors: frozenset({R.buyer}),
    C.assign_contractor: frozenset({R.supervisor}),
    C.request_service: frozenset({R.supervisor, R.buyer}),
    C.read_purchase_orders: _PURCHASING_READERS | {R.auditor},
    C.manage_purchase_orders: frozenset({R.buyer}),
    C.receive_goods: frozenset({R.storekeeper, R.buyer, R.technician}),
    C.read_goods_receipts: frozenset(
        {R.storekeeper, R.buyer, R.technician, R.ap_clerk, R.approver, R.auditor}
    ),
    C.see_all_deliveries: frozenset({R.storekeeper, R.buyer, R.ap_clerk, R.approver, R.auditor}),
    C.read_invoices: frozenset({R.ap_clerk, R.approver, R.auditor}),
    C.answer_invoice_tasks: frozenset({R.buyer, R.storekeeper, R.ap_clerk, R.approver}),
    C.enter_invoices: frozenset({R.ap_clerk}),
    C.work_invoice_exceptions: frozenset({R.ap_clerk, R.approver}),
    C.release_invoice_holds: frozenset({R.approver}),
    C.export_payments: frozenset({R.ap_clerk}),
    C.record_out_of_pocket: frozenset({R.technician, R.supervisor}),
    C.review_out_of_pocket: frozenset({R.supervisor, R.approver}),
    C.read_budgets: frozenset({R.approver, R.supervisor, R.buyer, R.auditor}),
    C.read_reports: frozenset({R.approver, R.buyer, R.supervisor, R.auditor}),
    C.read_maverick_spend: frozenset({R.buyer, R.approver, R.supervisor, R.auditor}),
    C.read_audit_trail: frozenset({R.auditor}),
    C.manage_policy: frozenset(),
    C.manage_users: frozenset(),
    # -- stock (parts, receiving, invoices)
    C.read_invoice: frozenset({R.ap_clerk, R.approver, R.auditor, R.buyer, R.storekeeper}),
}

# Which capability each work order status move needs (the domain's MOVE rules, as capabilities).
MOVE_CAPABILITY: dict[str, Capability] = {
    "approved": C.approve_work_order,
    "assigned": C.assign_work_order,
    "in_progress": C.work_on_work_order,
    "waiting_parts": C.flag_waiting_parts,
    "completed": C.work_on_work_order,
    "closed": C.close_work_order,
    "cancelled": C.cancel_work_order,
}

# Capabilities a technician holds only on work that is theirs (see `may_act_on_work_order`).
OWN_WORK_CAPABILITIES = frozenset(
    {
        C.work_on_work_order,
        C.assign_work_order,
        C.flag_waiting_parts,
        C.plan_parts,
        C.issue_stock,
        C.record_out_of_pocket,
    }
)


def roles_with(capability: Capability) -> frozenset[Role]:
    """The roles that hold `capability` (admin always does, so it is not listed)."""
    return GRANTS[Capability(capability)]


def can(roles: Iterable[str], capability: Capability) -> bool:
    """True when someone holding `roles` has `capability`; admin has every capability."""
    held = set(roles)
    if Role.admin in held:
        return True
    return bool(held & GRANTS[Capability(capability)])


def check(roles: Iterable[str], capability: Capability) -> None:
    """Raise NotAllowed, in words, unless `roles` hold `capability`."""
    if not can(roles, capability):
        raise NotAllowed("Your role does not allow this.")


@dataclass(frozen=True)
class WorkOrderAccess:
    """What the object rule needs to know about a work order."""

    assignee_user_id: int | None
    site_id: int | None = None


def oversees_work(roles: Iterable[str]) -> bool:
    """Supervisors (and admin) act on any work order; others only on their own."""
    held = set(roles)
    return Role.admin in held or Role.supervisor in held


def may_act_on_work_order(
    roles: Iterable[str],
    user_id: int,
    capability: Capability,
    wo: WorkOrderAccess,
    *,
    site_ids: Iterable[int] | None = None,
) -> bool:
    """The capability, and for a technician: the work is assigned to them or to nobody yet.

    A storekeeper plans and issues parts for any work order (that is the storeroom's job); a
    supervisor or admin acts on any. `site_ids`, when given, limits unassigned work to the
    person's sites.
    """
    held = set(roles)
    if not can(held, capability):
        return False
    if oversees_work(held):
        return True
    if capability in (C.plan_parts, C.issue_stock, C.flag_waiting_parts) and (
        Role.storekeeper in held
    ):
        return True
    if capability not in OWN_WORK_CAPABILITIES:
        return True
    if wo.assignee_user_id == user_id:
        return True
    if wo.assignee_user_id is None:
        return site_ids is None or wo.site_id is None or wo.site_id in set(site_ids)
    return False


def check_work_order(
    roles: Iterable[str],
    user_id: int,
    capability: Capability,
    wo: WorkOrderAccess,
    *,
    site_ids: Iterable[int] | None = None,
) -> None:
    """Raise NotAllowed in words unless the person may do this on this work order."""
    if not can(roles, capability):
        raise NotAllowed("Your role does not allow this.")
    if not may_act_on_work_order(roles, user_id, capability, wo, site_ids=site_ids):
        raise NotAllowed("This work order is assigned to someone else.")


def may_cancel_purchase_request(roles: Iterable[str], user_id: int, requester_id: int) -> bool:
    """The requester cancels their own request; a supervisor (and admin) anyone's."""
    return user_id == requester_id or can(roles, C.cancel_purchase_requests)


def may_handle_delivery(
    roles: Iterable[str],
    user_id: int,
    capability: Capability,
    wo_assignee_ids: Iterable[int | None],
) -> bool:
    """Receive or read a delivery: the capability, and unless the person sees all deliveries
    (a technician), a line of it is for a work order assigned to them (`wo_assignee_ids`: the
    assignees of the PO's work orders).
    """
    held = set(roles)
    if not can(held, capability):
        return False
    if can(held, C.see_all_deliveries):
        return True
    return user_id in set(wo_assignee_ids)


def may_see_expense_receipt(roles: Iterable[str], user_id: int, claimant_user_id: int) -> bool:
    """An out-of-pocket receipt photo (someone's own spending): the person who claimed it,
    those who review such claims, and the auditor; nobody else, whoever reads the work order."""
    held = set(roles)
    return (
        user_id == claimant_user_id
        or can(held, C.review_out_of_pocket)
        or can(held, C.read_audit_trail)
    )

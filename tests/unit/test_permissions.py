"""The permission table: what each role may do, and whose work a technician may touch."""

from __future__ import annotations

import pytest

from portal.domain.errors import NotAllowed
from portal.domain.permissions import (
    GRANTS,
    MOVE_CAPABILITY,
    Capability,
    WorkOrderAccess,
    can,
    check_work_order,
    may_act_on_work_order,
    may_handle_delivery,
)
from portal.domain.roles import Role
from portal.domain.work_orders import WorkOrderStatus, moves_for

C = Capability
TECH_ID, OTHER_ID = 7, 8


def test_every_capability_is_in_the_table():
    assert set(GRANTS) == set(Capability)


def test_the_auditor_only_reads():
    held = {cap for cap in Capability if can({"auditor"}, cap)}
    assert held, "the auditor reads something"
    assert all(cap.startswith(("read_", "see_")) for cap in held), sorted(held)


def test_the_auditor_reads_the_maverick_report_and_the_budgets():
    assert can({"auditor"}, C.read_maverick_spend)
    assert can({"auditor"}, C.read_budgets)


def test_admin_holds_every_capability():
    assert all(can({"admin"}, cap) for cap in Capability)


def test_a_role_holds_only_what_is_granted():
    assert not can({"technician"}, C.approve_purchase_requests)
    assert can({"technician", "approver"}, C.approve_purchase_requests)
    assert not can(set(), C.read_work_orders)


# Who may make each work order move (approving, closing and cancelling are a supervisor's call).
MOVERS = {
    "approved": {"supervisor"},
    "assigned": {"supervisor", "technician"},
    "in_progress": {"supervisor", "technician"},
    "waiting_parts": {"supervisor", "technician", "storekeeper"},
    "completed": {"supervisor", "technician"},
    "closed": {"supervisor"},
    "cancelled": {"supervisor"},
}


def test_each_work_order_move_needs_the_capability_of_the_roles_that_make_it():
    for status, movers in MOVERS.items():
        capability = MOVE_CAPABILITY[status]
        assert {role for role in Role if role != Role.admin and can({role}, capability)} == movers


def test_the_moves_offered_follow_the_table_and_whose_work_it_is():
    S = WorkOrderStatus
    theirs = WorkOrderAccess(assignee_user_id=OTHER_ID)
    mine = WorkOrderAccess(assignee_user_id=TECH_ID)
    assert moves_for(S.assigned, {"technician"}, user_id=TECH_ID, wo=mine) == [
        S.in_progress,
        S.waiting_parts,
    ]
    assert moves_for(S.assigned, {"technician"}, user_id=TECH_ID, wo=theirs) == []
    assert moves_for(S.assigned, {"storekeeper"}, user_id=TECH_ID, wo=theirs) == [S.waiting_parts]
    assert moves_for(S.assigned, {"auditor"}, user_id=TECH_ID, wo=mine) == []
    assert S.cancelled in moves_for(S.assigned, {"supervisor"}, user_id=TECH_ID, wo=theirs)


def test_a_technician_works_on_their_own_or_unassigned_work_only():
    mine = WorkOrderAccess(assignee_user_id=TECH_ID)
    nobodys = WorkOrderAccess(assignee_user_id=None)
    theirs = WorkOrderAccess(assignee_user_id=OTHER_ID)
    tech = {"technician"}
    assert may_act_on_work_order(tech, TECH_ID, C.work_on_work_order, mine)
    assert may_act_on_work_order(tech, TECH_ID, C.work_on_work_order, nobodys)
    assert not may_act_on_work_order(tech, TECH_ID, C.work_on_work_order, theirs)
    assert not may_act_on_work_order(tech, TECH_ID, C.assign_work_order, theirs)
    with pytest.raises(NotAllowed, match="assigned to someone else"):
        check_work_order(tech, TECH_ID, C.plan_parts, theirs)


def test_unassigned_work_is_limited_to_the_technicians_sites_when_they_are_known():
    elsewhere = WorkOrderAccess(assignee_user_id=None, site_id=2)
    here = WorkOrderAccess(assignee_user_id=None, site_id=1)
    tech = {"technician"}
    assert may_act_on_work_order(tech, TECH_ID, C.work_on_work_order, here, site_ids=[1])
    assert not may_act_on_work_order(tech, TECH_ID, C.work_on_work_order, elsewhere, site_ids=[1])


def test_a_supervisor_and_a_storekeeper_act_on_anyones_work_within_their_capabilities():
    theirs = WorkOrderAccess(assignee_user_id=OTHER_ID)
    assert may_act_on_work_order({"supervisor"}, TECH_ID, C.work_on_work_order, theirs)
    assert may_act_on_work_order({"storekeeper"}, TECH_ID, C.issue_stock, theirs)
    assert not may_act_on_work_order({"storekeeper"}, TECH_ID, C.work_on_work_order, theirs)


def test_anyone_who_may_comment_comments_on_any_work_order_but_the_auditor_never():
    theirs = WorkOrderAccess(assignee_user_id=OTHER_ID)
    assert may_act_on_work_order({"technician"}, TECH_ID, C.comment_on_work_order, theirs)
    assert not may_act_on_work_order({"auditor"}, TECH_ID, C.comment_on_work_order, theirs)


def test_a_technician_handles_only_deliveries_for_their_own_work():
    assert may_handle_delivery({"technician"}, TECH_ID, C.read_goods_receipts, [OTHER_ID, TECH_ID])
    assert not may_handle_delivery({"technician"}, TECH_ID, C.read_goods_receipts, [OTHER_ID])
    assert may_handle_delivery({"storekeeper"}, TECH_ID, C.read_goods_receipts, [OTHER_ID])
    assert may_handle_delivery({"auditor"}, TECH_ID, C.read_goods_receipts, [])
    assert not may_handle_delivery({"auditor"}, TECH_ID, C.receive_goods, [])


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_something(role):
    assert any(can({role}, cap) for cap in Capability)


# -- stock (parts, receiving, invoices)


def test_an_invoices_page_opens_for_its_readers_and_for_whom_ap_asks_to_act():
    for role in ("ap_clerk", "approver", "auditor", "buyer", "storekeeper"):
        assert can({role}, C.read_invoice), role
    assert not can({"technician"}, C.read_invoice)
    # Everyone who may open the invoice list, or answer a task about an invoice, may open it.
    for capability in (C.read_invoices, C.answer_invoice_tasks):
        assert GRANTS[capability] <= GRANTS[C.read_invoice]

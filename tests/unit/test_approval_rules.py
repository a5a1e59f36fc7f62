"""The approval matrix, separation of duties and the budget check, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.domain.approvals import (
    AlreadyDecided,
    BudgetAuthorityNeeded,
    Decider,
    NoApprovalRule,
    ReasonNeeded,
    Request,
    Requirement,
    Rule,
    SeparationOfDuties,
    WrongRole,
    approving_roles,
    check_approval,
    check_rejection,
    may_decide,
    pr_total,
    requirement_for,
    step_text,
    why_not,
)

D = Decimal
MATRIX = [
    Rule(None, D("0.00"), D("500.00"), "supervisor"),
    Rule(None, D("500.01"), D("5000.00"), "approver"),
    Rule(None, D("5000.01"), None, "approver", approvals_needed=2),
]
REQUESTER, SUPERVISOR, APPROVER, APPROVER_2 = 1, 2, 3, 4


def request(
    total="100.00", *, role="supervisor", needed=1, approved_by=(), over="0.00", status="submitted"
):
    return Request(
        number="PR-000012",
        status=status,
        total=D(total),
        requester_id=REQUESTER,
        cost_centre_code="CC-RBP-MNT",
        requirement=Requirement(role, needed),
        approved_by=tuple(approved_by),
        over_budget_by=D(over),
    )


def person(user_id, *roles, authority=False):
    return Decider(user_id, frozenset(roles), authority)


@pytest.mark.parametrize(
    ("total", "role", "needed"),
    [
        ("0.00", "supervisor", 1),
        ("500.00", "supervisor", 1),
        ("500.01", "approver", 1),
        ("5000.00", "approver", 1),
        ("5000.01", "approver", 2),
        ("250000.00", "approver", 2),
    ],
)
def test_the_matrix_bands_meet_exactly_at_the_cent(total, role, needed):
    assert requirement_for(D(total), 7, MATRIX) == Requirement(role, needed)


def test_the_total_is_rounded_once_at_the_end():
    # 3 x 0.335 = 1.005 -> 1.01 (rounding each line first would give 3 x 0.34 = 1.02)
    assert pr_total([(D("3"), D("0.335"))]) == D("1.01")
    assert pr_total([(D("2"), D("250.00")), (D("0.001"), D("5"))]) == D("500.01")


def test_a_cost_centre_rule_beats_the_global_one():
    rules = [*MATRIX, Rule(7, D("0.00"), D("1000.00"), "approver", approvals_needed=2)]
    assert requirement_for(D("300.00"), 7, rules) == Requirement("approver", 2)
    assert requirement_for(D("300.00"), 8, rules) == Requirement("supervisor", 1)
    # Outside the cost centre's own band the global matrix still applies.
    assert requirement_for(D("1000.01"), 7, rules) == Requirement("approver", 1)


def test_inactive_rules_are_ignored_and_a_gap_is_said_in_words():
    rules = [Rule(None, D("0.00"), D("500.00"), "supervisor", active=False)]
    with pytest.raises(NoApprovalRule, match="No approval rule covers 120.00"):
        requirement_for(D("120.00"), None, rules)
    assert approving_roles(MATRIX) == {"supervisor", "approver"}
    assert approving_roles(rules) == frozenset()


def test_the_requester_may_not_approve_or_reject_their_own_request():
    me = person(REQUESTER, "supervisor", "approver", authority=True)
    with pytest.raises(SeparationOfDuties, match="You raised PR-000012"):
        check_approval(request(), me)
    with pytest.raises(SeparationOfDuties):
        check_rejection(request(), me, "no")
    assert not may_decide(request(), me)
    assert why_not(request(), me).startswith("You raised PR-000012")
    assert why_not(request(), person(SUPERVISOR, "supervisor")) is None


def test_only_the_role_the_matrix_names_may_decide_and_admin_is_not_it():
    big = request("1200.00", role="approver")
    with pytest.raises(
        WrongRole, match="PR-000012 is 1,200.00: it needs someone with the approver role"
    ):
        check_approval(big, person(SUPERVISOR, "supervisor"))
    with pytest.raises(WrongRole):
        check_approval(big, person(9, "admin"))
    assert check_approval(big, person(APPROVER, "approver")).complete


def test_above_5000_two_distinct_approvers_are_needed():
    big = request("5200.00", role="approver", needed=2)
    first = check_approval(big, person(APPROVER, "approver"))
    assert (first.approvals, first.needed, first.complete) == (1, 2, False)
    after_first = request("5200.00", role="approver", needed=2, approved_by=[APPROVER])
    with pytest.raises(
        AlreadyDecided,
        match="PR-000012 is 5,200.00: it needs two approvers with the approver role; "
        "you were the first",
    ):
        check_approval(after_first, person(APPROVER, "approver"))
    second = check_approval(after_first, person(APPROVER_2, "approver"))
    assert second.complete and step_text(second.approvals, second.needed) == "2 of 2 approvals"


def test_a_decided_request_takes_no_more_decisions():
    with pytest.raises(AlreadyDecided, match="PR-000012 is approved"):
        check_approval(request(status="approved"), person(SUPERVISOR, "supervisor"))


def test_over_budget_needs_budget_authority_and_a_written_reason():
    over = request("1240.00", role="approver", over="1240.00")
    with pytest.raises(
        BudgetAuthorityNeeded,
        match="This PR would put CC-RBP-MNT 1,240.00 over its budget: only an approver with "
        "budget authority may approve it, with a written reason",
    ):
        check_approval(over, person(APPROVER, "approver"), "urgent")
    boss = person(APPROVER_2, "approver", authority=True)
    with pytest.raises(ReasonNeeded, match="write why"):
        check_approval(over, boss, "   ")
    step = check_approval(over, boss, "Line down; finance agreed to move budget")
    assert step.complete and step.over_budget


def test_the_budget_check_starts_one_cent_over():
    exactly_fits = request("1240.00", role="approver", over="0.00")
    assert not check_approval(exactly_fits, person(APPROVER, "approver")).over_budget
    one_cent_over = request("1240.00", role="approver", over="0.01")
    with pytest.raises(BudgetAuthorityNeeded, match="0.01 over its budget"):
        check_approval(one_cent_over, person(APPROVER, "approver"))


def test_a_rejection_always_says_why_but_needs_no_budget_authority():
    over = request("1240.00", role="approver", over="100.00")
    with pytest.raises(ReasonNeeded, match="Say why PR-000012 is rejected"):
        check_rejection(over, person(APPROVER, "approver"), "")
    check_rejection(over, person(APPROVER, "approver"), "Buy the cheaper seal kit")
    assert may_decide(over, person(APPROVER, "approver"))

"""When a PO needs approval of its own: the tolerance, the bands, direct buys, contract ceilings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.domain import approvals
from portal.domain import po_approval as rules
from portal.domain import purchase_orders as po

D = Decimal
MATRIX = [
    approvals.Rule(None, D("0.00"), D("500.00"), "supervisor"),
    approvals.Rule(None, D("500.01"), D("5000.00"), "approver"),
    approvals.Rule(None, D("5000.01"), None, "approver", approvals_needed=2),
]


def judge(*lines: rules.Line, contract: rules.ContractUse | None = None) -> rules.Assessment:
    return rules.assess(
        list(lines),
        cost_centre_id=None,
        matrix=MATRIX,
        tolerance=rules.DEFAULT_TOLERANCE,
        contract=contract,
    )


@pytest.mark.parametrize(
    ("approved", "allowed"),
    [("67.00", "3.35"), ("1000.00", "50.00"), ("4420.00", "50.00"), ("0", "0.00")],
)
def test_the_tolerance_is_the_smaller_of_five_percent_and_fifty(approved, allowed):
    assert rules.DEFAULT_TOLERANCE.allowance(D(approved)) == D(allowed)


def test_the_6700_po_from_a_67_request_needs_two_approvers_in_words():
    found = judge(rules.Line(1, D("6700.00"), D("67.00"), requests=("PR-000096",)))
    assert found.needed
    assert found.sentence() == (
        "6,700.00 is 6,633.00 above the 67.00 approved on PR-000096; "
        "needs two approvers with the approver role."
    )


def test_within_the_tolerance_and_the_same_band_needs_nothing():
    assert not judge(rules.Line(1, D("1040.00"), D("1000.00"))).needed


def test_a_higher_band_needs_approval_even_within_the_tolerance():
    found = judge(rules.Line(1, D("5030.00"), D("4990.00")))
    assert found.needed and "higher approval band" in found.sentence()


def test_one_line_up_and_another_down_still_needs_approval_for_the_line():
    found = judge(rules.Line(1, D("900.00"), D("500.00")), rules.Line(2, D("100.00"), D("500.00")))
    assert found.needed and found.line_excess == {1: D("400.00")}


def test_a_direct_buy_needs_the_matrix():
    found = judge(rules.Line(1, D("120.00"), None))
    assert found.sentence() == (
        "120.00 is a direct buy with no approved request; needs someone with the supervisor role."
    )


def test_an_amount_approved_on_the_po_itself_covers_it():
    assert not judge(rules.Line(1, D("6700.00"), D("67.00"), authorised=D("6700.00"))).needed


def test_contract_ceiling_warns_at_90_percent_and_needs_approval_past_it():
    use = rules.ContractUse("C-1", D("1000.00"), D("500.00"))
    at_90 = judge(rules.Line(1, D("400.00"), D("400.00")), contract=use)
    assert not at_90.needed and "(90.0 %)" in (at_90.contract_warning or "")
    past = judge(rules.Line(1, D("600.00"), D("600.00")), contract=use)
    assert past.needed and "100.00 past its 1,000.00 ceiling" in past.sentence()


def test_the_author_of_the_po_cannot_approve_it():
    order = rules.Order(
        number="PO-1",
        pending=True,
        total=D("6700.00"),
        authors=(7, 8),
        cost_centre_code="CC",
        requirement=approvals.Requirement("approver", 2),
    )
    for author in (7, 8):
        with pytest.raises(approvals.SeparationOfDuties):
            rules.check_approval(order, approvals.Decider(author, frozenset({"approver"})))
    step = rules.check_approval(order, approvals.Decider(9, frozenset({"approver"})))
    assert step.approvals == 1 and not step.complete


def test_a_tolerance_out_of_range_is_refused():
    with pytest.raises(Exception, match="between 0 and 100"):
        rules.check_tolerance(D("101"), D("50"))


def test_a_waiting_revision_is_kept_as_json_and_read_back_the_same():
    changes = po.RevisionChanges(
        lines={
            7: po.LineChange(qty=D("52"), unit_price=D("1700.00"), expected_on=date(2026, 3, 2))
        },
        new_lines=(po.NewLine("Grease", D("2"), "EA", D("5.00")),),
    )
    assert po.changes_from_json(po.changes_as_json(changes)) == changes


def test_only_a_change_that_adds_spend_needs_approval_again():
    line = po.LineState(1, 1, "Seal", D("10"), "EA", D("10.00"), D("0"), None)
    cut = po.RevisionChanges(lines={1: po.LineChange(qty=D("4"))})
    rise = po.RevisionChanges(lines={1: po.LineChange(unit_price=D("10.01"))})
    added = po.RevisionChanges(lines={}, new_lines=(po.NewLine("Grease", D("1"), "EA", D("1")),))
    assert not po.raises_spend({1: line}, cut)
    assert po.raises_spend({1: line}, rise) and po.raises_spend({1: line}, added)

"""The rules around a work order's end: cancelling requests, flagged PO lines, returns, and the
out-of-pocket limit kept as policy data."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.domain import policy
from portal.domain.errors import DomainError
from portal.domain.lifecycle import (
    FlagResolution,
    check_cancel_request,
    check_resolution,
    check_return,
    ends_work,
)
from portal.domain.statuses import PurchaseRequestStatus as S


@pytest.mark.parametrize("status", [S.draft, S.submitted, S.approved])
def test_a_request_not_yet_ordered_is_cancelled_with_its_reason(status):
    assert check_cancel_request("PR-1", status, lines_on_orders=0, reason=" Not needed ") == (
        "Not needed"
    )


@pytest.mark.parametrize(
    "status, on_orders, reason, words",
    [
        (S.submitted, 0, "  ", "Say why PR-1 is cancelled."),
        (S.cancelled, 0, "x", "already cancelled"),
        (S.ordered, 0, "x", "already on a purchase order"),
        (S.approved, 1, "x", "already on a purchase order"),
    ],
)
def test_a_request_is_not_cancelled_without_a_reason_or_once_ordered(
    status, on_orders, reason, words
):
    with pytest.raises(DomainError, match=words):
        check_cancel_request("PR-1", status, lines_on_orders=on_orders, reason=reason)


def test_work_ends_when_completed_closed_or_cancelled():
    assert [ends_work(s) for s in ("in_progress", "completed", "closed", "cancelled")] == [
        False,
        True,
        True,
        True,
    ]


def test_a_flagged_line_is_cancelled_or_diverted_with_a_reason():
    assert check_resolution(
        "cancelled", reason="Vendor agreed", still_to_come=D("2"), stockable=True
    ) == (
        FlagResolution.cancelled,
        "Vendor agreed",
    )
    with pytest.raises(DomainError, match="Say why"):
        check_resolution("diverted", reason="", still_to_come=D("2"), stockable=True)
    with pytest.raises(DomainError, match="Only parts go to stock"):
        check_resolution("diverted", reason="x", still_to_come=D("2"), stockable=False)
    with pytest.raises(DomainError, match="nothing is left to cancel"):
        check_resolution("cancelled", reason="x", still_to_come=D("0"), stockable=True)
    with pytest.raises(DomainError, match="Choose"):
        check_resolution("kept", reason="x", still_to_come=D("1"), stockable=True)


def test_no_more_goes_back_to_stock_than_was_issued():
    assert check_return(D("2"), issued=D("2"), unit="EA") == D("2")
    with pytest.raises(DomainError, match="Only 2 EA were issued"):
        check_return(D("3"), issued=D("2"), unit="EA")
    with pytest.raises(DomainError, match="more than 0"):
        check_return(D("0"), issued=D("2"), unit="EA")


def test_the_out_of_pocket_limit_is_the_lowest_active_limit_rule_and_requires_no_po():
    limit = policy.build_rule(name="Own money", kind="out_of_pocket_limit", amount="1000")
    lower = policy.build_rule(name="Own money, strict", kind="out_of_pocket_limit", amount="250.00")
    assert policy.out_of_pocket_limit([limit, lower]) == D("250.00")
    assert policy.out_of_pocket_limit([]) is None
    need = policy.Need(amount=D("9000.00"), item_kind="non_stock", category="Hardware")
    assert policy.evaluate(need, [limit]) == []
    with pytest.raises(policy.PolicyError, match="Enter the limit"):
        policy.build_rule(name="No amount", kind="out_of_pocket_limit", amount="")

"""Out-of-pocket claims: what they must say, and who may review them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.domain.out_of_pocket import (
    MAX_AGE_DAYS,
    ClaimRefused,
    OwnPurchase,
    check_claim,
    check_review,
    check_work_order_open,
)
from portal.domain.statuses import OutOfPocketStatus
from portal.domain.work_orders import WorkOrderStatus

TODAY = date(2026, 11, 25)


def claim(**over):
    values = dict(
        description="  Fuse   10 A ",
        shop_name="Corner Hardware",
        amount=D("12.5"),
        bought_on=TODAY,
        why="Line down at night",
        today=TODAY,
    )
    values.update(over)
    return check_claim(**values)


def test_a_complete_claim_is_trimmed_and_rounded_to_the_cent():
    got = claim()
    assert (got.description, got.amount) == ("Fuse 10 A", D("12.50"))


@pytest.mark.parametrize(
    "change, words",
    [
        ({"description": " "}, "what you bought"),
        ({"shop_name": ""}, "where you bought"),
        ({"why": "  "}, "could not wait"),
        ({"amount": D("0")}, "more than 0"),
        ({"amount": D("1.005")}, "to the cent"),
        ({"amount": D("5000.01"), "limit": D("5000.00")}, "the 5,000.00 the purchasing policy"),
        ({"bought_on": TODAY + timedelta(days=1)}, "future"),
        ({"bought_on": TODAY - timedelta(days=MAX_AGE_DAYS + 1)}, "expenses"),
    ],
)
def test_an_incomplete_or_odd_claim_is_refused_in_words(change, words):
    with pytest.raises(ClaimRefused, match=words):
        claim(**change)


def test_the_limits_themselves_are_accepted():
    assert claim(amount=D("5000.00"), limit=D("5000.00")).amount == D("5000.00")
    assert claim(amount=D("90000.00"), limit=None).amount == D("90000.00")  # policy sets none
    assert claim(bought_on=TODAY - timedelta(days=MAX_AGE_DAYS)).bought_on


def test_nobody_reviews_their_own_purchase():
    with pytest.raises(OwnPurchase, match="your own purchase"):
        check_review(
            buyer_id=7, reviewer_id=7, status=OutOfPocketStatus.submitted, approve=True, reason=None
        )


def test_refusing_needs_a_reason_approving_does_not():
    with pytest.raises(ClaimRefused, match="why"):
        check_review(
            buyer_id=1, reviewer_id=2, status=OutOfPocketStatus.submitted, approve=False, reason=" "
        )
    ok = check_review(
        buyer_id=1, reviewer_id=2, status=OutOfPocketStatus.submitted, approve=True, reason=""
    )
    assert (ok.status, ok.reason) == (OutOfPocketStatus.reimbursed, None)


def test_a_reviewed_purchase_cannot_be_reviewed_again():
    with pytest.raises(ClaimRefused, match="already reimbursed"):
        check_review(
            buyer_id=1,
            reviewer_id=2,
            status=OutOfPocketStatus.reimbursed,
            approve=False,
            reason="x",
        )


def test_closed_work_takes_no_more_purchases():
    check_work_order_open(WorkOrderStatus.completed)
    with pytest.raises(ClaimRefused, match="closed"):
        check_work_order_open(WorkOrderStatus.closed)

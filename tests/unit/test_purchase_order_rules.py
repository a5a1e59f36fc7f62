"""Purchase order rules without a database: moves, totals, backorders and revisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from portal.domain.errors import InvalidTransition
from portal.domain.purchase_orders import (
    CancelRefused,
    LineChange,
    LineState,
    NewLine,
    PurchaseOrderError,
    RevisionChanges,
    RevisionRefused,
    backorder,
    check_cancel,
    check_move,
    check_revision,
    describe_change,
    line_amount,
    moves_for,
    parse_discount,
    parse_price,
    parse_qty,
    po_total,
    snapshot,
    status_after_receipt,
)
from portal.domain.statuses import PurchaseOrderStatus as S

D = Decimal


@dataclass
class Line:
    qty: Decimal
    unit_price: Decimal = D("1")
    discount_percent: Decimal = D("0")
    received_qty: Decimal = D("0")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.draft, S.approved),
        (S.approved, S.issued),
        (S.issued, S.partially_received),
        (S.partially_received, S.received),
        (S.received, S.closed),
        (S.partially_received, S.closed),
        (S.draft, S.cancelled),
        (S.issued, S.cancelled),
    ],
)
def test_allowed_moves_pass(current, target):
    check_move(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.draft, S.issued),
        (S.closed, S.issued),
        (S.cancelled, S.approved),
        (S.received, S.cancelled),
        (S.issued, S.draft),
    ],
)
def test_other_moves_are_refused_in_words(current, target):
    with pytest.raises(InvalidTransition, match="purchase order cannot become"):
        check_move(current, target)


def test_buttons_offer_only_moves_a_person_makes():
    assert moves_for(S.draft) == [S.approved, S.cancelled]
    assert moves_for(S.approved) == [S.issued, S.cancelled]
    assert moves_for(S.issued) == [S.cancelled]
    assert moves_for(S.partially_received, any_received=True) == [S.closed]
    assert moves_for(S.closed) == []


def test_a_po_with_a_receipt_cannot_be_cancelled():
    with pytest.raises(CancelRefused, match="Close it instead"):
        check_cancel(S.issued, any_received=True, reason="Vendor late")


def test_cancelling_needs_a_reason():
    with pytest.raises(PurchaseOrderError, match="Say why"):
        check_cancel(S.draft, any_received=False, reason="  ")
    assert check_cancel(S.draft, any_received=False, reason=" Duplicate ") == "Duplicate"


def test_line_amount_rounds_once_after_the_discount():
    assert line_amount(D("3"), D("0.335"), D("10")) == D("0.90")
    assert line_amount(D("7"), D("13.40"), D("2.5")) == D("91.46")  # 91.455 rounds half up


def test_po_total_is_the_sum_of_rounded_line_amounts():
    lines = [Line(D("1"), D("0.005")), Line(D("1"), D("0.005"))]
    # each line rounds to 0.01; the document's lines must add up to the printed total
    assert po_total(lines) == D("0.02")
    assert po_total([Line(D("10"), D("12.50"), D("10")), Line(D("2"), D("3.333"))]) == D("119.17")


def test_backorder_is_ordered_less_received_and_never_negative():
    assert backorder(D("10"), D("4")) == D("6.000")
    assert backorder(D("10"), D("12")) == D("0.000")


def test_status_follows_what_arrived():
    assert status_after_receipt([Line(D("5")), Line(D("2"))]) is S.issued
    partial = [Line(D("5"), received_qty=D("5")), Line(D("2"))]
    assert status_after_receipt(partial) is S.partially_received
    done = [Line(D("5"), received_qty=D("5")), Line(D("2"), received_qty=D("2"))]
    assert status_after_receipt(done) is S.received


def _state(**over) -> LineState:
    values = dict(
        line_id=1,
        line_no=1,
        description="Seal",
        qty=D("10"),
        uom="EA",
        unit_price=D("5.00"),
        discount_percent=D("0"),
        expected_on=None,
        received_qty=D("4"),
    )
    values.update(over)
    return LineState(**values)


def test_a_revision_may_not_cut_quantity_below_what_arrived():
    with pytest.raises(RevisionRefused, match="already arrived"):
        check_revision(
            S.partially_received,
            {1: _state()},
            RevisionChanges(lines={1: LineChange(qty=D("3"))}),
            current_vendor_id=7,
        )


def test_a_revision_records_price_discount_date_and_quantity_changes():
    diff = check_revision(
        S.issued,
        {1: _state()},
        RevisionChanges(
            lines={
                1: LineChange(
                    qty=D("4"),
                    unit_price=D("4.50"),
                    discount_percent=D("5"),
                    expected_on=date(2026, 12, 1),
                )
            }
        ),
        current_vendor_id=7,
    )
    assert diff == {
        1: {
            "qty": [D("10"), D("4")],
            "unit_price": [D("5.00"), D("4.50")],
            "discount_percent": [D("0"), D("5")],
            "expected_on": [None, date(2026, 12, 1)],
        }
    }
    assert describe_change(1, diff[1]).startswith("Line 1: qty 10 → 4, unit price 5.00 → 4.50")


def test_a_revision_never_changes_the_vendor():
    with pytest.raises(RevisionRefused, match="vendor"):
        check_revision(
            S.issued, {1: _state()}, RevisionChanges(lines={}, vendor_id=8), current_vendor_id=7
        )


def test_a_draft_is_edited_not_revised_and_an_empty_revision_is_refused():
    with pytest.raises(RevisionRefused, match="Only an issued"):
        check_revision(S.draft, {1: _state()}, RevisionChanges(lines={}), current_vendor_id=7)
    with pytest.raises(RevisionRefused, match="Nothing changed"):
        check_revision(
            S.issued,
            {1: _state()},
            RevisionChanges(lines={1: LineChange(qty=D("10"))}),
            current_vendor_id=7,
        )


def test_adding_a_line_is_a_revision():
    new = NewLine(description="Gasket", qty=D("2"), uom="EA", unit_price=D("3.00"))
    assert (
        check_revision(
            S.issued,
            {1: _state()},
            RevisionChanges(lines={}, new_lines=(new,)),
            current_vendor_id=7,
        )
        == {}
    )


def test_snapshot_keeps_the_lines_as_json_ready_text():
    shot = snapshot(0, [_state(discount_percent=D("10"))], currency="USD")
    assert shot == {
        "revision": 0,
        "currency": "USD",
        "total": "45.00",
        "lines": [
            {
                "line_no": 1,
                "description": "Seal",
                "qty": "10",
                "uom": "EA",
                "unit_price": "5.00",
                "discount_percent": "10",
                "expected_on": None,
                "received_qty": "4",
                "amount": "45.00",
            }
        ],
    }


@pytest.mark.parametrize(
    ("fn", "value", "message"),
    [
        (parse_price, "-1", "cannot be negative"),
        (parse_price, "1.005", "2 decimal places"),
        (parse_price, "abc", "must be a number"),
        (parse_qty, "0", "more than 0"),
        (parse_qty, "1.0001", "3 decimal places"),
        (parse_discount, "101", "between 0 and 100"),
    ],
)
def test_bad_numbers_are_refused_in_words(fn, value, message):
    with pytest.raises(PurchaseOrderError, match=message):
        fn(value)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        parse_price(1.5)

"""Goods receipt rules: tolerance, rejects, PO status, what a work order gets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.domain import receiving as rules
from portal.domain.receiving import BadReceiptQuantity, OverReceipt, ReceiptRefused
from portal.domain.statuses import PurchaseOrderStatus as PO
from portal.domain.work_orders import WorkOrderStatus, check_move, moves_for

D = Decimal


def check(accepted, *, ordered="10", received="0", rejected="0", reason=None, tolerance="0"):
    rules.check_line_receipt(
        2,
        ordered=D(ordered),
        received=D(received),
        accepted=D(accepted),
        rejected=D(rejected),
        reason=reason,
        tolerance_percent=D(tolerance),
    )


def test_without_tolerance_exactly_the_ordered_quantity_may_be_received():
    check("10")
    check("2", received="8")


def test_without_tolerance_a_thousandth_past_the_order_is_refused_in_words():
    with pytest.raises(OverReceipt) as refused:
        check("2.001", received="8")
    assert str(refused.value) == "Line 2 ordered 10, received 8: at most 2 more can be accepted."


def test_five_percent_tolerance_allows_exactly_ten_and_a_half_on_ten():
    check("10.5", tolerance="5")
    check("2.5", received="8", tolerance="5")


def test_five_percent_tolerance_refuses_a_thousandth_more_and_says_so():
    with pytest.raises(OverReceipt) as refused:
        check("10.501", tolerance="5")
    assert "at most 10.5 more can be accepted (5% over-receipt allowed)" in str(refused.value)


def test_a_fully_received_line_takes_nothing_more():
    with pytest.raises(OverReceipt, match="received 10: nothing more can be accepted"):
        check("1", received="10")


def test_rejected_quantity_needs_a_reason():
    with pytest.raises(ReceiptRefused, match="say why 2 were rejected"):
        check("0", rejected="2", reason="  ")
    check("0", rejected="2", reason="Crushed in transit")


def test_rejected_goods_do_not_use_up_the_ordered_quantity():
    check("10", rejected="5", reason="Wrong size")


def test_nothing_entered_or_negative_quantities_are_refused():
    with pytest.raises(BadReceiptQuantity, match="enter what was accepted or rejected"):
        check("0")
    with pytest.raises(BadReceiptQuantity, match="cannot be negative"):
        check("-1")


@pytest.mark.parametrize(
    ("typed", "read"),
    [("", D("0")), ("3", D("3.000")), ("1,5", D("1.500")), (" 2.25 ", D("2.250"))],
)
def test_typed_quantities_are_read_as_exact_decimals(typed, read):
    assert rules.parse_receipt_qty(typed) == read


@pytest.mark.parametrize("typed", ["abc", "-1", "1.0001", "NaN", "1e9"])
def test_bad_typed_quantities_are_refused(typed):
    with pytest.raises(BadReceiptQuantity):
        rules.parse_receipt_qty(typed)


def test_floats_are_never_taken():
    with pytest.raises(TypeError):
        rules.parse_receipt_qty(1.5)


def test_limit_rounds_down_to_a_thousandth():
    assert rules.receipt_limit(D("3"), D("10")) == D("3.300")
    assert rules.receipt_limit(D("7"), D("3.33")) == D("7.233")


@pytest.mark.parametrize("status", [PO.issued, PO.partially_received])
def test_issued_and_partly_received_orders_take_goods(status):
    rules.check_po_receivable(status, "PO-2026-000001")


def test_a_fully_received_order_says_nothing_more_is_expected():
    with pytest.raises(ReceiptRefused, match="fully received: nothing more is expected"):
        rules.check_po_receivable(PO.received, "PO-2026-000001")


@pytest.mark.parametrize("status", [PO.draft, PO.approved, PO.closed, PO.cancelled])
def test_other_orders_do_not(status):
    with pytest.raises(ReceiptRefused, match="only issued purchase orders can be received"):
        rules.check_po_receivable(status, "PO-2026-000001")


def test_po_status_moves_issued_to_partly_received_to_received():
    assert rules.po_status_after(PO.issued, [(D("10"), D("0"))]) is PO.issued
    assert rules.po_status_after(PO.issued, [(D("10"), D("4")), (D("2"), D("0"))]) is (
        PO.partially_received
    )
    assert rules.po_status_after(PO.partially_received, [(D("10"), D("10")), (D("2"), D("2"))]) is (
        PO.received
    )
    assert rules.po_status_after(PO.issued, [(D("10"), D("10.5"))]) is PO.received


def test_backorder_is_what_is_still_to_come_never_negative():
    assert rules.open_qty(D("10"), D("4")) == D("6.000")
    assert rules.open_qty(D("10"), D("10.5")) == D("0")


def test_price_net_of_discount_and_moving_average_cost():
    assert rules.net_unit_price(D("20.00"), D("10")) == D("18.00")
    assert rules.moving_average_cost(D("10"), D("10.00"), D("10"), D("20.00")) == D("15.00")
    assert rules.moving_average_cost(D("0"), D("99.00"), D("5"), D("20.00")) == D("20.00")


def test_a_work_order_gets_no_more_than_it_still_lacks():
    assert rules.issue_on_arrival(D("5"), D("3"), D("0"), D("0")) == D("3.000")
    assert rules.issue_on_arrival(D("2"), D("5"), D("1"), D("0")) == D("2.000")
    assert rules.issue_on_arrival(D("2"), D("5"), D("0"), D("5")) == D("0")


def test_all_parts_arrived_only_when_nothing_is_on_order_or_missing():
    here = rules.PartNeed(D("2"), D("0"), D("2"), D("0"))
    reserved = rules.PartNeed(D("1"), D("1"), D("0"), D("0"))
    on_order = rules.PartNeed(D("3"), D("0"), D("1"), D("2"))
    cancelled = rules.PartNeed(D("3"), D("0"), D("0"), D("3"), cancelled=True)
    assert rules.all_parts_arrived([here, reserved, cancelled])
    assert not rules.all_parts_arrived([here, on_order])


def test_work_order_goes_back_to_work_or_back_in_the_queue():
    assert rules.status_when_parts_arrive(work_started=True, assigned=True) is (
        WorkOrderStatus.in_progress
    )
    assert rules.status_when_parts_arrive(work_started=False, assigned=True) is (
        WorkOrderStatus.assigned
    )
    assert rules.status_when_parts_arrive(work_started=False, assigned=False) is (
        WorkOrderStatus.approved
    )
    check_move(WorkOrderStatus.waiting_parts, WorkOrderStatus.assigned)


def test_no_button_offers_the_moves_only_a_receipt_makes():
    moves = moves_for(WorkOrderStatus.waiting_parts, {"supervisor"})
    assert WorkOrderStatus.assigned not in moves and WorkOrderStatus.approved not in moves
    assert WorkOrderStatus.in_progress in moves


@pytest.mark.parametrize(
    "typed", ["PO-2026-000123", "po-2026-000123", " po 2026 123 ", "PO2026000123", "2026-123"]
)
def test_a_po_number_is_found_however_it_is_typed(typed):
    assert rules.normalise_po_number(typed) == "PO-2026-000123"


@pytest.mark.parametrize("typed", ["", "hello", "PO-12", "PO-2026-0000000123", "PO-2026-000000"])
def test_things_that_cannot_be_po_numbers(typed):
    assert rules.normalise_po_number(typed) is None

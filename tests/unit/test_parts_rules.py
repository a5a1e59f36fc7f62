"""Parts rules on plain values: quantities, what is uncovered, where to reserve, who sells."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.parts import (
    BadQuantity,
    ContractOffer,
    PartsLocked,
    PreferredOffer,
    StockOption,
    check_may_take_stock_or_buy,
    check_parts_open,
    issue_cost,
    line_status,
    parse_quantity,
    plan_reservation,
    purchase_line_kind,
    suggest_source,
    uncovered_qty,
)
from portal.domain.statuses import ItemKind, LineKind, PartLineStatus
from portal.domain.work_orders import WorkOrderStatus

D = Decimal
TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    "typed, expected",
    [("1", D("1.000")), (" 2.5 ", D("2.500")), ("0.125", D("0.125")), ("1.2500", D("1.250"))],
)
def test_a_positive_quantity_with_up_to_three_decimals_is_accepted(typed, expected):
    assert parse_quantity(typed) == expected


@pytest.mark.parametrize(
    "typed, words",
    [
        ("", "how many"),
        ("0", "more than 0"),
        ("-1", "more than 0"),
        ("abc", "Enter a number"),
        ("1.2345", "at most 3 decimal places"),
        ("NaN", "Enter a number"),
        ("Infinity", "Enter a number"),
        ("1e9", "check the number"),
    ],
)
def test_a_bad_quantity_is_refused_in_words(typed, words):
    with pytest.raises(BadQuantity, match=words):
        parse_quantity(typed)


def test_a_float_quantity_is_a_programming_error_not_a_typo():
    with pytest.raises(TypeError):
        parse_quantity(1.5)


def test_uncovered_is_needed_less_reserved_issued_and_requested_never_below_zero():
    assert uncovered_qty(D("5"), D("1"), D("2"), D("1")) == D("1.000")
    assert uncovered_qty(D("2"), D("2"), D("1"), D("0")) == D("0")


@pytest.mark.parametrize(
    "needed, reserved, issued, requested, status",
    [
        ("2", "0", "0", "0", PartLineStatus.needed),
        ("2", "1", "0", "0", PartLineStatus.reserved),
        ("2", "1", "0", "1", PartLineStatus.requested),
        ("2", "0", "2", "0", PartLineStatus.issued),
        ("2", "0", "1", "0", PartLineStatus.needed),
    ],
)
def test_line_status_follows_the_quantities(needed, reserved, issued, requested, status):
    assert line_status(D(needed), D(reserved), D(issued), D(requested)) is status


def test_a_cancelled_line_stays_cancelled():
    assert (
        line_status(D("1"), D("0"), D("0"), D("0"), PartLineStatus.cancelled)
        is PartLineStatus.cancelled
    )


def test_reservation_prefers_the_work_orders_site_then_the_fullest_store():
    options = [
        StockOption(1, "FAR", D("10"), same_site=False),
        StockOption(2, "HERE-A", D("1"), same_site=True),
        StockOption(3, "HERE-B", D("2"), same_site=True),
    ]
    assert plan_reservation(D("4"), options) == [(3, D("2")), (2, D("1")), (1, D("1"))]


def test_reservation_takes_only_what_there_is():
    options = [StockOption(1, "A", D("1.5"), True), StockOption(2, "B", D("0"), True)]
    assert plan_reservation(D("3"), options) == [(1, D("1.5"))]
    assert plan_reservation(D("3"), []) == []


def test_issue_cost_is_exact_to_the_cent():
    assert issue_cost(D("3"), D("0.335")) == D("1.01")
    assert issue_cost(D("1.5"), D("186.00")) == D("279.00")


def test_services_are_bought_as_service_lines_and_parts_as_goods():
    assert purchase_line_kind(ItemKind.service) is LineKind.service
    assert purchase_line_kind(ItemKind.non_stock) is LineKind.goods
    assert purchase_line_kind(ItemKind.stock) is LineKind.goods


def test_a_requested_work_order_may_plan_parts_but_not_take_stock_or_buy():
    check_parts_open(WorkOrderStatus.requested)
    with pytest.raises(PartsLocked, match="must be approved"):
        check_may_take_stock_or_buy(WorkOrderStatus.requested)
    check_may_take_stock_or_buy(WorkOrderStatus.in_progress)


@pytest.mark.parametrize(
    "status", [WorkOrderStatus.completed, WorkOrderStatus.closed, WorkOrderStatus.cancelled]
)
def test_finished_work_orders_parts_no_longer_change(status):
    with pytest.raises(PartsLocked, match="no longer change"):
        check_parts_open(status)


def offer(**overrides) -> ContractOffer:
    values = dict(
        contract_price_id=1,
        contract_reference="C-NBS",
        vendor_id=10,
        vendor_code="NBS",
        vendor_active=True,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        unit_price=D("172.00"),
        uom="EA",
        for_item=True,
    )
    values.update(overrides)
    return ContractOffer(**values)


def suggest(contracts=(), preferred=(), standard_cost=D("186.00")):
    return suggest_source(
        today=TODAY,
        uom="EA",
        category="Seals",
        standard_cost=standard_cost,
        contracts=list(contracts),
        preferred=list(preferred),
    )


def test_a_valid_contract_price_wins_over_the_preferred_vendor():
    got = suggest([offer()], [PreferredOffer(20, "FLO", True)])
    assert (got.vendor_id, got.unit_price, got.contract_price_id) == (10, D("172.00"), 1)
    assert got.warnings[0] == "Contract C-NBS with NBS: 172.00 per EA"


def test_an_item_price_beats_a_cheaper_category_price():
    got = suggest([offer(contract_price_id=2, unit_price=D("150"), for_item=False), offer()])
    assert got.contract_price_id == 1


def test_an_expired_contract_is_ignored_and_the_preferred_vendor_is_suggested():
    expired = offer(contract_reference="C-FLO-2025", valid_to=date(2025, 12, 31), vendor_id=20)
    got = suggest([expired], [PreferredOffer(10, "NBS", True)])
    assert (got.vendor_id, got.unit_price, got.contract_price_id) == (10, D("186.00"), None)
    assert got.warnings[:2] == [
        "No contract price: priced at standard cost",
        "Preferred vendor NBS",
    ]
    assert "Contract C-FLO-2025 expired on 2025-12-31: not used" in got.warnings


def test_a_contract_not_yet_started_or_in_another_unit_is_ignored():
    later = offer(valid_from=date(2026, 7, 1))
    per_box = offer(contract_price_id=2, uom="BOX")
    assert suggest([later, per_box]).contract_price_id is None


def test_a_blocked_vendor_is_never_suggested_even_with_the_best_contract():
    blocked = offer(vendor_code="QIND", vendor_active=False, unit_price=D("1.00"))
    got = suggest([blocked], [PreferredOffer(30, "QIND", False)])
    assert got.vendor_id is None
    assert got.unit_price == D("186.00")
    assert "Preferred vendor QIND is blocked: not suggested" in got.warnings


def test_no_vendor_and_no_standard_cost_is_priced_at_zero_with_a_warning():
    got = suggest(standard_cost=None)
    assert (got.vendor_id, got.unit_price) == (None, D("0.00"))
    assert got.warnings[0].startswith("No contract price and no standard cost: priced at 0.00")
    assert got.warnings[1] == "No preferred vendor for Seals: the buyer chooses one"


def test_a_decimal_comma_from_a_phone_keypad_reads_as_a_point():
    assert parse_quantity("1,5") == Decimal("1.500")
    with pytest.raises(BadQuantity):
        parse_quantity("1,5.2")

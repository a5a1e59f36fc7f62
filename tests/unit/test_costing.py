"""Where an invoice's money lands: pro-rata shares that add up to the cent (docs/money.md)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from portal.domain.costing import NoExchangeRate, allocate, booked_amounts, check_rate


def test_shares_follow_the_weights_and_add_up_exactly():
    assert allocate(D("10.00"), [D("1"), D("1"), D("1")]) == [D("3.34"), D("3.33"), D("3.33")]
    assert sum(allocate(D("10.00"), [D("1"), D("1"), D("1")])) == D("10.00")


def test_the_cent_left_over_goes_to_the_largest_remainder_not_the_first_line():
    # quotas 0.3333.., 0.6666..: the second line's remainder is larger
    assert allocate(D("1.00"), [D("1"), D("2")]) == [D("0.33"), D("0.67")]


def test_a_negative_total_is_shared_like_its_size():
    assert allocate(D("-1.00"), [D("1"), D("2")]) == [D("-0.33"), D("-0.67")]


def test_lines_of_no_value_share_equally():
    assert allocate(D("0.05"), [D("0"), D("0")]) == [D("0.03"), D("0.02")]


@pytest.mark.parametrize(
    ("lines", "freight", "tax", "booked"),
    [
        ([("2", "7.60")], "3.00", "1.82", ["20.02"]),
        ([("2", "7.60"), ("1", "84.80")], "10.00", "0.00", ["16.72", "93.28"]),
        ([("1", "0.01"), ("1", "0.01"), ("1", "0.01")], "0.01", "0", ["0.02", "0.01", "0.01"]),
    ],
)
def test_each_line_carries_its_share_of_freight_and_tax(lines, freight, tax, booked):
    got = booked_amounts([(D(q), D(p)) for q, p in lines], D(freight), D(tax))
    assert got == [D(b) for b in booked]
    gross = sum(D(q) * D(p) for q, p in lines) + D(freight) + D(tax)
    assert sum(got) == gross


def test_another_currency_is_converted_once_on_the_gross_and_still_adds_up():
    got = booked_amounts([(D("1"), D("10.00")), (D("2"), D("10.00"))], D("0"), D("0"), D("1.085"))
    assert got == [D("10.85"), D("21.70")] and sum(got) == D("32.55")


def test_no_rate_is_refused_in_words_never_taken_as_one():
    with pytest.raises(NoExchangeRate, match="no exchange rate for EUR to USD on 2026-03-01"):
        check_rate("EUR", None, "2026-03-01")
    assert check_rate("USD", None, "2026-03-01") == D(1)

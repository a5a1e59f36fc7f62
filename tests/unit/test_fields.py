"""The field rules: ASCII digits, bounds from the column types, sane days, words not tracebacks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.domain.fields import (
    ID_MAX,
    MONEY,
    PERCENT,
    QUANTITY,
    FieldRefused,
    check_line_amount,
    coerce_id,
    has_control_characters,
    parse_day,
    parse_decimal,
    parse_id,
    parse_int,
    without_invisibles,
)


def test_the_bounds_are_the_columns_bounds():
    assert QUANTITY.largest == Decimal("99999999999.999")  # Numeric(14, 3)
    assert MONEY.largest == Decimal("999999999999.99")  # Numeric(14, 2)
    assert PERCENT.largest == Decimal("9999.999")  # Numeric(7, 3)
    assert ID_MAX == 2147483647  # Integer on PostgreSQL


@pytest.mark.parametrize(
    "typed",
    ["²", "１２", "1_000", "1e5", "1e309", "NaN", "sNaN", "Infinity", "-inf", "0x10", "1 2"],
)
def test_only_plain_ascii_numbers_are_numbers(typed):
    with pytest.raises(FieldRefused, match="digits 0 to 9"):
        parse_decimal(typed, QUANTITY, label="Quantity")


def test_a_decimal_comma_reads_as_a_point_and_empty_is_none():
    assert parse_decimal("1,5", QUANTITY, label="Q") == Decimal("1.5")
    assert parse_decimal("  ", QUANTITY, label="Q") is None


@pytest.mark.parametrize(
    "typed, kind, words",
    [
        ("100000000000", QUANTITY, "at most 99,999,999,999.999"),
        ("1000000000000", MONEY, "at most 999,999,999,999.99"),
        ("1.0001", QUANTITY, "at most 3 decimal places"),
        ("1.001", MONEY, "at most 2 decimal places"),
        ("-1", MONEY, "at least 0"),
        # More digits than Decimal rounds in its 28: refused by size, not an InvalidOperation.
        ("9" * 26, QUANTITY, "at most 99,999,999,999.999"),
        ("9" * 32, MONEY, "at most 999,999,999,999.99"),
        ("9" * 30 + ".5", PERCENT, "at most 9,999.999"),
    ],
)
def test_numbers_outside_their_column_are_refused_in_words(typed, kind, words):
    with pytest.raises(FieldRefused, match=words):
        parse_decimal(typed, kind, label="It")


def test_above_zero_says_more_than_0():
    with pytest.raises(FieldRefused, match="Quantity must be more than 0."):
        parse_decimal("0", QUANTITY, label="Quantity", above_zero=True)


@given(st.decimals(min_value=0, max_value=QUANTITY.largest, places=3))
def test_every_quantity_the_column_holds_is_read_back_exactly(number):
    assert parse_decimal(f"{number:f}", QUANTITY, label="Q") == number


@given(st.text(max_size=40))
@settings(max_examples=300)
def test_any_text_is_a_number_or_a_refusal_in_words(text):
    for kind in (QUANTITY, MONEY, PERCENT):
        try:
            parse_decimal(text, kind, label="It")
        except FieldRefused as refused:
            assert str(refused).startswith("It")
    try:
        parse_day(text, label="Day")
    except FieldRefused as refused:
        assert str(refused).startswith("Day")
    assert parse_id(text) is None or 1 <= parse_id(text) <= ID_MAX


def test_ids_are_ascii_and_within_the_integer_column():
    assert parse_id("42") == 42
    assert parse_id(str(ID_MAX)) == ID_MAX
    for typed in (str(ID_MAX + 1), str(2**63), "0", "-1", "²", "１", "1_0", " ", None):
        assert parse_id(typed) is None
    assert coerce_id("7") == 7 and coerce_id(7) == 7 and coerce_id("") is None
    with pytest.raises(ValueError, match="Choose one of the options"):
        coerce_id("2147483648")


def test_whole_numbers_say_their_range():
    with pytest.raises(FieldRefused, match="between 1 and 100,000"):
        parse_int("100001", label="Page", minimum=1, maximum=100000)


@pytest.mark.parametrize("typed", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_days_outside_2000_to_2100_are_refused(typed):
    with pytest.raises(FieldRefused, match="between 2000-01-01 and 2100-12-31"):
        parse_day(typed, label="Day")


@pytest.mark.parametrize("typed", ["2026-02-30", "２０２６-01-01", "20260101", "2026-1-1"])
def test_days_that_are_not_days_are_refused_in_words(typed):
    with pytest.raises(FieldRefused, match="Day"):
        parse_day(typed, label="Day")
    assert parse_day("2026-03-31", label="Day") == date(2026, 3, 31)


def test_a_line_may_come_to_less_than_a_billion():
    check_line_amount(Decimal("1000"), Decimal("999999.99"))
    with pytest.raises(FieldRefused, match="more than 999,999,999.99"):
        check_line_amount(Decimal("1000000"), Decimal("1000"))


def test_invisible_characters_are_dropped_and_controls_found():
    assert without_invisibles("\u202eabc\u200b\u2066d\u2069\ufeff") == "abcd"
    assert has_control_characters("a\x00b")
    assert has_control_characters("a\nb")
    assert not has_control_characters("a\r\n\tb", line_breaks_allowed=True)
    assert not has_control_characters("Ünïcödé – ok")

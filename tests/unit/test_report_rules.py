"""Report rules: the period, nearest-rank percentiles, rates and exact amounts from cents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.domain.reports import (
    BadPeriod,
    cents_to_money,
    default_period,
    hours,
    nearest_rank,
    percentile,
    period_from,
    rate_percent,
)

TODAY = date(2026, 11, 25)


def test_the_default_period_is_the_last_twelve_months_this_month_included():
    period = default_period(TODAY)
    assert period.months[0] == "2025-12" and period.months[-1] == "2026-11"
    assert len(period.months) == 12
    assert period.words == "Dec 2025 to Nov 2026"


def test_a_period_from_two_months_covers_both_whole_months():
    period = period_from("2026-03", "2026-04", TODAY)
    assert period.months == ["2026-03", "2026-04"]
    assert period.end_on == date(2026, 5, 1)
    assert period.start_at.isoformat() == "2026-03-01T00:00:00+00:00"


def test_a_start_month_alone_runs_twelve_months_but_not_past_this_month():
    assert period_from("2026-06", None, TODAY).months[-1] == "2026-11"
    assert period_from("2025-01", None, TODAY).months[-1] == "2025-12"


def test_an_end_month_alone_runs_the_twelve_months_up_to_it():
    assert period_from(None, "2026-03", TODAY).months == [f"2025-{m:02d}" for m in range(4, 13)] + [
        "2026-01",
        "2026-02",
        "2026-03",
    ]


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        ("2026-13", None, "YYYY-MM"),
        ("March", None, "YYYY-MM"),
        ("2026-05", "2026-04", "must not be after"),
        ("2020-01", "2026-01", "at most 36 months"),
        ("9999-01", "9999-12", "between 1900 and 2999"),  # the month after 9999-12 is no date
        ("1899-12", None, "between 1900 and 2999"),
    ],
)
def test_a_bad_period_is_refused_in_words(first, last, words):
    with pytest.raises(BadPeriod, match=words):
        period_from(first, last, TODAY)


@pytest.mark.parametrize(
    ("n", "p", "rank"), [(4, 50, 2), (4, 90, 4), (5, 50, 3), (1, 90, 1), (10, 90, 9), (11, 90, 10)]
)
def test_nearest_rank(n, p, rank):
    assert nearest_rank(n, p) == rank


def test_percentile_of_values():
    values = [Decimal(v) for v in ("10", "1", "3", "2")]
    assert percentile(values, 50) == Decimal("2")
    assert percentile(values, 90) == Decimal("10")


def test_a_rate_of_nothing_is_no_rate_not_zero():
    assert rate_percent(0, 0) is None
    assert rate_percent(2, 3) == Decimal("66.7")


def test_amounts_from_cents_and_hours_from_seconds_are_exact():
    assert cents_to_money(-2001) == Decimal("-20.01")
    assert cents_to_money(None) == Decimal("0.00")
    assert hours(Decimal("5400")) == Decimal("1.5")

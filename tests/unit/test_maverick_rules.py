"""Maverick spend: the period the report covers when one end, both or neither are given."""

from __future__ import annotations

from datetime import date

from portal.domain.labels import label
from portal.domain.maverick import GroupBy, MaverickKind, default_period, period_between

TODAY = date(2026, 11, 18)


def test_no_dates_mean_the_last_twelve_months():
    assert period_between(None, None, TODAY) == default_period(TODAY) == (date(2025, 11, 18), TODAY)


def test_one_end_given_keeps_the_other_default():
    assert period_between(date(2026, 1, 1), None, TODAY) == (date(2026, 1, 1), TODAY)
    assert period_between(None, date(2026, 3, 31), TODAY) == (date(2025, 11, 18), date(2026, 3, 31))


def test_a_reversed_period_is_turned_round():
    assert period_between(date(2026, 5, 1), date(2026, 4, 1), TODAY) == (
        date(2026, 4, 1),
        date(2026, 5, 1),
    )


def test_kinds_and_tabs_read_as_the_report_has_always_shown_them():
    assert [label(kind) for kind in MaverickKind] == [
        "After the fact",
        "Off contract",
        "Non-preferred vendor",
        "Out of pocket",
    ]
    assert [label(tab) for tab in GroupBy] == ["Site", "Technician", "Vendor", "Month"]

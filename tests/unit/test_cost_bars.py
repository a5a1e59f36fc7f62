"""Budget bar geometry: pure, no database."""

from __future__ import annotations

from decimal import Decimal

from portal.domain.cost_bars import bar_description, bar_segments, budget_mark

D = Decimal


def test_bar_segments_fill_the_budget_and_stop_at_the_spend():
    within = bar_segments(D("1000"), D("250"), D("500"))
    assert [(s.kind, s.x, s.width) for s in within] == [
        ("actual", D("0"), D("50.0")),
        ("committed", D("50.0"), D("25.0")),
        ("remaining", D("75.0"), D("25.0")),
    ]
    over = bar_segments(D("800"), D("400"), D("620"))
    assert [s.kind for s in over] == ["actual", "committed"]
    assert sum(s.width for s in over) == D("100.0")


def test_budget_mark_shows_where_the_budget_ends_only_when_overspent():
    assert budget_mark(D("1000"), D("250"), D("500")) is None
    assert budget_mark(D("800"), D("400"), D("800")) == D("66.7")


def test_bar_description_says_remaining_or_over_in_words():
    assert bar_description("CC", D("100"), D("10"), D("20")) == (
        "CC: budget 100.00, spent 20.00, committed 10.00, 70.00 remaining"
    )

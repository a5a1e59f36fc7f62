"""Server-drawn charts: geometry proportional to the values, honest when empty, accessible."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portal.domain import charts
from portal.domain.charts import Series

D = Decimal


def rects(svg: str) -> list[dict[str, Decimal]]:
    """The bars of a chart as numbers."""
    return [
        {key: D(value) for key, value in re.findall(r'(x|y|width|height)="([-\d.]+)"', tag)}
        for tag in re.findall(r'<rect class="bar"[^>]*>', svg)
    ]


@pytest.mark.parametrize(
    ("span", "step"),
    [
        (D("87"), D("20")),
        (D("1000"), D("200")),
        (D("0.9"), D("0.2")),
        (D("12"), D("2.5")),
        (D("3"), D("1")),
        (D("46000"), D("10000")),
    ],
)
def test_tick_steps_are_one_two_two_and_a_half_or_five_times_a_power_of_ten(span, step):
    assert charts.nice_step(span) == step


def test_scale_includes_zero_and_ends_on_whole_steps():
    scale = charts.nice_scale([D("-30"), D("87")])
    assert scale.low <= D("-30") and scale.high >= D("87")
    assert D(0) in scale.ticks
    assert all((t / scale.step) == (t / scale.step).to_integral_value() for t in scale.ticks)


def test_column_heights_are_proportional_to_the_values():
    svg = charts.column_chart(
        "c", "Spend", ["Jan 2026", "Feb 2026", "Mar 2026"], [D("100"), D("50"), D("25")]
    )
    heights = [bar["height"] for bar in rects(svg)]
    assert len(heights) == 3
    assert heights[0] == heights[1] * 2 == heights[2] * 4


def test_bars_share_one_baseline_and_a_negative_value_hangs_below_it():
    svg = charts.column_chart("c", "Net spend", ["Jan", "Feb"], [D("80"), D("-40")])
    up, down = rects(svg)
    assert up["y"] + up["height"] == down["y"]  # the zero line
    assert up["height"] == down["height"] * 2


def test_horizontal_bar_lengths_are_proportional_and_the_values_are_written_out():
    svg = charts.bar_chart("b", "By vendor", ["Acme", "Bolt & Co"], [D("1234.5"), D("617.25")])
    first, second = rects(svg)
    assert abs(first["width"] - second["width"] * 2) <= D("0.2")  # written to a tenth
    values = [D("1234.5"), D("617.25")]
    exact = charts.bar_boxes(["Acme", "Bolt"], values, charts.nice_scale(values))
    assert exact[0].width == exact[1].width * 2
    assert "1,234.50" in svg and "617.25" in svg
    assert "Bolt &amp; Co" in svg  # names are escaped, not injected


def test_stacked_columns_stack_each_series_on_the_previous_one():
    svg = charts.stacked_column_chart(
        "s", "Kinds", ["Jan"], [Series("A", (D("30"),)), Series("B", (D("10"),))]
    )
    a, b = rects(svg)
    assert b["y"] + b["height"] == a["y"]
    assert a["height"] == b["height"] * 3
    assert ">A</text>" in svg and ">B</text>" in svg  # a legend when there are two series


def test_line_points_sit_at_their_values_and_a_missing_month_breaks_the_line():
    labels = ["Jan", "Feb", "Mar", "Apr"]
    series = Series("Median", (D("10"), D("20"), None, D("5")))
    scale = charts.nice_scale(series.values)
    points = charts.line_points(labels, series, scale)
    assert points[2] is None
    zero_y = charts.line_points(labels, Series("z", (D(0),) * 4), scale)[0][1]
    assert (zero_y - points[1][1]) == (zero_y - points[0][1]) * 2
    svg = charts.line_chart("l", "Cycle time", labels, [series])
    assert svg.count("<polyline") == 1  # Jan-Feb; Apr stands alone
    assert svg.count('class="point"') == 3


@pytest.mark.parametrize(
    "draw",
    [
        lambda: charts.column_chart("e", "Spend", [], []),
        lambda: charts.column_chart("e", "Spend", ["Jan", "Feb"], [D(0), D(0)]),
        lambda: charts.bar_chart("e", "Spend", [], []),
        lambda: charts.line_chart("e", "Rate", ["Jan"], [Series("x", (None,))]),
    ],
)
def test_nothing_to_show_says_so_instead_of_drawing_empty_axes(draw):
    svg = draw()
    assert "No data for this period" in svg
    assert "<rect" not in svg and "<polyline" not in svg
    assert 'role="img"' in svg


def test_a_chart_is_an_image_with_a_title_and_a_summary_in_words():
    svg = charts.column_chart(
        "spend", "Net spend by month", ["Jan 2026", "Feb 2026"], [D("10"), D("30")]
    )
    assert svg.startswith('<svg class="chart" id="spend" role="img" viewBox="0 0 480 ')
    assert 'width="100%"' in svg
    assert "<title>Net spend by month</title>" in svg
    label = re.search(r'aria-label="([^"]*)"', svg).group(1)
    assert "Jan 2026 to Feb 2026" in label and "highest Feb 2026 30" in label


def test_floats_are_refused_like_money():
    with pytest.raises(TypeError):
        charts.column_chart("f", "Spend", ["Jan"], [10.5])


def test_tick_labels_are_short():
    assert charts.short_number(D("1500")) == "1.5k"
    assert charts.short_number(D("2000000")) == "2M"
    assert charts.short_number(D("-250")) == "-250"
    assert charts.short_number(D("0.25")) == "0.25"


def test_month_labels_name_the_year_only_where_it_changes_and_never_side_by_side():
    def years(labels):
        svg = charts.column_chart("y", "t", labels, [D(1)] * len(labels))
        return re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)

    assert years(["Nov 2025", "Dec 2025", "Jan 2026", "Feb 2026"]) == ["2025", "2026"]
    assert years(["Dec 2025", "Jan 2026", "Feb 2026"]) == ["2026"]

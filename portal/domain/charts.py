"""Charts as SVG text, drawn on the server: column, horizontal bar, stacked column and line.

Pure functions, no JavaScript and no Flask. Values come in as Decimal (floats are refused, as for
money); coordinates are Decimal too, rounded to a tenth of a unit when written. Every chart is a
`<svg role="img">` with a `<title>` and an aria-label that says what it shows in words, scales to
its container through its viewBox (width 100%), and keeps its text at 14 units in a 480-unit-wide
box: about 10 px on a 390 px phone, about 19 px at the 640 px the stylesheet allows on a desktop.
A chart with nothing to show says "No data for this period" instead of drawing empty axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from html import escape

WIDTH = Decimal(480)
FONT = 14
NO_DATA = "No data for this period"
PALETTE = ("#0f3d5e", "#e8710a", "#3a7bd5", "#1d7a46", "#8e44ad", "#8a5a00")
INK, MUTED, GRID = "#14212b", "#51606b", "#d9e0e5"
ZERO = Decimal(0)
TENTH = Decimal("0.1")

# Column and line charts: the plot box inside the viewBox.
COL_HEIGHT = Decimal(280)
COL_LEFT, COL_RIGHT, COL_TOP, COL_BOTTOM = Decimal(52), Decimal(8), Decimal(34), Decimal(42)
# Horizontal bars: one row per label, the label above its bar, the value at the right.
# Narrower than the columns' box: names and values keep about 14 px on a phone.
BAR_WIDTH = Decimal(360)
ROW_HEIGHT, BAR_THICKNESS, ROW_PAD = Decimal(44), Decimal(16), Decimal(8)


@dataclass(frozen=True)
class Series:
    """One named run of values, one per label (None: no value for that label)."""

    name: str
    values: tuple[Decimal | None, ...]


@dataclass(frozen=True)
class Scale:
    """A value axis from `low` to `high` (zero always inside) in steps of `step`."""

    low: Decimal
    high: Decimal
    step: Decimal

    @property
    def ticks(self) -> list[Decimal]:
        """Every tick value from low to high."""
        count = int((self.high - self.low) / self.step)
        return [self.low + self.step * i for i in range(count + 1)]


@dataclass(frozen=True)
class Box:
    """A drawn rectangle and the value it stands for."""

    label: str
    value: Decimal
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    series: int = 0


def _check(values: Sequence[Decimal | None]) -> None:
    """Refuse floats: chart values are exact, like the money they show."""
    for value in values:
        if isinstance(value, float):
            raise TypeError("chart values must be Decimal, not float")


def nice_step(span: Decimal, ticks: int = 5) -> Decimal:
    """A tick step of 1, 2, 2.5 or 5 times a power of ten giving about `ticks` intervals."""
    if span <= 0:
        return Decimal(1)
    raw = span / ticks
    power = Decimal(1).scaleb(raw.adjusted())
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if raw <= factor * power:
            return (factor * power).normalize()
    return (10 * power).normalize()  # pragma: no cover - the loop always returns


def nice_scale(values: Sequence[Decimal | None], ticks: int = 5) -> Scale:
    """The axis for these values: zero included, ends on whole steps."""
    present = [v for v in values if v is not None]
    low = min([ZERO, *present])
    high = max([ZERO, *present])
    if low == high:
        high = Decimal(1)
    step = nice_step(high - low, ticks)
    low = (low / step).to_integral_value(ROUND_FLOOR) * step
    high = (high / step).to_integral_value(ROUND_CEILING) * step
    return Scale(low=low, high=high, step=step)


def short_number(value: Decimal) -> str:
    """A tick label: 950, 1.2k, 3.5M; no trailing zeros."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    for limit, suffix in ((Decimal(1_000_000), "M"), (Decimal(1_000), "k")):
        if value >= limit:
            return f"{sign}{_plain(value / limit)}{suffix}"
    return f"{sign}{_plain(value)}"


def _plain(value: Decimal) -> str:
    """At most two decimals, trailing zeros dropped."""
    text = f"{value.quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def full_number(value: Decimal) -> str:
    """A value as the aria-label reads it: thousands separators, up to two decimals."""
    rounded = value.quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{rounded:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _n(value: Decimal) -> str:
    """A coordinate for SVG text, to a tenth of a unit."""
    text = f"{value.quantize(TENTH, ROUND_HALF_UP):f}"
    return text[:-2] if text.endswith(".0") else text


def _is_empty(values: Sequence[Decimal | None]) -> bool:
    """Nothing to draw: no values, or all zero or missing."""
    return all(v is None or v == 0 for v in values)


def _svg(
    chart_id: str, title: str, summary: str, height: Decimal, body: list[str], width=WIDTH
) -> str:
    """The outer element: scales with its container, read out as one image with a summary."""
    return (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {_n(width)} '
        f'{_n(height)}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'aria-label="{escape(summary)}" font-size="{FONT}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def no_data(chart_id: str, title: str) -> str:
    """The chart for an empty period: a sentence, not empty axes."""
    body = [
        f'<text x="{_n(WIDTH / 2)}" y="44" text-anchor="middle" fill="{MUTED}" '
        f'font-size="15">{NO_DATA}</text>'
    ]
    return _svg(chart_id, title, f"{title}: {NO_DATA.lower()}.", Decimal(80), body)


def _summary(title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """In words: what is shown, the highest and lowest value of each series, over which labels."""
    parts = [f"{title}."]
    if labels:
        span = labels[0] if len(labels) == 1 else f"{labels[0]} to {labels[-1]}"
        parts.append(f"{len(labels)} {'entry' if len(labels) == 1 else 'entries'}, {span}.")
    for s in series:
        pairs = [(v, label) for label, v in zip(labels, s.values, strict=True) if v is not None]
        if not pairs:
            continue
        top = max(pairs, key=lambda p: p[0])
        low = min(pairs, key=lambda p: p[0])
        name = f"{s.name}: " if len(series) > 1 or s.name else ""
        parts.append(
            f"{name}highest {top[1]} {full_number(top[0])}, lowest {low[1]} {full_number(low[0])}."
        )
    return " ".join(parts)


def _legend(series: Sequence[Series]) -> list[str]:
    """Swatches and names in a row above the plot (only when there is more than one series)."""
    if len(series) < 2:
        return []
    out, x = [], Decimal(4)
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{_n(x)}" y="6" width="14" height="14" rx="3" fill="{colour}"/>')
        out.append(f'<text x="{_n(x + 20)}" y="18" fill="{INK}">{escape(s.name)}</text>')
        x += 20 + Decimal(len(s.name)) * Decimal("7.4") + 18
    return out


def _y_of(value: Decimal, scale: Scale) -> Decimal:
    """Vertical position of a value in the column plot box."""
    plot = COL_HEIGHT - COL_TOP - COL_BOTTOM
    return COL_TOP + plot * (scale.high - value) / (scale.high - scale.low)


def _value_axis(scale: Scale) -> list[str]:
    """Horizontal grid lines with their tick labels; the zero line darker."""
    out = []
    for tick in scale.ticks:
        y = _y_of(tick, scale)
        colour = MUTED if tick == 0 else GRID
        out.append(
            f'<line x1="{_n(COL_LEFT)}" x2="{_n(WIDTH - COL_RIGHT)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{colour}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{_n(COL_LEFT - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{short_number(tick)}</text>"
        )
    return out


def _slot(count: int) -> Decimal:
    """Width of one label's slot along the x axis."""
    return (WIDTH - COL_LEFT - COL_RIGHT) / max(count, 1)


def _category_axis(labels: Sequence[str]) -> list[str]:
    """Labels under the plot, two lines each ("Mar" over "2026"); thinned when crowded."""
    slot = _slot(len(labels))
    every = 1 if len(labels) <= 12 else (len(labels) + 11) // 12
    out = []
    previous_year = None
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = COL_LEFT + slot * i + slot / 2
        first, _, second = label.partition(" ")
        # The year only where it changes ("Jan" over "2026"), and under the first label unless
        # the next one starts a year itself (two years side by side would run together).
        next_year = labels[i + every].partition(" ")[2] if i + every < len(labels) else None
        crowded = previous_year is None and next_year not in (None, second)
        second, previous_year = ("" if second == previous_year or crowded else second), second
        y = COL_HEIGHT - COL_BOTTOM + 16
        out.append(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" fill="{INK}">{escape(first)}'
            + (
                f'<tspan x="{_n(x)}" dy="15" fill="{MUTED}" font-size="12">{escape(second)}</tspan>'
                if second
                else ""
            )
            + "</text>"
        )
    return out


def column_boxes(labels: Sequence[str], series: Sequence[Series], scale: Scale) -> list[Box]:
    """Stacked columns: per label, positives stack up from zero and negatives down from it."""
    slot = _slot(len(labels))
    width = slot * Decimal("0.64")
    boxes = []
    for i, label in enumerate(labels):
        up, down = ZERO, ZERO
        x = COL_LEFT + slot * i + (slot - width) / 2
        for k, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            if value > 0:
                top, bottom = _y_of(up + value, scale), _y_of(up, scale)
                up += value
            else:
                top, bottom = _y_of(down, scale), _y_of(down + value, scale)
                down += value
            boxes.append(Box(label, value, x, top, width, bottom - top, k))
    return boxes


def _check_series(labels: Sequence[str], series: Sequence[Series]) -> None:
    """Same number of values as labels, and no floats."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(labels)}")
        _check(s.values)


def stacked_column_chart(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]
) -> str:
    """Columns per label (months, usually), one colour per series, stacked; legend on top."""
    _check_series(labels, series)
    if not labels or all(_is_empty(s.values) for s in series):
        return no_data(chart_id, title)
    ups = [
        sum((v for s in series if (v := s.values[i]) and v > 0), ZERO) for i in range(len(labels))
    ]
    downs = [
        sum((v for s in series if (v := s.values[i]) and v < 0), ZERO) for i in range(len(labels))
    ]
    scale = nice_scale([*ups, *downs])
    body = _legend(series) + _value_axis(scale) + _category_axis(labels)
    for box in column_boxes(labels, series, scale):
        body.append(
            f'<rect class="bar" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
            f'height="{_n(box.height)}" fill="{PALETTE[box.series % len(PALETTE)]}">'
            f"<title>{escape(box.label)}: {full_number(box.value)}</title></rect>"
        )
    return _svg(chart_id, title, _summary(title, labels, series), COL_HEIGHT, body)


def column_chart(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[Decimal | None]
) -> str:
    """One column per label (months, usually); negative values hang below the zero line."""
    return stacked_column_chart(chart_id, title, labels, [Series("", tuple(values))])


def bar_boxes(labels: Sequence[str], values: Sequence[Decimal], scale: Scale) -> list[Box]:
    """Horizontal bars, one row each: length proportional to the value, from the zero line."""
    left, span = Decimal(4), BAR_WIDTH - 8
    zero_x = left + span * (0 - scale.low) / (scale.high - scale.low)
    boxes = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        length = span * abs(value) / (scale.high - scale.low)
        x = zero_x if value >= 0 else zero_x - length
        y = ROW_PAD + ROW_HEIGHT * i + 22
        boxes.append(Box(label, value, x, y, length, BAR_THICKNESS))
    return boxes


def bar_chart(chart_id: str, title: str, labels: Sequence[str], values: Sequence[Decimal]) -> str:
    """Ranked horizontal bars (vendors, sites, assets): the name above its bar, value at right."""
    _check(values)
    if len(values) != len(labels):
        raise ValueError(f"{len(values)} values for {len(labels)} labels")
    if not labels or _is_empty(values):
        return no_data(chart_id, title)
    scale = nice_scale(values)
    height = ROW_PAD * 2 + ROW_HEIGHT * len(labels)
    body = []
    for box in bar_boxes(labels, values, scale):
        name = box.label if len(box.label) <= 32 else box.label[:31] + "…"
        colour = PALETTE[0] if box.value >= 0 else PALETTE[1]
        body.append(
            f'<text x="4" y="{_n(box.y - 6)}" fill="{INK}">{escape(name)}</text>'
            f'<text x="{_n(BAR_WIDTH - 4)}" y="{_n(box.y - 6)}" text-anchor="end" fill="{INK}" '
            f'font-weight="600">{full_number(box.value)}</text>'
            f'<rect class="bar" x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" '
            f'height="{_n(box.height)}" rx="3" fill="{colour}">'
            f"<title>{escape(box.label)}: {full_number(box.value)}</title></rect>"
        )
    summary = _summary(title, labels, [Series("", tuple(values))])
    return _svg(chart_id, title, summary, height, body, width=BAR_WIDTH)


def line_points(
    labels: Sequence[str], series: Series, scale: Scale
) -> list[tuple[Decimal, Decimal] | None]:
    """Where each value of a series sits in the plot box (None where there is no value)."""
    slot = _slot(len(labels))
    return [
        None if value is None else (COL_LEFT + slot * i + slot / 2, _y_of(value, scale))
        for i, value in enumerate(series.values)
    ]


def line_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """A line per series across the labels (months); a missing value breaks the line."""
    _check_series(labels, series)
    if not labels or all(_is_empty(s.values) for s in series):
        return no_data(chart_id, title)
    scale = nice_scale([v for s in series for v in s.values])
    body = _legend(series) + _value_axis(scale) + _category_axis(labels)
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        runs: list[list[tuple[Decimal, Decimal]]] = [[]]
        for point in line_points(labels, s, scale):
            if point is None:
                runs.append([])
            else:
                runs[-1].append(point)
        for run in runs:
            if len(run) > 1:
                coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                body.append(
                    f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="3" '
                    'stroke-linejoin="round"/>'
                )
        for label, value, point in zip(
            labels, s.values, line_points(labels, s, scale), strict=True
        ):
            if point is not None and value is not None:  # no value, no point
                body.append(
                    f'<circle class="point" cx="{_n(point[0])}" cy="{_n(point[1])}" r="4" '
                    f'fill="{colour}"><title>{escape(s.name)} {escape(label)}: '
                    f"{full_number(value)}</title></circle>"
                )
    return _svg(chart_id, title, _summary(title, labels, series), COL_HEIGHT, body)

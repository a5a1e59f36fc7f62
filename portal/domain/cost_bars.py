"""Geometry of a budget bar: actual, then committed, then what remains, on one scale."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from portal.domain.money import format_money

TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Segment:
    """One coloured stretch of the bar, in percent of the bar's width."""

    kind: str  # "actual", "committed", "remaining" or "over"
    label: str
    amount: Decimal
    x: Decimal
    width: Decimal


def _share(part: Decimal, scale: Decimal) -> Decimal:
    """`part` as a percentage of `scale`, to a tenth."""
    if scale <= 0 or part <= 0:
        return Decimal(0)
    return (part * 100 / scale).quantize(TENTH, rounding=ROUND_HALF_UP)


def bar_segments(budget: Decimal, committed: Decimal, actual: Decimal) -> list[Segment]:
    """Segments of a stacked bar; the scale is the budget or, when overspent, what is used."""
    used = max(actual, Decimal(0)) + max(committed, Decimal(0))
    scale = max(budget, used)
    segments: list[Segment] = []
    x = Decimal(0)
    parts = [
        ("actual", "Spent", max(actual, Decimal(0))),
        ("committed", "Committed", max(committed, Decimal(0))),
    ]
    if budget > used:
        parts.append(("remaining", "Remaining", budget - used))
    for kind, label, amount in parts:
        width = _share(amount, scale)
        if width > 0:
            segments.append(Segment(kind, label, amount, x, width))
            x += width
    return segments


def budget_mark(budget: Decimal, committed: Decimal, actual: Decimal) -> Decimal | None:
    """Where the budget line falls when spending runs past it (None when within budget)."""
    used = max(actual, Decimal(0)) + max(committed, Decimal(0))
    if used <= budget or budget <= 0:
        return None
    return _share(budget, used)


def bar_description(code: str, budget: Decimal, committed: Decimal, actual: Decimal) -> str:
    """The bar in words, for screen readers and the tooltip."""
    remaining = budget - committed - actual
    state = (
        f"{format_money(remaining)} remaining"
        if remaining >= 0
        else f"over budget by {format_money(-remaining)}"
    )
    return (
        f"{code}: budget {format_money(budget)}, spent {format_money(actual)}, "
        f"committed {format_money(committed)}, {state}"
    )

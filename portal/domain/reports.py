"""Report rules: the period a report covers, its months, percentiles and rates, in plain Python."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from portal.domain.errors import DomainError

MAX_MONTHS = 36  # a report reads at most three years: the rows and the chart stay bounded
FIRST_YEAR, LAST_YEAR = 1900, 2999  # months a report may name (the month after must exist too)
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(DomainError):
    """The period asked for cannot be read or is too long."""


@dataclass(frozen=True)
class Period:
    """Whole months from `first` to `last` (both the 1st of their month), inclusive."""

    first: date
    last: date

    @property
    def start_at(self) -> datetime:
        """The first instant of the period, UTC."""
        return datetime(self.first.year, self.first.month, 1, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The first instant after the period, UTC."""
        following = add_months(self.last, 1)
        return datetime(following.year, following.month, 1, tzinfo=UTC)

    @property
    def end_on(self) -> date:
        """The first day after the period."""
        return add_months(self.last, 1)

    @property
    def months(self) -> list[str]:
        """Every month of the period as 'YYYY-MM', oldest first."""
        out, day = [], self.first
        while day <= self.last:
            out.append(f"{day.year:04d}-{day.month:02d}")
            day = add_months(day, 1)
        return out

    @property
    def words(self) -> str:
        """The period as a person says it: 'Dec 2025 to Nov 2026'."""
        first, last = month_label(self.months[0]), month_label(self.months[-1])
        return first if first == last else f"{first} to {last}"


def add_months(day: date, count: int) -> date:
    """The 1st of the month `count` months after the month of `day`."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def default_period(today: date) -> Period:
    """The last twelve months, this month included."""
    last = date(today.year, today.month, 1)
    return Period(first=add_months(last, -11), last=last)


def parse_month(text: str) -> date:
    """'2026-03' -> 1 March 2026; anything else raises BadPeriod in words."""
    match = _MONTH.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise BadPeriod(f"Give the month as YYYY-MM, for example 2026-03 (not “{text}”).")
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadPeriod(f"Pick a month between {FIRST_YEAR} and {LAST_YEAR} (not “{text}”).")
    return date(year, int(match.group(2)), 1)


def period_from(first: str | None, last: str | None, today: date) -> Period:
    """The period from two 'YYYY-MM' texts; a missing end defaults to the last twelve months."""
    default = default_period(today)
    start = parse_month(first) if first else None
    end = parse_month(last) if last else None
    if end is None:
        if start is None:
            return default
        end = max(min(add_months(start, 11), default.last), start)
    if start is None:
        start = add_months(end, -11)
    if start > end:
        raise BadPeriod("The first month must not be after the last month.")
    period = Period(first=start, last=end)
    if len(period.months) > MAX_MONTHS:
        raise BadPeriod(f"A report covers at most {MAX_MONTHS} months; shorten the period.")
    return period


def month_label(key: str) -> str:
    """'2026-03' -> 'Mar 2026' (the chart puts the year on a second line)."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


def nearest_rank(n: int, percent: int) -> int:
    """The 1-based rank of the `percent` percentile among n sorted values (nearest-rank)."""
    if n <= 0:
        raise ValueError("no values")
    return max(1, -(-n * percent // 100))


def percentile(values: list[Decimal], percent: int) -> Decimal:
    """The nearest-rank percentile of the values (the median is percent=50)."""
    ordered = sorted(values)
    return ordered[nearest_rank(len(ordered), percent) - 1]


def rate_percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to one decimal; None when whole is 0 (no rate, not 0 %)."""
    if whole == 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def hours(seconds: Decimal | int | None) -> Decimal:
    """Seconds as hours to one decimal."""
    if seconds is None:
        return Decimal("0.0")
    return (Decimal(seconds) / 3600).quantize(Decimal("0.1"), ROUND_HALF_UP)


def days(seconds: Decimal | int) -> Decimal:
    """Seconds as days to one decimal."""
    return (Decimal(seconds) / 86400).quantize(Decimal("0.1"), ROUND_HALF_UP)


def cents_to_money(cents: int | Decimal | None) -> Decimal:
    """An exact amount from whole cents summed by the database."""
    return (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))

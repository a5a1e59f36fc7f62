"""Maverick spend: the kinds of purchase outside the rules, and how the report groups them."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class MaverickKind(StrEnum):
    """Why a purchase counts as maverick spend."""

    after_the_fact = "after_the_fact"
    off_contract = "off_contract"
    non_preferred = "non_preferred"
    out_of_pocket = "out_of_pocket"


class GroupBy(StrEnum):
    """The tabs of the maverick spend report."""

    site = "site"
    technician = "technician"
    vendor = "vendor"
    month = "month"


def default_period(today: date) -> tuple[date, date]:
    """The last twelve months up to today."""
    return today - timedelta(days=365), today


def period_between(since: date | None, until: date | None, today: date) -> tuple[date, date]:
    """The period asked for, each end defaulting to the last twelve months; a reversed
    period is turned round."""
    default_since, default_until = default_period(today)
    first, last = since or default_since, until or default_until
    return (first, last) if first <= last else (last, first)

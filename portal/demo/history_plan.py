"""The plan of the demo's year of history: which work was done, when, with which parts.

Pure and seeded (every fresh demo gets the same history, dated relative to the day it is
loaded), planned before anything is written: the stock the history will use is known up front,
so the storerooms start with it and end the year at the demo's own levels. portal/demo/history.py
then plays the plan through the real use cases.

Closed corrective and preventive work with labour, stock issued and downtime; parts bought for
some of it (approved in hours to days, now and then rejected, ordered, received, invoiced: most
invoices matched, some held and released, one credit memo, a few dated before their PO was
approved, now and then ordered from a vendor other than the preferred one); out-of-pocket buys;
a payment run every month. More work in the summer (cooling) and in the deep winter (heating),
less over the Christmas shutdown.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from portal.demo.world import BLOCK_ASSETS, ITEMS, PLANT_ASSETS, VENDORS
from portal.domain.work_orders import Priority

SEED = 2026
BASE_WORK_PER_MONTH = 9
MONTHS = 12
# Nothing of the history happens in the last month: the demo's current work is dated there.
QUIET_DAYS = 31
FAULTS = {
    "Pumps": ["Seal leaking", "Bearing noise", "Low discharge pressure"],
    "Fillers": ["Bowl level sensor drifting", "Valve sticking", "Guide worn"],
    "Cappers": ["Torque heads slipping", "Chuck worn"],
    "Labellers": ["Glue roller scraping", "Label misfeed"],
    "Conveyors": ["Belt tracking off", "Drive chain stretched"],
}
DEFAULT_FAULTS = ["Not working as it should", "Noisy in operation", "Leak found on round"]
OWN_MONEY = [  # what, where, amount, spend category
    ("Hose clamps from the hardware store", "Riverside Hardware", "12.80", "Hardware"),
    ("Fuses, local shop", "City Electrical Counter", "23.45", "Electrical"),
    ("Silicone sealant", "Riverside Hardware", "8.99", "Hardware"),
    ("Cable ties and tape", "Corner Hardware", "41.10", "Hardware"),
]


def seasonality(month: int) -> float:
    """How busy a calendar month is: peaks in July and January, a dip in December."""
    busy = 1 + 0.3 * math.cos(2 * math.pi * (month - 7) / 12) ** 2
    return busy * (0.7 if month == 12 else 1.0)


@dataclass(frozen=True)
class Purchase:
    """A part bought for the work: from request to invoice."""

    part_number: str
    qty: Decimal
    decided_after: timedelta
    rejected: bool
    other_vendor: str | None  # the buyer orders from this vendor instead of the suggestion
    delivery_days: int
    invoice_days: int  # after the delivery
    price_over: bool  # billed above the order price: held
    released: bool  # ... and released by an approver
    after_the_fact: bool  # dated before the PO was approved: held, then released
    credit: bool  # one unit credited back afterwards


@dataclass(frozen=True)
class Job:
    """One closed work order of the past and what happened on it."""

    raised: datetime
    asset_tag: str
    site_code: str
    title: str
    corrective: bool
    priority: Priority
    down: bool
    technician: str
    work_hours: Decimal
    from_stock: tuple[str, Decimal] | None  # part number, qty issued from the storeroom
    purchase: Purchase | None
    own_money: tuple[str, str, Decimal, str] | None  # what, where, amount, spend category


@dataclass(frozen=True)
class HistoryPlan:
    """The jobs in the order they were raised, and the monthly payment runs."""

    jobs: list[Job]
    payment_runs: list[datetime]

    def stock_used(self) -> Counter[tuple[str, str]]:
        """Quantities issued from stock by the history, per (site code, part number)."""
        used: Counter[tuple[str, str]] = Counter()
        for job in self.jobs:
            if job.from_stock is not None:
                part_number, qty = job.from_stock
                used[(job.site_code, part_number)] += qty  # type: ignore[assignment]
        return used


_ASSETS = [(row, "RBP") for row in PLANT_ASSETS] + [(row, "ECA") for row in BLOCK_ASSETS]
_PREFERRED = {
    category.strip(): str(code)
    for code, _name, _terms, categories, *_rest in VENDORS
    for category in (categories or "").split(",")
    if category.strip()
}
_GOODS_VENDORS = ["NBS", "FLO", "VOLT", "AQUA"]


def plan_history(now: datetime, seed: int = SEED) -> HistoryPlan:
    """The history up to QUIET_DAYS before `now`, the same for the same seed."""
    rng = random.Random(seed)
    end = now - timedelta(days=QUIET_DAYS)
    jobs: list[Job] = []
    runs: list[datetime] = []
    credit_month = 4
    for back in range(MONTHS, -1, -1):
        month_index = now.year * 12 + now.month - 1 - back
        start = datetime(month_index // 12, month_index % 12 + 1, 1, tzinfo=UTC)
        month_jobs = sorted(
            _jobs_of_month(rng, start, credit=back == credit_month),
            key=lambda job: job.raised,
        )
        kept = [job for job in month_jobs if _finished_by(job) < end]
        if back % 2 == 0 and kept:  # now and then a technician pays for something themselves
            what, where, amount, category = rng.choice(OWN_MONEY)
            first = kept[0]
            kept[0] = replace(first, own_money=(what, where, Decimal(amount), category))
        jobs.extend(kept)
        run = start + timedelta(days=4, hours=10)
        if run < end:
            runs.append(run)
    return HistoryPlan(jobs=jobs, payment_runs=runs)


def _jobs_of_month(rng: random.Random, start: datetime, *, credit: bool) -> Iterator[Job]:
    """The work raised in the month beginning at `start` (one credit memo if `credit`)."""
    for n in range(round(BASE_WORK_PER_MONTH * seasonality(start.month))):
        (tag, name, category, criticality, *_rest), site = rng.choice(_ASSETS)
        corrective = rng.random() < 0.65
        raised = start + timedelta(days=rng.randint(0, 27), hours=rng.randint(6, 15))
        stocked = [row for row in ITEMS if row[4] == "stock"]
        from_stock = None
        if rng.random() < 0.7:
            part = rng.choice(stocked)
            from_stock = (str(part[0]), Decimal(rng.choice([1, 1, 2, 4])))
        buys = rng.random() < (0.8 if corrective else 0.5)
        yield Job(
            raised=raised,
            asset_tag=str(tag),
            site_code=site,
            title=f"{rng.choice(FAULTS.get(str(category), DEFAULT_FAULTS))}: {name}"
            if corrective
            else f"Planned service: {name}",
            corrective=corrective,
            priority=rng.choice([Priority.high, Priority.normal, Priority.normal])
            if corrective
            else Priority.low,
            down=corrective and criticality in ("critical", "high"),
            technician=rng.choice(["technician", "priya"]),
            work_hours=Decimal(rng.choice(["1.5", "2", "3", "4", "6"])),
            from_stock=from_stock,
            purchase=_purchase(rng, credit=credit and n == 0) if buys else None,
            own_money=None,
        )


def _purchase(rng: random.Random, *, credit: bool) -> Purchase:
    """What is bought, how long each step takes and how the invoice goes."""
    part = rng.choice([row for row in ITEMS if row[4] != "service"])
    part_number, category, cost = str(part[0]), str(part[3]), Decimal(str(part[5]))
    preferred = _PREFERRED.get(category)
    other = None
    if preferred is None or rng.random() < 0.07:
        other = rng.choice([code for code in _GOODS_VENDORS if code != preferred])
    rejected = rng.random() < 0.05 and not credit
    roll = rng.random()
    return Purchase(
        part_number=part_number,
        qty=Decimal(rng.choice([1, 1, 2] if cost > 100 else [2, 4, 5, 10])),
        # Most requests are decided within a working day; some wait over a weekend or longer.
        decided_after=timedelta(
            hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 50, 74, 100]), minutes=rng.randint(0, 59)
        ),
        rejected=rejected,
        other_vendor=other,
        delivery_days=rng.randint(1, 6),
        invoice_days=rng.randint(0, 3),
        price_over=roll < 0.12 and not credit,
        released=roll < 0.08,
        after_the_fact=0.12 <= roll < 0.17 and not credit,
        credit=credit,
    )


def _finished_by(job: Job) -> datetime:
    """A generous bound on when the job's last step happens (invoice, release, PO closed)."""
    if job.purchase is None:
        return job.raised + timedelta(days=2)
    buy = job.purchase
    return job.raised + buy.decided_after + timedelta(days=buy.delivery_days + buy.invoice_days + 6)

"""Fill a database with a realistic volume of work orders, for bench/load.py.

Run from the repo root::

    python -m bench.generate --work-orders 200000 [--database-url URL] [--seed N]

It brings the schema up to date (the migrations, as ``flask db upgrade`` would), loads the demo
data when it is missing (so the demo users and their password ``demo`` exist), then adds N work
orders spread over the demo sites, locations and assets plus one generated asset per 40 work
orders. Each work order gets 1-4 part lines, 1-2 status changes (and a checklist when it is
preventive or an inspection), with a realistic mix: most closed, about 6 % open, about 2 % of
the open ones in the demo ``technician``'s queue. Numbers continue after the highest existing
WO number and the WO document counter is moved on, so the app keeps numbering after them.

Rows go in with SQLAlchemy Core bulk inserts (explicit ids, batches of --batch-size work orders,
one commit per batch). Deterministic for a given --seed, apart from dates, which are relative to
now. Adding to a database that already holds work orders is fine: ids and numbers continue.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import Flask
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.orm import Session

from portal import create_app
from portal.demo import builders as build
from portal.demo import rows as shapes
from portal.domain.numbering import Sequence, counter_key
from portal.domain.roles import Role
from portal.domain.statuses import PartLineStatus
from portal.domain.work_orders import (
    OPEN_STATUSES,
    RESPONSE_TIMES,
    Priority,
    WorkOrderStatus,
    WorkOrderType,
)
from portal.extensions import db
from portal.models import (
    Asset,
    ChecklistItem,
    CostCentre,
    DocumentCounter,
    Item,
    Location,
    PartLine,
    Site,
    Team,
    User,
    UserRole,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow

OUT_DIR = Path(__file__).resolve().parent / "out"
DEFAULT_DATABASE = OUT_DIR / "bench.db"  # bench.load measures this one unless told otherwise
DEFAULT_DATABASE_URL = f"sqlite:///{DEFAULT_DATABASE}"

S = WorkOrderStatus
# Share of all generated work orders per status (percent): most work is long closed.
STATUS_MIX: dict[WorkOrderStatus, float] = {
    S.closed: 85.0,
    S.cancelled: 6.0,
    S.completed: 3.0,
    S.requested: 1.2,
    S.approved: 1.0,
    S.assigned: 2.0,
    S.in_progress: 1.2,
    S.waiting_parts: 0.6,
}
PRIORITY_MIX = {Priority.emergency: 3, Priority.high: 17, Priority.normal: 60, Priority.low: 20}
TYPE_MIX = {
    WorkOrderType.corrective: 55,
    WorkOrderType.preventive: 30,
    WorkOrderType.inspection: 10,
    WorkOrderType.compliance: 5,
}
PART_LINES_MIX = {1: 40, 2: 30, 3: 20, 4: 10}
# Share of the open work orders assigned to the demo technician (their home-page queue).
TECHNICIAN_OPEN_SHARE = 0.02
ASSIGNABLE = (S.assigned, S.in_progress, S.waiting_parts)
WOS_PER_ASSET = 40
HISTORY_DAYS = 5 * 365
NO_ASSET_SHARE = 0.15

PROBLEMS = {
    WorkOrderType.corrective: [
        "leaking at seal",
        "noisy bearing",
        "tripping on overload",
        "will not start",
        "high vibration",
        "intermittent fault",
        "belt slipping",
        "overheating",
        "damaged guard",
        "low output",
    ],
    WorkOrderType.preventive: [
        "monthly PM",
        "quarterly service",
        "lubrication round",
        "filter change",
        "annual overhaul",
    ],
    WorkOrderType.inspection: ["weekly inspection", "visual check", "thermal imaging survey"],
    WorkOrderType.compliance: [
        "statutory inspection",
        "fire safety test",
        "insurance examination",
    ],
}
DESCRIPTIONS = [
    "Reported by the shift lead during the morning round.",
    "Operator noticed it at start-up; still running but watch it.",
    "Raised from the planned maintenance schedule.",
    "Check, fix if possible, note any parts needed.",
    None,
    None,
]
CHECKLIST_STEPS = [
    "Isolate and lock out",
    "Visual inspection for leaks and damage",
    "Check fixings and guards",
    "Lubricate as per schedule",
    "Test run and record readings",
    "Clean the area and remove locks",
]
# (category, name) of generated assets; plant sites get the first list, other sites the second.
PLANT_KINDS = [
    ("Pumps", "Centrifugal pump"),
    ("Pumps", "Dosing pump"),
    ("Motors", "Drive motor"),
    ("Conveyors", "Belt conveyor"),
    ("Compressors", "Air compressor"),
    ("Valves", "Control valve"),
    ("Electrical", "Distribution board"),
    ("Tanks", "Buffer tank"),
    ("HVAC", "Extract fan"),
]
BUILDING_KINDS = [
    ("Pumps", "Circulation pump"),
    ("HVAC", "Fan coil unit"),
    ("Doors", "Fire door"),
    ("Electrical", "Emergency light"),
    ("Water", "Water heater"),
    ("Fire safety", "Smoke detector loop"),
    ("Dwellings", "Kitchen fittings"),
]
CRITICALITIES = ["critical", "high", "medium", "medium", "low", "low"]
QTY = {n: Decimal(n).quantize(Decimal("0.001")) for n in range(1, 5)}
ZERO_QTY = Decimal("0.000")
ZERO_MONEY = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class World:
    """What the generated rows hang on, read from the database once."""

    technician_id: int
    supervisor_id: int
    other_technician_ids: list[int]
    team_by_site: dict[int, int]
    cost_centre_by_site: dict[int, int]
    site_code: dict[int, str]
    locations: list[tuple[int, int, str]]  # id, site id, name
    assets: list[tuple[int, int, int, str]]  # id, location id, site id, name
    items: list[tuple[int, Decimal]]  # id, standard cost


@dataclass
class Summary:
    """What one run added, and how long it took."""

    database: str
    work_orders: int = 0
    part_lines: int = 0
    status_changes: int = 0
    checklist_items: int = 0
    assets: int = 0
    first_number: str = ""
    last_number: str = ""
    total_work_orders: int = 0
    technician_open: int = 0
    demo_loaded: bool = False
    seconds: float = 0.0
    purchasing: dict[str, int] = field(default_factory=dict)  # rows per table

    @property
    def rows(self) -> int:
        return (
            self.work_orders
            + self.part_lines
            + self.status_changes
            + self.checklist_items
            + self.assets
        )


def bench_app(database_url: str) -> Flask:
    """The app on `database_url`, configured for scripts (no environment needed)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench-generate",
            "PORTAL_ENV": "development",
        }
    )


def ensure_schema() -> None:
    """Run the migrations (``flask db upgrade``); a database made by create_all is left as is."""
    from flask_migrate import upgrade

    tables = set(inspect(db.engine).get_table_names())
    if "work_order" not in tables or "alembic_version" in tables:
        upgrade()
    missing = set(db.metadata.tables) - set(inspect(db.engine).get_table_names())
    if missing:  # the models are ahead of the migrations: say so, then make the tables anyway
        print(f"warning: tables without a migration: {', '.join(sorted(missing))}", file=sys.stderr)
        db.create_all()


def upgrade_database(database_url: str) -> None:
    """Bring an existing benchmark database's schema up to date (the app's models move on)."""
    app = bench_app(database_url)
    with app.app_context():
        ensure_schema()
        db.session.remove()
        db.engine.dispose()


def ensure_demo() -> bool:
    """Load the demo data when it is missing; True when it was loaded now."""
    from portal.demo import load_demo

    if db.session.scalar(select(User.id).where(User.username == "technician")) is not None:
        return False
    print(load_demo(), file=sys.stderr)
    return True


def read_world(session: Session) -> World:
    """Users, sites, locations, assets and items the work orders will point at."""
    ids = dict(session.execute(select(User.username, User.id)).all())
    if "technician" not in ids or "supervisor" not in ids:
        raise SystemExit("the demo users technician and supervisor are missing")
    others = session.scalars(
        select(UserRole.user_id)
        .where(UserRole.role == Role.technician, UserRole.user_id != ids["technician"])
        .order_by(UserRole.user_id)
    ).all()
    team_by_site: dict[int, int] = {}
    for team_id, site_id in session.execute(select(Team.id, Team.site_id).order_by(Team.id)):
        if site_id is not None:
            team_by_site.setdefault(site_id, team_id)
    cost_centre_by_site: dict[int, int] = {}
    for cc_id, site_id in session.execute(
        select(CostCentre.id, CostCentre.site_id).order_by(CostCentre.id)
    ):
        if site_id is not None:
            cost_centre_by_site.setdefault(site_id, cc_id)
    locations = [
        tuple(row)
        for row in session.execute(
            select(Location.id, Location.site_id, Location.name)
            .where(Location.kind.in_(["area", "unit"]))
            .order_by(Location.id)
        )
    ]
    if not locations:
        raise SystemExit("no locations of kind area or unit: load the demo data first")
    assets = [
        tuple(row)
        for row in session.execute(
            select(Asset.id, Asset.location_id, Location.site_id, Asset.name)
            .join(Location, Asset.location_id == Location.id)
            .order_by(Asset.id)
        )
    ]
    items = [tuple(row) for row in session.execute(select(Item.id, Item.standard_cost))]
    return World(
        technician_id=ids["technician"],
        supervisor_id=ids["supervisor"],
        other_technician_ids=list(others) or [ids["supervisor"]],
        team_by_site=team_by_site,
        cost_centre_by_site=cost_centre_by_site,
        site_code=dict(session.execute(select(Site.id, Site.code)).all()),
        locations=locations,
        assets=assets,
        items=[(item_id, cost or ZERO_MONEY) for item_id, cost in items],
    )


def next_id(session: Session, model) -> int:
    return (session.scalar(select(func.max(model.id))) or 0) + 1


def last_wo_number(session: Session) -> int:
    """The highest WO number in use: the counter, or the numbers themselves if higher."""
    key = counter_key(Sequence.work_order, utcnow().year)
    counter = session.scalar(select(DocumentCounter.last_value).where(DocumentCounter.key == key))
    highest = session.scalar(
        select(WorkOrder.number)
        .where(WorkOrder.number.like("WO-%"))
        .order_by(func.length(WorkOrder.number).desc(), WorkOrder.number.desc())
        .limit(1)
    )
    from_rows = int(highest.removeprefix("WO-")) if highest else 0
    return max(counter or 0, from_rows)


def set_wo_counter(session: Session, value: int) -> None:
    """Move the WO document counter on to `value` (never back)."""
    key = counter_key(Sequence.work_order, utcnow().year)
    row = session.get(DocumentCounter, key)
    if row is None:
        session.add(DocumentCounter(key=key, last_value=value))
    elif row.last_value < value:
        row.last_value = value
    session.flush()


def asset_rows(world: World, rng: random.Random, first_id: int, count: int, now: datetime):
    """`count` generated assets over the existing locations; also added to world.assets."""
    rows = []
    for asset_id in range(first_id, first_id + count):
        loc_id, site_id, _name = rng.choice(world.locations)
        kinds = PLANT_KINDS if world.site_code.get(site_id) == "RBP" else BUILDING_KINDS
        category, base = rng.choice(kinds)
        tag = f"BX-{asset_id:06d}"
        name = f"{base} {tag}"
        rows.append(
            build.asset_values(
                id=asset_id,
                tag=tag,
                name=name,
                location_id=loc_id,
                category=category,
                criticality=rng.choice(CRITICALITIES),
                qr_token=f"bench-{asset_id}-{rng.getrandbits(64):016x}",
                short_code=build.short_code_for(asset_id),
                qr_rotated_at=None,
                manufacturer=None,
                model=None,
                serial_number=f"SN{rng.getrandbits(32):08X}",
                installed_on=(now - timedelta(days=rng.randint(200, 4000))).date(),
                active=True,
                created_at=now,
            )
        )
        world.assets.append((asset_id, loc_id, site_id, name))
    return rows


class Picker:
    """Weighted choice from a small mapping, fast (cumulative weights computed once)."""

    def __init__(self, rng: random.Random, weights: dict):
        self.rng = rng
        self.values = list(weights)
        total, cum = 0.0, []
        for value in self.values:
            total += weights[value]
            cum.append(total)
        self.cum = cum
        self.total = total

    def __call__(self):
        return self.rng.choices(self.values, cum_weights=self.cum)[0]


def work_order_batches(
    world: World,
    rng: random.Random,
    count: int,
    first_number: int,
    ids: dict[str, int],
    batch_size: int,
    now: datetime,
) -> Iterator[dict[str, list[dict]]]:
    """Rows of `count` work orders and what hangs on them, `batch_size` work orders at a time."""
    status_of, priority_of, type_of = (
        Picker(rng, STATUS_MIX),
        Picker(rng, PRIORITY_MIX),
        Picker(rng, TYPE_MIX),
    )
    lines_of = Picker(rng, PART_LINES_MIX)
    open_share = sum(v for s, v in STATUS_MIX.items() if s in OPEN_STATUSES)
    assignable_share = sum(STATUS_MIX[s] for s in ASSIGNABLE)
    tech_chance = TECHNICIAN_OPEN_SHARE * open_share / assignable_share
    line_cost = {
        (item_id, n): (cost * QTY[n]).quantize(CENT) for item_id, cost in world.items for n in QTY
    }
    wo_id, line_id, change_id, step_id = (
        ids["work_order"],
        ids["part_line"],
        ids["status_change"],
        ids["checklist"],
    )
    tech, sup, others = world.technician_id, world.supervisor_id, world.other_technician_ids
    done_statuses = (S.closed, S.completed)

    for start in range(0, count, batch_size):
        wos, lines, changes, steps = [], [], [], []
        for offset in range(start, min(start + batch_size, count)):
            status = status_of()
            priority = priority_of()
            wo_type = type_of()
            is_open = status in OPEN_STATUSES
            if rng.random() < NO_ASSET_SHARE:
                asset_id = None
                location_id, site_id, place = rng.choice(world.locations)
            else:
                asset_id, location_id, site_id, place = rng.choice(world.assets)
            if is_open:  # open work is recent: most of it raised in the last few weeks
                created = now - timedelta(days=min(rng.expovariate(1 / 12), 90))
            else:
                created = now - timedelta(days=7 + rng.random() * HISTORY_DAYS)
            if wo_type in (WorkOrderType.preventive, WorkOrderType.inspection):
                due = created + timedelta(days=14)
            else:
                due = created + RESPONSE_TIMES[priority]

            assignee_user = assignee_team = None
            if status in ASSIGNABLE:
                r = rng.random()
                if r < tech_chance:
                    assignee_user = tech
                elif r < 0.6:
                    assignee_user = rng.choice(others)
                elif r < 0.9:
                    assignee_team = world.team_by_site.get(site_id)
                    if assignee_team is None:
                        assignee_user = rng.choice(others)
            elif status in done_statuses:
                r = rng.random()
                if r < 0.25:
                    assignee_user = tech
                elif r < 0.7:
                    assignee_user = rng.choice(others)
                elif r < 0.9:
                    assignee_team = world.team_by_site.get(site_id)

            completed_at = closed_at = None
            moved_at = created + timedelta(minutes=rng.randint(10, 600))
            if status in done_statuses:
                completed_at = created + (due - created) * (0.2 + rng.random() * 1.3)
                if status is S.closed:
                    closed_at = completed_at + timedelta(hours=rng.randint(2, 120))
                    moved_at = closed_at
                else:
                    moved_at = completed_at
            number = first_number + offset
            wos.append(
                shapes.work_order_row(
                    id=wo_id,
                    number=f"WO-{number:06d}",
                    title=f"{place}: {rng.choice(PROBLEMS[wo_type])}",
                    description=rng.choice(DESCRIPTIONS),
                    type=wo_type,
                    priority=priority,
                    status=status,
                    site_id=site_id,
                    location_id=location_id,
                    asset_id=asset_id,
                    cost_centre_id=world.cost_centre_by_site.get(site_id),
                    requester_id=sup,
                    department="Maintenance",
                    assignee_user_id=assignee_user,
                    assignee_team_id=assignee_team,
                    due_at=due,
                    audit_reference=(
                        f"AUDIT-{created.year}-{rng.randint(1, 12):02d}"
                        if wo_type is WorkOrderType.compliance
                        else None
                    ),
                    completed_at=completed_at,
                    closed_at=closed_at,
                    created_by_id=sup,
                    created_at=created,
                    updated_at=moved_at,
                )
            )

            changes.append(
                shapes.status_change_row(
                    id=change_id,
                    work_order_id=wo_id,
                    to_status=S.requested,
                    changed_by_id=sup,
                    changed_at=created,
                )
            )
            change_id += 1
            if status is not S.requested:
                changes.append(
                    shapes.status_change_row(
                        id=change_id,
                        work_order_id=wo_id,
                        from_status=S.requested,
                        to_status=status,
                        changed_by_id=assignee_user or sup,
                        changed_at=moved_at,
                        reason="Cancelled: duplicate" if status is S.cancelled else None,
                    )
                )
                change_id += 1

            for _ in range(lines_of()):
                item_id, _cost = rng.choice(world.items)
                n = rng.randint(1, 4)
                qty = QTY[n]
                reserved = issued = requested = ZERO_QTY
                cost = ZERO_MONEY
                if status in done_statuses:
                    line_status, issued, cost = PartLineStatus.issued, qty, line_cost[item_id, n]
                elif status is S.cancelled:
                    line_status = PartLineStatus.cancelled
                elif status is S.waiting_parts:
                    line_status, requested = PartLineStatus.requested, qty
                elif status is S.in_progress:
                    line_status, reserved = PartLineStatus.reserved, qty
                else:
                    line_status = PartLineStatus.needed
                lines.append(
                    shapes.part_line_row(
                        id=line_id,
                        work_order_id=wo_id,
                        item_id=item_id,
                        needed_qty=qty,
                        reserved_qty=reserved,
                        issued_qty=issued,
                        requested_qty=requested,
                        status=line_status,
                        issued_cost_amount=cost,
                        added_by_id=assignee_user or sup,
                        created_at=created,
                    )
                )
                line_id += 1

            if wo_type in (WorkOrderType.preventive, WorkOrderType.inspection):
                done = status in done_statuses
                for position in range(1, rng.randint(3, 5) + 1):
                    steps.append(
                        shapes.checklist_item_row(
                            id=step_id,
                            work_order_id=wo_id,
                            position=position,
                            text=CHECKLIST_STEPS[position - 1],
                            done=done,
                            done_by_id=(assignee_user or sup) if done else None,
                            done_at=completed_at if done else None,
                        )
                    )
                    step_id += 1
            wo_id += 1
        yield {"work_order": wos, "part_line": lines, "status_change": changes, "checklist": steps}


class Progress:
    """A one-line progress report on stderr: done/total, rows/s and ETA."""

    def __init__(self, total: int, label: str = "work orders"):
        self.total, self.label = total, label
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.last_pct = -10

    def update(self, done: int, rows: int) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        pct = 100 * done / self.total if self.total else 100
        eta = (self.total - done) * elapsed / done if done else 0
        line = (
            f"  {self.label} {done:,}/{self.total:,} ({pct:3.0f}%)  "
            f"{rows / elapsed:,.0f} rows/s  ETA {eta:4.0f} s"
        )
        if self.tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif pct - self.last_pct >= 10 or done == self.total:
            print(line, file=sys.stderr, flush=True)
            self.last_pct = pct

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def reset_sequences(session: Session) -> None:
    """PostgreSQL: move id sequences past the explicit ids, so the app's own inserts work."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("asset", "work_order", "part_line", "work_order_status_change", "checklist_item"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table})) "
                f"WHERE pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
            )
        )


def generate(
    database_url: str,
    work_orders: int,
    *,
    seed: int = 1,
    batch_size: int = 5000,
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
) -> Summary:
    """Add `work_orders` work orders (and what hangs on them) to the database at `database_url`."""
    started = time.perf_counter()
    app = bench_app(database_url)
    summary = Summary(database=_safe_url(database_url))
    rng = random.Random(seed)
    with app.app_context():
        ensure_schema()
        summary.demo_loaded = ensure_demo()
        session = db.session
        world = read_world(session)
        now = utcnow()

        n_assets = math.ceil(work_orders / WOS_PER_ASSET)
        if n_assets:
            rows = asset_rows(world, rng, next_id(session, Asset), n_assets, now)
            for i in range(0, len(rows), batch_size):
                session.execute(insert(Asset.__table__), rows[i : i + batch_size])
            session.commit()
            summary.assets = n_assets

        first_number = last_wo_number(session) + 1
        ids = {
            "work_order": next_id(session, WorkOrder),
            "part_line": next_id(session, PartLine),
            "status_change": next_id(session, WorkOrderStatusChange),
            "checklist": next_id(session, ChecklistItem),
        }
        tables = {
            "work_order": WorkOrder.__table__,
            "status_change": WorkOrderStatusChange.__table__,
            "part_line": PartLine.__table__,
            "checklist": ChecklistItem.__table__,
        }
        progress = Progress(work_orders)
        done = 0
        for batch in work_order_batches(
            world, rng, work_orders, first_number, ids, batch_size, now
        ):
            for name, table in tables.items():  # parents first: foreign keys are enforced
                if batch[name]:
                    session.execute(insert(table), batch[name])
            done += len(batch["work_order"])
            set_wo_counter(session, first_number + done - 1)
            session.commit()
            summary.work_orders += len(batch["work_order"])
            summary.part_lines += len(batch["part_line"])
            summary.status_changes += len(batch["status_change"])
            summary.checklist_items += len(batch["checklist"])
            progress.update(done, summary.rows)
        progress.close()

        reset_sequences(session)
        session.commit()
        if work_orders:  # purchasing documents in proportion, for the report pages
            from bench.generate_purchasing import PRS_PER_WORK_ORDER, generate_purchasing

            summary.purchasing = generate_purchasing(
                session,
                round(work_orders * PRS_PER_WORK_ORDER),
                seed=seed,
                batch_size=batch_size,
                log=log,
            )
        if session.get_bind().dialect.name == "postgresql":
            # Autovacuum would do this within a minute of a real load; do it now so the first
            # benchmark run does not see plans made for empty tables.
            session.execute(text("ANALYZE"))
            session.commit()

        if work_orders:
            summary.first_number = f"WO-{first_number:06d}"
            summary.last_number = f"WO-{first_number + work_orders - 1:06d}"
        summary.total_work_orders = session.scalar(select(func.count(WorkOrder.id)))
        summary.technician_open = session.scalar(
            select(func.count(WorkOrder.id)).where(
                WorkOrder.assignee_user_id == world.technician_id,
                WorkOrder.status.in_([s.value for s in OPEN_STATUSES]),
            )
        )
        db.session.remove()
        db.engine.dispose()
    summary.seconds = time.perf_counter() - started
    return summary


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_summary(summary: Summary) -> None:
    rate = summary.rows / summary.seconds if summary.seconds else 0
    print(f"Database:          {summary.database}")
    if summary.demo_loaded:
        print("Demo data:         loaded now (users technician, supervisor, ... password 'demo')")
    print(
        f"Work orders added: {summary.work_orders:,} ({summary.first_number} .. "
        f"{summary.last_number})"
    )
    print(f"Part lines:        {summary.part_lines:,}")
    print(f"Status changes:    {summary.status_changes:,}")
    print(f"Checklist items:   {summary.checklist_items:,}")
    print(f"Assets added:      {summary.assets:,}")
    print(f"Work orders now:   {summary.total_work_orders:,} in the database")
    print(f"Technician queue:  {summary.technician_open:,} open work orders")
    for table, rows in summary.purchasing.items():
        print(f"{table + ':':<24}{rows:>9,}")
    print(f"Elapsed:           {summary.seconds:.1f} s ({rate:,.0f} rows/s)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--work-orders", type=int, required=True, help="how many to add")
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help=f"SQLAlchemy/DATABASE_URL style URL (default: {DEFAULT_DATABASE_URL})",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--batch-size", type=int, default=5000, help="work orders per insert batch and commit"
    )
    args = parser.parse_args(argv)
    if args.work_orders < 0 or args.batch_size < 1:
        parser.error("--work-orders must be >= 0 and --batch-size >= 1")
    summary = generate(
        args.database_url, args.work_orders, seed=args.seed, batch_size=args.batch_size
    )
    print_summary(summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

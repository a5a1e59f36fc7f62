"""Demo parts: part lines on the demo work orders, some reserved, some issued, one bought.

Runs inside load_demo's transaction and goes through the same service functions people use,
so stock, reservations, movements, costs, the PR and the audit trail all agree.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.statuses import ItemKind
from portal.models import Item, PartLine, User, WorkOrder
from portal.services.parts import add_line, issue_stock, reserve_stock
from portal.services.purchase_requests import request_missing

SYRUP = "Syrup dosing pump leaking at seal"
FILLER = "Filler Line 2 bowl level sensor faulty"
COMPRESSOR = "Compressor 1 air and oil filter change"
CONVEYOR = "Replace worn V-belts on case conveyor"
FORKLIFT = "Forklift 2 hydraulic hose check"

# The filler's bowl probe is bought when needed: no stock, no contract, a preferred vendor (VOLT).
LEVEL_PROBE = (
    "LVL-CAP-250",
    "Capacitive level probe 250 mm, filler bowl",
    "EA",
    "Electrical",
    "410.00",
)

# (work order, part number, qty, what happens: reserve / issue / request, who)
PLAN = [
    (SYRUP, "GSK-DN50", "2", "issue", "technician"),
    (SYRUP, "GRS-EP2", "1", "reserve", "technician"),
    (FILLER, "PRX-M18", "1", "issue", "technician"),
    (FILLER, "LVL-CAP-250", "1", "request", "technician"),
    (COMPRESSOR, "FLT-AIR-GA37", "1", "reserve", "storekeeper"),
    (COMPRESSOR, "FLT-OIL-GA37", "1", "reserve", "storekeeper"),
    (COMPRESSOR, "OIL-COMP", "1", "reserve", "storekeeper"),
    (CONVEYOR, "BELT-SPA1250", "2", "reserve", "technician"),
    (FORKLIFT, "OIL-ISO46", "1", "issue", "priya"),
]


def load_demo_parts(session: Session) -> str:
    """Add the demo part lines inside the caller's transaction; does nothing if lines exist."""
    if session.scalar(select(PartLine.id).limit(1)) is not None:
        return "Demo parts already there."
    session.flush()
    orders = {wo.title: wo for wo in session.scalars(select(WorkOrder))}
    items = {item.part_number: item for item in session.scalars(select(Item))}
    number, text, uom, category, cost = LEVEL_PROBE
    if number not in items:
        items[number] = Item(
            part_number=number,
            description=text,
            uom=uom,
            category=category,
            kind=ItemKind.non_stock,
            standard_cost=Decimal(cost),
        )
        session.add(items[number])
        session.flush()
    people = {
        user.username: user
        for user in session.scalars(
            select(User).where(User.username.in_(["technician", "storekeeper", "priya"]))
        )
    }
    done = 0
    for title, part_number, qty, action, who in PLAN:
        wo, item, actor = orders.get(title), items.get(part_number), people.get(who)
        if wo is None or item is None:
            continue
        line = add_line(session, wo, item, Decimal(qty), actor=actor)
        if action in ("reserve", "issue"):
            reserve_stock(session, line, actor=actor)
        if action == "issue":
            issue_stock(session, line, actor=people.get("storekeeper", actor))
        if action == "request":
            request_missing(session, line, wo=wo, actor=actor, reason="Probe reads empty bowl")
        done += 1
    return f"Demo parts: {done} part lines."

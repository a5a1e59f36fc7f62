"""The demo's master data, built from portal/demo/world.py through the shared builders.

People, the two sites and their places, 50 assets with QR tokens and short codes, items and the
two storerooms' stock, vendors with their preferred categories and contracts, cost centres with
this year's budgets, the approval matrix and the plant team. Plain rows, no documents: every
document of the demo is made by the real use cases afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from portal.demo import builders as build
from portal.demo.steps import Demo
from portal.demo.world import (
    BLOCK,
    BLOCK_ASSETS,
    BLOCK_COMMON,
    BLOCK_FLOORS,
    BOUGHT_ITEMS,
    COST_CENTRES,
    DEMO_PASSWORD,
    ITEMS,
    NBS_PRICES,
    PLANT,
    PLANT_AREAS,
    PLANT_ASSETS,
    PRIYA,
    USERS,
    VENDOR_CONTACTS,
    VENDORS,
)
from portal.domain.statuses import Criticality, ItemKind, RequestIntake
from portal.models import Item, Location, Site, Storeroom, User, Vendor


def build_master_data(
    session: Session,
    *,
    now: datetime,
    move_to: Callable[[datetime], None],
    stock_used: Counter[tuple[str, str]],
) -> Demo:
    """Every master row of the demo, flushed; `stock_used` (site code, part number) is added
    to the storerooms' stock so the history can take it and leave the demo's own levels."""
    users = _people(session)
    sites, locations = _places(session)
    assets = _assets(session, locations, today=now.date())
    items = _items(session)
    _stock(session, sites, items, stock_used)
    vendors = _vendors(session, items, today=now.date())
    centres = {
        str(code): build.add_cost_centre(
            session, code=str(code), name=name, site=sites[str(site)], budget=amount
        )
        for code, name, site, amount in COST_CENTRES
    }
    build.add_approval_matrix(session)
    session.flush()
    build.add_team(
        session,
        name="Plant mechanics",
        site=sites["RBP"],
        members=[users["technician"], users["priya"]],
    )
    session.flush()
    return Demo(
        session=session,
        now=now,
        move_to=move_to,
        users=users,
        sites=sites,
        items=items,
        vendors=vendors,
        centres=centres,
        asset_ids={tag: asset.id for tag, asset in assets.items()},
    )


def _people(session: Session) -> dict[str, User]:
    """The demo users (password `demo`) and Priya, who has no demo sign-in."""
    people = {}
    for username, name, roles, department, rate, authority in USERS:
        people[username] = build.add_user(
            session,
            username=username,
            full_name=name,
            roles=roles,
            password=DEMO_PASSWORD,
            department=department,
            email=f"{username}@demo.field-portal.test",
            hourly_rate=Decimal(rate) if rate else None,
            budget_authority=authority,
        )
    username, name, roles, department, rate, _authority = PRIYA
    people[username] = build.add_user(
        session,
        username=username,
        full_name=name,
        roles=roles,
        department=department,
        hourly_rate=Decimal(rate) if rate else None,
    )
    return people


def _places(session: Session) -> tuple[dict[str, Site], dict[tuple[str, str], Location]]:
    """The plant (triage) and the apartment block (first come), with their locations."""
    plant = build.add_site(
        session, code=PLANT[0], name=PLANT[1], address=PLANT[2], request_intake=RequestIntake.triage
    )
    block = build.add_site(
        session,
        code=BLOCK[0],
        name=BLOCK[1],
        address=BLOCK[2],
        request_intake=RequestIntake.first_come,
    )
    places: dict[tuple[str, str], Location] = {}
    for building, areas in PLANT_AREAS.items():
        parent = build.add_location(
            session, site=plant, code=building[:4].upper(), name=building, kind="building"
        )
        for area in areas:
            code = "".join(word[0] for word in area.split()).upper() + str(len(places))
            places[("RBP", area)] = build.add_location(
                session, site=plant, parent=parent, code=code, name=area
            )
    elm = build.add_location(session, site=block, code="ELM", name="Elm Court", kind="building")
    for common in BLOCK_COMMON:
        places[("ECA", common)] = build.add_location(
            session, site=block, parent=elm, code=common.upper().replace(" ", "")[:8], name=common
        )
    for floor, units in BLOCK_FLOORS.items():
        level = build.add_location(
            session, site=block, parent=elm, code=floor.upper().replace(" ", ""), name=floor
        )
        for unit in units:
            places[("ECA", unit)] = build.add_location(
                session,
                site=block,
                parent=level,
                code=f"FLAT{unit}",
                name=f"Flat {unit}",
                kind="unit",
            )
    return {"RBP": plant, "ECA": block}, places


def _assets(session: Session, places: dict[tuple[str, str], Location], *, today: date):
    """The 50 assets, each with its QR token and a short code of its own."""
    taken: set[str] = set()
    assets = {}
    for site_code, rows in (("RBP", PLANT_ASSETS), ("ECA", BLOCK_ASSETS)):
        for tag, name, category, criticality, where, maker, model in rows:
            assets[str(tag)] = build.add_asset(
                session,
                location=places[(site_code, str(where))],
                tag=str(tag),
                name=name,
                category=str(category),
                criticality=Criticality(str(criticality)),
                short_code=build.new_short_code(taken),
                manufacturer=maker,
                model=model,
                installed_on=today - timedelta(days=365 * (3 + len(str(tag)) % 7)),
            )
    return assets


def _items(session: Session) -> dict[str, Item]:
    """Stocked parts, parts bought when needed, and services."""
    items = {}
    for number, text, uom, category, kind, cost, *_stock in [*ITEMS, *BOUGHT_ITEMS]:
        items[str(number)] = build.add_item(
            session,
            part_number=str(number),
            description=text,
            uom=uom,
            category=str(category),
            kind=ItemKind(str(kind)),
            standard_cost=cost,
        )
    return items


def _stock(
    session: Session,
    sites: dict[str, Site],
    items: dict[str, Item],
    used: Counter[tuple[str, str]],
) -> dict[str, Storeroom]:
    """A storeroom per site; every stocked part in both, at the demo's level plus `used`."""
    stores = {
        "RBP": build.add_storeroom(
            session, site=sites["RBP"], code="RBP-MAIN", name="Plant main storeroom"
        ),
        "ECA": build.add_storeroom(
            session, site=sites["ECA"], code="ECA-CAGE", name="Elm Court store cage"
        ),
    }
    for n, (number, _text, _uom, category, kind, _cost, plant_qty, block_qty) in enumerate(
        ITEMS, start=1
    ):
        if kind != ItemKind.stock:
            continue
        for site_code, qty in (("RBP", plant_qty), ("ECA", block_qty)):
            build.add_stock(
                session,
                item=items[str(number)],
                storeroom=stores[site_code],
                on_hand=Decimal(str(qty)) + used[(site_code, str(number))],
                bin=f"{str(category)[:3].upper()}-{n:02d}",
            )
    return stores


def _vendors(session: Session, items: dict[str, Item], *, today: date) -> dict[str, Vendor]:
    """Vendors (one blocked), contractors, the NBS price list, an expired and a lift contract."""
    vendors = {}
    for code, name, terms, categories, contractor, blocked in VENDORS:
        contact, email, phone, address = VENDOR_CONTACTS.get(
            str(code), ("Orders desk", f"orders@{str(code).lower()}.example", "+1 555 0100", None)
        )
        vendors[str(code)] = build.add_vendor(
            session,
            code=str(code),
            name=name,
            payment_terms=str(terms),
            preferred_for=[c.strip() for c in (categories or "").split(",") if c.strip()],
            blocked_reason=blocked,
            is_contractor=contractor == "yes",
            contact_name=contact,
            email=email,
            phone=phone,
            address=address,
        )
    year = today.year
    build.add_contract(
        session,
        vendor=vendors["NBS"],
        reference="C-NBS-2026",
        title="Bearings, belts and seals price agreement 2026",
        valid_from=date(year, 1, 1),
        valid_to=date(year, 12, 31),
        ceiling_amount=Decimal("25000.00"),
        prices=[(items[str(n)], items[str(n)].uom, str(price)) for n, price in NBS_PRICES],
    )
    build.add_contract(
        session,
        vendor=vendors["FLO"],
        reference="C-FLO-2025",
        title="Pump seal kits 2025 (expired)",
        valid_from=date(year - 1, 1, 1),
        valid_to=date(year - 1, 12, 31),
        prices=[(items["SEAL-M32"], "EA", "165.00")],
    )
    build.add_contract(
        session,
        vendor=vendors["LIFT"],
        reference="C-LIFT-2026",
        title="Passenger lift maintenance, monthly visits",
        valid_from=date(year, 1, 1),
        valid_to=date(year + 1, 12, 31),
        ceiling_amount=Decimal("6000.00"),
        prices=[(items["SVC-LIFT"], "VISIT", "240.00")],
    )
    return vendors

"""Demo data: a bottling plant and an apartment block, believable enough to click through."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.domain.numbering import Sequence
from portal.domain.roles import Role
from portal.domain.statuses import Criticality, ItemKind, RequestIntake, VendorStatus
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType, due_at
from portal.models import (
    ApprovalRule,
    Asset,
    Budget,
    ChecklistItem,
    Contract,
    ContractPrice,
    CostCentre,
    Item,
    Location,
    PreferredVendor,
    Site,
    StockLevel,
    Storeroom,
    Team,
    TeamMember,
    User,
    UserRole,
    Vendor,
    WorkOrder,
    WorkOrderStatusChange,
)
from portal.models.base import utcnow
from portal.services import audit
from portal.services._uow import unit_of_work
from portal.services.demo_parts import load_demo_parts
from portal.services.demo_requests import load_demo_requests
from portal.services.numbering import next_number

DEMO_PASSWORD = "demo"
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from a label

USERS = [
    ("technician", "Tomás Rivera", [Role.technician], "Maintenance", "42.00"),
    ("supervisor", "Sam Okafor", [Role.supervisor], "Maintenance", "55.00"),
    ("storekeeper", "Sofia Lindqvist", [Role.storekeeper], "Stores", None),
    ("buyer", "Bea Nakamura", [Role.buyer], "Procurement", None),
    ("approver", "Arjun Mehta", [Role.approver], "Finance", None),
    ("ap_clerk", "Alex Dubois", [Role.ap_clerk], "Accounts payable", None),
    ("admin", "Ada Kowalski", [Role.admin], "IT", None),
]

PLANT_AREAS = {
    "Production Hall": ["Line 1 Filling", "Line 2 Filling", "Line 3 Packaging", "Mixing Room"],
    "Utilities Building": ["Boiler Room", "Compressor Room", "Water Treatment"],
    "Warehouse": ["Loading Dock", "Cold Store"],
}
PLANT_ASSETS = [
    (
        "P-101",
        "Transfer pump P-101",
        "Pumps",
        Criticality.high,
        "Mixing Room",
        "Grundfos",
        "CR 32-2",
    ),
    (
        "P-102",
        "Transfer pump P-102",
        "Pumps",
        Criticality.high,
        "Mixing Room",
        "Grundfos",
        "CR 32-2",
    ),
    (
        "P-103",
        "CIP supply pump",
        "Pumps",
        Criticality.medium,
        "Mixing Room",
        "Alfa Laval",
        "LKH-20",
    ),
    (
        "P-104",
        "Syrup dosing pump",
        "Pumps",
        Criticality.critical,
        "Line 1 Filling",
        "Netzsch",
        "NM038",
    ),
    ("P-105", "Boiler feed pump", "Pumps", Criticality.critical, "Boiler Room", "KSB", "Movitec 6"),
    ("P-106", "Cooling water pump", "Pumps", Criticality.high, "Water Treatment", "Wilo", "IL 80"),
    (
        "F-201",
        "Rotary filler Line 1",
        "Fillers",
        Criticality.critical,
        "Line 1 Filling",
        "Krones",
        "Modulfill",
    ),
    (
        "F-202",
        "Rotary filler Line 2",
        "Fillers",
        Criticality.critical,
        "Line 2 Filling",
        "Krones",
        "Modulfill",
    ),
    ("C-301", "Capper Line 1", "Cappers", Criticality.high, "Line 1 Filling", "Arol", "Euro PK"),
    ("C-302", "Capper Line 2", "Cappers", Criticality.high, "Line 2 Filling", "Arol", "Euro PK"),
    (
        "L-401",
        "Labeller Line 1",
        "Labellers",
        Criticality.medium,
        "Line 1 Filling",
        "Krones",
        "Contiroll",
    ),
    (
        "L-402",
        "Labeller Line 2",
        "Labellers",
        Criticality.medium,
        "Line 2 Filling",
        "Krones",
        "Contiroll",
    ),
    (
        "CV-501",
        "Infeed conveyor Line 1",
        "Conveyors",
        Criticality.medium,
        "Line 1 Filling",
        "Interroll",
        "RM 8",
    ),
    (
        "CV-502",
        "Infeed conveyor Line 2",
        "Conveyors",
        Criticality.medium,
        "Line 2 Filling",
        "Interroll",
        "RM 8",
    ),
    (
        "CV-503",
        "Case conveyor",
        "Conveyors",
        Criticality.low,
        "Line 3 Packaging",
        "Interroll",
        "RM 8",
    ),
    (
        "SW-601",
        "Shrink wrapper",
        "Packaging",
        Criticality.high,
        "Line 3 Packaging",
        "Krones",
        "Variopac",
    ),
    (
        "PL-602",
        "Palletiser",
        "Packaging",
        Criticality.high,
        "Line 3 Packaging",
        "Krones",
        "Modulpal",
    ),
    (
        "MX-701",
        "Syrup mixing tank",
        "Tanks",
        Criticality.high,
        "Mixing Room",
        "Paul Mueller",
        "F-3000",
    ),
    (
        "MX-702",
        "Blending tank",
        "Tanks",
        Criticality.medium,
        "Mixing Room",
        "Paul Mueller",
        "F-2000",
    ),
    (
        "B-801",
        "Steam boiler",
        "Boilers",
        Criticality.critical,
        "Boiler Room",
        "Viessmann",
        "Vitomax 200",
    ),
    (
        "AC-901",
        "Screw compressor 1",
        "Compressors",
        Criticality.critical,
        "Compressor Room",
        "Atlas Copco",
        "GA 37",
    ),
    (
        "AC-902",
        "Screw compressor 2",
        "Compressors",
        Criticality.high,
        "Compressor Room",
        "Atlas Copco",
        "GA 37",
    ),
    (
        "AD-903",
        "Refrigerated air dryer",
        "Compressors",
        Criticality.medium,
        "Compressor Room",
        "Atlas Copco",
        "FD 120",
    ),
    (
        "WT-951",
        "Reverse osmosis unit",
        "Water",
        Criticality.high,
        "Water Treatment",
        "Veolia",
        "Sirion",
    ),
    (
        "WT-952",
        "Water softener",
        "Water",
        Criticality.medium,
        "Water Treatment",
        "Culligan",
        "HI-FLO",
    ),
    ("FL-111", "Forklift 1", "Vehicles", Criticality.medium, "Loading Dock", "Toyota", "8FBE15"),
    ("FL-112", "Forklift 2", "Vehicles", Criticality.medium, "Loading Dock", "Toyota", "8FBE15"),
    ("DR-121", "Dock leveller 1", "Doors", Criticality.low, "Loading Dock", "Hörmann", "HLS 2"),
    ("DR-122", "Rapid roll door", "Doors", Criticality.low, "Cold Store", "Hörmann", "V 4015"),
    (
        "RF-131",
        "Cold store evaporator",
        "Refrigeration",
        Criticality.high,
        "Cold Store",
        "Güntner",
        "GACC",
    ),
    (
        "RF-132",
        "Condensing unit",
        "Refrigeration",
        Criticality.high,
        "Cold Store",
        "Bitzer",
        "LH84",
    ),
]
BLOCK_FLOORS = {
    "Floor 1": ["1A", "1B", "1C"],
    "Floor 2": ["2A", "2B", "2C"],
    "Floor 3": ["3A", "3B", "3C"],
    "Floor 4": ["4A", "4B", "4C"],
}
BLOCK_COMMON = ["Plant Room", "Lobby", "Car Park", "Roof"]
BLOCK_ASSETS = [
    (
        "EC-B1",
        "Gas boiler 1",
        "Boilers",
        Criticality.critical,
        "Plant Room",
        "Vaillant",
        "ecoTEC 635",
    ),
    ("EC-B2", "Gas boiler 2", "Boilers", Criticality.high, "Plant Room", "Vaillant", "ecoTEC 635"),
    ("EC-HW", "Hot water cylinder", "Water", Criticality.high, "Plant Room", "Gledhill", "Torrent"),
    ("EC-BP", "Booster pump set", "Pumps", Criticality.high, "Plant Room", "Grundfos", "Hydro MPC"),
    ("EC-LF", "Passenger lift", "Lifts", Criticality.critical, "Lobby", "KONE", "MonoSpace"),
    (
        "EC-DR",
        "Entrance door controller",
        "Doors",
        Criticality.medium,
        "Lobby",
        "Dormakaba",
        "ED 100",
    ),
    ("EC-FA", "Fire alarm panel", "Fire safety", Criticality.critical, "Lobby", "Kentec", "Syncro"),
    (
        "EC-EL",
        "Emergency lighting circuit",
        "Electrical",
        Criticality.high,
        "Lobby",
        "Eaton",
        "NexusRF",
    ),
    ("EC-CG", "Car park gate", "Doors", Criticality.low, "Car Park", "FAAC", "620"),
    (
        "EC-VF",
        "Car park ventilation fan",
        "HVAC",
        Criticality.medium,
        "Car Park",
        "Systemair",
        "AXC",
    ),
    ("EC-RF", "Roof extract fan", "HVAC", Criticality.medium, "Roof", "Nuaire", "ES-HE"),
    ("EC-1A", "Flat 1A kitchen", "Dwellings", Criticality.low, "1A", None, None),
    ("EC-2B", "Flat 2B bathroom", "Dwellings", Criticality.low, "2B", None, None),
    ("EC-3C", "Flat 3C heating", "Dwellings", Criticality.low, "3C", None, None),
    ("EC-4B", "Flat 4B kitchen", "Dwellings", Criticality.low, "4B", None, None),
    ("EC-4C", "Flat 4C bathroom", "Dwellings", Criticality.low, "4C", None, None),
    ("EC-SD", "Smoke vent actuator", "Fire safety", Criticality.high, "Roof", "Colt", "SHEV"),
    ("EC-WM", "Water meter cabinet", "Water", Criticality.low, "Plant Room", "Kamstrup", "flowIQ"),
    ("EC-CC", "CCTV recorder", "Security", Criticality.medium, "Lobby", "Hikvision", "NVR"),
]

# part number, description, uom, category, kind, standard cost, on hand (plant, block)
ITEMS = [
    ("BRG-6205", "Ball bearing 6205-2RS", "EA", "Bearings", ItemKind.stock, "8.40", ("24", "4")),
    ("BRG-6306", "Ball bearing 6306-2RS", "EA", "Bearings", ItemKind.stock, "14.90", ("10", "0")),
    (
        "BRG-UCP208",
        "Pillow block bearing UCP208",
        "EA",
        "Bearings",
        ItemKind.stock,
        "38.50",
        ("4", "0"),
    ),
    ("SEAL-M32", "Mechanical seal 32 mm", "EA", "Seals", ItemKind.stock, "186.00", ("2", "0")),
    ("SEAL-OR-K", "O-ring kit, NBR, 382 pcs", "KIT", "Seals", ItemKind.stock, "54.00", ("3", "1")),
    ("SEAL-LIP40", "Lip seal 40x62x8", "EA", "Seals", ItemKind.stock, "6.75", ("18", "0")),
    ("BELT-SPA1250", "V-belt SPA 1250", "EA", "Belts", ItemKind.stock, "11.20", ("12", "2")),
    ("BELT-SPB1800", "V-belt SPB 1800", "EA", "Belts", ItemKind.stock, "17.80", ("6", "0")),
    ("CHAIN-08B", "Roller chain 08B-1, 5 m", "EA", "Chains", ItemKind.stock, "64.00", ("2", "0")),
    (
        "FLT-AIR-GA37",
        "Air filter element GA37",
        "EA",
        "Filters",
        ItemKind.stock,
        "72.00",
        ("4", "0"),
    ),
    ("FLT-OIL-GA37", "Oil filter GA37", "EA", "Filters", ItemKind.stock, "48.00", ("4", "0")),
    (
        "FLT-HVAC-G4",
        "Panel filter G4 592x592",
        "EA",
        "Filters",
        ItemKind.stock,
        "9.60",
        ("20", "16"),
    ),
    ("FLT-RO-40", "RO membrane 4040", "EA", "Filters", ItemKind.stock, "295.00", ("1", "0")),
    (
        "OIL-ISO46",
        "Hydraulic oil ISO VG 46, 20 L",
        "DRUM",
        "Lubricants",
        ItemKind.stock,
        "96.00",
        ("5", "0"),
    ),
    (
        "GRS-EP2",
        "EP2 grease cartridge 400 g",
        "EA",
        "Lubricants",
        ItemKind.stock,
        "7.90",
        ("40", "6"),
    ),
    ("OIL-COMP", "Compressor oil, 5 L", "EA", "Lubricants", ItemKind.stock, "68.00", ("3", "0")),
    (
        "FUSE-10A",
        "Fuse 10 A gG, box of 10",
        "BOX",
        "Electrical",
        ItemKind.stock,
        "12.50",
        ("8", "4"),
    ),
    ("CONT-9A", "Contactor 9 A 24 VDC", "EA", "Electrical", ItemKind.stock, "42.00", ("3", "1")),
    (
        "PRX-M18",
        "Inductive proximity sensor M18",
        "EA",
        "Electrical",
        ItemKind.stock,
        "39.00",
        ("5", "0"),
    ),
    (
        "LAMP-LED-EM",
        "Emergency LED lamp module",
        "EA",
        "Electrical",
        ItemKind.stock,
        "27.00",
        ("0", "6"),
    ),
    (
        "VLV-BALL-25",
        "Ball valve DN25 stainless",
        "EA",
        "Valves",
        ItemKind.stock,
        "58.00",
        ("4", "2"),
    ),
    (
        "VLV-SOL-24",
        "Solenoid valve 1/2 in 24 VDC",
        "EA",
        "Valves",
        ItemKind.stock,
        "84.00",
        ("2", "0"),
    ),
    (
        "VLV-TRV",
        "Thermostatic radiator valve",
        "EA",
        "Valves",
        ItemKind.stock,
        "21.00",
        ("0", "10"),
    ),
    ("GSK-DN50", "Flange gasket DN50 EPDM", "EA", "Seals", ItemKind.stock, "3.20", ("30", "5")),
    (
        "TAP-CART",
        "Ceramic tap cartridge 35 mm",
        "EA",
        "Plumbing",
        ItemKind.stock,
        "14.00",
        ("0", "8"),
    ),
    ("WC-FILL", "Toilet fill valve", "EA", "Plumbing", ItemKind.stock, "16.50", ("0", "5")),
    ("DOOR-CLOSER", "Door closer EN 2-5", "EA", "Hardware", ItemKind.stock, "69.00", ("0", "2")),
    (
        "SMOKE-DET",
        "Optical smoke detector",
        "EA",
        "Fire safety",
        ItemKind.stock,
        "31.00",
        ("0", "12"),
    ),
    (
        "MOTOR-4KW",
        "Motor 4 kW IE3 4-pole",
        "EA",
        "Motors",
        ItemKind.non_stock,
        "520.00",
        ("0", "0"),
    ),
    ("SVC-LIFT", "Lift service visit", "VISIT", "Services", ItemKind.service, "240.00", ("0", "0")),
]

VENDORS = [
    (
        "NBS",
        "Northern Bearing Supply",
        "2/10 Net 30",
        ["Bearings", "Belts", "Chains", "Seals"],
        False,
    ),
    ("FLO", "FlowTech Pumps & Seals", "Net 30", ["Pumps"], False),
    ("VOLT", "Voltaic Electrical Wholesale", "Net 45", ["Electrical"], False),
    ("AQUA", "AquaServ Plumbing Supplies", "Net 30", ["Plumbing", "Valves"], False),
    ("LIFT", "Summit Lift Services", "Net 30", ["Services"], True),
    ("QIND", "QuickParts Industrial", "Net 15", [], False),  # blocked: quality issues
]


def _short_code() -> str:
    """Six characters a person can read off a label and type."""
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(6))


def load_demo(progress: Callable[[str], None] = lambda _m: None) -> str:
    """Create the demo world in one transaction; a second run finds it and changes nothing."""
    with unit_of_work() as session:
        if session.scalar(select(Site.id).where(Site.code == "RBP")) is not None:
            return "Demo data is already loaded; nothing changed."
        today = date.today()
        now = utcnow()

        progress("users")
        users: dict[str, User] = {}
        for username, name, roles, department, rate in USERS:
            user = User(
                username=username,
                full_name=name,
                department=department,
                email=f"{username}@demo.field-portal.test",
                hourly_rate=Decimal(rate) if rate else None,
                budget_authority=username in ("approver", "admin"),
            )
            user.set_password(DEMO_PASSWORD)
            user.role_rows = [UserRole(role=r) for r in roles]
            session.add(user)
            users[username] = user
        extra_tech = User(
            username="priya",
            full_name="Priya Natarajan",
            department="Maintenance",
            hourly_rate=Decimal("42.00"),
        )
        extra_tech.set_password(secrets.token_urlsafe(16))
        extra_tech.role_rows = [UserRole(role=Role.technician)]
        session.add(extra_tech)

        progress("sites and locations")
        plant = Site(
            code="RBP",
            name="Riverside Bottling Plant",
            address="14 Mill Road, Riverside",
            request_intake=RequestIntake.triage,
        )
        block = Site(
            code="ECA",
            name="Elm Court Apartments",
            address="2 Elm Court, Riverside",
            request_intake=RequestIntake.first_come,
        )
        session.add_all([plant, block])
        locations: dict[tuple[str, str], Location] = {}
        for building, areas in PLANT_AREAS.items():
            parent = Location(site=plant, code=building[:4].upper(), name=building, kind="building")
            session.add(parent)
            for area in areas:
                code = "".join(word[0] for word in area.split()).upper() + str(len(locations))
                locations[("RBP", area)] = Location(
                    site=plant, parent=parent, code=code, name=area, kind="area"
                )
        block_building = Location(site=block, code="ELM", name="Elm Court", kind="building")
        session.add(block_building)
        for common in BLOCK_COMMON:
            locations[("ECA", common)] = Location(
                site=block,
                parent=block_building,
                code=common.upper().replace(" ", "")[:8],
                name=common,
                kind="area",
            )
        for floor, units in BLOCK_FLOORS.items():
            floor_loc = Location(
                site=block,
                parent=block_building,
                code=floor.upper().replace(" ", ""),
                name=floor,
                kind="area",
            )
            for unit in units:
                locations[("ECA", unit)] = Location(
                    site=block,
                    parent=floor_loc,
                    code=f"FLAT{unit}",
                    name=f"Flat {unit}",
                    kind="unit",
                )
        session.add_all(locations.values())

        progress("assets")
        assets: dict[str, Asset] = {}
        used_codes: set[str] = set()
        for site_code, rows in (("RBP", PLANT_ASSETS), ("ECA", BLOCK_ASSETS)):
            for tag, name, category, crit, where, maker, model in rows:
                code = _short_code()
                while code in used_codes:
                    code = _short_code()
                used_codes.add(code)
                assets[tag] = Asset(
                    tag=tag,
                    name=name,
                    category=category,
                    criticality=crit,
                    location=locations[(site_code, where)],
                    manufacturer=maker,
                    model=model,
                    qr_token=secrets.token_urlsafe(24),
                    short_code=code,
                    installed_on=today - timedelta(days=365 * (3 + len(tag) % 7)),
                )
        session.add_all(assets.values())

        progress("storerooms and stock")
        main_store = Storeroom(site=plant, code="RBP-MAIN", name="Plant main storeroom")
        block_store = Storeroom(site=block, code="ECA-CAGE", name="Elm Court store cage")
        session.add_all([main_store, block_store])
        items: dict[str, Item] = {}
        for number, text, uom, category, kind, cost, (plant_qty, block_qty) in ITEMS:
            item = Item(
                part_number=number,
                description=text,
                uom=uom,
                category=category,
                kind=kind,
                standard_cost=Decimal(cost),
            )
            items[number] = item
            session.add(item)
            if kind is ItemKind.stock:
                for store, qty in ((main_store, plant_qty), (block_store, block_qty)):
                    session.add(
                        StockLevel(
                            item=item,
                            storeroom=store,
                            on_hand_qty=Decimal(qty),
                            unit_cost=Decimal(cost),
                            bin=f"{category[:3].upper()}-{len(items):02d}",
                        )
                    )

        progress("vendors and contracts")
        vendors: dict[str, Vendor] = {}
        for code, name, terms, categories, contractor in VENDORS:
            vendor = Vendor(
                code=code,
                name=name,
                payment_terms=terms,
                is_contractor=contractor,
                contact_name="Orders desk",
                email=f"orders@{code.lower()}.example",
                phone="+1 555 0100",
            )
            vendor.preferred_for = [PreferredVendor(category=c) for c in categories]
            vendors[code] = vendor
            session.add(vendor)
        vendors["QIND"].status = VendorStatus.blocked
        vendors["QIND"].blocked_reason = "Repeated short deliveries and wrong parts (2026 review)."
        price_list = Contract(
            vendor=vendors["NBS"],
            reference="C-NBS-2026",
            title="Bearings, belts and seals price agreement 2026",
            valid_from=date(today.year, 1, 1),
            valid_to=date(today.year, 12, 31),
            ceiling_amount=Decimal("25000.00"),
        )
        for number, price in (
            ("BRG-6205", "7.60"),
            ("BRG-6306", "13.40"),
            ("BRG-UCP208", "34.00"),
            ("SEAL-M32", "172.00"),
            ("SEAL-LIP40", "6.10"),
            ("BELT-SPA1250", "10.10"),
            ("BELT-SPB1800", "16.00"),
            ("CHAIN-08B", "58.00"),
        ):
            price_list.prices.append(
                ContractPrice(item=items[number], uom=items[number].uom, unit_price=Decimal(price))
            )
        expired = Contract(
            vendor=vendors["FLO"],
            reference="C-FLO-2025",
            title="Pump seal kits 2025 (expired)",
            valid_from=date(today.year - 1, 1, 1),
            valid_to=date(today.year - 1, 12, 31),
        )
        expired.prices.append(
            ContractPrice(item=items["SEAL-M32"], uom="EA", unit_price=Decimal("165.00"))
        )
        lift = Contract(
            vendor=vendors["LIFT"],
            reference="C-LIFT-2026",
            title="Passenger lift maintenance, monthly visits",
            valid_from=date(today.year, 1, 1),
            valid_to=date(today.year + 1, 12, 31),
            ceiling_amount=Decimal("6000.00"),
        )
        lift.prices.append(
            ContractPrice(item=items["SVC-LIFT"], uom="VISIT", unit_price=Decimal("240.00"))
        )
        session.add_all([price_list, expired, lift])

        progress("cost centres, budgets and the approval matrix")
        year_start, year_end = date(today.year, 1, 1), date(today.year, 12, 31)
        for code, name, site, amount in (
            ("CC-RBP-MNT", "Plant maintenance", plant, "180000.00"),
            ("CC-ECA-MNT", "Elm Court maintenance", block, "45000.00"),
        ):
            centre = CostCentre(code=code, name=name, site=site, owner_id=None)
            session.add(centre)
            session.add(
                Budget(
                    cost_centre=centre,
                    period_start=year_start,
                    period_end=year_end,
                    amount=Decimal(amount),
                )
            )
        session.add_all(
            [
                ApprovalRule(
                    min_amount=Decimal("0.00"), max_amount=Decimal("500.00"), role=Role.supervisor
                ),
                ApprovalRule(
                    min_amount=Decimal("500.01"), max_amount=Decimal("5000.00"), role=Role.approver
                ),
                ApprovalRule(
                    min_amount=Decimal("5000.01"),
                    max_amount=None,
                    role=Role.approver,
                    approvals_needed=2,
                ),
            ]
        )

        progress("teams and work orders")
        session.flush()  # sites need their ids for the team
        mechanics = Team(name="Plant mechanics", site_id=plant.id)
        session.add(mechanics)
        mechanics.members = [TeamMember(user=users["technician"]), TeamMember(user=extra_tech)]
        tech = users["technician"]
        supervisor = users["supervisor"]
        work = [
            (
                "Syrup dosing pump leaking at seal",
                "P-104",
                Priority.emergency,
                WorkOrderStatus.in_progress,
                WorkOrderType.corrective,
                tech,
                -2,
            ),
            (
                "Compressor 1 air and oil filter change",
                "AC-901",
                Priority.normal,
                WorkOrderStatus.assigned,
                WorkOrderType.preventive,
                tech,
                3,
            ),
            (
                "Filler Line 2 bowl level sensor faulty",
                "F-202",
                Priority.high,
                WorkOrderStatus.waiting_parts,
                WorkOrderType.corrective,
                tech,
                1,
            ),
            (
                "Monthly boiler inspection",
                "B-801",
                Priority.normal,
                WorkOrderStatus.assigned,
                WorkOrderType.inspection,
                tech,
                5,
            ),
            (
                "Replace worn V-belts on case conveyor",
                "CV-503",
                Priority.low,
                WorkOrderStatus.assigned,
                WorkOrderType.corrective,
                tech,
                20,
            ),
            (
                "Forklift 2 hydraulic hose check",
                "FL-112",
                Priority.normal,
                WorkOrderStatus.in_progress,
                WorkOrderType.inspection,
                extra_tech,
                2,
            ),
            (
                "Emergency lighting duration test",
                "EC-EL",
                Priority.high,
                WorkOrderStatus.approved,
                WorkOrderType.compliance,
                None,
                6,
            ),
            (
                "Flat 4B kitchen tap dripping",
                "EC-4B",
                Priority.normal,
                WorkOrderStatus.requested,
                WorkOrderType.corrective,
                None,
                7,
            ),
            (
                "Lift annual safety examination",
                "EC-LF",
                Priority.high,
                WorkOrderStatus.assigned,
                WorkOrderType.compliance,
                extra_tech,
                10,
            ),
            (
                "Cold store evaporator defrost fault",
                "RF-131",
                Priority.high,
                WorkOrderStatus.completed,
                WorkOrderType.corrective,
                tech,
                -5,
            ),
            (
                "Palletiser drive belt replaced",
                "PL-602",
                Priority.normal,
                WorkOrderStatus.closed,
                WorkOrderType.corrective,
                tech,
                -12,
            ),
            (
                "Quarterly fire alarm panel test",
                "EC-FA",
                Priority.normal,
                WorkOrderStatus.closed,
                WorkOrderType.preventive,
                extra_tech,
                -20,
            ),
            (
                "Repaint car park bay lines",
                "EC-CG",
                Priority.low,
                WorkOrderStatus.cancelled,
                WorkOrderType.corrective,
                None,
                15,
            ),
        ]
        checklists = {
            "AC-901": [
                "Isolate and lock out compressor",
                "Replace air filter element",
                "Replace oil filter",
                "Run 15 minutes and check for leaks",
            ],
            "B-801": [
                "Check water level gauge glass",
                "Test low-water cut-out",
                "Record flue gas readings",
                "Inspect safety valve",
            ],
        }
        for title, tag, priority, status, wo_type, assignee, due_days in work:
            asset = assets[tag]
            raised = now - timedelta(days=3)
            wo = WorkOrder(
                number=next_number(session, Sequence.work_order),
                title=title,
                type=wo_type,
                priority=priority,
                status=status,
                site=asset.location.site,
                location=asset.location,
                asset=asset,
                assignee_user=assignee,
                requester=supervisor,
                department="Maintenance",
                due_at=now + timedelta(days=due_days) if due_days else due_at(priority, raised),
                created_by_id=None,
                created_at=raised,
            )
            if wo_type is WorkOrderType.compliance:
                wo.audit_reference = "FIRE-AUDIT-2026-03"
            session.add(wo)
            wo.status_changes.append(
                WorkOrderStatusChange(to_status=WorkOrderStatus.requested, changed_at=raised)
            )
            if status in (WorkOrderStatus.completed, WorkOrderStatus.closed):
                wo.completed_at = raised + timedelta(days=1)
            if status is WorkOrderStatus.closed:
                wo.closed_at = raised + timedelta(days=2)
            if status is not WorkOrderStatus.requested:
                wo.status_changes.append(
                    WorkOrderStatusChange(
                        from_status=WorkOrderStatus.requested,
                        to_status=status,
                        changed_at=raised + timedelta(hours=2),
                        reason="Duplicate of the spring line-marking contract"
                        if status is WorkOrderStatus.cancelled
                        else None,
                    )
                )
            for position, text in enumerate(checklists.get(tag, []), start=1):
                wo.checklist.append(ChecklistItem(position=position, text=text))
        session.flush()
        progress("work requests")
        load_demo_requests(session, sites={"RBP": plant, "ECA": block}, assets=assets)
        progress("parts on work orders")
        load_demo_parts(session)
        audit.record(
            session,
            actor=None,
            action="demo.loaded",
            subject_type="system",
            changes={"assets": len(assets), "items": len(items), "vendors": len(vendors)},
        )
    return (
        f"Demo data loaded: {len(assets)} assets, {len(items)} items in 2 storerooms, "
        f"{len(vendors)} vendors, {len(USERS)} demo users (password '{DEMO_PASSWORD}')."
    )

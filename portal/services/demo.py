"""Demo data: a bottling plant and an apartment block, believable enough to click through."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.domain.numbering import Sequence
from portal.domain.roles import Role
from portal.domain.statuses import ItemKind, RequestIntake, VendorStatus
from portal.domain.work_orders import Priority, WorkOrderStatus, WorkOrderType, due_at
from portal.extensions import db
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
from portal.services.demo_approvals import load_demo_approvals
from portal.services.demo_costs import load_demo_costs
from portal.services.demo_data import (
    BLOCK_ASSETS,
    BLOCK_COMMON,
    BLOCK_FLOORS,
    ITEMS,
    PLANT_AREAS,
    PLANT_ASSETS,
    USERS,
    VENDORS,
)
from portal.services.demo_history import load_demo_history
from portal.services.demo_invoices import load_demo_invoices
from portal.services.demo_orders import load_demo_orders
from portal.services.demo_parts import load_demo_parts
from portal.services.demo_policy import load_demo_policy
from portal.services.demo_requests import load_demo_requests
from portal.services.demo_vendors import load_demo_vendors
from portal.services.numbering import next_number

DEMO_PASSWORD = "demo"
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from a label


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
        load_demo_policy(session)  # rules first: the demo parts are requested under the policy
        progress("parts on work orders")
        load_demo_parts(session)
        load_demo_approvals(session)
        load_demo_vendors(session)
        progress("purchase orders")
        load_demo_orders(session)
        load_demo_invoices(session)
        load_demo_costs(session)
        progress("a year of history")
        load_demo_history(session)
        audit.record(
            session,
            actor=None,
            action="demo.loaded",
            subject_type="system",
            changes={"assets": len(assets), "items": len(items), "vendors": len(vendors)},
        )
    # Counted afresh: the feature demos add vendors and people of their own.
    vendor_count = db.session.scalar(select(func.count()).select_from(Vendor))
    user_count = db.session.scalar(select(func.count()).select_from(User))
    return (
        f"Demo data loaded: {len(assets)} assets, {len(items)} items in 2 storerooms, "
        f"{vendor_count} vendors, {user_count} demo users (password '{DEMO_PASSWORD}')."
    )

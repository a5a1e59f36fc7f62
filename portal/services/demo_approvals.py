"""Demo approvals: PRs waiting at each level of the matrix, one approved, one rejected.

Runs inside load_demo's transaction and goes through the same functions people use: the demo
technician marks parts unavailable on demo work orders (raising the PRs), then approvers decide,
so PR statuses, approvals, part lines, work order comments and the audit trail all agree.

- Boiler inspection: 129.00, waits for a supervisor;
- Syrup dosing pump: 1,850.00, waits for an approver;
- Forklift mast cylinder: 5,600.00, approved once (Grace Adeyemi), waits for a second approver;
- Lift door operator: 3,650.00 against a lift budget of 3,000.00: waits for an approver with
  budget authority (the demo `approver`) and a written reason;
- Conveyor belt guards: 190.00, approved by the supervisor;
- Radiator valve heads: 290.00, rejected by the supervisor with the reason (the WO goes back
  to in progress and the part line is needed again).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.roles import Role
from portal.domain.statuses import ItemKind
from portal.models import (
    Budget,
    CostCentre,
    Item,
    PurchaseRequest,
    Site,
    User,
    UserRole,
    Vendor,
    WorkOrder,
)
from portal.models.base import utcnow
from portal.services.approvals import record_approval, record_rejection
from portal.services.parts import add_line
from portal.services.purchase_requests import request_missing

SECOND_APPROVER = ("approver2", "Grace Adeyemi")
LIFT_CENTRE = ("CC-ECA-LIFT", "Elm Court lift and access", "3000.00")

# (part number, description, uom, category, standard cost)
ITEMS = [
    ("GAUGE-WLG", "Boiler water level gauge glass set", "EA", "Hardware", "64.50"),
    ("KIT-DOS-HEAD", "Dosing pump head rebuild kit", "EA", "Pumps", "1850.00"),
    ("CYL-MAST-FL2", "Forklift mast lift cylinder, exchange unit", "EA", "Hardware", "5600.00"),
    ("LIFT-DOOR-OP", "Lift landing door operator", "EA", "Services", "3650.00"),
    ("GUARD-CV-1M", "Conveyor belt guard panel 1 m", "EA", "Hardware", "95.00"),
    (
        "TRV-HEAD-BRASS",
        "Thermostatic radiator valve head, brushed brass",
        "EA",
        "Plumbing",
        "145.00",
    ),
]

# (work order title, part number, qty, days since raised, decisions: [(who, verb, reason)],
#  optionally the vendor the technician named instead of the suggested one)
PLAN = [
    ("Monthly boiler inspection", "GAUGE-WLG", "2", 1, []),
    # The technician asked for AquaServ (they had it on the shelf): not preferred for pumps.
    ("Syrup dosing pump leaking at seal", "KIT-DOS-HEAD", "1", 2, [], "AQUA"),
    (
        "Forklift 2 hydraulic hose check",
        "CYL-MAST-FL2",
        "1",
        3,
        [("approver2", "approve", "Mast cylinder scored; a reseal would not hold the load test")],
    ),
    ("Lift annual safety examination", "LIFT-DOOR-OP", "1", 1, []),
    (
        "Replace worn V-belts on case conveyor",
        "GUARD-CV-1M",
        "2",
        4,
        [("supervisor", "approve", None)],
    ),
    (
        "Radiator in the bedroom stays cold",
        "TRV-HEAD-BRASS",
        "2",
        5,
        [
            (
                "supervisor",
                "reject",
                "Designer brass heads are for the show flats: fit the standard TRV heads "
                "from the store cage.",
            )
        ],
    ),
]


def _second_approver(session: Session) -> User:
    """A second person with the approver role (no budget authority), so two can approve."""
    username, name = SECOND_APPROVER
    user = User(
        username=username,
        full_name=name,
        department="Finance",
        email=f"{username}@demo.field-portal.test",
    )
    user.set_password("demo")
    user.role_rows = [UserRole(role=Role.approver)]
    session.add(user)
    return user


def _lift_centre(session: Session, today: date) -> CostCentre:
    """A small cost centre for the lift: the door operator PR runs over its budget."""
    code, name, amount = LIFT_CENTRE
    site_id = session.scalar(select(Site.id).where(Site.code == "ECA"))
    centre = CostCentre(code=code, name=name, site_id=site_id)
    session.add(centre)
    session.add(
        Budget(
            cost_centre=centre,
            period_start=date(today.year, 1, 1),
            period_end=date(today.year, 12, 31),
            amount=Decimal(amount),
        )
    )
    session.flush()
    return centre


def load_demo_approvals(session: Session) -> str:
    """Raise and decide the demo PRs inside the caller's transaction; once only."""
    if session.scalar(select(User.id).where(User.username == SECOND_APPROVER[0])) is not None:
        return "Demo approvals already there."
    session.flush()
    now = utcnow()
    people = {
        user.username: user
        for user in session.scalars(
            select(User).where(User.username.in_(["technician", "supervisor", "approver"]))
        )
    }
    people[SECOND_APPROVER[0]] = _second_approver(session)
    tech = people.get("technician")
    orders = {wo.title: wo for wo in session.scalars(select(WorkOrder))}
    lift = orders.get("Lift annual safety examination")
    if lift is not None:
        lift.cost_centre_id = _lift_centre(session, now.date()).id
    items = {}
    for number, text, uom, category, cost in ITEMS:
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
    raised = 0
    vendors = dict(session.execute(select(Vendor.code, Vendor.id)).all())
    for title, part_number, qty, days_ago, decisions, *vendor in PLAN:
        wo = orders.get(title)
        if wo is None or tech is None:
            continue
        line = add_line(session, wo, items[part_number], Decimal(qty), actor=tech)
        outcome = request_missing(session, line, wo=wo, actor=tech)
        pr = session.scalar(
            select(PurchaseRequest).where(PurchaseRequest.number == outcome.purchase_request_number)
        )
        pr.submitted_at = now - timedelta(days=days_ago, hours=raised)
        if vendor and vendor[0] in vendors:
            for pr_line in pr.lines:
                pr_line.suggested_vendor_id = vendors[vendor[0]]
        raised += 1
        for who, verb, reason in decisions:
            approver = people[who]
            record = record_approval if verb == "approve" else record_rejection
            record(session, pr, approver=approver, reason=reason)
    return f"Demo approvals: {raised} purchase requests."

"""Demo vendors: an electrical contractor with no contract, to show the contractor check.

Runs inside load_demo's transaction after the vendors, items and work orders exist; a second
run finds the contractor and changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.domain.statuses import ItemKind
from portal.models import Item, Vendor

CONTRACTOR = {
    "code": "SPARK",
    "name": "Sparkline Electrical Contractors",
    "payment_terms": "1.5/15 Net 45",
    "is_contractor": True,
    "contact_name": "Dispatch",
    "email": "dispatch@sparkline.example",
    "phone": "+1 555 0142",
    "address": "14 Foundry Road, Riverside",
}
SERVICE_ITEM = {
    "part_number": "SVC-ELEC",
    "description": "Electrician on site, per hour",
    "uom": "HOUR",
    "category": "Electrical services",
    "kind": ItemKind.service,
    "standard_cost": Decimal("85.00"),
}


def load_demo_vendors(session: Session) -> str:
    """Add the uncontracted electrical contractor and its service item, once."""
    if session.scalar(select(Vendor.id).where(Vendor.code == CONTRACTOR["code"])) is not None:
        return "Demo contractor already there."
    session.add(Vendor(**CONTRACTOR))
    number = SERVICE_ITEM["part_number"]
    if session.scalar(select(Item.id).where(Item.part_number == number)) is None:
        session.add(Item(**SERVICE_ITEM))
    session.flush()
    return "Demo contractor without a contract added."

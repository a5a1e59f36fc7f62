"""A small plant for tests that drive the purchasing loop through the real use cases.

Master data from the shared builders (portal/demo/builders.py): the six people of the loop, a
site with an asset, a storeroom holding two stocked parts, a part bought when needed from a
preferred vendor, a cost centre with a large budget and one approval band. Documents are made
only by the use cases (`raise_work_order`, `buy_for_work_order` below, or the test's own
calls), so every figure the invariant checker recomputes was written as the pages write it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.demo import builders as build
from portal.domain.roles import Role
from portal.domain.statuses import ItemKind
from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.models import PurchaseOrderLine, PurchaseRequestLine, User
from portal.services import (
    approvals,
    parts,
    po_creation,
    purchase_orders,
    receiving,
    work_orders,
)
from portal.services import purchase_requests as requests

PEOPLE = {
    "tech": Role.technician,
    "supervisor": Role.supervisor,
    "storekeeper": Role.storekeeper,
    "approver": Role.approver,
    "buyer": Role.buyer,
    "clerk": Role.ap_clerk,
}
# (part number, kind, standard cost, on hand in the storeroom)
ITEMS = (
    ("MW-BRG-6205", ItemKind.stock, "7.60", "6"),
    ("MW-SEAL-32", ItemKind.stock, "36.00", "2"),
    ("MW-FLT-10", ItemKind.non_stock, "12.40", None),
)


@dataclass
class MoneyWorld:
    """Ids of the plant's master data (ids, so they outlive any session)."""

    user_ids: dict[str, int]
    asset_id: int
    storeroom_id: int
    cost_centre_id: int
    vendor_id: int
    item_ids: dict[str, int] = field(default_factory=dict)

    def user(self, session: Session, name: str) -> User:
        """One of the six people, loaded in `session`."""
        person = session.get(User, self.user_ids[name])
        assert person is not None
        return person


def build_money_world(session: Session) -> MoneyWorld:
    """Write the master data and commit; the ids."""
    users = {
        name: build.add_user(session, username=f"mw-{name}", full_name=f"MW {name}", roles=[role])
        for name, role in PEOPLE.items()
    }
    site = build.add_site(session, code="MW", name="Money plant")
    location = build.add_location(session, site=site, code="MW-1", name="Line 1")
    asset = build.add_asset(session, location=location, tag="MW-P1", name="Transfer pump")
    centre = build.add_cost_centre(
        session, code="CC-MW", name="Money plant upkeep", site=site, budget="1000000.00"
    )
    build.add_approval_rule(session, role=Role.approver, min_amount="0.00")
    vendor = build.add_vendor(
        session, code="MWV", name="Money Supply", preferred_for=["Bearings", "Seals", "Filters"]
    )
    store = build.add_storeroom(session, site=site, code="MW-MAIN", name="Main storeroom")
    items = {}
    for number, kind, cost, on_hand in ITEMS:
        category = {"BRG": "Bearings", "SEAL": "Seals", "FLT": "Filters"}[number.split("-")[1]]
        item = build.add_item(
            session, part_number=number, kind=kind, category=category, standard_cost=cost
        )
        if on_hand is not None:
            build.add_stock(session, item=item, storeroom=store, on_hand=on_hand)
        items[number] = item
    session.commit()
    return MoneyWorld(
        user_ids={name: user.id for name, user in users.items()},
        asset_id=asset.id,
        storeroom_id=store.id,
        cost_centre_id=centre.id,
        vendor_id=vendor.id,
        item_ids={number: item.id for number, item in items.items()},
    )


def once() -> str:
    """A fresh submission id, as each rendered form carries."""
    return uuid.uuid4().hex


def raise_work_order(session: Session, world: MoneyWorld, title: str) -> int:
    """The technician raises work on the pump; the supervisor approves it, the technician
    starts it. The work order's id."""
    tech = world.user(session, "tech")
    wo = work_orders.create_work_order(
        work_orders.NewWorkOrder(
            title=title,
            asset_id=world.asset_id,
            priority=Priority.high,
            assignee_user_id=tech.id,
        ),
        actor=tech,
        submission_id=once(),
    )
    for status, mover in (
        (WorkOrderStatus.approved, "supervisor"),
        (WorkOrderStatus.assigned, "tech"),
        (WorkOrderStatus.in_progress, "tech"),
    ):
        if wo.status is not status:
            wo = work_orders.change_status(wo.id, status, actor=world.user(session, mover))
    return wo.id


def buy_for_work_order(
    session: Session, world: MoneyWorld, wo_id: int, part_number: str, qty: str
) -> tuple[int, list[int]]:
    """A part marked unavailable, approved, ordered and issued to the vendor: (PO, its lines)."""
    tech = world.user(session, "tech")
    line = parts.add_part_line(
        wo_id, item_id=world.item_ids[part_number], qty=qty, actor=tech, submission_id=once()
    )
    made = requests.mark_part_line_unavailable(line.id, actor=tech, submission_id=once())
    assert isinstance(made, PurchaseRequestLine), made
    approvals.approve_purchase_request(
        made.purchase_request_id, approver=world.user(session, "approver")
    )
    buyer = world.user(session, "buyer")
    [po] = po_creation.create_purchase_orders([made.id], buyer=buyer, submission_id=once())
    purchase_orders.approve_purchase_order(po.id, actor=buyer)
    purchase_orders.issue_purchase_order(po.id, actor=buyer)
    lines = session.scalars(
        select(PurchaseOrderLine.id).where(PurchaseOrderLine.purchase_order_id == po.id)
    ).all()
    return po.id, list(lines)


def receive(session: Session, world: MoneyWorld, po_id: int, line_id: int, qty: str) -> None:
    """The storekeeper accepts `qty` on one PO line."""
    receiving.record_receipt(
        po_id,
        lines=[(line_id, Decimal(qty), Decimal(0), None)],
        receiver=world.user(session, "storekeeper"),
        submission_id=once(),
    )


def today() -> date:
    """The invoice date the tests use."""
    return date.today()

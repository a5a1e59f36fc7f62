"""Twenty people receiving the same PO line at the same moment, on a database of our own.

On PostgreSQL (DATABASE_URL) this runs on a fresh PG database with real concurrent transactions.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.receiving import OverReceipt
from portal.domain.statuses import ItemKind, PurchaseOrderStatus
from portal.extensions import db
from portal.models import (
    GoodsReceipt,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    Site,
    StockLevel,
    Storeroom,
    User,
    UserRole,
    Vendor,
)
from portal.services import receiving
from tests.concurrency import run_at_once
from tests.conftest import base_config, scratch_database

THREADS = 20
D = Decimal


@pytest.fixture
def dock_app(tmp_path):
    """An app on a scratch database with one issued PO: ten bearings, and five more."""
    with scratch_database(tmp_path) as url:
        # One connection per person in the race (the default pool holds 15).
        engine = {"pool_pre_ping": True, "pool_size": THREADS + 2, "max_overflow": 0}
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine))
        with app.app_context():
            db.create_all()
            s = db.session
            site = Site(code="RBP", name="Plant")
            keeper = User(username="keeper", full_name="Sam Keeper")
            keeper.set_password("x")
            keeper.role_rows = [UserRole(role="storekeeper")]
            bearing = Item(
                part_number="BRG-6204",
                description="Ball bearing 6204",
                uom="EA",
                category="Bearings",
                kind=ItemKind.stock,
            )
            store = Storeroom(site=site, code="MAIN", name="Main storeroom")
            vendor = Vendor(code="V1", name="Bearings Inc", payment_terms="Net 30")
            s.add_all([site, keeper, bearing, store, vendor])
            s.flush()
            po = PurchaseOrder(
                number="PO-2026-000001",
                vendor_id=vendor.id,
                status=PurchaseOrderStatus.issued,
                payment_terms="Net 30",
            )
            s.add(po)
            s.flush()
            s.add(
                PurchaseOrderLine(
                    purchase_order_id=po.id,
                    line_no=1,
                    item_id=bearing.id,
                    description="Ball bearing 6204",
                    qty=D("10"),
                    uom="EA",
                    unit_price=D("4.00"),
                    storeroom_id=store.id,
                    backorder_qty=D("10"),
                )
            )
            s.add(  # a second line nobody receives: the PO stays open, line 1 is the limit
                PurchaseOrderLine(
                    purchase_order_id=po.id,
                    line_no=2,
                    item_id=bearing.id,
                    description="Ball bearing 6204, spare",
                    qty=D("5"),
                    uom="EA",
                    unit_price=D("4.00"),
                    storeroom_id=store.id,
                    backorder_qty=D("5"),
                )
            )
            s.commit()
            app.config["DOCK_KEEPER_ID"] = keeper.id
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def test_twenty_people_receiving_one_unit_each_on_a_line_of_ten_take_exactly_ten(dock_app):
    with dock_app.app_context():
        po_id = db.session.scalar(select(PurchaseOrder.id))
        line_id = db.session.scalar(
            select(PurchaseOrderLine.id).where(PurchaseOrderLine.line_no == 1)
        )

    def keeper():
        person = db.session.get(User, dock_app.config["DOCK_KEEPER_ID"])
        _ = person.roles  # load the roles before the race
        return person

    def receive_one(receiver):
        return receiving.record_receipt(
            po_id,
            lines=[(line_id, "1", "0", None)],
            receiver=receiver,
            submission_id=uuid.uuid4().hex,
        ).number

    results, errors = run_at_once(dock_app, [receive_one] * THREADS, before=keeper)

    assert len(results) == 10 and len(set(results)) == 10
    assert len(errors) == THREADS - 10
    assert all(isinstance(e, OverReceipt) for e in errors), errors
    assert {str(e) for e in errors} == {
        "Line 1 ordered 10, received 10: nothing more can be accepted."
    }
    with dock_app.app_context():
        line = db.session.get(PurchaseOrderLine, line_id)
        assert (line.received_qty, line.backorder_qty) == (D("10.000"), D("0.000"))
        po = db.session.get(PurchaseOrder, po_id)
        assert po.status is PurchaseOrderStatus.partially_received
        assert db.session.scalar(select(func.count(GoodsReceipt.id))) == 10
        assert db.session.scalars(select(StockLevel)).one().on_hand_qty == D("10.000")

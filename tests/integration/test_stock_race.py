"""Several people reaching for the same stock at the same moment, on a database of our own.

On PostgreSQL (DATABASE_URL) these run on a fresh PG database with real concurrent transactions.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.statuses import ItemKind, ReservationStatus
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    CostCentre,
    Item,
    PartLine,
    PurchaseRequest,
    Reservation,
    Site,
    StockLevel,
    StockMovement,
    Storeroom,
    User,
    UserRole,
    WorkOrder,
)
from portal.read_models import parts as parts_read
from portal.services import parts, purchase_requests
from tests.concurrency import run_at_once as race
from tests.conftest import base_config, scratch_database

THREADS = 8
D = Decimal


@pytest.fixture
def race_app(tmp_path):
    """An app on a scratch database with one storeroom holding exactly one mechanical seal."""
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
            s = db.session
            site = Site(code="RBP", name="Plant")
            tech = User(username="tech", full_name="Tomás Rivera")
            tech.set_password("x")
            tech.role_rows = [UserRole(role="technician")]
            seal = Item(
                part_number="SEAL-M32",
                description="Mechanical seal 32 mm",
                uom="EA",
                category="Seals",
                kind=ItemKind.stock,
                standard_cost=D("186.00"),
            )
            store = Storeroom(site=site, code="MAIN", name="Main storeroom")
            s.add_all([site, tech, seal, store, CostCentre(code="CC", name="Maint", site=site)])
            s.add(StockLevel(item=seal, storeroom=store, on_hand_qty=D("1"), unit_cost=D("186")))
            s.flush()
            for n in range(THREADS):
                wo = WorkOrder(
                    number=f"WO-{n + 1:06d}",
                    title=f"Job {n}",
                    status=WorkOrderStatus.in_progress,
                    site_id=site.id,
                )
                s.add(wo)
                s.flush()
                s.add(PartLine(work_order_id=wo.id, item_id=seal.id, needed_qty=D("1")))
            s.commit()
            app.config["RACE_TECH_ID"] = tech.id
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def run_at_once(app, work, args_list, words=None):
    """Run work(*args) in one thread each, all released together; (results, errors).

    `words(line_id, made)`: what the person is told (read in the thread, while `made` is live).
    """

    def one(actor, args):
        made = work(*args, actor=actor)
        return words(args[0], made) if words else made

    return race(
        app,
        [lambda actor, args=args: one(actor, args) for args in args_list],
        before=lambda: db.session.get(User, app.config["RACE_TECH_ID"]),
    )


def line_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(PartLine.id).order_by(PartLine.id)))


def test_many_people_reserving_the_last_unit_at_once_one_gets_it(race_app):
    results, errors = run_at_once(
        race_app, parts.reserve_part_line, [(i,) for i in line_ids(race_app)], parts_read.reserved
    )
    assert errors == []
    winners = [r for r in results if r.reserved > 0]
    losers = [r for r in results if r.reserved == 0]
    assert len(winners) == 1 and winners[0].reserved == D("1.000")
    assert len(losers) == THREADS - 1
    assert all(r.shortage == D("1.000") and r.tone == "warning" for r in losers)
    assert all("Mark it unavailable" in r.message for r in losers)
    with race_app.app_context():
        stock = db.session.scalars(select(StockLevel)).one()
        assert (stock.on_hand_qty, stock.reserved_qty) == (D("1.000"), D("1.000"))
        assert db.session.scalar(select(func.count(Reservation.id))) == 1
        reserved_lines = db.session.scalars(select(PartLine).where(PartLine.reserved_qty > 0)).all()
        assert [line.id for line in reserved_lines] == [winners[0].line_id]


def test_a_loser_of_the_race_can_mark_the_line_unavailable(race_app):
    results, errors = run_at_once(
        race_app,
        parts.reserve_part_line,
        [(i,) for i in line_ids(race_app)[:4]],
        parts_read.reserved,
    )
    assert errors == []
    loser = next(r for r in results if r.reserved == 0)
    with race_app.app_context():
        actor = db.session.get(User, race_app.config["RACE_TECH_ID"])
        made = purchase_requests.mark_part_line_unavailable(loser.line_id, actor=actor)
        assert parts_read.requested(loser.line_id, made).purchase_request_number == "PR-000001"
        assert db.session.get(WorkOrder, loser.wo_id).status is WorkOrderStatus.waiting_parts


def test_two_people_issuing_the_same_line_at_once_issue_it_once(race_app):
    first = line_ids(race_app)[0]
    with race_app.app_context():
        actor = db.session.get(User, race_app.config["RACE_TECH_ID"])
        parts.reserve_part_line(first, actor=actor)
    results, errors = run_at_once(
        race_app, parts.issue_part_line, [(first,)] * 4, parts_read.issued
    )
    assert errors == []
    assert sum(1 for r in results if r.tone == "success") == 1
    with race_app.app_context():
        stock = db.session.scalars(select(StockLevel)).one()
        assert (stock.on_hand_qty, stock.reserved_qty) == (D("0.000"), D("0.000"))
        assert db.session.scalar(select(func.count(StockMovement.id))) == 1
        line = db.session.get(PartLine, first)
        assert (line.issued_qty, line.issued_cost_amount) == (D("1.000"), D("186.00"))
        reservation = db.session.scalars(select(Reservation)).one()
        assert reservation.status is ReservationStatus.issued


def test_lines_of_one_work_order_marked_unavailable_at_once_share_one_purchase_request(race_app):
    with race_app.app_context():
        wo_id = db.session.scalar(select(WorkOrder.id).order_by(WorkOrder.id).limit(1))
        seal_id = db.session.scalar(select(Item.id))
        for _ in range(3):
            db.session.add(PartLine(work_order_id=wo_id, item_id=seal_id, needed_qty=D("2")))
        db.session.commit()
        ids = list(db.session.scalars(select(PartLine.id).where(PartLine.work_order_id == wo_id)))
    results, errors = run_at_once(
        race_app,
        purchase_requests.mark_part_line_unavailable,
        [(i,) for i in ids],
        parts_read.requested,
    )
    assert errors == []
    assert {r.purchase_request_number for r in results} == {"PR-000001"}
    with race_app.app_context():
        assert db.session.scalar(select(func.count(PurchaseRequest.id))) == 1

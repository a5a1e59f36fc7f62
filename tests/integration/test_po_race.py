"""Buyers creating purchase orders at the same moment, on a database of our own.

On PostgreSQL (DATABASE_URL) these run on a fresh PG database with real concurrent transactions.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.errors import DomainError
from portal.domain.statuses import PurchaseRequestStatus
from portal.extensions import db
from portal.models import (
    CostCentre,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseRequest,
    PurchaseRequestLine,
    Site,
    User,
    UserRole,
    Vendor,
)
from portal.services import po_creation
from tests.concurrency import run_at_once as race
from tests.conftest import base_config, scratch_database

THREADS = 10
D = Decimal


@pytest.fixture
def race_app(tmp_path):
    """An app on a scratch database with ten approved requests of one line each."""
    with scratch_database(tmp_path) as url:
        app = create_app(base_config(SQLALCHEMY_DATABASE_URI=url))
        with app.app_context():
            db.create_all()
            s = db.session
            site = Site(code="RBP", name="Plant")
            buyer = User(username="buyer", full_name="Bea Nakamura")
            buyer.set_password("x")
            buyer.role_rows = [UserRole(role="buyer")]
            centre = CostCentre(code="CC", name="Maint", site=site)
            vendor = Vendor(code="NBS", name="Northern Bearing Supply", payment_terms="Net 30")
            s.add_all([site, buyer, centre, vendor])
            s.flush()
            for n in range(THREADS):
                pr = PurchaseRequest(
                    number=f"PR-{n + 1:06d}",
                    cost_centre_id=centre.id,
                    requested_by_id=buyer.id,
                    status=PurchaseRequestStatus.approved,
                )
                s.add(pr)
                s.flush()
                s.add(
                    PurchaseRequestLine(
                        purchase_request_id=pr.id,
                        description=f"Bearing {n}",
                        qty=D("2"),
                        uom="EA",
                        unit_price=D("7.60"),
                        suggested_vendor_id=vendor.id,
                    )
                )
            s.commit()
            app.config["RACE_BUYER_ID"] = buyer.id
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def run_at_once(app, calls):
    """Run each create_purchase_orders(ids, submission_id) in a thread, released together."""

    def order(ids, submission_id):
        return lambda buyer: [
            po.number
            for po in po_creation.create_purchase_orders(
                ids, buyer=buyer, submission_id=submission_id
            )
        ]

    return race(
        app,
        [order(ids, submission_id) for ids, submission_id in calls],
        before=lambda: db.session.get(User, app.config["RACE_BUYER_ID"]),
    )


def pr_line_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(PurchaseRequestLine.id).order_by("id")))


def test_ten_buyers_creating_pos_at_once_never_share_a_number(race_app):
    calls = [([line_id], uuid.uuid4().hex) for line_id in pr_line_ids(race_app)]
    results, errors = run_at_once(race_app, calls)
    assert errors == []
    numbers = [number for pos in results for number in pos]
    assert len(numbers) == THREADS == len(set(numbers))
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, THREADS + 1))
    with race_app.app_context():
        assert db.session.scalar(select(func.count(PurchaseOrder.id))) == THREADS
        ordered = db.session.scalar(
            select(func.count(PurchaseRequest.id)).where(
                PurchaseRequest.status == PurchaseRequestStatus.ordered
            )
        )
        assert ordered == THREADS


def test_two_buyers_ordering_the_same_lines_at_once_order_them_once(race_app):
    ids = pr_line_ids(race_app)
    results, errors = run_at_once(race_app, [(ids, uuid.uuid4().hex), (ids, uuid.uuid4().hex)])
    assert len(results) == 1 and len(results[0]) == 1
    assert len(errors) == 1 and isinstance(errors[0], DomainError)
    with race_app.app_context():
        assert db.session.scalar(select(func.count(PurchaseOrderLine.id))) == THREADS


def test_a_double_tap_racing_itself_creates_one_set(race_app):
    ids = pr_line_ids(race_app)
    token = uuid.uuid4().hex
    results, errors = run_at_once(race_app, [(ids, token), (ids, token)])
    assert errors == []
    assert results[0] == results[1] and len(results[0]) == 1
    with race_app.app_context():
        assert db.session.scalar(select(func.count(PurchaseOrder.id))) == 1

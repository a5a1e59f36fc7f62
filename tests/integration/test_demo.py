"""The demo world: loaded by `flask portal demo` through the real use cases, once.

The demo is loaded once for this module, on a scratch database of its own (it takes seconds:
a year of history goes through the services), and every test reads it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.invoices import gross_amount
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    OutOfPocketStatus,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    WorkRequestStatus,
)
from portal.extensions import db
from portal.models import (
    Approval,
    AuditEvent,
    GoodsReceipt,
    Hold,
    OutOfPocketPurchase,
    PaymentExport,
    PurchaseOrder,
    PurchaseRequest,
    Site,
    StockLevel,
    User,
    VendorInvoice,
    WorkOrder,
    WorkRequest,
)
from tests.conftest import base_config, forget_user_between_requests, scratch_database

ROLES = ("technician", "supervisor", "storekeeper", "buyer", "approver", "ap_clerk", "admin")


def _rows_per_table() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """An app on a scratch database where `flask portal demo` ran once (and its output)."""
    with scratch_database(tmp_path_factory.mktemp("demo")) as url:
        app = forget_user_between_requests(create_app(base_config(SQLALCHEMY_DATABASE_URI=url)))
        with app.app_context():
            db.create_all()
        result = app.test_cli_runner().invoke(args=["portal", "demo"])
        assert result.exit_code == 0, result.output
        app.config["DEMO_OUTPUT"] = result.output
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def session(demo):
    with demo.app_context():
        yield db.session
        db.session.rollback()
        db.session.remove()


def test_the_demo_loads_a_believable_world_and_a_second_run_changes_nothing(demo, session):
    assert "Demo data loaded: 50 assets" in demo.config["DEMO_OUTPUT"]
    before = _rows_per_table()
    assert before["asset"] == 50 and before["storeroom"] == 2 and before["vendor"] >= 6
    assert before["item"] >= 30 and before["site"] == 2
    session.remove()
    second = demo.test_cli_runner().invoke(args=["portal", "demo"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    assert _rows_per_table() == before


def test_every_demo_user_signs_in_with_the_demo_password_and_holds_their_role(session):
    for role in ROLES:
        user = session.scalar(select(User).where(User.username == role))
        assert user is not None and user.check_password("demo") and user.has_role(role)


def test_the_audit_trail_of_a_fresh_demo_verifies(demo):
    result = demo.test_cli_runner().invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit trail intact" in result.output


def test_no_demo_invoice_has_a_zero_gross_amount(session):
    invoices = session.scalars(select(VendorInvoice)).all()
    assert len(invoices) > 50  # a year of history and this month's invoice demo
    for invoice in invoices:
        billed = [(line.qty, line.unit_price) for line in invoice.lines]
        expected = gross_amount(billed, invoice.freight_amount, invoice.tax_amount)
        assert invoice.gross_amount == expected > 0, invoice.number
    for export in session.scalars(select(PaymentExport)):
        assert export.total_amount != 0 and ",0.00," not in export.content


def test_every_demo_document_was_made_by_its_use_case(session):
    """Receipts, invoices, approvals and POs each have the audit event their use case writes."""
    events = Counter(
        (action, subject_id)
        for action, subject_id in session.execute(select(AuditEvent.action, AuditEvent.subject_id))
    )
    for receipt_id in session.scalars(select(GoodsReceipt.id)):
        assert events[("goods_receipt.recorded", receipt_id)] == 1
    for invoice_id in session.scalars(select(VendorInvoice.id)):
        assert events[("invoice.entered", invoice_id)] == 1
    for po_id in session.scalars(select(PurchaseOrder.id)):
        assert events[("purchase_order.created", po_id)] == 1
    decisions = sum(
        n
        for (action, _id), n in events.items()
        if action.startswith("purchase_request.")
        and action.endswith(("approved", "approval_added", "rejected"))
    )
    assert decisions == session.scalar(select(func.count()).select_from(Approval))


def test_demo_people_act_within_their_roles_and_never_decide_their_own(session):
    actors = {
        action: {roles for roles in _roles_of(session, action)}
        for action in (
            "goods_receipt.recorded",
            "invoice.entered",
            "purchase_order.created",
            "purchase_request.approved",
            "invoice.hold_released",
        )
    }
    assert actors["goods_receipt.recorded"] == {frozenset({"storekeeper"})}
    assert actors["invoice.entered"] == {frozenset({"ap_clerk"})}
    assert actors["purchase_order.created"] == {frozenset({"buyer"})}
    assert actors["purchase_request.approved"] <= {
        frozenset({"supervisor"}),
        frozenset({"approver"}),
    }
    assert actors["invoice.hold_released"] == {frozenset({"approver"})}
    for approval in session.scalars(select(Approval)):
        requester = session.get(PurchaseRequest, approval.purchase_request_id).requested_by_id
        assert approval.approver_id != requester
    for hold in session.scalars(select(Hold).where(Hold.released_by_id.is_not(None))):
        invoice = session.get(VendorInvoice, hold.invoice_id)
        assert hold.released_by_id != invoice.entered_by_id
    for purchase in session.scalars(select(OutOfPocketPurchase)):
        assert purchase.reviewed_by_id != purchase.user_id


def _roles_of(session, action: str):
    ids = session.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == action))
    for user_id in set(ids):
        yield frozenset(session.get(User, user_id).roles)


def test_purchase_requests_wait_at_each_level_of_the_matrix(session):
    statuses = Counter(session.scalars(select(PurchaseRequest.status)))
    assert statuses[PurchaseRequestStatus.submitted] >= 5
    assert statuses[PurchaseRequestStatus.approved] >= 2  # waiting on the To order page
    assert statuses[PurchaseRequestStatus.rejected] >= 1
    waiting = session.scalars(
        select(PurchaseRequest).where(PurchaseRequest.status == PurchaseRequestStatus.submitted)
    ).all()
    half_approved = [pr for pr in waiting if pr.approvals]
    assert [a.approver.username for pr in half_approved for a in pr.approvals] == ["approver2"]


def test_purchase_orders_in_every_state_and_a_weekly_cleaning_service(session):
    statuses = set(session.scalars(select(PurchaseOrder.status)))
    assert {
        PurchaseOrderStatus.draft,
        PurchaseOrderStatus.issued,
        PurchaseOrderStatus.partially_received,
        PurchaseOrderStatus.received,
        PurchaseOrderStatus.closed,
    } <= statuses
    cleaning = session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.service_frequency == "Weekly, every Monday")
    )
    assert cleaning is not None and cleaning.status is PurchaseOrderStatus.issued
    assert cleaning.vendor.code == "BRIGHT"


def test_invoices_matched_held_for_each_reason_credited_and_paid(session):
    open_holds = set(session.scalars(select(Hold.reason_code).where(Hold.status == "open")))
    assert {
        "AFTER_THE_FACT",
        "POSSIBLE_DUPLICATE",
        "QTY_OVER_RECEIVED",
        "PRICE_OVER",
    } <= open_holds
    statuses = set(session.scalars(select(VendorInvoice.status)))
    assert {InvoiceStatus.matched, InvoiceStatus.released, InvoiceStatus.exported} <= statuses
    credit = session.scalars(
        select(VendorInvoice).where(VendorInvoice.type == InvoiceType.credit_memo)
    ).all()
    assert credit and all(c.status is not InvoiceStatus.hold for c in credit)
    assert session.scalar(select(func.count()).select_from(PaymentExport)) >= 1


def test_a_year_of_history_lies_behind_the_reports(session):
    closed = session.scalars(
        select(WorkOrder.closed_at).where(WorkOrder.closed_at.is_not(None))
    ).all()
    months = {(at.year, at.month) for at in closed}
    assert len(closed) >= 100 and len(months) >= 11
    paid_months = {
        (e.created_at.year, e.created_at.month) for e in session.scalars(select(PaymentExport))
    }
    assert len(paid_months) >= 10


def test_own_money_buys_one_reimbursed_one_waiting(session):
    statuses = Counter(session.scalars(select(OutOfPocketPurchase.status)))
    assert statuses[OutOfPocketStatus.reimbursed] >= 1
    assert statuses[OutOfPocketStatus.submitted] == 1


def test_the_stock_the_history_used_is_gone_and_the_demo_levels_stay(session):
    """The storerooms end the year at the demo's levels less what this month's work took."""
    levels = {
        (level.storeroom.code, level.item.part_number): level
        for level in session.scalars(select(StockLevel))
    }
    assert levels[("RBP-MAIN", "SEAL-M32")].on_hand_qty == Decimal("2")
    assert levels[("RBP-MAIN", "GSK-DN50")].on_hand_qty == Decimal("28")  # 2 on the syrup pump
    assert levels[("RBP-MAIN", "BELT-SPA1250")].reserved_qty == Decimal("2")
    assert levels[("ECA-CAGE", "SMOKE-DET")].on_hand_qty == Decimal("12")


def test_demo_requests_wait_at_the_plant_and_are_work_at_elm_court(demo, session):
    rows = session.execute(
        select(Site.code, WorkRequest.status, func.count())
        .join(Site, Site.id == WorkRequest.site_id)
        .group_by(Site.code, WorkRequest.status)
    ).all()
    assert sorted((code, status.value, n) for code, status, n in rows) == [
        ("ECA", "accepted", 3),
        ("RBP", "new", 4),
        ("RBP", "rejected", 1),
    ]
    accepted = session.scalars(
        select(WorkRequest).where(WorkRequest.status == WorkRequestStatus.accepted)
    ).all()
    client = demo.test_client()
    pages = [client.get(f"/track/{wr.tracking_token}").text for wr in accepted]
    assert all("Accepted as work order WO-" in p for p in pages)
    assert sum('tone-in_progress">In progress<' in p for p in pages) == 1
    rejected = session.scalars(
        select(WorkRequest).where(WorkRequest.status == WorkRequestStatus.rejected)
    ).one()
    assert "Riverside council" in client.get(f"/track/{rejected.tracking_token}").text
    assert not any(session.scalars(select(WorkRequest.contact_email)))


def test_demo_sign_in_shows_the_technicians_queue(demo):
    client = demo.test_client()
    client.post("/login", data={"username": "technician", "password": "demo"})
    home = client.get("/")
    assert "Hello, Tomás" in home.text and "Syrup dosing pump leaking at seal" in home.text


def test_a_fresh_demo_passes_flask_portal_check(demo):
    """Stock, reservations, receipts, invoices, budget rows and the audit trail all hold."""
    result = demo.test_cli_runner().invoke(args=["portal", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("All 9 invariants hold")


def test_reproduction_5_no_demo_invoice_shows_or_exports_for_payment_at_zero(demo, session):
    """Issue 13, reproduction 5: every demo invoice's page shows its gross (lines + freight +
    tax, never 0.00), and no row of any payment file pays 0.00."""
    client = demo.test_client()
    signed_in = client.post("/login", data={"username": "ap_clerk", "password": "demo"})
    assert signed_in.status_code in (302, 303)
    listed = client.get("/invoices/").text
    assert "USD 0.00" not in listed
    for invoice in session.scalars(select(VendorInvoice)):
        billed = [(line.qty, line.unit_price) for line in invoice.lines]
        gross = gross_amount(billed, invoice.freight_amount, invoice.tax_amount)
        page = client.get(f"/invoices/{invoice.id}").text
        title = page.split('id="invoice-title">', 1)[1].split("</h2>", 1)[0]
        assert title.endswith(f"USD {gross:,.2f}") and gross > 0, (invoice.number, title)
    exports = session.scalars(select(PaymentExport)).all()
    assert len(exports) >= 10  # a payment run every month of the year
    for export in exports:
        download = client.get(f"/invoices/exports/{export.id}.csv")
        rows = list(csv.DictReader(io.StringIO(download.text)))
        assert len(rows) == export.invoice_count
        assert all(Decimal(row["amount"]) != 0 for row in rows), export.filename
        assert sum(Decimal(row["amount"]) for row in rows) == export.total_amount

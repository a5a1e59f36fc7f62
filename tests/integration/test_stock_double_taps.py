"""A double tap on every write form of parts, receiving and invoices: the same form posted twice
at the same instant does its work once, and both posts land on the first post's result (the
same redirect, or the same words on the page); never a 500, never "duplicate".

One app on a scratch database for the whole module (on PostgreSQL, a fresh database with real
concurrent transactions); the tables are emptied between tests.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from portal import create_app
from portal.domain.statuses import InvoiceStatus, ItemKind, MovementKind
from portal.domain.work_orders import WorkOrderStatus
from portal.extensions import db
from portal.models import (
    AuditEvent,
    GoodsReceipt,
    PartLine,
    PaymentExport,
    PurchaseRequest,
    PurchaseRequestLine,
    Reservation,
    Site,
    StockLevel,
    StockMovement,
    Task,
    VendorInvoice,
)
from portal.models.base import utcnow
from portal.services import invoices, parts
from tests.concurrency import post_at_once, run_at_once
from tests.conftest import (
    _empty_all_tables,
    base_config,
    forget_user_between_requests,
    scratch_database,
    sign_in,
)
from tests.factories import (
    make_cost_centre,
    make_goods_receipt,
    make_item,
    make_purchase_order,
    make_storeroom,
    make_user,
    make_vendor,
    make_work_order,
)

D = Decimal
TODAY = date.today()


@pytest.fixture(scope="module")
def tap_app(tmp_path_factory):
    """One app on a scratch database of its own, with a connection per racing post."""
    with scratch_database(tmp_path_factory.mktemp("taps")) as url:
        engine = {"pool_pre_ping": True, "pool_size": 6, "max_overflow": 0}
        app = forget_user_between_requests(
            create_app(base_config(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine))
        )
        with app.app_context():
            db.create_all()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def taps(tap_app):
    """The module's app, in an app context, emptied after the test."""
    with tap_app.app_context():
        yield tap_app
        _empty_all_tables()
        db.session.remove()


def sid() -> str:
    return uuid.uuid4().hex


def count(model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def audited(action: str) -> int:
    return count(AuditEvent, AuditEvent.action == action)


def same_redirect(responses) -> str:
    """Both posts answered 303 to the same place; that place."""
    assert [r.status_code for r in responses] == [303, 303]
    first, second = (r.headers["Location"] for r in responses)
    assert first == second
    return first


def tap_twice_with_htmx(app, user_id: int, url: str, data: dict) -> list[str]:
    """The form posted twice at once by htmx (which swaps in the answer): both answers' text."""
    clients = []
    for _ in range(2):
        client = app.test_client()
        sign_in(client, user_id)
        clients.append(client)
    calls = [
        lambda _ready, c=client: c.post(url, data=data, headers={"HX-Request": "true"})
        for client in clients
    ]
    responses, errors = run_at_once(app, calls)
    assert errors == []
    assert [r.status_code for r in responses] == [200, 200]
    return [r.text for r in responses]


# ---------------------------------------------------------------- parts on a work order


def _parts_world(*, kind=ItemKind.stock, on_hand="5"):
    tech = make_user(db, roles=["technician"])
    wo = make_work_order(db, assignee=tech, status=WorkOrderStatus.in_progress)
    make_cost_centre(db, site=db.session.get(Site, wo.site_id))  # pays for what is bought
    item = make_item(db, kind=kind, part_number=f"SEAL-{uuid.uuid4().hex[:4].upper()}")
    store = make_storeroom(db, stock=[(item, on_hand, "12.00")] if kind is ItemKind.stock else [])
    return tech, wo, item, store


def _line(tech, wo, item, qty="2") -> int:
    return parts.add_part_line(wo.id, item_id=item.id, qty=qty, actor=tech, submission_id=sid()).id


def test_a_double_tapped_add_part_adds_one_line(taps):
    tech, wo, item, _store = _parts_world()
    data = {"item_id": item.id, "qty": "2", "submission_id": sid()}
    answers = post_at_once(taps, tech.id, f"/work-orders/{wo.id}/parts", data)
    assert same_redirect(answers).endswith(f"/work-orders/{wo.id}")
    assert count(PartLine) == 1 and audited("part_line.added") == 1


def test_a_double_tapped_reserve_reserves_once_and_both_taps_say_what_it_reserved(taps):
    tech, wo, item, store = _parts_world()
    line_id = _line(tech, wo, item)
    texts = tap_twice_with_htmx(
        taps, tech.id, f"/part-lines/{line_id}/reserve", {"submission_id": sid()}
    )
    said = f"Reserved 2 EA of {item.part_number} ({store.code})."
    assert all(said in text for text in texts)
    assert count(Reservation) == 1 and audited("stock.reserved") == 1
    assert db.session.scalars(select(StockLevel.reserved_qty)).one() == D("2.000")


def test_a_double_tapped_release_releases_once(taps):
    tech, wo, item, _store = _parts_world()
    line_id = _line(tech, wo, item)
    parts.reserve_part_line(line_id, actor=tech)
    texts = tap_twice_with_htmx(
        taps, tech.id, f"/part-lines/{line_id}/release", {"submission_id": sid()}
    )
    assert all(f"Released 2 EA of {item.part_number} back to stock." in text for text in texts)
    assert audited("stock.released") == 1
    assert db.session.scalars(select(StockLevel.reserved_qty)).one() == D("0.000")


def test_a_double_tapped_issue_moves_stock_once_and_both_taps_show_the_cost(taps):
    tech, wo, item, _store = _parts_world()
    line_id = _line(tech, wo, item)
    parts.reserve_part_line(line_id, actor=tech)
    texts = tap_twice_with_htmx(
        taps, tech.id, f"/part-lines/{line_id}/issue", {"submission_id": sid()}
    )
    said = f"Issued 2 EA of {item.part_number}: 24.00 on {wo.number}."
    assert all(said in text for text in texts)
    issued = StockMovement.kind == MovementKind.issue
    assert count(StockMovement, issued) == 1 and audited("stock.issued") == 1
    level = db.session.scalars(select(StockLevel)).one()
    assert (level.on_hand_qty, level.reserved_qty) == (D("3.000"), D("0.000"))


class _PageForms(HTMLParser):
    """Every form of a page by its action, with the hidden fields a browser would send."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._open: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "form" and named.get("method") == "post":
            self._open = self.forms.setdefault(named.get("action") or "", {})
        elif tag == "input" and named.get("type") == "hidden" and self._open is not None:
            self._open[named.get("name") or ""] = named.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def part_line_forms(taps, user, wo) -> dict[str, dict[str, str]]:
    """The work order page as `user` sees it: each part line button's form, by its action."""
    client = taps.test_client()
    sign_in(client, user.id)
    page = client.get(f"/work-orders/{wo.id}")
    assert page.status_code == 200
    parser = _PageForms()
    parser.feed(page.text)
    return {action: f for action, f in parser.forms.items() if action.startswith("/part-lines/")}


def test_every_part_line_button_posts_a_fresh_submission_id(taps):
    tech, wo, item, _store = _parts_world(on_hand="3")
    held = _line(tech, wo, item)
    parts.reserve_part_line(held, actor=tech)
    short = _line(tech, wo, item)  # 1 left free of 2 needed: reserve, or buy what is missing
    forms = part_line_forms(taps, tech, wo)
    assert set(forms) == {
        f"/part-lines/{held}/release",
        f"/part-lines/{held}/issue",
        f"/part-lines/{short}/reserve",
        f"/part-lines/{short}/unavailable",
    }
    ids = [fields.get("submission_id") for fields in forms.values()]
    assert all(ids) and len(set(ids)) == 4


def test_a_double_tap_of_the_pages_own_reserve_and_issue_buttons_acts_once(taps):
    tech, wo, item, store = _parts_world()
    line_id = _line(tech, wo, item)
    url = f"/part-lines/{line_id}/reserve"
    texts = tap_twice_with_htmx(taps, tech.id, url, part_line_forms(taps, tech, wo)[url])
    assert all(f"Reserved 2 EA of {item.part_number} ({store.code})." in t for t in texts)
    assert count(Reservation) == 1
    url = f"/part-lines/{line_id}/issue"
    texts = tap_twice_with_htmx(taps, tech.id, url, part_line_forms(taps, tech, wo)[url])
    assert all(f"Issued 2 EA of {item.part_number}: 24.00 on {wo.number}." in t for t in texts)
    assert count(StockMovement, StockMovement.kind == MovementKind.issue) == 1


def test_a_double_tapped_mark_unavailable_requests_once(taps):
    tech, wo, item, _store = _parts_world(kind=ItemKind.non_stock)
    line_id = _line(tech, wo, item)
    answers = post_at_once(
        taps, tech.id, f"/part-lines/{line_id}/unavailable", {"submission_id": sid()}
    )
    assert same_redirect(answers).endswith(f"/work-orders/{wo.id}")
    assert count(PurchaseRequestLine) == 1 and audited("purchase_request.raised") == 1


def test_a_double_tapped_mark_unavailable_tells_both_taps_what_it_requested(taps):
    tech, wo, item, _store = _parts_world(on_hand="0")
    line_id = _line(tech, wo, item)
    texts = tap_twice_with_htmx(
        taps, tech.id, f"/part-lines/{line_id}/unavailable", {"submission_id": sid()}
    )
    number = db.session.scalar(select(PurchaseRequest.number))
    said = f"Requested 2 EA of {item.part_number} on {number}."
    assert all(said in text for text in texts)
    assert not any("already requested" in text for text in texts)
    assert count(PurchaseRequestLine) == 1 and audited("purchase_request.raised") == 1


# ---------------------------------------------------------------- the goods receipt


def test_a_double_tapped_receipt_records_one_receipt_even_when_it_closes_the_line(taps):
    keeper = make_user(db, roles=["storekeeper"])
    item = make_item(db)
    store = make_storeroom(db, stock=[(item, "0", "10.00")])
    po = make_purchase_order(
        db, lines=[{"item": item, "qty": "10", "unit_price": "4.00", "storeroom_id": store.id}]
    )
    line_id = po.lines[0].id
    data = {"submission_id": sid(), f"accepted-{line_id}": "10", "packing_slip_ref": "PS-1"}
    answers = post_at_once(taps, keeper.id, f"/receiving/po/{po.id}", data)
    receipt_id = db.session.scalar(select(GoodsReceipt.id))
    assert same_redirect(answers).endswith(f"/receiving/receipts/{receipt_id}")
    assert count(GoodsReceipt) == 1 and audited("goods_receipt.recorded") == 1
    assert db.session.scalars(select(StockLevel.on_hand_qty)).one() == D("10.000")


# ---------------------------------------------------------------- invoices


def _billable(*, received="10"):
    clerk = make_user(db, roles=["ap_clerk"])
    po = make_purchase_order(
        db,
        vendor=make_vendor(db),
        lines=({"qty": "10", "unit_price": "10.00", "description": "Seal kit"},),
        approved_at=utcnow() - timedelta(days=5),
    )
    make_goods_receipt(db, po, lines={1: received})
    return clerk, po


def _enter(po, clerk, *, number="INV-1", qty="4"):
    return invoices.enter_invoice(
        purchase_order_id=po.id,
        number=number,
        invoice_on=TODAY,
        lines=[invoices.NewLine(po.lines[0].id, D(qty), D("10.00"))],
        actor=clerk,
        submission_id=sid(),
    )


def test_a_double_tapped_invoice_is_entered_once_and_both_taps_open_it(taps):
    clerk, po = _billable()
    form = {
        "number": "INV-77",
        "invoice_on": TODAY.isoformat(),
        "type": "invoice",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "4",
        "lines-0-unit_price": "10.00",
        "submission_id": sid(),
    }
    answers = post_at_once(taps, clerk.id, f"/invoices/new/{po.id}", form)
    invoice_id = db.session.scalar(select(VendorInvoice.id))
    assert same_redirect(answers).endswith(f"/invoices/{invoice_id}")
    assert count(VendorInvoice) == 1 and audited("invoice.entered") == 1
    assert not any("already entered" in answer.text for answer in answers)


def test_a_double_tapped_import_imports_the_file_once(taps):
    clerk, po = _billable()
    csv = (
        "po_number,invoice_number,invoice_date,type,po_line,qty,unit_price,freight,tax\n"
        f"{po.number},INV-1,{TODAY.isoformat()},invoice,1,2,10.00,,\n"
        f"{po.number},INV-2,{TODAY.isoformat()},invoice,1,3,10.00,,\n"
    )
    answers = post_at_once(
        taps, clerk.id, "/invoices/import", {"csv_text": csv, "submission_id": sid()}
    )
    assert same_redirect(answers).endswith("/invoices/")
    numbers = db.session.scalars(select(VendorInvoice.number).order_by(VendorInvoice.id)).all()
    assert numbers == ["INV-1", "INV-2"]


def test_a_double_tapped_release_releases_the_hold_once(taps):
    clerk, po = _billable(received="2")
    held = _enter(po, clerk, qty="4")  # over received: on hold
    approver = make_user(db, roles=["approver"])
    data = {"reason": "Rest is on the truck", "submission_id": sid()}
    answers = post_at_once(taps, approver.id, f"/invoices/{held.id}/release", data)
    assert same_redirect(answers).endswith(f"/invoices/{held.id}")
    assert audited("invoice.hold_released") == 1
    assert db.session.get(VendorInvoice, held.id).status is InvoiceStatus.released


def test_a_double_tapped_reject_rejects_once(taps):
    clerk, po = _billable()
    invoice = _enter(po, clerk)
    data = {"reason": "Never ordered", "submission_id": sid()}
    answers = post_at_once(taps, clerk.id, f"/invoices/{invoice.id}/reject", data)
    assert same_redirect(answers).endswith(f"/invoices/{invoice.id}")
    assert audited("invoice.rejected") == 1


def test_a_double_tapped_ask_puts_one_task_on_the_home_page(taps):
    clerk, po = _billable(received="2")
    held = _enter(po, clerk, qty="4")
    data = {"who": "receiver", "text": "Is the rest here?", "submission_id": sid()}
    answers = post_at_once(taps, clerk.id, f"/invoices/{held.id}/ask", data)
    assert same_redirect(answers).endswith(f"/invoices/{held.id}")
    assert count(Task) == 1 and audited("invoice.task_created") == 1


def test_a_double_tapped_done_marks_the_task_done_once(taps):
    clerk, po = _billable(received="2")
    held = _enter(po, clerk, qty="4")
    task = invoices.ask_to_act(held.id, who="receiver", text="Is the rest here?", actor=clerk)
    keeper = make_user(db, roles=["storekeeper"])
    data = {"submission_id": f"task-{task.id}-done-by-{keeper.id}"}  # as the home card sends it
    answers = post_at_once(taps, keeper.id, f"/invoices/tasks/{task.id}/done", data)
    same_redirect(answers)
    assert audited("task.done") == 1
    assert db.session.get(Task, task.id).done


def test_a_double_tapped_export_makes_one_payment_file(taps):
    clerk, po = _billable()
    _enter(po, clerk, number="INV-1", qty="4")
    _enter(po, clerk, number="INV-2", qty="6")
    answers = post_at_once(taps, clerk.id, "/invoices/payable/export", {"submission_id": sid()})
    export_id = db.session.scalar(select(PaymentExport.id))
    assert same_redirect(answers).endswith(f"/invoices/payable?made={export_id}")
    assert count(PaymentExport) == 1 and audited("payment_export.created") == 1
    assert db.session.get(PaymentExport, export_id).invoice_count == 2

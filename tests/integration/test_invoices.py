"""Vendor invoices end to end: entry, holds in words, late receipts, duplicates, release rules,
CSV import, payment export and the exceptions queue."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.domain.errors import DomainError, NotAllowed
from portal.domain.invoices import DuplicateInvoice, SeparationOfDuties
from portal.domain.statuses import HoldStatus, InvoiceStatus, InvoiceType
from portal.models import AuditEvent, Hold, PaymentExport, Task, VendorInvoice
from portal.read_models import invoices as reads
from portal.services import invoice_import, invoices, matching
from portal.services._uow import unit_of_work
from tests.factories import (
    make_goods_receipt,
    make_purchase_order,
    make_user,
    make_vendor,
)

TODAY = date.today()


def sid() -> str:
    return uuid.uuid4().hex


def enter(po, clerk, *, number="INV-100", qty="10", price="10.00", on=TODAY, **kw):
    return invoices.enter_invoice(
        purchase_order_id=po.id,
        number=number,
        invoice_on=on,
        lines=[invoices.NewLine(po.lines[0].id, Decimal(qty), Decimal(price))],
        actor=clerk,
        submission_id=kw.pop("submission_id", sid()),
        **kw,
    )


@pytest.fixture
def people(database):
    return {
        "clerk": make_user(database, roles=["ap_clerk"]),
        "approver": make_user(database, roles=["approver"]),
        "buyer": make_user(database, roles=["buyer"]),
    }


@pytest.fixture
def po(database):
    vendor = make_vendor(database, payment_terms="2/10 Net 30")
    order = make_purchase_order(
        database,
        vendor=vendor,
        lines=({"qty": "12", "unit_price": "10.00", "description": "Seal kit"},),
        approved_at=invoices.utcnow() - timedelta(days=5),
    )
    make_goods_receipt(database, order, lines={1: "10"})
    return order


def test_invoice_over_received_is_held_with_the_arithmetic_on_its_page(
    database, login_as, people, po
):
    form = {
        "number": "INV-100",
        "invoice_on": TODAY.isoformat(),
        "type": "invoice",
        "freight": "0",
        "tax": "0",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "12",
        "lines-0-unit_price": "10,40",
        "submission_id": sid(),
    }
    client = login_as(people["clerk"])
    answer = client.post(f"/invoices/new/{po.id}", data=form)
    assert answer.status_code == 303
    page = client.get(answer.headers["Location"])
    assert "On hold" in page.text
    assert (
        "billed 12 at 10.40; received 10; ordered 12 at 10.00: price 4.0% over the 0% tolerance"
        in page.text
    )
    assert "quantity 2 over received" in page.text
    invoice = database.session.scalar(select(VendorInvoice))
    assert invoice.status is InvoiceStatus.hold
    assert {h.reason_code for h in invoice.holds} == {"PRICE_OVER", "QTY_OVER_RECEIVED"}


def test_the_new_invoice_page_prefills_what_is_received_and_not_billed(
    database, login_as, people, po
):
    enter(po, people["clerk"], qty="4")
    page = login_as(people["clerk"]).get(f"/invoices/new?po={po.number.lower()}")
    assert page.status_code == 200
    assert 'name="lines-0-qty"' in page.text and 'value="6.000"' in page.text
    assert login_as(people["clerk"]).get("/invoices/new?po=PO-NOPE").status_code == 404


def test_a_late_receipt_clears_the_hold_with_an_audit_entry(database, people, po):
    invoice = enter(po, people["clerk"], qty="12")
    assert invoice.status is InvoiceStatus.hold
    make_goods_receipt(database, po, lines={1: "2"})
    with unit_of_work() as session:
        decisions = matching.rematch_after_receipt(session, po.id, actor=None)
    assert [d.cleared for d in decisions] == [["QTY_OVER_RECEIVED"]]
    database.session.expire_all()
    invoice = database.session.get(VendorInvoice, invoice.id)
    assert invoice.status is InvoiceStatus.matched
    assert [h.status for h in invoice.holds] == [HoldStatus.cleared]
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "invoice.hold_cleared")
    )
    assert event.why == "released by a late receipt" and event.subject_id == invoice.id


def test_a_duplicate_number_is_refused_with_a_link_to_the_first(database, login_as, people, po):
    first = enter(po, people["clerk"], number="INV 100", qty="5")
    with pytest.raises(DuplicateInvoice) as refused:
        enter(po, people["clerk"], number=" inv100 ", qty="1")
    assert refused.value.first_id == first.id
    form = {
        "number": "inv 100",
        "invoice_on": TODAY.isoformat(),
        "type": "invoice",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "1",
        "lines-0-unit_price": "10.00",
        "submission_id": sid(),
    }
    page = login_as(people["clerk"]).post(f"/invoices/new/{po.id}", data=form)
    assert page.status_code == 422
    assert "already entered" in page.text
    assert f'href="/invoices/{first.id}"' in page.text
    assert database.session.scalar(select(func.count()).select_from(VendorInvoice)) == 1


def test_same_vendor_amount_and_date_is_accepted_but_held(database, people, po):
    enter(po, people["clerk"], number="INV-200", qty="5")
    second = enter(po, people["clerk"], number="INV-201", qty="5")
    assert second.status is InvoiceStatus.hold
    assert "POSSIBLE_DUPLICATE" in {h.reason_code for h in second.holds}


def test_an_invoice_dated_before_the_po_was_approved_is_held_after_the_fact(database, people, po):
    invoice = enter(po, people["clerk"], qty="5", on=TODAY - timedelta(days=30))
    assert invoice.status is InvoiceStatus.hold
    assert [h.reason_code for h in invoice.holds] == ["AFTER_THE_FACT"]
    assert reads.invoice_page(invoice.id).sentences[-1] == (
        "Invoice dated before the PO was approved."
    )


def test_a_credit_memo_reduces_what_is_billed(database, people, po):
    enter(po, people["clerk"], number="INV-1", qty="10")
    credit = enter(
        po, people["clerk"], number="CM-1", qty="3", invoice_type=InvoiceType.credit_memo
    )
    assert credit.status is InvoiceStatus.matched
    lines = reads.open_lines(po.id)
    assert lines[0].billed == Decimal("7") and lines[0].open_qty == Decimal("3")
    too_much = enter(
        po, people["clerk"], number="CM-2", qty="8", invoice_type=InvoiceType.credit_memo
    )
    assert [h.reason_code for h in too_much.holds] == ["CREDIT_EXCEEDS_BILLED"]


def test_the_clerk_who_entered_cannot_release_even_as_approver(database, people, po):
    both = make_user(database, roles=["ap_clerk", "approver"])
    invoice = enter(po, both, qty="12")
    with pytest.raises(SeparationOfDuties):
        invoices.release_hold(invoice.id, approver=both, reason="Vendor confirmed by phone")
    assert database.session.get(VendorInvoice, invoice.id).status is InvoiceStatus.hold


def test_release_needs_an_approver_and_a_written_reason(database, login_as, people, po):
    invoice = enter(po, people["clerk"], qty="12")
    with pytest.raises(NotAllowed):
        invoices.release_hold(invoice.id, approver=people["buyer"], reason="fine by me")
    with pytest.raises(DomainError):
        invoices.release_hold(invoice.id, approver=people["approver"], reason="  ")
    client = login_as(people["clerk"])
    assert client.post(f"/invoices/{invoice.id}/release", data={"reason": "ok ok"}).status_code == (
        403
    )
    client = login_as(people["approver"])
    empty = client.post(
        f"/invoices/{invoice.id}/release", data={"reason": "", "submission_id": sid()}
    )
    assert empty.status_code == 422 and "Write why." in empty.text
    done = client.post(
        f"/invoices/{invoice.id}/release",
        data={"reason": "Price agreed by phone", "submission_id": sid()},
    )
    assert done.status_code == 303
    database.session.expire_all()
    invoice = database.session.get(VendorInvoice, invoice.id)
    assert invoice.status is InvoiceStatus.released
    assert {h.status for h in invoice.holds} == {HoldStatus.released}
    assert {h.released_by_id for h in invoice.holds} == {people["approver"].id}
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "invoice.hold_released")
    )
    assert event.why == "Price agreed by phone" and event.actor_id == people["approver"].id


def test_reject_and_ask_the_buyer_who_sees_it_on_the_home_page(database, login_as, people):
    order = make_purchase_order(database, buyer=people["buyer"])
    invoice = enter(order, people["clerk"], qty="5")  # nothing received: NOT_RECEIVED
    assert invoice.status is InvoiceStatus.hold
    client = login_as(people["clerk"])
    asked = client.post(
        f"/invoices/{invoice.id}/ask",
        data={"who": "buyer", "text": "Was this delivered?", "submission_id": sid()},
    )
    assert asked.status_code == 303
    task = database.session.scalar(select(Task))
    assert task.assignee_user_id == people["buyer"].id
    home = login_as(people["buyer"]).get("/")
    assert "Was this delivered?" in home.text
    login_as(people["buyer"]).post(f"/invoices/tasks/{task.id}/done")
    assert "Was this delivered?" not in login_as(people["buyer"]).get("/").text
    client = login_as(people["clerk"])
    rejected = client.post(
        f"/invoices/{invoice.id}/reject", data={"reason": "Never ordered", "submission_id": sid()}
    )
    assert rejected.status_code == 303
    assert database.session.get(VendorInvoice, invoice.id).status is InvoiceStatus.rejected


CSV_HEADER = "po_number,invoice_number,invoice_date,type,po_line,qty,unit_price,freight,tax\n"


def test_csv_with_one_bad_row_writes_nothing_and_names_the_row(database, login_as, people, po):
    day = TODAY.isoformat()
    bad = (
        CSV_HEADER
        + f"{po.number},INV-1,{day},invoice,1,2,10.00,,\n"
        + f"{po.number},INV-2,{day},invoice,7,2,10.00,,\n"
        + f"{po.number},INV-3,{day},invoice,1,abc,10.00,,\n"
    )
    client = login_as(people["clerk"])
    preview = client.post("/invoices/import/preview", data={"text": bad})
    assert preview.status_code == 422
    assert "3 rows checked" in preview.text and "1 ready" in preview.text
    assert "2 with problems" in preview.text and 'id="confirm-import"' not in preview.text
    assert f"Row 3: {po.number} has no line 7" in preview.text
    assert "Row 4: qty must be a number like 12.50, not &#39;abc&#39;" in preview.text
    with pytest.raises(DomainError, match="Row 3"):
        invoice_import.import_invoices(bad, actor=people["clerk"], submission_id=sid())
    assert database.session.scalar(select(func.count()).select_from(VendorInvoice)) == 0

    fixed = bad.replace(",7,2,", ",1,2,").replace(",abc,", ",1,")
    preview = client.post("/invoices/import/preview", data={"text": fixed})
    assert preview.status_code == 200 and "Import 3 invoices" in preview.text
    token = sid()
    done = client.post("/invoices/import", data={"csv_text": fixed, "submission_id": token})
    assert done.status_code == 303
    again = client.post("/invoices/import", data={"csv_text": fixed, "submission_id": token})
    assert again.status_code == 303
    numbers = database.session.scalars(select(VendorInvoice.number).order_by(VendorInvoice.id))
    assert list(numbers) == ["INV-1", "INV-2", "INV-3"]
    template = client.get("/invoices/import/template.csv")
    assert template.text.lstrip("\ufeff").startswith("po_number,invoice_number,invoice_date")


def test_an_invoice_file_that_is_not_utf8_is_refused_in_words(database, login_as, people, po):
    line = f"{po.number},Prüfung-1,{TODAY.isoformat()},invoice,1,2,10.00,,\n"
    client = login_as(people["clerk"])
    page = client.post(
        "/invoices/import/preview",
        data={"file": (io.BytesIO((CSV_HEADER + line).encode("cp1252")), "invoices.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 422 and "The file is not UTF-8 text" in page.text
    nothing = client.post("/invoices/import/preview", data={})
    assert nothing.status_code == 422 and "Choose a CSV file, or paste the rows." in nothing.text


def test_payment_export_includes_each_invoice_once(database, login_as, people, po):
    first = enter(po, people["clerk"], number="INV-1", qty="4")
    second = enter(po, people["clerk"], number="INV-2", qty="6", on=TODAY - timedelta(days=1))
    held = enter(po, people["clerk"], number="INV-3", qty="5", on=TODAY - timedelta(days=2))
    assert held.status is InvoiceStatus.hold
    client = login_as(people["clerk"])
    payable = client.get("/invoices/payable")
    assert "INV-1" in payable.text and "INV-3" not in payable.text
    assert "0.80 off until" in payable.text  # 2/10 Net 30 on 40.00
    assert client.post("/invoices/payable/export", data={"submission_id": sid()}).status_code == 303
    made = database.session.scalar(select(PaymentExport))
    assert made.invoice_count == 2 and made.total_amount == Decimal("100.00")
    lines = made.content.strip().splitlines()
    assert len(lines) == 3 and sum("INV-1," in line for line in lines) == 1
    again = client.post("/invoices/payable/export", data={"submission_id": sid()})
    assert again.status_code == 303
    assert database.session.scalar(select(func.count()).select_from(PaymentExport)) == 1
    assert invoices.export_payments(actor=people["clerk"]) is None
    download = client.get(f"/invoices/exports/{made.id}.csv")
    assert download.text == made.content
    statuses = {i.number: i.status for i in database.session.scalars(select(VendorInvoice))}
    assert statuses == {
        "INV-1": InvoiceStatus.exported,
        "INV-2": InvoiceStatus.exported,
        "INV-3": InvoiceStatus.hold,
    }
    assert first.id and second.id


def test_exceptions_queue_filters_by_reason_vendor_age_and_amount_with_htmx(
    database, login_as, people, po
):
    over = enter(po, people["clerk"], number="INV-OVER", qty="12")
    late = enter(po, people["clerk"], number="INV-LATE", qty="1", on=TODAY - timedelta(days=30))
    other = make_purchase_order(database, lines=({"qty": "100", "unit_price": "50.00"},))
    big = enter(other, people["clerk"], number="INV-BIG", qty="100", price="50.00")
    client = login_as(people["approver"])
    hx = {"HX-Request": "true"}
    rows = client.get("/invoices/exceptions?reason=AFTER_THE_FACT", headers=hx)
    assert "<html" not in rows.text
    assert "INV-LATE" in rows.text and "INV-OVER" not in rows.text
    rows = client.get(f"/invoices/exceptions?vendor={other.vendor_id}", headers=hx)
    assert "INV-BIG" in rows.text and "INV-LATE" not in rows.text
    rows = client.get("/invoices/exceptions?min_amount=1000", headers=hx)
    assert re.findall(r"INV-[A-Z]+", rows.text) == ["INV-BIG"]
    database.session.execute(
        VendorInvoice.__table__.update()
        .where(VendorInvoice.id == over.id)
        .values(entered_at=invoices.utcnow() - timedelta(days=10))
    )
    database.session.commit()
    rows = client.get("/invoices/exceptions?age=7", headers=hx)
    assert re.findall(r"INV-[A-Z]+", rows.text) == ["INV-OVER"]
    full = client.get("/invoices/exceptions")
    assert "<html" in full.text and "3 invoices on hold" in full.text
    assert late.id and big.id


def test_a_double_submit_enters_one_invoice(database, login_as, people, po):
    form = {
        "number": "INV-9",
        "invoice_on": TODAY.isoformat(),
        "type": "invoice",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "2",
        "lines-0-unit_price": "10.00",
        "submission_id": sid(),
    }
    client = login_as(people["clerk"])
    first = client.post(f"/invoices/new/{po.id}", data=form)
    second = client.post(f"/invoices/new/{po.id}", data=form)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert database.session.scalar(select(func.count()).select_from(VendorInvoice)) == 1


def test_bad_input_is_told_on_the_form_never_a_500(database, login_as, people, po):
    client = login_as(people["clerk"])
    form = {
        "number": "",
        "invoice_on": "not a date",
        "type": "invoice",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "-1",
        "lines-0-unit_price": "x",
        "submission_id": sid(),
    }
    page = client.post(f"/invoices/new/{po.id}", data=form)
    assert page.status_code == 422 and "Give the invoice number." in page.text
    form.update({"number": "INV-0", "invoice_on": TODAY.isoformat(), "lines-0-qty": "0"})
    form["lines-0-unit_price"] = "1"
    page = client.post(f"/invoices/new/{po.id}", data=form)
    assert page.status_code == 422 and "Bill at least one line" in page.text
    assert database.session.scalar(select(func.count()).select_from(Hold)) == 0


def test_rematch_all_matches_entered_invoices_in_batches_and_skips_unchanged(database, people, po):
    held = enter(po, people["clerk"], qty="12")
    stats = matching.rematch_all(batch=1)
    assert stats.invoices == 1 and stats.unchanged == 1
    make_goods_receipt(database, po, lines={1: "2"})
    stats = matching.rematch_all(batch=1)
    assert stats.changed == 1
    assert database.session.get(VendorInvoice, held.id).status is InvoiceStatus.matched


def test_the_exceptions_queue_costs_the_same_queries_for_many_invoices(
    database, login_as, people, count_statements
):
    client = login_as(people["approver"])
    order = make_purchase_order(database, lines=({"qty": "1", "unit_price": "1.00"},) * 1)
    enter(order, people["clerk"], number="N-0", qty="5")
    few = count_statements(lambda: client.get("/invoices/exceptions"))
    for n in range(1, 8):
        other = make_purchase_order(database, vendor=make_vendor(database))
        enter(other, people["clerk"], number=f"N-{n}", qty="5")
    many = count_statements(lambda: client.get("/invoices/exceptions"))
    assert few == many


def test_whoever_may_list_invoices_or_answer_for_one_opens_its_page(database, login_as, people, po):
    invoice = enter(po, people["clerk"], qty="12")
    for role in ("auditor", "approver", "buyer", "storekeeper"):
        page = login_as(make_user(database, roles=[role])).get(f"/invoices/{invoice.id}")
        assert page.status_code == 200, role
    auditor_page = login_as(make_user(database, roles=["auditor"])).get(f"/invoices/{invoice.id}")
    assert "Release the hold" not in auditor_page.text and "Reject" not in auditor_page.text
    tech = login_as(make_user(database, roles=["technician"]))
    assert tech.get(f"/invoices/{invoice.id}").status_code == 403

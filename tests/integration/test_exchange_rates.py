"""Amounts in another currency: converted by the rate valid on the document date, or refused
in words; the admin keeps the dated rate table (typed or imported from CSV)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal as D

from sqlalchemy import select

from portal.models import AuditEvent, ExchangeRate, VendorInvoice
from portal.read_models.budgets import position
from portal.read_models.costs import work_order_costs
from portal.services import cost_checks
from tests.factories import (
    make_cost_centre,
    make_goods_receipt,
    make_purchase_order,
    make_user,
    make_vendor,
    make_work_order,
)

TODAY = date.today()


def sid() -> str:
    return uuid.uuid4().hex


def _euro_order(database):
    centre = make_cost_centre(database, code="CC-EU", budget="5000.00")
    wo = make_work_order(database, cost_centre_id=centre.id)
    vendor = make_vendor(database, name="Lager GmbH", currency="EUR")
    po = make_purchase_order(
        database,
        vendor=vendor,
        currency="EUR",
        lines=(
            {
                "qty": "2",
                "unit_price": "50.00",
                "description": "Coupling",
                "work_order_id": wo.id,
                "cost_centre_id": centre.id,
            },
        ),
    )
    make_goods_receipt(database, po, lines={1: "2"})
    return centre, wo, po


def _invoice_form(po, number="LG-1", freight="10.00"):
    return {
        "number": number,
        "invoice_on": TODAY.isoformat(),
        "type": "invoice",
        "freight": freight,
        "tax": "0",
        "lines-0-po_line_id": str(po.lines[0].id),
        "lines-0-qty": "2",
        "lines-0-unit_price": "50.00",
        "submission_id": sid(),
    }


def test_an_invoice_in_a_currency_without_a_rate_is_refused_in_words(database, login_as):
    centre, wo, po = _euro_order(database)
    clerk = login_as(make_user(database, roles=["ap_clerk"]))
    page = clerk.post(f"/invoices/new/{po.id}", data=_invoice_form(po))
    assert page.status_code == 422
    assert f"no exchange rate for EUR to USD on {TODAY.isoformat()}" in page.text
    assert database.session.scalar(select(VendorInvoice)) is None
    assert position(centre.id).actual == D("0.00")


def test_an_invoice_in_another_currency_is_converted_at_the_rate_of_its_date(database, login_as):
    centre, wo, po = _euro_order(database)
    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    for day, rate in ((TODAY - timedelta(days=30), "1.20"), (TODAY, "1.10")):
        saved = client.post(
            "/admin/exchange-rates",
            data={
                "currency": "eur",
                "valid_from": day.isoformat(),
                "rate": rate,
                "submission_id": sid(),
            },
        )
        assert saved.status_code == 303, saved.text
    later = client.post(
        "/admin/exchange-rates",
        data={
            "currency": "EUR",
            "valid_from": (TODAY + timedelta(days=1)).isoformat(),
            "rate": "9.99",
            "submission_id": sid(),
        },
    )
    assert later.status_code == 303
    assert "1.1" in client.get("/admin/exchange-rates").text
    clerk = login_as(make_user(database, roles=["ap_clerk"]))
    assert clerk.post(f"/invoices/new/{po.id}", data=_invoice_form(po)).status_code == 303
    invoice = database.session.scalar(select(VendorInvoice))
    # EUR 100.00 + EUR 10.00 freight at today's 1.10 (not yesterday's 1.20, not tomorrow's)
    assert [line.booked_amount for line in invoice.lines] == [D("121.00")]
    assert invoice.status.value == "matched"
    assert work_order_costs(wo.id).actual == D("121.00")
    assert position(centre.id).actual == D("121.00")
    assert cost_checks.violations(database.session) == []
    assert database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "exchange_rate.set")
    )


def test_a_bad_rate_is_told_beside_the_form(database, login_as):
    client = login_as(make_user(database, roles=["admin"]))
    for currency, rate, words in (
        ("USD", "1", "USD is the base currency"),
        ("EUR", "-2", "positive number"),
        ("EURO", "1.1", "three-letter currency code"),
    ):
        page = client.post(
            "/admin/exchange-rates",
            data={
                "currency": currency,
                "valid_from": TODAY.isoformat(),
                "rate": rate,
                "submission_id": sid(),
            },
        )
        assert page.status_code == 422 and words in page.text
    assert database.session.scalar(select(ExchangeRate)) is None


def test_rates_import_from_csv_after_a_dry_run_all_or_nothing(database, login_as):
    client = login_as(make_user(database, roles=["admin"]))
    bad = "currency,valid_from,rate\nEUR,2026-01-01,1.08\nGBP,yesterday,1.27\n"
    dry = client.post("/admin/exchange-rates/import/preview", data={"text": bad})
    assert dry.status_code == 200 and "Row 3" in dry.text and "valid_from is not a date" in dry.text
    good = "currency,valid_from,rate\nEUR,2026-01-01,1.08\nGBP,2026-01-01,1.27\n"
    dry = client.post("/admin/exchange-rates/import/preview", data={"text": good})
    assert "2 ready" in dry.text
    done = client.post(
        "/admin/exchange-rates/import", data={"csv_text": good, "submission_id": sid()}
    )
    assert done.status_code == 303
    rates = database.session.scalars(select(ExchangeRate).order_by(ExchangeRate.currency)).all()
    assert [(r.currency, r.rate) for r in rates] == [("EUR", D("1.08")), ("GBP", D("1.27"))]


def test_only_admins_keep_the_rate_table(database, login_as):
    users = login_as(make_user(database, roles=["admin"])).get("/admin/users").text
    assert 'href="/admin/exchange-rates"' in users
    buyer = login_as(make_user(database, roles=["buyer"]))
    assert buyer.get("/admin/exchange-rates").status_code == 403

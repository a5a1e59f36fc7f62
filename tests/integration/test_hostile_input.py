"""The reproductions of issue 14's "67 distinct inputs give HTTP 500", replayed over HTTP.

Each used to answer 500 (or store nonsense); each now gets a 4xx in words, or the value is
ignored where it was only a filter. Python's own exception text never reaches the page.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.domain.statuses import PurchaseOrderStatus
from portal.models import PurchaseOrderLine, WorkOrder
from tests.factories import (
    make_asset,
    make_purchase_order,
    make_site,
    make_user,
    make_vendor,
    make_work_order,
)
from tests.submitted import once

PYTHON_WORDS = ("invalid literal", "Traceback", "InvalidOperation", "decimal.", "OverflowError")


def _in_words(answer) -> None:
    """A 4xx with a page that says something, and no Python exception text."""
    assert 400 <= answer.status_code < 500, answer.status_code
    assert not any(words in answer.text for words in PYTHON_WORDS)


# ---- where=s² --------------------------------------------------------------------------------


def test_where_s_superscript_two_on_the_public_form_is_refused_in_words(client, database):
    make_site(database)
    answer = client.post(
        "/request",
        data=once(
            {
                "requester_name": "Pat",
                "contact_email": "pat@example.org",
                "where": "s²",
                "description": "The tap in the kitchen drips all night.",
                "urgency": "normal",
            }
        ),
    )
    _in_words(answer)
    assert "Choose the site, and the place if listed." in answer.text


@pytest.mark.parametrize("typed", ["s²", "s１２", "l2147483648", "s9223372036854775808"])
def test_a_place_that_cannot_be_one_is_asked_again(client, database, typed):
    make_site(database)
    answer = client.post(
        "/request",
        data=once({"requester_name": "Pat", "contact_email": "p@example.org", "where": typed}),
    )
    _in_words(answer)


# ---- id 2147483648 ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", [2**31, 2**63, 10**30])
def test_id_2147483648_in_any_int_route_is_not_found(database, login_as, bad_id):
    client = login_as(make_user(database, roles=["supervisor"]))
    for path in ("/work-orders/{}", "/purchase-orders/{}", "/vendors/{}", "/assets/{}"):
        answer = client.get(path.format(bad_id))
        assert answer.status_code == 404, path
        assert "Nothing here" in answer.text


def test_full_width_and_superscript_digits_are_not_ids(database, login_as):
    wo = make_work_order(database)
    client = login_as(make_user(database, roles=["supervisor"]))
    assert client.get(f"/work-orders/{wo.id}").status_code == 200
    full_width = "".join(chr(ord("０") + int(d)) for d in str(wo.id))
    assert client.get(f"/work-orders/{full_width}").status_code == 404
    assert client.get("/work-orders/²").status_code == 404


@pytest.mark.parametrize("bad_id", ["2147483648", "9223372036854775808", "²", "１"])
def test_id_2147483648_in_a_query_string_is_ignored_not_a_crash(database, login_as, bad_id):
    make_asset(database)
    client = login_as(make_user(database, roles=["buyer"]))
    assert client.get(f"/assets/?site={bad_id}").status_code == 200
    assert client.get(f"/assets/labels?ids={bad_id}").status_code in (200, 302, 303)
    assert client.get(f"/purchase-orders/?vendor={bad_id}").status_code < 500
    assert client.get(f"/work-orders/new?asset={bad_id}").status_code < 500


# ---- sNaN, Infinity, 1e309 and qty=1e20 on a purchase order ------------------------------------


@pytest.fixture
def draft(database):
    buyer = make_user(database, roles=["buyer"])
    po = make_purchase_order(
        database, buyer=buyer, vendor=make_vendor(database), status=PurchaseOrderStatus.draft
    )
    return buyer, po


def _edit(client, po, **line):
    form = {
        "payment_terms": "",
        "ship_to": "",
        "notes": "",
        "service_frequency": "",
        "billing_schedule": "",
        "lines-0-line_id": str(po.lines[0].id),
        "lines-0-qty": "3",
        "lines-0-unit_price": "10.00",
        "lines-0-discount_percent": "",
        "lines-0-expected_on": "",
    }
    form.update({f"lines-0-{k}": v for k, v in line.items()})
    return client.post(f"/purchase-orders/{po.id}/edit", data=once(form))


@pytest.mark.parametrize(
    "field, typed, words",
    [
        ("qty", "sNaN", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "NaN", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "Infinity", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "1e309", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "1_000", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "１２", "Quantity must be a number written with the digits 0 to 9"),
        ("qty", "²", "Quantity must be a number written with the digits 0 to 9"),
        ("unit_price", "sNaN", "Unit price must be a number written with the digits 0 to 9"),
        ("unit_price", "1e309", "Unit price must be a number written with the digits 0 to 9"),
        ("discount_percent", "-Infinity", "Discount % must be a number"),
        ("discount_percent", "101", "Discount % must be at most 100"),
        ("expected_on", "9999-12-31", "Expected must be between 2000-01-01 and 2100-12-31"),
        ("expected_on", "0001-01-01", "Expected must be between 2000-01-01 and 2100-12-31"),
    ],
)
def test_snan_and_1e309_on_a_po_line_are_refused_in_words(
    database, login_as, draft, field, typed, words
):
    buyer, po = draft
    answer = _edit(login_as(buyer), po, **{field: typed})
    _in_words(answer)
    assert answer.status_code == 422
    assert words in answer.text


@pytest.mark.parametrize(
    "qty, price, words",
    [
        ("1e20", "1.00", "Quantity must be a number written with the digits 0 to 9"),
        ("100000000000000000000", "1.00", "Quantity must be at most 99,999,999,999.999"),
        ("1", "1000000000000000", "Unit price must be at most 999,999,999,999.99"),
        ("1000000", "1000.00", "The line comes to more than 999,999,999.99"),
    ],
)
def test_qty_1e20_on_a_po_is_refused_and_the_po_stays_readable(
    database, login_as, draft, qty, price, words
):
    buyer, po = draft
    client = login_as(buyer)
    before = database.session.scalars(
        select(PurchaseOrderLine.qty).where(PurchaseOrderLine.id == po.lines[0].id)
    ).one()
    answer = _edit(client, po, qty=qty, unit_price=price)
    assert answer.status_code == 422 and words in answer.text
    database.session.expire_all()
    after = database.session.get(PurchaseOrderLine, po.lines[0].id)
    assert after.qty == before and isinstance(after.qty, Decimal)
    assert client.get(f"/purchase-orders/{po.id}").status_code == 200
    assert client.get(f"/purchase-orders/{po.id}/edit").status_code == 200


def test_a_po_line_inside_the_bounds_is_stored_exactly(database, login_as, draft):
    buyer, po = draft
    answer = _edit(login_as(buyer), po, qty="99999.999", unit_price="9999.99")
    assert answer.status_code == 303
    database.session.expire_all()
    line = database.session.get(PurchaseOrderLine, po.lines[0].id)
    assert line.qty == Decimal("99999.999") and line.unit_price == Decimal("9999.99")


def test_snan_in_a_money_filter_is_ignored_not_a_crash(database, login_as):
    client = login_as(make_user(database, roles=["ap_clerk"]))
    for typed in ("sNaN", "NaN", "Infinity", "1e309", "²"):
        assert client.get(f"/invoices/exceptions?min_amount={typed}").status_code == 200


# ---- 9999-12-31 ------------------------------------------------------------------------------


def test_9999_12_31_as_a_day_of_labour_is_refused_in_words(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    for day in ("9999-12-31", "0001-01-01", "２０２６-01-01"):
        answer = client.post(
            f"/work-orders/{wo.id}/labour", data=once({"hours": "1", "worked_on": day})
        )
        _in_words(answer)
        assert "Day" in answer.text


def test_9999_12_31_in_the_audit_export_is_refused_before_the_first_byte(database, login_as):
    client = login_as(make_user(database, roles=["auditor"]))
    answer = client.get("/audit/events.csv?date_from=0001-01-01&date_to=9999-12-31")
    assert answer.status_code == 422
    assert answer.mimetype == "text/plain"
    assert "must be between 2000-01-01 and 2100-12-31" in answer.text
    assert client.get("/audit/?date_to=9999-12-31").status_code == 422


def test_9999_12_31_as_a_budget_day_is_refused_in_words(database, login_as):
    client = login_as(make_user(database, roles=["auditor"]))
    answer = client.get("/budgets/?on=9999-12-31")
    _in_words(answer)
    assert "Choose a period from the list." in answer.text


# ---- %00 and other control characters --------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/track/abc%00def",
        "/a/abc%00",
        "/request?a=%00",
        "/request?where=%00",
        "/login?next=%00",
    ],
)
def test_percent_00_signed_out_is_a_400_in_words(client, path):
    answer = client.get(path)
    assert answer.status_code == 400
    assert "control character" in answer.text


def test_percent_00_in_the_sign_in_username_is_a_400_in_words(client, database):
    make_user(database, username="pat")
    answer = client.post("/login", data={"username": "pat\x00", "password": "secret-pw"})
    assert answer.status_code == 400 and "control character" in answer.text


@pytest.mark.parametrize(
    "path",
    [
        "/work-orders/?q=pump%00",
        "/purchase-orders/?q=%00",
        "/vendors/?q=%00",
        "/audit/?q=%00",
        "/assets/?q=%1b[31m",
        "/work-orders/?q=%7f",
    ],
)
def test_percent_00_in_every_search_box_is_a_400_in_words(database, login_as, path):
    client = login_as(make_user(database, roles=["admin", "auditor", "buyer", "supervisor"]))
    answer = client.get(path)
    assert answer.status_code == 400 and "control character" in answer.text


def test_line_breaks_pass_in_a_text_area_but_a_nul_does_not(database, login_as):
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, assignee=tech)
    client = login_as(tech)
    ok = client.post(f"/work-orders/{wo.id}/comments", data=once({"body": "Line one\r\nLine\ttwo"}))
    assert ok.status_code < 400
    refused = client.post(f"/work-orders/{wo.id}/comments", data=once({"body": "a\x00b"}))
    assert refused.status_code == 400 and "control character" in refused.text


# ---- bidi and zero-width characters in titles and names --------------------------------------


def test_bidi_and_zero_width_characters_are_stripped_from_a_work_order_title(database, login_as):
    supervisor = make_user(database, roles=["supervisor"])
    asset = make_asset(database)
    client = login_as(supervisor)
    answer = client.post(
        "/work-orders/new",
        data=once(
            {
                "title": "\u202eFix\u200b the\u2066 pump\u2069\ufeff",
                "type": "corrective",
                "priority": "normal",
                "asset_id": str(asset.id),
                "location_id": "0",
                "assignee_user_id": "0",
            }
        ),
    )
    assert answer.status_code == 303, answer.text
    title = database.session.scalars(select(WorkOrder.title)).one()
    assert title == "Fix the pump"


def test_no_answer_shows_python_exception_text(database, login_as):
    client = login_as(make_user(database, roles=["buyer"]))
    for path in (
        "/purchase-orders/?page=²",
        "/purchase-orders/?page=99999999999999999999",
        "/purchase-orders/?vendor=%EF%BC%91",
        f"/purchase-orders/?page={uuid.uuid4().hex}",
    ):
        answer = client.get(path)
        assert answer.status_code < 500
        assert not any(words in answer.text for words in PYTHON_WORDS)

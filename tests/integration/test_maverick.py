"""Maverick spend: counted by site, technician, vendor and month from hand-made purchases."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal as D

from portal.domain.maverick import GroupBy, MaverickKind
from portal.domain.statuses import OutOfPocketStatus
from portal.read_models import maverick
from tests.factories import (
    make_asset,
    make_cost_centre,
    make_invoice_in_full,
    make_out_of_pocket_with_receipt,
    make_purchase_order,
    make_purchase_request,
    make_site,
    make_user,
    make_vendor,
    make_work_order,
)

HX = {"HX-Request": "true"}
YEAR = {"since": date(2026, 1, 1), "until": date(2026, 12, 31)}


def at(y, m, d, h=12):
    return datetime(y, m, d, h, tzinfo=UTC)


def make_spend(database):
    """Two sites, two technicians, two vendors; one purchase of each kind, and some that are not."""
    north, south = make_site(database, name="North plant"), make_site(database, name="South block")
    ann = make_user(database, full_name="Ann Fitter")
    bob = make_user(database, full_name="Bob Sparks")
    acme, bolt = make_vendor(database, name="Acme Supply"), make_vendor(database, name="Bolt & Co")
    wo_n = make_work_order(database, asset=make_asset(database, site=north), assignee=ann)
    wo_s = make_work_order(database, asset=make_asset(database, site=south), assignee=bob)
    centre = make_cost_centre(database, site=north)

    # After the fact: invoiced on 1 March, PO approved on 10 March (Ann asked for it).
    pr = make_purchase_request(database, requester=ann, cost_centre=centre, work_order=wo_n)
    po = make_purchase_order(
        database,
        vendor=acme,
        approved_at=at(2026, 3, 10),
        lines=(
            {
                "qty": "2",
                "unit_price": "100.00",
                "work_order_id": wo_n.id,
                "purchase_request_line_id": pr.lines[0].id,
            },
        ),
    )
    make_invoice_in_full(database, po, invoice_on=date(2026, 3, 1), total_amount=D("200.00"))
    make_invoice_in_full(database, po, invoice_on=date(2026, 3, 10))  # same day: in order
    make_invoice_in_full(database, po, invoice_on=date(2026, 3, 12))  # after: in order

    # Off contract at Bolt (Bob, South, April) and non-preferred Acme (Ann, North, April).
    make_purchase_request(
        database,
        requester=bob,
        cost_centre=centre,
        work_order=wo_s,
        submitted_at=at(2026, 4, 5),
        lines=(
            {
                "qty": "2",
                "unit_price": "50.00",
                "suggested_vendor_id": bolt.id,
                "description": "Gasket set",
                "policy_warnings": [
                    "Preferred vendor BOLT",
                    {"code": "off_contract", "text": "Above contract"},
                ],
            },
            {
                "qty": "1",
                "unit_price": "9.00",
                "suggested_vendor_id": bolt.id,
                "policy_warnings": ["No contract price: priced at standard cost"],
            },
        ),
    )
    make_purchase_request(
        database,
        requester=ann,
        cost_centre=centre,
        work_order=wo_n,
        submitted_at=at(2026, 4, 20),
        lines=(
            {
                "qty": "3",
                "unit_price": "10.00",
                "suggested_vendor_id": acme.id,
                "policy_warnings": [{"code": "non_preferred", "text": "Not preferred"}],
            },
        ),
    )
    # Out of pocket: Bob on the South job, April; a refused one does not count.
    make_out_of_pocket_with_receipt(
        database, work_order=wo_s, user=bob, amount="12.50", bought_on=date(2026, 4, 2)
    )
    make_out_of_pocket_with_receipt(
        database,
        work_order=wo_s,
        user=bob,
        amount="99.00",
        bought_on=date(2026, 4, 3),
        status=OutOfPocketStatus.refused,
    )
    return {"north": north, "south": south, "ann": ann, "bob": bob, "wo_n": wo_n, "po": po}


def by(report) -> dict[str, tuple[dict, D]]:
    return {g.label: (g.counts, g.amount) for g in report.groups}


def test_counts_and_amounts_by_site(database):
    make_spend(database)
    report = maverick.report(**YEAR, group_by=GroupBy.site)
    assert by(report) == {
        "North plant": ({"after_the_fact": 1, "non_preferred": 1}, D("230.00")),
        "South block": ({"off_contract": 1, "out_of_pocket": 1}, D("112.50")),
    }
    assert report.totals == {
        "after_the_fact": 1,
        "off_contract": 1,
        "non_preferred": 1,
        "out_of_pocket": 1,
    }
    assert (report.total_count, report.total_amount) == (4, D("342.50"))


def test_counts_by_technician_vendor_and_month(database):
    make_spend(database)
    people = by(maverick.report(**YEAR, group_by=GroupBy.technician))
    assert people == {
        "Ann Fitter": ({"after_the_fact": 1, "non_preferred": 1}, D("230.00")),
        "Bob Sparks": ({"off_contract": 1, "out_of_pocket": 1}, D("112.50")),
    }
    vendors = by(maverick.report(**YEAR, group_by=GroupBy.vendor))
    assert vendors == {
        "Acme Supply": ({"after_the_fact": 1, "non_preferred": 1}, D("230.00")),
        "Bolt & Co": ({"off_contract": 1}, D("100.00")),
        "Corner Hardware": ({"out_of_pocket": 1}, D("12.50")),
    }
    months = maverick.report(**YEAR, group_by=GroupBy.month)
    assert [(g.label, g.count) for g in months.groups] == [("2026-04", 3), ("2026-03", 1)]


def test_the_period_bounds_are_inclusive(database):
    make_spend(database)
    march = maverick.report(since=date(2026, 3, 1), until=date(2026, 3, 1))
    assert march.total_count == 1 and march.rows[0].kind is MaverickKind.after_the_fact
    assert maverick.report(since=date(2026, 3, 2), until=date(2026, 4, 1)).total_count == 0


def test_the_page_lists_groups_and_rows_with_links_to_the_documents(database, login_as):
    spend = make_spend(database)
    client = login_as(make_user(database, roles=["buyer"]))
    page = client.get("/maverick/?by=site&since=2026-01-01&until=2026-12-31")
    assert page.status_code == 200
    assert "North plant" in page.text and "230.00" in page.text
    assert f'href="/work-orders/{spend["wo_n"].id}"' in page.text
    assert spend["po"].number in page.text
    tab = client.get("/maverick/?by=technician&since=2026-01-01&until=2026-12-31", headers=HX)
    assert "<html" not in tab.text and "Bob Sparks" in tab.text
    one = client.get(
        f"/maverick/?by=technician&key={spend['bob'].id}&since=2026-01-01&until=2026-12-31",
        headers=HX,
    )
    assert "Gasket set" in one.text and "Ann Fitter ·" not in one.text


def test_the_csv_holds_every_row_of_the_period(database, login_as):
    make_spend(database)
    client = login_as(make_user(database, roles=["approver"]))
    answer = client.get("/maverick/export.csv?since=2026-01-01&until=2026-12-31")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.text.removeprefix("\ufeff"))))
    assert [(r["kind"], r["amount"]) for r in rows] == [
        ("after_the_fact", "200.00"),
        ("out_of_pocket", "12.50"),
        ("off_contract", "100.00"),
        ("non_preferred", "30.00"),
    ]
    assert rows[1]["vendor"] == "Corner Hardware" and rows[2]["technician"] == "Bob Sparks"


def test_a_formula_typed_as_a_shop_name_is_quoted_in_the_csv(database, login_as):
    make_out_of_pocket_with_receipt(database, shop_name="=HYPERLINK(1)", bought_on=date.today())
    client = login_as(make_user(database, roles=["buyer"]))
    answer = client.get("/maverick/export.csv")
    rows = list(csv.DictReader(io.StringIO(answer.text.removeprefix("\ufeff"))))
    assert rows[0]["vendor"] == "'=HYPERLINK(1)"


def _tabs(client) -> set[str]:
    """Every section the person is offered: the bottom bar and the "More" page."""
    pages = client.get("/").text + client.get("/menu").text
    return set(re.findall(r'<a class="(?:menu-link|bottom-nav-item)[^"]*" href="([^"]+)"', pages))


def test_the_auditor_opens_the_report_and_is_offered_it(database, login_as):
    make_spend(database)
    client = login_as(make_user(database, roles=["auditor"]))
    assert client.get("/maverick/?since=2026-01-01&until=2026-12-31").status_code == 200
    assert "/maverick/" in _tabs(client)  # before: a tab that answered 403


def test_the_supervisor_is_offered_the_report_they_may_open(database, login_as):
    client = login_as(make_user(database, roles=["supervisor"]))
    assert client.get("/maverick/").status_code == 200
    assert "/maverick/" in _tabs(client)  # before: allowed, but never shown


def test_the_technician_is_not_offered_the_report(database, login_as):
    assert "/maverick/" not in _tabs(login_as(make_user(database, roles=["technician"])))


def test_technicians_do_not_see_the_report(database, login_as):
    client = login_as(make_user(database, roles=["technician"]))
    assert client.get("/maverick/").status_code == 403
    assert client.get("/maverick/export.csv").status_code == 403


def test_the_report_and_the_queue_cost_the_same_statements_for_few_or_many_rows(
    database, login_as, count_statements
):
    wo = make_work_order(database)
    make_out_of_pocket_with_receipt(database, work_order=wo, bought_on=date.today())
    client = login_as(make_user(database, roles=["approver"]))
    report_few = count_statements(lambda: client.get("/maverick/?by=technician"))
    queue_few = count_statements(lambda: client.get("/out-of-pocket/"))
    wo_few = count_statements(lambda: client.get(f"/work-orders/{wo.id}"))
    for _ in range(12):
        make_out_of_pocket_with_receipt(database, work_order=wo, bought_on=date.today())
    assert count_statements(lambda: client.get("/maverick/?by=technician")) == report_few
    assert count_statements(lambda: client.get("/out-of-pocket/")) == queue_few
    assert count_statements(lambda: client.get(f"/work-orders/{wo.id}")) == wo_few


def test_an_off_contract_po_line_counts_once_under_its_vendor(database, login_as):
    """A PO line carrying an off_contract warning is maverick spend; its PR line is not again."""
    from sqlalchemy import select

    from portal.domain.statuses import PurchaseRequestStatus
    from portal.models import PurchaseOrderLine, PurchaseRequestLine
    from tests.factories import make_purchase_order, make_purchase_request, make_vendor

    warning = [{"code": "off_contract", "text": "Price 12.00 is above the contract price."}]
    pr = make_purchase_request(
        database,
        status=PurchaseRequestStatus.ordered,
        lines=[{"qty": "2", "unit_price": "12.00", "policy_warnings": warning}],
    )
    vendor = make_vendor(database, name="Pricey Parts")
    po = make_purchase_order(
        database,
        vendor=vendor,
        lines=[{"qty": "2", "unit_price": "12.00", "warnings": warning}],
    )
    po_line = database.session.get(PurchaseOrderLine, po.lines[0].id)
    po_line.purchase_request_line_id = database.session.scalar(
        select(PurchaseRequestLine.id).where(PurchaseRequestLine.purchase_request_id == pr.id)
    )
    database.session.commit()

    today = date.today()
    report = maverick.report(since=today.replace(day=1), until=today, group_by=GroupBy.vendor)
    rows = [g for g in report.groups if g.label == "Pricey Parts"]
    assert len(rows) == 1 and rows[0].count == 1 and rows[0].amount == D("24.00")
    assert rows[0].counts.get("off_contract") == 1


def test_a_service_requested_from_a_contractor_off_contract_counts_before_it_is_ordered(database):
    """The contractor's service PR line keeps its warning's code, so the report finds it."""
    import uuid

    from portal.domain.statuses import ItemKind
    from portal.domain.work_orders import WorkOrderStatus
    from portal.services import contractors
    from tests.factories import make_contract, make_item

    supervisor = make_user(database, roles=["supervisor"], full_name="Sue Visor")
    asset = make_asset(database)
    make_cost_centre(database, site=asset.location.site)
    wo = make_work_order(database, asset=asset, status=WorkOrderStatus.approved)
    wiring = make_item(database, kind=ItemKind.service, part_number="SVC-WIRE")
    make_contract(database, reference="C-SPARK", prices=[(wiring, "HOUR", "70.00")])
    dear = make_vendor(database, name="Dear Electric", is_contractor=True)

    contractors.request_service(
        wo.id,
        vendor_id=dear.id,
        item_id=wiring.id,
        description="Rewire the pump starter",
        qty="2",
        uom="HOUR",
        unit_price="95.00",
        actor=supervisor,
        submission_id=uuid.uuid4().hex,
    )

    today = date.today()
    report = maverick.report(since=today.replace(day=1), until=today, group_by=GroupBy.vendor)
    rows = [g for g in report.groups if g.label == "Dear Electric"]
    assert len(rows) == 1 and rows[0].counts.get("off_contract") == 1
    assert rows[0].amount == D("190.00")

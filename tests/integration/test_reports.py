"""Reports against a hand-made data set: every figure worked out by hand, on SQLite and PG."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, insert, select, update

from portal.domain.reports import period_from
from portal.domain.statuses import (
    InvoiceStatus,
    InvoiceType,
    LineKind,
    MovementKind,
    PurchaseRequestStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import LabourEntry, OutOfPocketPurchase, PurchaseRequestLine, StockMovement
from portal.read_models import report_figures, reports
from tests.conftest import ON_POSTGRES
from tests.factories import (
    make_asset,
    make_cost_centre,
    make_invoice_with_hold,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_site,
    make_status_history,
    make_storeroom,
    make_user,
    make_vendor,
    make_work_order,
)

D = Decimal
PERIOD = "start=2026-03&end=2026-04"
TODAY = date(2026, 11, 25)


def at(text: str) -> datetime:
    """'2026-03-05 10:00' as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def world(database):
    """Two sites, two vendors, two categories, invoices, a credit memo, work, waits, PRs."""
    db = database
    north, south = make_site(db, name="North plant"), make_site(db, name="South block")
    pump = make_asset(db, site=north, tag="P-1", name="Feed pump")
    other = make_asset(db, site=south, tag="X-9", name="Spare")
    acme, bolt = make_vendor(db, name="Acme Bearings"), make_vendor(db, name="Bolt Supply")
    clerk = make_user(db, roles=["ap_clerk"])
    bearing = make_item(db, category="Bearings")
    pump_part = make_item(db, category="Pumps")
    wo1 = make_work_order(
        db,
        title="Pump seal",
        asset=pump,
        status=WorkOrderStatus.closed,
        down_at=at("2026-03-05 08:00"),
        up_at=at("2026-03-05 20:00"),
    )
    wo2 = make_work_order(db, title="Door", asset=other, status=WorkOrderStatus.waiting_parts)
    wo2.asset_id = None
    wo3 = make_work_order(
        db,
        title="Old downtime",
        asset=pump,
        down_at=at("2026-02-20 08:00"),
        up_at=at("2026-02-21 08:00"),
    )
    po1 = make_purchase_order(
        db,
        vendor=acme,
        approved_at=at("2026-03-15 10:00"),
        lines=(
            {"item": bearing, "qty": "10", "unit_price": "10.00"},
            {"item": pump_part, "qty": "1", "unit_price": "250.00", "work_order_id": wo1.id},
        ),
    )
    po2 = make_purchase_order(
        db, vendor=bolt, approved_at=at("2026-04-05 15:00"), lines=({"qty": "1"},)
    )
    line1, line2 = po1.lines
    # Spend: matched, released and exported lines; credit memos negative; holds left out.
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=acme,
        po=po1,
        invoice_on=date(2026, 3, 10),
        lines=[(line1, "10", "10.00"), (line2, "1", "250.00")],
    )  # before approval
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=acme,
        po=po1,
        type=InvoiceType.credit_memo,
        invoice_on=date(2026, 3, 20),
        lines=[(line1, "2", "10.00")],
    )
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=bolt,
        po=po2,
        status=InvoiceStatus.exported,
        invoice_on=date(2026, 4, 5),
        lines=[(None, "0.5", "10.01")],
    )  # same day
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=bolt,
        po=po2,
        status=InvoiceStatus.hold,
        held=True,
        invoice_on=date(2026, 4, 6),
        lines=[(None, "1", "999.00")],
    )
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=acme,
        po=po1,
        status=InvoiceStatus.released,
        held=True,
        invoice_on=date(2026, 4, 10),
        lines=[(line1, "1", "10.00")],
    )
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=acme,
        po=po1,
        status=InvoiceStatus.entered,
        invoice_on=date(2026, 4, 11),
        lines=[(line1, "1", "10.00")],
    )
    make_invoice_with_hold(
        db,
        entered_by=clerk,
        vendor=acme,
        po=po1,
        invoice_on=date(2026, 2, 1),
        lines=[(line1, "1", "77.00")],
    )  # before the period
    # Work order cost: labour, stock issued (less a return), invoiced on the WO's PO line.
    tech = make_user(db)
    store = make_storeroom(db, site=north)
    db.session.add_all(
        [
            LabourEntry(
                work_order_id=wo1.id,
                user_id=tech.id,
                worked_on=date(2026, 3, 5),
                hours=D("2"),
                rate=D("40.00"),
                cost_amount=D("80.00"),
            ),
            LabourEntry(
                work_order_id=wo2.id,
                user_id=tech.id,
                worked_on=date(2026, 4, 2),
                hours=D("0.25"),
                rate=D("40.00"),
                cost_amount=D("10.00"),
            ),
            LabourEntry(
                work_order_id=wo1.id,
                user_id=tech.id,
                worked_on=date(2026, 2, 27),
                hours=D("1"),
                rate=D("40.00"),
                cost_amount=D("40.00"),
            ),
            StockMovement(
                item_id=bearing.id,
                storeroom_id=store.id,
                kind=MovementKind.issue,
                qty=D("-3"),
                unit_cost=D("7.50"),
                work_order_id=wo1.id,
                moved_at=at("2026-03-06 09:00"),
            ),
            StockMovement(
                item_id=bearing.id,
                storeroom_id=store.id,
                kind=MovementKind.return_,
                qty=D("1"),
                unit_cost=D("7.50"),
                work_order_id=wo1.id,
                moved_at=at("2026-03-07 09:00"),
            ),
            OutOfPocketPurchase(
                work_order_id=wo1.id,
                user_id=tech.id,
                description="Fuses",
                amount=D("23.45"),
                bought_on=date(2026, 4, 2),
            ),
        ]
    )
    db.session.commit()
    # Waits for parts: WO1 twice in March (48 h + 6 h); WO2 from 10 April, still waiting.
    make_status_history(
        db,
        wo1,
        [
            (WorkOrderStatus.in_progress, at("2026-03-05 08:00")),
            (WorkOrderStatus.waiting_parts, at("2026-03-05 10:00")),
            (WorkOrderStatus.in_progress, at("2026-03-07 10:00")),
            (WorkOrderStatus.waiting_parts, at("2026-03-08 00:00")),
            (WorkOrderStatus.completed, at("2026-03-08 06:00")),
        ],
    )
    make_status_history(db, wo2, [(WorkOrderStatus.waiting_parts, at("2026-04-10 00:00"))])
    make_status_history(
        db,
        wo3,
        [
            (WorkOrderStatus.waiting_parts, at("2026-02-10 00:00")),
            (WorkOrderStatus.in_progress, at("2026-02-11 00:00")),
        ],
    )
    # PR approval times: March 1 h, 2 h, 3 h, 10 h (and a cancelled one); April 5 h.
    centre = make_cost_centre(db)
    requester = make_user(db)
    for submitted, decided, status in [
        ("2026-03-02 08:00", "2026-03-02 09:00", PurchaseRequestStatus.approved),
        ("2026-03-03 08:00", "2026-03-03 10:00", PurchaseRequestStatus.ordered),
        ("2026-03-04 08:00", "2026-03-04 11:00", PurchaseRequestStatus.rejected),
        ("2026-03-30 20:00", "2026-03-31 06:00", PurchaseRequestStatus.approved),
        ("2026-03-05 08:00", "2026-03-05 09:30", PurchaseRequestStatus.cancelled),
        ("2026-04-01 08:00", "2026-04-01 13:00", PurchaseRequestStatus.approved),
    ]:
        make_purchase_request(
            db,
            requester=requester,
            cost_centre=centre,
            status=status,
            submitted_at=at(submitted),
            decided_at=at(decided),
        )
    # Sourcing warnings on request lines (not yet decided: no approval time).
    off = {"code": "off_contract", "text": "12% over the agreed price"}
    nonpref = {"code": "non_preferred", "text": "Not the preferred vendor"}
    make_purchase_request(
        db,
        requester=requester,
        cost_centre=centre,
        submitted_at=at("2026-03-02 12:00"),
        lines=(
            {"qty": "2", "unit_price": "12.50", "policy_warnings": [off]},
            {"qty": "1", "unit_price": "100.00", "policy_warnings": [off, nonpref]},
            {"qty": "1", "unit_price": "5.00"},
        ),
    )
    make_purchase_request(
        db,
        requester=requester,
        cost_centre=centre,
        submitted_at=at("2026-03-02 12:00"),
        status=PurchaseRequestStatus.rejected,
        lines=({"qty": "1", "unit_price": "70.00", "policy_warnings": [off]},),
    )
    return {"wo1": wo1, "wo2": wo2}


@pytest.fixture
def buyer(database):
    return make_user(database, roles=["buyer"])


def page_table(html: str) -> list[list[str]]:
    """The report table's header and rows as text, as a person reads them."""

    class Cells(HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.cell, self.inside = [], None, False

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.inside = True
            elif self.inside and tag == "tr":
                self.rows.append([])
            elif self.inside and tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.rows[-1].append(self.cell.strip())
                self.cell = None
            elif tag == "table":
                self.inside = False

        def handle_data(self, data):
            if self.cell is not None:
                self.cell += data

    parser = Cells()
    parser.feed(html)
    return parser.rows


def csv_of(client, slug: str, query: str) -> list[list[str]]:
    response = client.get(f"/reports/{slug}/export.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.text.startswith("\ufeff")  # so spreadsheets read it as UTF-8
    return list(csv.reader(io.StringIO(response.text.removeprefix("\ufeff"))))


def test_spend_by_month_is_net_of_credit_memos_and_leaves_out_holds(world, login_as, buyer):
    rows = csv_of(login_as(buyer), "spend", PERIOD + "&by=month")
    # March 100 + 250 - 20; April 0.5 x 10.01 = 5.005 -> 5.01, plus the released 10.00.
    assert rows == [["Month", "Net spend"], ["Mar 2026", "330.00"], ["Apr 2026", "15.01"]]


def test_spend_by_vendor_and_by_category_biggest_first(world, login_as, buyer):
    client = login_as(buyer)
    assert csv_of(client, "spend", PERIOD + "&by=vendor")[1:] == [
        ["Acme Bearings", "340.00"],
        ["Bolt Supply", "5.01"],
    ]
    assert csv_of(client, "spend", PERIOD + "&by=category")[1:] == [
        ["Pumps", "250.00"],
        ["Bearings", "90.00"],
        ["No category", "5.01"],
    ]


def test_work_order_cost_adds_labour_stock_and_invoices_per_asset_and_site(world, login_as, buyer):
    client = login_as(buyer)
    assert csv_of(client, "wo-cost", PERIOD + "&by=asset") == [
        ["Asset", "Labour", "Stock issued", "Invoiced", "Total"],
        ["P-1 Feed pump", "80.00", "15.00", "250.00", "345.00"],
        ["No asset", "10.00", "0.00", "0.00", "10.00"],
    ]
    assert csv_of(client, "wo-cost", PERIOD + "&by=site")[1:] == [
        ["North plant", "80.00", "15.00", "250.00", "345.00"],
        ["South block", "10.00", "0.00", "0.00", "10.00"],
    ]


def test_approval_time_median_and_p90_per_month(world, login_as, buyer):
    assert csv_of(login_as(buyer), "approval-cycle", PERIOD) == [
        ["Month", "PRs decided", "Median hours", "90th percentile hours"],
        ["Mar 2026", "4", "2.0", "10.0"],
        ["Apr 2026", "1", "5.0", "5.0"],
    ]


def test_match_exception_rate_counts_released_holds_and_leaves_out_unmatched(
    world, login_as, buyer
):
    assert csv_of(login_as(buyer), "match-exceptions", PERIOD) == [
        ["Month", "Invoices matched", "Held", "Held %"],
        ["Mar 2026", "2", "0", "0.0"],
        ["Apr 2026", "3", "2", "66.7"],
    ]


def test_maverick_trend_counts_each_kind_with_its_amount(world, login_as, buyer):
    rows = csv_of(login_as(buyer), "maverick", PERIOD)
    assert rows[0][:3] == ["Month", "After-the-fact PO count", "After-the-fact PO amount"]
    # March: the invoice dated 10 March on a PO approved 15 March (350.00); two off-contract
    # lines (25 + 100), one of them non-preferred too; the rejected request left out.
    assert rows[1] == ["Mar 2026", "1", "350.00", "2", "125.00", "1", "100.00", "0", "0.00"]
    # April: invoiced the day the PO was approved is not after the fact; one out-of-pocket buy.
    assert rows[2] == ["Apr 2026", "0", "0.00", "0", "0.00", "0", "0.00", "1", "23.45"]


def test_request_line_flags_follow_its_warnings_however_the_line_is_written(database):
    """off_contract, non_preferred and sourcing_flagged are the database's own reading of
    policy_warnings: set for the ORM and for bulk inserts (demo data, bench.generate) alike,
    and again on every change."""
    off = {"code": "off_contract", "text": "12% over the agreed price"}
    nonpref = {"code": "non_preferred", "text": "Not the preferred vendor"}
    required = {"code": "po_required", "text": "PO required: over 500.00"}
    pr = make_purchase_request(
        database,
        lines=(
            {"policy_warnings": [off]},
            {"policy_warnings": [off, nonpref]},
            {"policy_warnings": ["No contract price: priced at standard cost", required]},
            {"policy_warnings": None},
            {},
        ),
    )
    session = database.session
    session.execute(
        insert(PurchaseRequestLine),
        [
            {
                "purchase_request_id": pr.id,
                "description": "Bulk",
                "kind": LineKind.goods,
                "qty": D("1"),
                "uom": "EA",
                "unit_price": D("1.00"),
                "policy_warnings": [nonpref],
            }
        ],
    )
    session.commit()

    def flags():
        rows = session.execute(
            select(
                PurchaseRequestLine.off_contract,
                PurchaseRequestLine.non_preferred,
                PurchaseRequestLine.sourcing_flagged,
            )
            .where(PurchaseRequestLine.purchase_request_id == pr.id)
            .order_by(PurchaseRequestLine.id)
        )
        return [tuple(r) for r in rows]

    assert flags() == [
        (True, False, True),
        (True, True, True),
        (False, False, False),
        (False, False, False),
        (False, False, False),
        (False, True, True),
    ]
    first, second, *_ = pr.lines
    first.policy_warnings = [nonpref]  # the ORM's update ...
    session.commit()
    session.execute(  # ... and a plain UPDATE
        update(PurchaseRequestLine)
        .where(PurchaseRequestLine.id == second.id)
        .values(policy_warnings=None)
    )
    session.commit()
    assert flags()[:2] == [(False, True, True), (False, False, False)]


def test_maverick_trend_counts_a_request_line_by_its_warnings_as_they_are_now(
    world, database, login_as, buyer
):
    line = database.session.scalars(
        select(PurchaseRequestLine).where(PurchaseRequestLine.unit_price == D("5.00"))
    ).one()
    line.policy_warnings = [{"code": "non_preferred", "text": "Not the preferred vendor"}]
    database.session.commit()
    rows = csv_of(login_as(buyer), "maverick", PERIOD)
    # March as above, and the 5.00 line now non-preferred too.
    assert rows[1] == ["Mar 2026", "1", "350.00", "2", "125.00", "2", "105.00", "0", "0.00"]


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's plan; PostgreSQL picks its own by statistics")
def test_maverick_trend_reads_only_the_flagged_request_lines(world, database):
    """Only the flagged lines of the period's PRs are read, and the PRs from their index alone:
    not every request line of the period with its warnings."""
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        report_figures.maverick_rows(period_from("2026-03", "2026-04", TODAY))
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    ((statement, parameters),) = seen
    plan = " | ".join(
        row[-1]
        for row in database.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters
        )
    )
    assert (
        "purchase_request_line USING INDEX ix_purchase_request_line_request_flagged "
        "(purchase_request_id=? AND sourcing_flagged=?)"
    ) in plan
    assert "COVERING INDEX ix_purchase_request_submitted_status" in plan


def test_waiting_for_parts_and_downtime_by_site_and_vendor(world, app):
    period = period_from("2026-03", "2026-04", TODAY)
    now = at("2026-04-11 00:00")  # WO2 has waited 24 hours so far
    assert report_figures.waiting_rows(period, "site", now=now) == [
        ("North plant", 2, D("54.0"), 1, D("12.0")),
        ("South block", 1, D("24.0"), 0, D("0.0")),
    ]
    assert report_figures.waiting_rows(period, "vendor", now=now) == [
        ("Acme Bearings", 2, D("54.0"), 1, D("12.0")),
        ("No purchase order", 1, D("24.0"), 0, D("0.0")),
    ]


@pytest.mark.parametrize(
    ("slug", "by"),
    [
        ("spend", "month"),
        ("spend", "vendor"),
        ("spend", "category"),
        ("wo-cost", "asset"),
        ("wo-cost", "site"),
        ("approval-cycle", ""),
        ("match-exceptions", ""),
        ("maverick", ""),
        ("waiting", "site"),
        ("waiting", "vendor"),
    ],
)
def test_the_csv_holds_exactly_the_table_on_the_page(world, login_as, buyer, slug, by):
    client = login_as(buyer)
    query = PERIOD + (f"&by={by}" if by else "")
    page = client.get(f"/reports/{slug}?{query}")
    assert page.status_code == 200
    table = page_table(page.text)
    assert len(table) > 1
    assert table == csv_of(client, slug, query)


@pytest.mark.parametrize(
    ("slug", "by"),
    [
        ("spend", "month"),
        ("spend", "category"),
        ("wo-cost", "asset"),
        ("approval-cycle", ""),
        ("match-exceptions", ""),
        ("maverick", ""),
        ("waiting", "vendor"),
    ],
)
def test_each_report_is_one_query_whatever_the_rows(world, count_statements, slug, by):
    period = period_from("2026-03", "2026-04", TODAY)
    assert count_statements(lambda: reports.run_report(slug, period, by)) == 1


def test_the_period_filter_narrows_the_figures(world, login_as, buyer):
    rows = csv_of(login_as(buyer), "spend", "start=2026-04&end=2026-04&by=vendor")
    assert rows[1:] == [["Acme Bearings", "10.00"], ["Bolt Supply", "5.01"]]


def test_by_default_a_report_shows_the_last_twelve_months(world, login_as, buyer):
    page = login_as(buyer).get("/reports/spend?by=month")
    assert page.status_code == 200
    months = [row[0] for row in page_table(page.text)[1:]]
    assert len(months) == 12
    assert 'type="month"' in page.text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("start=2026-13", "YYYY-MM"),
        ("start=2026-05&end=2026-01", "must not be after"),
        ("start=2020-01&end=2026-01", "at most 36 months"),
        ("start=9999-01&end=9999-12", "between 1900 and 2999"),  # was a 500: no month after
        ("start=9999-12", "between 1900 and 2999"),
    ],
)
def test_a_bad_period_is_refused_in_words_on_the_page_and_for_the_csv(
    database, login_as, buyer, query, words
):
    client = login_as(buyer)
    page = client.get(f"/reports/spend?{query}")
    assert page.status_code == 422
    assert words in page.text and 'role="alert"' in page.text
    assert client.get(f"/reports/spend/export.csv?{query}").status_code == 422


def test_htmx_gets_only_the_report_body(world, login_as, buyer):
    page = login_as(buyer).get(f"/reports/spend?{PERIOD}", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "<html" not in page.text and "<svg" in page.text and "330.00" in page.text


def test_an_empty_period_says_no_data_in_the_chart_and_the_table(database, login_as, buyer):
    page = login_as(buyer).get("/reports/spend?start=2026-03&end=2026-04&by=vendor")
    assert page.text.count("No data for this period") == 2


def test_csv_cells_never_run_as_formulas(database, login_as, buyer):
    vendor = make_vendor(database, name="=HYPERLINK(evil)")
    make_invoice_with_hold(
        database,
        vendor=vendor,
        invoice_on=date(2026, 3, 2),
        lines=[(None, "1", "5.00")],
        type=InvoiceType.credit_memo,
    )
    rows = csv_of(login_as(buyer), "spend", PERIOD + "&by=vendor")
    assert rows[1] == ["'=HYPERLINK(evil)", "-5.00"]


@pytest.mark.parametrize("role", ["buyer", "approver", "supervisor", "admin"])
def test_reports_are_open_to_buyers_approvers_supervisors_and_admins(database, login_as, role):
    client = login_as(make_user(database, roles=[role]))
    index = client.get("/reports/")
    assert index.status_code == 200
    assert all(title in index.text for title in ("Spend", "Work order cost", "Match exceptions"))
    assert client.get("/reports/waiting").status_code == 200
    assert 'href="/reports/"' in client.get("/reports/spend").text  # the Reports tab


@pytest.mark.parametrize("role", ["technician", "storekeeper", "ap_clerk"])
def test_reports_are_closed_to_other_roles(database, login_as, role):
    client = login_as(make_user(database, roles=[role]))
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/spend/export.csv").status_code == 403
    assert 'href="/reports/"' not in client.get("/").text


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get("/reports/spend")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_report_is_404(database, login_as, buyer):
    assert login_as(buyer).get("/reports/nothing-here").status_code == 404


def test_the_download_names_report_breakdown_and_months(world, login_as, buyer):
    response = login_as(buyer).get(f"/reports/spend/export.csv?{PERIOD}&by=vendor")
    assert re.search(
        r'filename="spend-by-vendor-2026-03-to-2026-04\.csv"',
        response.headers["Content-Disposition"],
    )

"""Purchase orders on a real database: create from approved lines, move, revise, cancel, PDF."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.domain.errors import InvalidTransition
from portal.domain.purchase_orders import (
    CancelRefused,
    LineChange,
    MissingVendor,
    RevisionChanges,
    RevisionRefused,
)
from portal.domain.sourcing import BlockedVendor
from portal.domain.statuses import (
    LineKind,
    PurchaseOrderStatus,
    PurchaseRequestStatus,
    VendorStatus,
)
from portal.models import (
    AuditEvent,
    Contract,
    ContractPrice,
    PreferredVendor,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderRevision,
    PurchaseRequest,
)
from portal.read_models import purchase_orders as pages
from portal.services import po_creation, po_revisions
from portal.services import purchase_orders as orders
from tests.factories import (
    make_asset,
    make_cost_centre,
    make_goods_receipt,
    make_item,
    make_purchase_order,
    make_purchase_request,
    make_site,
    make_storeroom,
    make_user,
    make_vendor,
    make_work_order,
)
from tests.submitted import once

D = Decimal
S = PurchaseOrderStatus


def sid() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def world(database):
    """Two vendors, a site with a storeroom, a work order there, two approved requests."""
    site = make_site(database, name="Riverside Plant", address="14 Mill Road")
    store = make_storeroom(database, site=site, name="Plant main storeroom")
    wo = make_work_order(database, asset=make_asset(database, site=site))
    centre = make_cost_centre(database, site=site)
    nbs, flo = make_vendor(database, name="Northern Bearings"), make_vendor(database, name="Flo")
    seal, bearing = make_item(database, category="Seals"), make_item(database, category="Bearings")
    pr1 = make_purchase_request(
        database,
        work_order=wo,
        cost_centre=centre,
        status=PurchaseRequestStatus.approved,
        lines=[
            {"item": seal, "qty": "2", "unit_price": "172.00", "suggested_vendor_id": nbs.id},
            {"item": bearing, "qty": "4", "unit_price": "7.60", "suggested_vendor_id": flo.id},
        ],
    )
    pr2 = make_purchase_request(
        database,
        work_order=wo,
        cost_centre=centre,
        status=PurchaseRequestStatus.approved,
        lines=[{"item": bearing, "qty": "6", "unit_price": "7.60", "suggested_vendor_id": nbs.id}],
    )
    buyer = make_user(database, roles=["buyer"], full_name="Bea Nakamura")
    return {
        "site": site,
        "store": store,
        "wo": wo,
        "centre": centre,
        "nbs": nbs,
        "flo": flo,
        "seal": seal,
        "bearing": bearing,
        "pr1": pr1,
        "pr2": pr2,
        "buyer": buyer,
    }


def line_ids(*prs) -> list[int]:
    return [line.id for pr in prs for line in pr.lines]


def events(database, action: str) -> list[AuditEvent]:
    return list(
        database.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_lines_of_two_requests_are_consolidated_one_po_per_vendor(database, world):
    pos = po_creation.create_purchase_orders(
        line_ids(world["pr1"], world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    assert len(pos) == 2
    by_vendor = {po.vendor_id: po for po in pos}
    nbs_po = by_vendor[world["nbs"].id]
    assert [(ln.description, ln.qty) for ln in nbs_po.lines] == [
        (world["seal"].description, D("2.000")),
        (world["bearing"].description, D("6.000")),
    ]
    assert all(re.fullmatch(r"PO-\d{4}-\d{6}", po.number) for po in pos)
    assert all(po.status is S.draft for po in pos)
    assert nbs_po.payment_terms == "Net 30"
    assert nbs_po.ship_to == "Plant main storeroom, Riverside Plant, 14 Mill Road"
    for ln in nbs_po.lines:
        assert ln.work_order_id == world["wo"].id
        assert ln.cost_centre_id == world["centre"].id
        assert ln.storeroom_id == world["store"].id
        assert ln.purchase_request_line_id is not None
    database.session.expire_all()
    statuses = {database.session.get(PurchaseRequest, world[k].id).status for k in ("pr1", "pr2")}
    assert statuses == {PurchaseRequestStatus.ordered}
    assert len(events(database, "purchase_order.created")) == 2
    assert len(events(database, "purchase_request.ordered")) == 2


def test_a_request_stays_approved_until_all_its_lines_are_ordered(database, world):
    first_line = world["pr1"].lines[0].id
    po_creation.create_purchase_orders([first_line], buyer=world["buyer"], submission_id=sid())
    database.session.expire_all()
    assert database.session.get(PurchaseRequest, world["pr1"].id).status is (
        PurchaseRequestStatus.approved
    )
    assert pages.buyer_counts() == pages.BuyerCounts(lines_to_order=2, drafts=1)


def test_the_same_submission_twice_creates_one_set_of_pos(database, world):
    token = sid()
    ids = line_ids(world["pr1"], world["pr2"])
    first = po_creation.create_purchase_orders(ids, buyer=world["buyer"], submission_id=token)
    again = po_creation.create_purchase_orders(ids, buyer=world["buyer"], submission_id=token)
    assert [po.id for po in again] == [po.id for po in first]
    assert database.session.scalar(select(func.count(PurchaseOrder.id))) == 2


def test_ordering_lines_already_on_a_po_is_refused(database, world):
    ids = line_ids(world["pr1"])
    po_creation.create_purchase_orders(ids, buyer=world["buyer"], submission_id=sid())
    with pytest.raises(Exception, match="Only approved requests|already ordered"):
        po_creation.create_purchase_orders(ids, buyer=world["buyer"], submission_id=sid())


def test_a_blocked_vendor_is_refused_and_nothing_is_written(database, world):
    world["flo"].status = VendorStatus.blocked
    world["flo"].blocked_reason = "Wrong parts twice"
    database.session.commit()
    with pytest.raises(BlockedVendor, match="Flo is blocked: Wrong parts twice"):
        po_creation.create_purchase_orders(
            line_ids(world["pr1"]), buyer=world["buyer"], submission_id=sid()
        )
    assert database.session.scalar(select(func.count(PurchaseOrder.id))) == 0
    # Choosing another vendor for that line orders it.
    bearing_line = world["pr1"].lines[1].id
    pos = po_creation.create_purchase_orders(
        line_ids(world["pr1"]),
        buyer=world["buyer"],
        submission_id=sid(),
        vendor_overrides={bearing_line: world["nbs"].id},
    )
    assert [po.vendor_id for po in pos] == [world["nbs"].id]


def test_lines_without_a_vendor_need_the_buyers_choice(database, world):
    pr = make_purchase_request(
        database,
        cost_centre=world["centre"],
        status=PurchaseRequestStatus.approved,
        lines=[
            {
                "description": "Window cleaning",
                "qty": "1",
                "unit_price": "90.00",
                "kind": LineKind.service,
            }
        ],
    )
    with pytest.raises(MissingVendor, match="Choose a vendor"):
        po_creation.create_purchase_orders(line_ids(pr), buyer=world["buyer"], submission_id=sid())
    (po,) = po_creation.create_purchase_orders(
        line_ids(pr),
        buyer=world["buyer"],
        submission_id=sid(),
        vendor_overrides={pr.lines[0].id: world["flo"].id},
    )
    assert po.vendor_id == world["flo"].id
    # No work order: the cost centre's site; a service goes to no storeroom.
    assert po.ship_to == "Riverside Plant, 14 Mill Road"
    assert po.lines[0].storeroom_id is None


def test_requests_not_approved_are_not_ordered(database, world):
    pr = make_purchase_request(database, status=PurchaseRequestStatus.submitted)
    with pytest.raises(Exception, match="Only approved requests are ordered"):
        po_creation.create_purchase_orders(line_ids(pr), buyer=world["buyer"], submission_id=sid())


def _warned_world(database, world):
    """NBS holds a valid contract for the seal at 160; Flo is the preferred seal vendor."""
    today = date.today()
    contract = Contract(
        vendor_id=world["nbs"].id,
        reference="C-NBS",
        title="Seals",
        valid_from=date(today.year, 1, 1),
        valid_to=date(today.year, 12, 31),
    )
    contract.prices.append(ContractPrice(item_id=world["seal"].id, uom="EA", unit_price=D("160")))
    database.session.add_all(
        [contract, PreferredVendor(vendor_id=world["flo"].id, category="Seals")]
    )
    database.session.commit()


def test_sourcing_warnings_are_stored_at_approval_and_shown_on_the_page(database, world, login_as):
    _warned_world(database, world)
    pos = po_creation.create_purchase_orders(
        [world["pr1"].lines[0].id], buyer=world["buyer"], submission_id=sid()
    )
    po = orders.approve_purchase_order(pos[0].id, actor=world["buyer"])
    assert po.status is S.approved and po.approved_at is not None
    warnings = database.session.scalars(select(PurchaseOrderLine.warnings)).one()
    assert [w["code"] for w in warnings] == ["off_contract"]
    assert "C-NBS" in warnings[0]["text"]
    (approved,) = events(database, "purchase_order.approved")
    assert approved.changes["warnings"] == [warnings[0]["text"]]
    page = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}")
    assert page.status_code == 200
    assert "C-NBS" in page.text and "po-warning" in page.text
    assert "Issue to vendor" in page.text and ">Approve<" not in page.text


def test_issue_records_the_time_and_only_allowed_moves_are_offered(database, world, login_as):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    with pytest.raises(InvalidTransition):
        orders.issue_purchase_order(po.id, actor=world["buyer"])
    orders.approve_purchase_order(po.id, actor=world["buyer"])
    po = orders.issue_purchase_order(po.id, actor=world["buyer"])
    assert po.status is S.issued and po.issued_at is not None
    page = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}")
    assert "Revise…" in page.text and "Cancel…" in page.text
    assert "Issue to vendor" not in page.text and "Edit draft" not in page.text
    assert "Backorder 6 EA" in page.text


def test_a_revision_after_issue_keeps_the_old_lines_and_the_reason(database, world):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    orders.approve_purchase_order(po.id, actor=world["buyer"])
    orders.issue_purchase_order(po.id, actor=world["buyer"])
    line_id = po.lines[0].id
    revision = po_revisions.revise_purchase_order(
        po.id,
        changes=RevisionChanges(
            # Within what was approved (45.60): takes effect at once. Going above it waits for
            # the approval matrix (tests/integration/test_po_approval.py).
            lines={line_id: LineChange(qty=D("8"), unit_price=D("5.70"))},
        ),
        reason="Vendor offered a volume price",
        actor=world["buyer"],
    )
    assert revision.revision == 1
    assert revision.snapshot["lines"][0]["qty"] == "6.000"
    assert revision.snapshot["total"] == "45.60"
    database.session.expire_all()
    po = database.session.get(PurchaseOrder, po.id)
    assert po.revision == 1
    assert [(ln.qty, ln.unit_price) for ln in po.lines] == [(D("8.000"), D("5.70"))]
    assert po.lines[0].backorder_qty == D("8.000")
    (event,) = events(database, "purchase_order.revised")
    assert event.why == "Vendor offered a volume price"
    assert event.changes["lines"]["1"]["qty"] == ["6.000", "8"]
    assert event.changes["total"] == ["45.60", "45.60"]
    with pytest.raises(RevisionRefused, match="vendor"):
        po_revisions.revise_purchase_order(
            po.id,
            changes=RevisionChanges(lines={}, vendor_id=world["flo"].id),
            reason="Switch",
            actor=world["buyer"],
        )
    with pytest.raises(Exception, match="Say why"):
        po_revisions.revise_purchase_order(
            po.id,
            changes=RevisionChanges(lines={line_id: LineChange(qty=D("9"))}),
            reason=" ",
            actor=world["buyer"],
        )


def test_quantity_cannot_be_revised_below_what_arrived(database, world):
    buyer = world["buyer"]
    po = make_purchase_order(database, vendor=world["nbs"], lines=[{"qty": "10"}])
    make_goods_receipt(database, po, lines={1: "4"})
    with pytest.raises(RevisionRefused, match="already arrived"):
        po_revisions.revise_purchase_order(
            po.id,
            changes=RevisionChanges(lines={po.lines[0].id: LineChange(qty=D("3"))}),
            reason="Cut",
            actor=buyer,
        )
    # Cutting to exactly what arrived leaves nothing owed: the PO reads received.
    po_revisions.revise_purchase_order(
        po.id,
        changes=RevisionChanges(lines={po.lines[0].id: LineChange(qty=D("4"))}),
        reason="Vendor cannot supply the rest",
        actor=buyer,
    )
    database.session.expire_all()
    po = database.session.get(PurchaseOrder, po.id)
    assert po.status is S.received and po.lines[0].backorder_qty == D("0.000")


def test_cancel_needs_a_reason_and_is_refused_after_a_receipt(database, world):
    buyer = world["buyer"]
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=buyer, submission_id=sid()
    )
    with pytest.raises(Exception, match="Say why"):
        orders.cancel_purchase_order(po.id, reason="", actor=buyer)
    orders.cancel_purchase_order(po.id, reason="Ordered by phone instead", actor=buyer)
    database.session.expire_all()
    assert database.session.get(PurchaseOrder, po.id).status is S.cancelled
    # The request's lines can be ordered again.
    assert database.session.get(PurchaseRequest, world["pr2"].id).status is (
        PurchaseRequestStatus.approved
    )
    (event,) = events(database, "purchase_order.cancelled")
    assert event.why == "Ordered by phone instead"

    received = make_purchase_order(database, vendor=world["nbs"])
    make_goods_receipt(database, received, lines={1: "1"})
    with pytest.raises(CancelRefused, match="Close it instead"):
        orders.cancel_purchase_order(received.id, reason="Too late", actor=buyer)


def test_closing_short_needs_a_reason(database, world):
    po = make_purchase_order(
        database, vendor=world["nbs"], status=S.partially_received, lines=[{"qty": "5"}]
    )
    make_goods_receipt(database, po, lines={1: "2"})
    with pytest.raises(Exception, match="backorder"):
        orders.close_purchase_order(po.id, reason=None, actor=world["buyer"])
    orders.close_purchase_order(po.id, reason="Vendor discontinued it", actor=world["buyer"])
    database.session.expire_all()
    assert database.session.get(PurchaseOrder, po.id).status is S.closed


def test_the_pdf_is_a_real_pdf_with_the_po_number(database, world, login_as):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    response = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert po.number in text
    assert "Northern Bearings" in text and "Net 30" in text and "45.60" in text
    assert "Plant main storeroom" in text
    letter = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}.pdf?paper=letter")
    box = PdfReader(io.BytesIO(letter.data)).pages[0].mediabox
    assert round(float(box.width)) == 612  # 8.5 in


def test_a_long_po_flows_onto_more_pages(database, world, login_as):
    lines = [{"description": f"Spare part number {n}", "qty": "1"} for n in range(60)]
    po = make_purchase_order(database, vendor=world["nbs"], lines=lines)
    response = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}.pdf")
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) >= 2
    assert "Spare part number 59" in reader.pages[-1].extract_text()


def test_the_print_page_carries_the_qr_code_and_the_lines(database, world, login_as):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    page = login_as(world["buyer"]).get(f"/purchase-orders/{po.id}/document")
    assert page.status_code == 200
    assert "<svg" in page.text and f"QR code of {po.number}" in page.text
    assert "/static/css/po-a4.css" in page.text and "45.60" in page.text  # @page size: A4


def test_create_through_the_page_twice_makes_one_set(database, world, login_as):
    client = login_as(world["buyer"])
    form = {
        "submission_id": sid(),
        "line": [str(i) for i in line_ids(world["pr1"], world["pr2"])],
        "group": [f"{ln.id}:{ln.suggested_vendor_id}" for ln in world["pr1"].lines]
        + [f"{ln.id}:{ln.suggested_vendor_id}" for ln in world["pr2"].lines],
    }
    first = client.post("/purchase-orders/to-order", data=form)
    second = client.post("/purchase-orders/to-order", data=form)
    assert first.status_code == second.status_code == 303
    assert database.session.scalar(select(func.count(PurchaseOrder.id))) == 2


def test_the_to_order_page_groups_lines_by_vendor_and_tells_errors(database, world, login_as):
    client = login_as(world["buyer"])
    page = client.get("/purchase-orders/to-order")
    assert page.status_code == 200
    assert page.text.count('class="card po-group"') == 2
    assert "Northern Bearings" in page.text and world["pr2"].number in page.text
    refused = client.post("/purchase-orders/to-order", data={"submission_id": sid(), "line": []})
    assert refused.status_code == 422 and "Tick at least one request line" in refused.text


def test_choosing_a_vendor_for_a_group_moves_its_lines(database, world, login_as):
    client = login_as(world["buyer"])
    flo_group = world["flo"].id
    form = {
        "submission_id": sid(),
        "line": [str(world["pr1"].lines[1].id)],
        "group": [f"{world['pr1'].lines[1].id}:{flo_group}"],
        f"vendor-{flo_group}": str(world["nbs"].id),
    }
    assert client.post("/purchase-orders/to-order", data=form).status_code == 303
    po = database.session.scalars(select(PurchaseOrder)).one()
    assert po.vendor_id == world["nbs"].id


def test_editing_a_draft_changes_lines_and_terms_with_bad_numbers_told(database, world, login_as):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    client = login_as(world["buyer"])
    assert client.get(f"/purchase-orders/{po.id}/edit").status_code == 200
    line_id = po.lines[0].id
    base = {
        "payment_terms": "",
        "ship_to": "Dock 2",
        "notes": "Call before delivery",
        "service_frequency": "",
        "billing_schedule": "",
        "lines-0-line_id": str(line_id),
        "lines-0-qty": "6",
        "lines-0-unit_price": "7,10",
        "lines-0-discount_percent": "10",
        "lines-0-expected_on": "2026-12-15",
    }
    bad = client.post(f"/purchase-orders/{po.id}/edit", data=once({**base, "lines-0-qty": "-1"}))
    assert bad.status_code == 422 and "Quantity must be more than 0." in bad.text
    ok = client.post(f"/purchase-orders/{po.id}/edit", data=once(base))
    assert ok.status_code == 303
    database.session.expire_all()
    po = database.session.get(PurchaseOrder, po.id)
    assert po.payment_terms == "Net 30"  # empty takes the vendor's
    assert po.ship_to == "Dock 2"
    line = po.lines[0]
    assert (line.unit_price, line.discount_percent, line.expected_on) == (
        D("7.10"),
        D("10.000"),
        date(2026, 12, 15),
    )
    assert "38.34" in client.get(f"/purchase-orders/{po.id}").text  # 6 x 7.10 - 10%


def test_the_revise_page_records_a_revision(database, world, login_as):
    po = make_purchase_order(database, vendor=world["nbs"], lines=[{"qty": "3"}])
    client = login_as(world["buyer"])
    assert client.get(f"/purchase-orders/{po.id}/revise").status_code == 200
    form = {
        "lines-0-line_id": str(po.lines[0].id),
        "lines-0-qty": "5",
        "lines-0-unit_price": "10.00",
        "lines-0-discount_percent": "",
        "lines-0-expected_on": "",
        "reason": "",
    }
    missing = client.post(f"/purchase-orders/{po.id}/revise", data=once(form))
    assert missing.status_code == 422 and "Say why the purchase order is revised." in missing.text
    done = client.post(
        f"/purchase-orders/{po.id}/revise", data=once({**form, "reason": "More needed"})
    )
    assert done.status_code == 303
    page = client.get(f"/purchase-orders/{po.id}")
    assert "Revision 1" in page.text and "More needed" in page.text
    assert database.session.scalar(select(func.count(PurchaseOrderRevision.id))) == 1


def test_a_refused_move_is_told_on_the_page(database, world, login_as):
    po = make_purchase_order(database, vendor=world["nbs"])
    make_goods_receipt(database, po, lines={1: "1"})
    page = login_as(world["buyer"]).post(
        f"/purchase-orders/{po.id}/cancel", data=once({"reason": "Changed mind"})
    )
    assert page.status_code == 422 and "Close it instead" in page.text


def test_the_list_filters_by_status_vendor_and_number_and_htmx_gets_rows(database, world, login_as):
    a = make_purchase_order(database, vendor=world["nbs"], status=S.draft)
    b = make_purchase_order(database, vendor=world["flo"], status=S.issued)
    client = login_as(world["buyer"])
    assert a.number in client.get("/purchase-orders/").text
    drafts = client.get("/purchase-orders/?status=draft").text
    assert a.number in drafts and b.number not in drafts
    by_vendor = client.get(f"/purchase-orders/?vendor={world['flo'].id}").text
    assert b.number in by_vendor and a.number not in by_vendor
    rows = client.get(f"/purchase-orders/?q={b.number[-6:]}", headers={"HX-Request": "true"}).text
    assert b.number in rows and a.number not in rows and "<html" not in rows
    assert client.get("/purchase-orders/?page=abc").status_code == 200


def test_list_page_costs_the_same_queries_for_many_pos(database, world, login_as, count_statements):
    client = login_as(world["buyer"])
    make_purchase_order(database, vendor=world["nbs"])
    few = count_statements(lambda: client.get("/purchase-orders/"))
    for _ in range(6):
        make_purchase_order(database, vendor=world["flo"], lines=[{"qty": "1"}, {"qty": "2"}])
    many = count_statements(lambda: client.get("/purchase-orders/"))
    assert many == few


def test_people_without_a_buying_role_cannot_order(database, world, login_as):
    tech = make_user(database, roles=["technician"])
    client = login_as(tech)
    assert client.get("/purchase-orders/to-order").status_code == 403
    assert client.get("/purchase-orders/").status_code == 403


def test_home_shows_the_buyer_what_to_order(database, world, login_as):
    make_purchase_order(database, vendor=world["nbs"], status=S.draft)
    page = login_as(world["buyer"]).get("/")
    assert re.search(r'id="lines-to-order">3</strong> approved request lines to order', page.text)
    assert re.search(r'id="po-drafts">1</strong> PO in draft', page.text)


def test_the_work_order_page_lists_what_was_bought_for_it(database, world, login_as):
    (po,) = po_creation.create_purchase_orders(
        line_ids(world["pr2"]), buyer=world["buyer"], submission_id=sid()
    )
    supervisor = make_user(database, roles=["supervisor"])
    page = login_as(supervisor).get(f"/work-orders/{world['wo'].id}")
    assert po.number in page.text

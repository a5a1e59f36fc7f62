"""Vendors and contracts through the web: list, page, edit, block, prefer, price, check a source."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.domain.statuses import VendorStatus
from portal.models import AuditEvent, Contract, ContractPrice, PreferredVendor, Vendor
from tests.factories import make_contract, make_item, make_user, make_vendor
from tests.submitted import once

TODAY = date.today()


def events(database, action):
    """Audit events of one kind, oldest first."""
    return list(
        database.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# ---------------------------------------------------------------- list and page


def test_search_as_you_type_sends_htmx_only_the_rows(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    make_vendor(database, name="Northern Bearing Supply", code="NBS")
    make_vendor(database, name="FlowTech Pumps", code="FLO")
    page = login_as(buyer).get("/vendors/?q=bearing", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert "Northern Bearing Supply" in page.text and "FlowTech" not in page.text
    assert "<html" not in page.text
    full = login_as(buyer).get("/vendors/")
    assert "<html" in full.text and "FlowTech Pumps" in full.text


def test_status_filter_and_blocked_reason_show_in_the_list(database, login_as):
    approver = make_user(database, roles=["approver"])
    make_vendor(database, name="Good Supplies")
    make_vendor(
        database,
        name="QuickParts Industrial",
        status=VendorStatus.blocked,
        blocked_reason="Repeated short deliveries",
    )
    page = login_as(approver).get("/vendors/?status=blocked")
    assert "QuickParts Industrial" in page.text and "Good Supplies" not in page.text
    assert "Blocked: Repeated short deliveries" in page.text
    assert "Add a vendor" not in page.text  # approvers read, they do not edit


def test_the_list_is_bounded_and_says_so(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    for n in range(52):
        make_vendor(database, name=f"Supplier {n:02d}")
    page = login_as(buyer).get("/vendors/")
    assert page.text.count('class="vendor-row"') == 50
    assert "Showing the first 50" in page.text


def test_the_vendor_page_shows_terms_categories_and_contract_validity(
    database, login_as, count_statements
):
    ap = make_user(database, roles=["ap_clerk"])
    vendor = make_vendor(
        database,
        name="Northern Bearing Supply",
        payment_terms="2/10 Net 30",
        contact_name="Orders desk",
        phone="+1 555 0100",
    )
    database.session.add(PreferredVendor(vendor_id=vendor.id, category="Bearings"))
    database.session.commit()
    make_contract(database, vendor=vendor, reference="C-SOON", valid_to=TODAY + timedelta(days=12))
    make_contract(
        database,
        vendor=vendor,
        reference="C-OLD",
        valid_from=date(2020, 1, 1),
        valid_to=date(2020, 12, 31),
    )
    make_contract(database, vendor=vendor, reference="C-LONG", valid_to=TODAY + timedelta(days=400))
    client = login_as(ap)
    page = client.get(f"/vendors/{vendor.id}")
    assert page.status_code == 200
    text = page.text
    assert "2% off if paid within 10 days; due in 30 days" in text
    assert "Orders desk" in text and "Bearings" in text
    assert "Expires in 12 days" in text
    assert "Expired on 31 Dec 2020" in text
    assert f"Valid until {(TODAY + timedelta(days=400)):%d %b %Y}" in text
    assert "Edit details" not in text and "Block this vendor" not in text

    more = make_vendor(database)
    for _ in range(5):
        make_contract(database, vendor=more)
    for warm_up in (vendor, more):  # the test's own objects are loaded once, then only pages
        client.get(f"/vendors/{warm_up.id}")
    few = count_statements(lambda: client.get(f"/vendors/{vendor.id}"))
    many = count_statements(lambda: client.get(f"/vendors/{more.id}"))
    assert few == many  # a fixed number of queries whatever the number of contracts


def test_technicians_cannot_read_vendors(database, login_as):
    tech = make_user(database, roles=["technician"])
    vendor = make_vendor(database)
    assert login_as(tech).get(f"/vendors/{vendor.id}").status_code == 403
    assert login_as(tech).get("/vendors/").status_code == 403


# ---------------------------------------------------------------- create and edit


def test_a_buyer_adds_a_vendor_and_it_is_audited(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    answer = login_as(buyer).post(
        "/vendors/new",
        data=once(
            {
                "code": "volt",
                "name": "Voltaic Electrical",
                "payment_terms": "net 45",
                "currency": "usd",
                "email": "orders@volt.example",
            }
        ),
    )
    assert answer.status_code == 303
    vendor = database.session.scalar(select(Vendor).where(Vendor.code == "VOLT"))
    assert (vendor.name, vendor.payment_terms, vendor.currency) == (
        "Voltaic Electrical",
        "Net 45",
        "USD",
    )
    [event] = events(database, "vendor.created")
    assert event.actor_id == buyer.id and event.changes["code"] == [None, "VOLT"]


def test_bad_terms_and_a_taken_code_are_told_on_the_form(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    make_vendor(database, code="NBS", name="Northern Bearing Supply")
    client = login_as(buyer)
    bad = client.post(
        "/vendors/new", data=once({"code": "NEW", "name": "New", "payment_terms": "Net thirty"})
    )
    assert bad.status_code == 422
    assert "is not payment terms we can read" in bad.text
    taken = client.post(
        "/vendors/new", data=once({"code": "nbs", "name": "Another", "payment_terms": "Net 30"})
    )
    assert taken.status_code == 422
    assert "Code NBS is already used by Northern Bearing Supply" in taken.text
    assert database.session.scalar(select(Vendor).where(Vendor.name == "Another")) is None


def test_editing_records_only_what_changed_before_and_after(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database, code="FLO", name="FlowTech", payment_terms="Net 30")
    answer = login_as(buyer).post(
        f"/vendors/{vendor.id}/edit",
        data=once(
            {"code": "FLO", "name": "FlowTech", "payment_terms": "2/10 Net 30", "currency": "USD"}
        ),
    )
    assert answer.status_code == 303
    [event] = events(database, "vendor.updated")
    assert event.changes == {"payment_terms": ["Net 30", "2/10 Net 30"]}


def test_approvers_cannot_change_vendors(database, login_as):
    approver = make_user(database, roles=["approver"])
    vendor = make_vendor(database)
    client = login_as(approver)
    assert client.get("/vendors/new").status_code == 403
    assert (
        client.post(f"/vendors/{vendor.id}/block", data=once({"reason": "No"})).status_code == 403
    )


# ---------------------------------------------------------------- block, unblock, prefer


def test_block_needs_a_reason_and_is_audited_then_unblock(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database, name="QuickParts")
    client = login_as(buyer)
    empty = client.post(f"/vendors/{vendor.id}/block", data=once({"reason": "  "}))
    assert empty.status_code == 422
    assert "Say why the vendor is blocked" in empty.text
    database.session.refresh(vendor)
    assert vendor.status is VendorStatus.active

    done = client.post(
        f"/vendors/{vendor.id}/block", data=once({"reason": "Repeated short deliveries"})
    )
    assert done.status_code == 303
    database.session.refresh(vendor)
    assert (vendor.status, vendor.blocked_reason) == (
        VendorStatus.blocked,
        "Repeated short deliveries",
    )
    [blocked] = events(database, "vendor.blocked")
    assert blocked.changes == {
        "status": ["active", "blocked"],
        "blocked_reason": [None, "Repeated short deliveries"],
    }
    assert blocked.why == "Repeated short deliveries"
    page = client.get(f"/vendors/{vendor.id}")
    assert "Blocked.</strong> Repeated short deliveries" in page.text

    client.post(f"/vendors/{vendor.id}/unblock", data=once({"reason": "Quality plan agreed"}))
    database.session.refresh(vendor)
    assert (vendor.status, vendor.blocked_reason) == (VendorStatus.active, None)
    [unblocked] = events(database, "vendor.unblocked")
    assert unblocked.changes["blocked_reason"] == ["Repeated short deliveries", None]
    assert unblocked.why == "Quality plan agreed"


def test_preferred_categories_are_added_once_and_removed(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database)
    client = login_as(buyer)
    client.post(f"/vendors/{vendor.id}/categories", data=once({"category": "bearings"}))
    client.post(f"/vendors/{vendor.id}/categories", data=once({"category": "Bearings"}))
    rows = database.session.scalars(select(PreferredVendor.category)).all()
    assert rows == ["Bearings"]
    client.post(f"/vendors/{vendor.id}/categories/remove", data=once({"category": "Bearings"}))
    assert database.session.scalars(select(PreferredVendor)).all() == []
    assert [e.changes["preferred_for"] for e in events(database, "vendor.preferred_added")] == [
        [None, "Bearings"]
    ]
    assert len(events(database, "vendor.preferred_removed")) == 1


# ---------------------------------------------------------------- check a source


def _check(client, vendor, part, price, uom=""):
    return client.get(
        f"/vendors/{vendor.id}/check",
        query_string={"part": part, "price": price, "uom": uom},
        headers={"HX-Request": "true"},
    )


def test_each_sourcing_warning_is_shown_in_words_in_the_check_panel(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    seal = make_item(database, part_number="SEAL-M32", category="Seals")
    nbs = make_vendor(database, name="Northern Bearing Supply")
    flo = make_vendor(database, name="FlowTech Pumps")
    acme = make_vendor(database, name="Acme Tools")
    database.session.add(PreferredVendor(vendor_id=nbs.id, category="Seals"))
    database.session.commit()
    make_contract(database, vendor=nbs, reference="C-NBS", prices=[(seal, "EA", "172.00")])
    make_contract(
        database,
        vendor=flo,
        reference="C-FLO-2025",
        valid_from=date(2025, 1, 1),
        valid_to=date(2025, 12, 31),
        prices=[(seal, "EA", "165.00")],
    )
    client = login_as(buyer)

    clear = _check(client, nbs, "seal-m32", "172")
    assert clear.status_code == 200 and "<html" not in clear.text
    assert "No warnings" in clear.text

    above = _check(client, nbs, "SEAL-M32", "180.00")
    assert "Off contract." in above.text
    assert "above the contract price 172.00 on C-NBS (+4.7%)" in above.text

    expired = _check(client, flo, "SEAL-M32", "165")
    assert "Expired contract." in expired.text
    assert "Contract C-FLO-2025 with FlowTech Pumps for SEAL-M32 expired on 2025-12-31" in (
        expired.text
    )
    assert "SEAL-M32 is on contract C-NBS with Northern Bearing Supply at 172.00" in expired.text

    other = _check(client, acme, "SEAL-M32", "150")
    assert "Not preferred." in other.text
    assert (
        "Acme Tools is not a preferred vendor for Seals (preferred: Northern Bearing Supply)"
        in (other.text)
    )


def test_a_blocked_vendor_is_refused_with_its_reason_in_the_check_panel(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    make_item(database, part_number="BRG-6205")
    vendor = make_vendor(
        database,
        name="QuickParts",
        status=VendorStatus.blocked,
        blocked_reason="Wrong parts delivered twice",
    )
    answer = _check(login_as(buyer), vendor, "BRG-6205", "5")
    assert "Refused." in answer.text
    assert "QuickParts is blocked: Wrong parts delivered twice. Choose another vendor." in (
        answer.text
    )


def test_the_check_panel_says_what_is_wrong_with_the_question(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database)
    unknown = _check(login_as(buyer), vendor, "NOPE-1", "5")
    assert unknown.status_code == 422
    assert "No item has part number NOPE-1" in unknown.text
    no_price = _check(login_as(buyer), vendor, "NOPE-1", "")
    assert no_price.status_code == 422 and "Enter the price you were quoted" in no_price.text
    page = login_as(buyer).get(f"/vendors/{vendor.id}/check?part=X&price=abc")
    assert page.status_code == 422 and "<html" in page.text  # no JavaScript: the whole page


# ---------------------------------------------------------------- contracts


def _contract_form(**overrides):
    data = {
        "reference": "C-NEW-2026",
        "title": "Belts and chains",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + timedelta(days=365)).isoformat(),
        "ceiling_amount": "",
    }
    data.update(overrides)
    return data


def test_contract_validation_errors_are_shown_with_422(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database)
    make_contract(database, vendor=vendor, reference="C-TAKEN")
    client = login_as(buyer)
    url = f"/vendors/{vendor.id}/contracts/new"

    backwards = client.post(
        url, data=once(_contract_form(valid_to=(TODAY - timedelta(days=1)).isoformat()))
    )
    assert backwards.status_code == 422
    assert "The contract cannot end" in backwards.text and "before it starts" in backwards.text

    taken = client.post(url, data=once(_contract_form(reference="c-taken")))
    assert taken.status_code == 422 and "Reference c-taken is already used" in taken.text

    ceiling = client.post(url, data=once(_contract_form(ceiling_amount="-5")))
    assert ceiling.status_code == 422 and "A ceiling must be more than 0" in ceiling.text

    no_date = client.post(url, data=once(_contract_form(valid_from="")))
    assert no_date.status_code == 422 and "Enter the first day" in no_date.text
    assert database.session.scalars(select(Contract.reference)).all() == ["C-TAKEN"]


def test_a_contract_is_created_edited_and_priced_with_audit(database, login_as):
    buyer = make_user(database, roles=["buyer"])
    vendor = make_vendor(database)
    belt = make_item(database, part_number="BELT-SPB1800", description="V-belt SPB 1800")
    client = login_as(buyer)
    made = client.post(
        f"/vendors/{vendor.id}/contracts/new", data=once(_contract_form(ceiling_amount="25000"))
    )
    assert made.status_code == 303
    contract = database.session.scalar(select(Contract))
    assert contract.ceiling_amount == Decimal("25000.00")
    [created] = events(database, "contract.created")
    assert created.changes["reference"] == [None, "C-NEW-2026"]

    client.post(
        f"/vendors/contracts/{contract.id}/edit",
        data=once(_contract_form(title="Belts, chains and pulleys", ceiling_amount="25000")),
    )
    [updated] = events(database, "contract.updated")
    assert updated.changes == {"title": ["Belts and chains", "Belts, chains and pulleys"]}
    longer = TODAY + timedelta(days=500)
    client.post(
        f"/vendors/contracts/{contract.id}/edit",
        data=once(
            _contract_form(
                title="Belts, chains and pulleys",
                ceiling_amount="25000",
                valid_to=longer.isoformat(),
            )
        ),
    )
    extended = events(database, "contract.updated")[-1]
    assert extended.changes == {
        "valid_to": [(TODAY + timedelta(days=365)).isoformat(), longer.isoformat()]
    }

    url = f"/vendors/contracts/{contract.id}/prices"
    assert (
        client.post(
            url, data=once({"part_number": "belt-spb1800", "uom": "ea", "unit_price": "16"})
        )
    ).status_code == 303
    assert (
        client.post(url, data=once({"category": "Chains", "uom": "EA", "unit_price": "58,50"}))
    ).status_code == 303
    both = client.post(
        url,
        data=once(
            {"part_number": "BELT-SPB1800", "category": "Belts", "uom": "EA", "unit_price": "1"}
        ),
    )
    assert both.status_code == 422 and "not both" in both.text
    unknown = client.post(url, data=once({"part_number": "NOPE", "uom": "EA", "unit_price": "1"}))
    assert unknown.status_code == 422 and "No item has part number NOPE" in unknown.text
    again = client.post(
        url, data=once({"part_number": "BELT-SPB1800", "uom": "EA", "unit_price": "15"})
    )
    assert again.status_code == 422 and "already has a price for BELT-SPB1800 per EA" in again.text

    page = client.get(f"/vendors/contracts/{contract.id}")
    assert "BELT-SPB1800" in page.text and "16.00" in page.text
    assert "Any Chains" in page.text and "58.50" in page.text
    assert "Valid until" in page.text or "Expires in" in page.text

    price = database.session.scalar(select(ContractPrice).where(ContractPrice.item_id == belt.id))
    client.post(f"/vendors/contract-prices/{price.id}/remove", data=once({}))
    assert (
        database.session.scalar(select(ContractPrice).where(ContractPrice.item_id == belt.id))
        is None
    )
    [removed] = events(database, "contract.price_removed")
    assert removed.changes["unit_price"] == ["16.00", None]
    assert len(events(database, "contract.price_added")) == 2


def test_the_contract_list_shows_every_contract_with_its_validity(database, login_as):
    approver = make_user(database, roles=["approver"])
    make_contract(
        database, reference="C-OLD", valid_from=date(2020, 1, 1), valid_to=date(2020, 6, 30)
    )
    page = login_as(approver).get("/vendors/contracts/")
    assert "C-OLD" in page.text and "Expired on 30 Jun 2020" in page.text

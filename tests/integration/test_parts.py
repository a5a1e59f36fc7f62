"""Parts on a work order through the web: add, reserve, issue, release, mark unavailable."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from portal.domain.statuses import (
    ApprovalDecision,
    ItemKind,
    LineKind,
    MovementKind,
    PartLineStatus,
    PurchaseRequestStatus,
    ReservationStatus,
    VendorStatus,
)
from portal.domain.work_orders import WorkOrderStatus
from portal.models import (
    Approval,
    AuditEvent,
    Contract,
    ContractPrice,
    CostCentre,
    Item,
    PartLine,
    PreferredVendor,
    PurchaseRequest,
    PurchaseRequestLine,
    Reservation,
    StockLevel,
    StockMovement,
    Storeroom,
    Vendor,
    WorkOrder,
    WorkOrderStatusChange,
)
from tests.factories import make_user, make_work_order

D = Decimal
HX = {"HX-Request": "true"}


@dataclass
class World:
    """A plant with a storeroom, a few items, vendors, contracts, a WO and a technician."""

    wo: WorkOrder
    tech: object
    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[str, StockLevel] = field(default_factory=dict)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    centre: CostCentre | None = None


def make_world(database, *, status=WorkOrderStatus.in_progress, stock=None) -> World:
    """Stock: SEAL-M32 2 at 186.00, BRG-6205 10 at 12.35; MOTOR-4KW non-stock; SVC-LIFT service."""
    s = database.session
    tech = make_user(database, roles=["technician"])
    wo = make_work_order(database, title="Pump leaking", assignee=tech, status=status)
    centre = CostCentre(code=f"CC-{wo.site_id}", name="Plant maintenance", site_id=wo.site_id)
    store = Storeroom(site_id=wo.site_id, code=f"MAIN-{wo.site_id}", name="Plant main storeroom")
    s.add_all([centre, store])
    world = World(wo=wo, tech=tech, centre=centre)
    stock = stock or {"SEAL-M32": "2", "BRG-6205": "10"}
    for number, text, category, kind, cost in [
        ("SEAL-M32", "Mechanical seal 32 mm", "Seals", ItemKind.stock, "186.00"),
        ("BRG-6205", "Ball bearing 6205-2RS", "Bearings", ItemKind.stock, "12.35"),
        ("MOTOR-4KW", "Motor 4 kW IE3", "Motors", ItemKind.non_stock, "520.00"),
        ("SVC-LIFT", "Lift service visit", "Services", ItemKind.service, "240.00"),
    ]:
        item = Item(
            part_number=number,
            description=text,
            uom="VISIT" if kind is ItemKind.service else "EA",
            category=category,
            kind=kind,
            standard_cost=D(cost),
        )
        s.add(item)
        world.items[number] = item
        if kind is ItemKind.stock:
            level = StockLevel(
                item=item, storeroom=store, on_hand_qty=D(stock.get(number, "0")), unit_cost=D(cost)
            )
            s.add(level)
            world.levels[number] = level
    for code, name, categories, status_ in [
        ("NBS", "Northern Bearing Supply", ["Seals", "Bearings"], VendorStatus.active),
        ("FLO", "FlowTech Pumps & Seals", [], VendorStatus.active),
        ("LIFT", "Summit Lift Services", ["Services"], VendorStatus.active),
    ]:
        vendor = Vendor(code=code, name=name, status=status_)
        vendor.preferred_for = [PreferredVendor(category=c) for c in categories]
        s.add(vendor)
        world.vendors[code] = vendor
    s.commit()
    return world


def add_contract(database, vendor, item, price, *, valid_from=None, valid_to=None, ref=None):
    today = date.today()
    contract = Contract(
        vendor=vendor,
        reference=ref or f"C-{vendor.code}-{uuid.uuid4().hex[:6]}",
        title="Price agreement",
        valid_from=valid_from or today - timedelta(days=30),
        valid_to=valid_to or today + timedelta(days=300),
    )
    contract.prices.append(ContractPrice(item=item, uom=item.uom, unit_price=D(price)))
    database.session.add(contract)
    database.session.commit()
    return contract


def add_line(client, world, number, qty="1", submission_id=None, headers=None):
    return client.post(
        f"/work-orders/{world.wo.id}/parts",
        data={
            "item_id": world.items[number].id,
            "qty": qty,
            "submission_id": submission_id or uuid.uuid4().hex,
        },
        headers=headers or {},
    )


def the_line(database, world, number) -> PartLine:
    database.session.expire_all()
    return database.session.scalars(
        select(PartLine).where(
            PartLine.work_order_id == world.wo.id, PartLine.item_id == world.items[number].id
        )
    ).one()


def level(database, world, number) -> StockLevel:
    database.session.expire_all()
    return database.session.get(StockLevel, world.levels[number].id)


def actions(database, action: str) -> list[AuditEvent]:
    return list(database.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# ---------------------------------------------------------------- adding


def test_adding_a_part_line_records_it_and_audits_who_and_what(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    answer = add_line(client, world, "SEAL-M32", qty="2")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/work-orders/{world.wo.id}")
    line = the_line(database, world, "SEAL-M32")
    assert (line.needed_qty, line.status, line.added_by_id) == (
        D("2.000"),
        PartLineStatus.needed,
        world.tech.id,
    )
    [event_] = actions(database, "part_line.added")
    assert event_.actor_id == world.tech.id
    assert event_.changes == {"item": [None, "SEAL-M32"], "needed_qty": [None, "2.000"]}
    page = client.get(f"/work-orders/{world.wo.id}")
    assert "Added 2 EA of SEAL-M32." in page.text
    assert "Mechanical seal 32 mm" in page.text and "2 EA free · Plant main storeroom" in page.text


def test_a_double_tapped_add_gives_one_line(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    token = uuid.uuid4().hex
    first = add_line(client, world, "SEAL-M32", submission_id=token)
    second = add_line(client, world, "SEAL-M32", submission_id=token)
    assert first.status_code == second.status_code == 303
    assert database.session.scalar(select(func.count(PartLine.id))) == 1
    assert len(actions(database, "part_line.added")) == 1


@pytest.mark.parametrize(
    "typed, words",
    [
        ("0", "Enter a quantity more than 0."),
        ("-2", "Enter a quantity more than 0."),
        ("abc", "Enter a number, like 2 or 1.5."),
        ("1.2345", "Use at most 3 decimal places, like 1.25."),
        ("", "Enter how many are needed."),
    ],
)
def test_a_bad_quantity_is_told_beside_the_field_and_nothing_is_written(
    database, login_as, typed, words
):
    world = make_world(database)
    client = login_as(world.tech)
    answer = add_line(client, world, "SEAL-M32", qty=typed, headers=HX)
    assert answer.status_code == 422
    assert words in answer.text
    assert 'aria-invalid="true"' in answer.text  # the field is marked, its error beside it
    assert "Mechanical seal 32 mm" in answer.text  # the chosen part is still shown, still chosen
    assert "checked" in answer.text
    assert database.session.scalar(select(func.count(PartLine.id))) == 0
    assert database.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_adding_without_choosing_a_part_asks_for_one(database, login_as):
    world = make_world(database)
    answer = login_as(world.tech).post(
        f"/work-orders/{world.wo.id}/parts", data={"qty": "1", "submission_id": uuid.uuid4().hex}
    )
    assert answer.status_code == 422
    assert "Choose a part from the search results first." in answer.text
    assert database.session.scalar(select(func.count(PartLine.id))) == 0


# ---------------------------------------------------------------- stock


def test_reserving_in_stock_lowers_available_not_on_hand(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32")
    line = the_line(database, world, "SEAL-M32")
    answer = client.post(f"/part-lines/{line.id}/reserve")
    assert answer.status_code == 303
    stock = level(database, world, "SEAL-M32")
    assert (stock.on_hand_qty, stock.reserved_qty, stock.available_qty) == (
        D("2.000"),
        D("1.000"),
        D("1.000"),
    )
    line = the_line(database, world, "SEAL-M32")
    assert (line.reserved_qty, line.status) == (D("1.000"), PartLineStatus.reserved)
    [reservation] = database.session.scalars(select(Reservation)).all()
    assert (reservation.qty, reservation.status) == (D("1.000"), ReservationStatus.active)
    [event_] = actions(database, "stock.reserved")
    assert event_.changes["part_line.reserved_qty"] == ["0.000", "1.000"]
    assert event_.changes["stock"][0]["reserved_qty"] == ["0.000", "1.000"]


def test_a_second_tap_on_reserve_changes_nothing(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32")
    line = the_line(database, world, "SEAL-M32")
    client.post(f"/part-lines/{line.id}/reserve")
    again = client.post(f"/part-lines/{line.id}/reserve", headers=HX)
    assert again.status_code == 200
    assert "Nothing left to reserve for SEAL-M32." in again.text
    assert level(database, world, "SEAL-M32").reserved_qty == D("1.000")
    assert len(actions(database, "stock.reserved")) == 1


def test_issuing_lowers_on_hand_and_puts_the_exact_cost_on_the_work_order(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "BRG-6205", qty="1.5")
    line = the_line(database, world, "BRG-6205")
    client.post(f"/part-lines/{line.id}/reserve")
    answer = client.post(f"/part-lines/{line.id}/issue")
    assert answer.status_code == 303
    stock = level(database, world, "BRG-6205")
    assert (stock.on_hand_qty, stock.reserved_qty) == (D("8.500"), D("0.000"))
    line = the_line(database, world, "BRG-6205")
    # 1.5 x 12.35 = 18.525, rounded half-up once: 18.53
    assert (line.issued_qty, line.reserved_qty, line.issued_cost_amount, line.status) == (
        D("1.500"),
        D("0.000"),
        D("18.53"),
        PartLineStatus.issued,
    )
    [movement] = database.session.scalars(select(StockMovement)).all()
    assert (movement.kind, movement.qty, movement.unit_cost, movement.work_order_id) == (
        MovementKind.issue,
        D("-1.500"),
        D("12.35"),
        world.wo.id,
    )
    assert database.session.scalars(select(Reservation)).one().status is ReservationStatus.issued
    [event_] = actions(database, "stock.issued")
    assert event_.changes["part_line.issued_cost_amount"] == ["0.00", "18.53"]
    page = client.get(f"/work-orders/{world.wo.id}")
    assert "Issued so far <strong>18.53</strong>" in page.text
    assert "Issued 1.5 EA of BRG-6205: 18.53 on" in page.text  # the flash after the redirect


def test_a_second_tap_on_issue_issues_nothing_more(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32")
    line = the_line(database, world, "SEAL-M32")
    client.post(f"/part-lines/{line.id}/reserve")
    client.post(f"/part-lines/{line.id}/issue")
    again = client.post(f"/part-lines/{line.id}/issue", headers=HX)
    assert "1 EA of SEAL-M32 already issued (186.00)" in again.text
    assert level(database, world, "SEAL-M32").on_hand_qty == D("1.000")
    assert database.session.scalar(select(func.count(StockMovement.id))) == 1


def test_releasing_gives_the_stock_back(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32", qty="2")
    line = the_line(database, world, "SEAL-M32")
    client.post(f"/part-lines/{line.id}/reserve")
    assert level(database, world, "SEAL-M32").reserved_qty == D("2.000")
    client.post(f"/part-lines/{line.id}/release")
    stock = level(database, world, "SEAL-M32")
    assert (stock.on_hand_qty, stock.reserved_qty) == (D("2.000"), D("0.000"))
    line = the_line(database, world, "SEAL-M32")
    assert (line.reserved_qty, line.status) == (D("0.000"), PartLineStatus.needed)
    assert database.session.scalars(select(Reservation)).one().status is ReservationStatus.released
    [event_] = actions(database, "stock.released")
    assert event_.changes["part_line.reserved_qty"] == ["2.000", "0.000"]


# ---------------------------------------------------------------- buying what is missing


def test_partial_stock_reserves_what_there_is_and_the_rest_is_requested_at_the_contract_price(
    database, login_as
):
    world = make_world(database)
    contract = add_contract(database, world.vendors["NBS"], world.items["SEAL-M32"], "172.00")
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32", qty="3")
    line = the_line(database, world, "SEAL-M32")

    reserved = client.post(f"/part-lines/{line.id}/reserve", headers=HX)
    assert "Reserved 2 EA of SEAL-M32" in reserved.text and "1 EA short" in reserved.text
    assert "Mark unavailable" in reserved.text

    answer = client.post(f"/part-lines/{line.id}/unavailable")
    assert answer.status_code == 303
    pr = database.session.scalars(select(PurchaseRequest)).one()
    assert pr.number == "PR-000001"
    assert (pr.work_order_id, pr.cost_centre_id, pr.requested_by_id, pr.status) == (
        world.wo.id,
        world.centre.id,  # the WO has no cost centre: its site's first one pays
        world.tech.id,
        PurchaseRequestStatus.submitted,
    )
    assert pr.submitted_at is not None
    [pr_line] = pr.lines
    assert (pr_line.qty, pr_line.unit_price, pr_line.suggested_vendor_id, pr_line.kind) == (
        D("1.000"),
        D("172.00"),
        world.vendors["NBS"].id,
        LineKind.goods,
    )
    assert pr_line.contract_price_id == contract.prices[0].id
    assert pr_line.policy_warnings[0].startswith(f"Contract {contract.reference} with NBS")
    line = the_line(database, world, "SEAL-M32")
    assert (line.reserved_qty, line.requested_qty, line.status) == (
        D("2.000"),
        D("1.000"),
        PartLineStatus.requested,
    )
    [event_] = actions(database, "purchase_request.raised")
    assert event_.subject_label == "PR-000001"
    assert event_.changes["part_line.requested_qty"] == ["0.000", "1.000"]

    page = client.get(f"/work-orders/{world.wo.id}")
    assert "PR-000001" in page.text and "172.00 each" in page.text
    assert "Northern Bearing Supply (NBS)" in page.text


def test_marking_unavailable_moves_the_work_order_to_waiting_for_parts(database, login_as):
    world = make_world(database, status=WorkOrderStatus.in_progress)
    client = login_as(world.tech)
    add_line(client, world, "MOTOR-4KW")
    line = the_line(database, world, "MOTOR-4KW")
    answer = client.post(f"/part-lines/{line.id}/unavailable", headers=HX)
    assert answer.status_code == 200
    assert "<html" not in answer.text  # the main block only: parts and the status badge
    assert 'class="badge status-waiting_parts"' in answer.text
    assert "Waiting for parts" in answer.text
    database.session.expire_all()
    wo = database.session.get(WorkOrder, world.wo.id)
    assert wo.status is WorkOrderStatus.waiting_parts
    change = database.session.scalars(select(WorkOrderStatusChange)).one()
    assert (change.from_status, change.to_status) == (
        WorkOrderStatus.in_progress,
        WorkOrderStatus.waiting_parts,
    )
    assert "PR-000001" in (change.reason or "")


def test_an_expired_contract_is_ignored_and_the_preferred_vendor_suggested(database, login_as):
    world = make_world(database, stock={"SEAL-M32": "0"})
    last_year = date.today().year - 1
    add_contract(
        database,
        world.vendors["FLO"],
        world.items["SEAL-M32"],
        "165.00",
        valid_from=date(last_year, 1, 1),
        valid_to=date(last_year, 12, 31),
        ref="C-FLO-OLD",
    )
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32")
    client.post(f"/part-lines/{the_line(database, world, 'SEAL-M32').id}/unavailable")
    pr_line = database.session.scalars(select(PurchaseRequestLine)).one()
    assert (pr_line.suggested_vendor_id, pr_line.unit_price, pr_line.contract_price_id) == (
        world.vendors["NBS"].id,
        D("186.00"),
        None,
    )
    assert pr_line.policy_warnings[:2] == [
        "No contract price: priced at standard cost",
        "Preferred vendor NBS",
    ]
    assert f"Contract C-FLO-OLD expired on {last_year}-12-31: not used" in pr_line.policy_warnings


def test_a_blocked_vendor_is_never_suggested(database, login_as):
    world = make_world(database, stock={"SEAL-M32": "0"})
    nbs = world.vendors["NBS"]
    add_contract(database, nbs, world.items["SEAL-M32"], "99.00")
    nbs.status = VendorStatus.blocked  # preferred for Seals and with the cheapest contract
    database.session.commit()
    client = login_as(world.tech)
    add_line(client, world, "SEAL-M32")
    client.post(f"/part-lines/{the_line(database, world, 'SEAL-M32').id}/unavailable")
    pr_line = database.session.scalars(select(PurchaseRequestLine)).one()
    assert pr_line.suggested_vendor_id is None
    assert pr_line.unit_price == D("186.00")
    assert "Preferred vendor NBS is blocked: not suggested" in pr_line.policy_warnings


def test_non_stock_and_service_items_go_straight_to_one_purchase_request(database, login_as):
    world = make_world(database)
    add_contract(database, world.vendors["LIFT"], world.items["SVC-LIFT"], "240.00")
    client = login_as(world.tech)
    add_line(client, world, "MOTOR-4KW")
    add_line(client, world, "SVC-LIFT")
    motor, lift = the_line(database, world, "MOTOR-4KW"), the_line(database, world, "SVC-LIFT")
    page = client.get(f"/work-orders/{world.wo.id}")
    assert f'action="/part-lines/{motor.id}/reserve"' not in page.text  # nothing to reserve
    assert f'action="/part-lines/{motor.id}/unavailable"' in page.text

    refused = client.post(f"/part-lines/{motor.id}/reserve", headers=HX)
    assert refused.status_code == 422
    assert "MOTOR-4KW is not kept in stock: mark it unavailable" in refused.text

    client.post(f"/part-lines/{motor.id}/unavailable")
    client.post(f"/part-lines/{lift.id}/unavailable")
    pr = database.session.scalars(select(PurchaseRequest)).one()  # the open PR is reused
    kinds = {line.item_id: (line.kind, line.qty, line.unit_price) for line in pr.lines}
    assert kinds == {
        world.items["MOTOR-4KW"].id: (LineKind.goods, D("1.000"), D("520.00")),
        world.items["SVC-LIFT"].id: (LineKind.service, D("1.000"), D("240.00")),
    }
    assert database.session.scalar(select(func.count(Reservation.id))) == 0
    assert database.session.scalar(select(func.count(StockMovement.id))) == 0


def test_a_decided_purchase_request_is_not_reused(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "MOTOR-4KW")
    client.post(f"/part-lines/{the_line(database, world, 'MOTOR-4KW').id}/unavailable")
    first = database.session.scalars(select(PurchaseRequest)).one()
    approver = make_user(database, roles=["approver"])
    database.session.add(
        Approval(
            purchase_request_id=first.id,
            approver_id=approver.id,
            decision=ApprovalDecision.approved,
        )
    )
    database.session.commit()
    add_line(client, world, "SVC-LIFT")
    client.post(f"/part-lines/{the_line(database, world, 'SVC-LIFT').id}/unavailable")
    numbers = database.session.scalars(select(PurchaseRequest.number).order_by("id")).all()
    assert numbers == ["PR-000001", "PR-000002"]


def test_a_second_tap_on_mark_unavailable_requests_nothing_more(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    add_line(client, world, "MOTOR-4KW", qty="2")
    line = the_line(database, world, "MOTOR-4KW")
    client.post(f"/part-lines/{line.id}/unavailable")
    again = client.post(f"/part-lines/{line.id}/unavailable", headers=HX)
    assert again.status_code == 200
    assert "MOTOR-4KW is already requested on PR-000001." in again.text
    assert database.session.scalar(select(func.count(PurchaseRequestLine.id))) == 1
    assert the_line(database, world, "MOTOR-4KW").requested_qty == D("2.000")


def test_a_requested_work_order_refuses_to_buy_parts_in_words(database, login_as):
    world = make_world(database, status=WorkOrderStatus.requested)
    client = login_as(world.tech)
    add_line(client, world, "MOTOR-4KW")
    line = the_line(database, world, "MOTOR-4KW")
    answer = client.post(f"/part-lines/{line.id}/unavailable", headers=HX)
    assert answer.status_code == 422
    assert "must be approved before parts are reserved or bought" in answer.text
    plain = client.post(f"/part-lines/{line.id}/unavailable")  # without htmx: flash and back
    assert plain.status_code == 303
    assert "must be approved" in client.get(plain.headers["Location"]).text
    assert database.session.scalar(select(func.count(PurchaseRequest.id))) == 0
    database.session.expire_all()
    assert database.session.get(WorkOrder, world.wo.id).status is WorkOrderStatus.requested


def test_parts_of_a_completed_work_order_no_longer_change(database, login_as):
    world = make_world(database, status=WorkOrderStatus.completed)
    answer = add_line(login_as(world.tech), world, "SEAL-M32", headers=HX)
    assert answer.status_code == 422
    assert "completed: its parts can no longer change" in answer.text
    assert database.session.scalar(select(func.count(PartLine.id))) == 0


# ---------------------------------------------------------------- roles, search, page


@pytest.mark.parametrize(
    "role, action",
    [
        ("buyer", "add"),
        ("approver", "reserve"),
        ("supervisor", "issue"),
        ("ap_clerk", "unavailable"),
    ],
)
def test_a_role_without_the_right_gets_403_and_nothing_changes(database, login_as, role, action):
    world = make_world(database)
    add_line(login_as(world.tech), world, "SEAL-M32")
    line = the_line(database, world, "SEAL-M32")
    login_as(world.tech).post(f"/part-lines/{line.id}/reserve")
    events_before = database.session.scalar(select(func.count(AuditEvent.id)))
    client = login_as(make_user(database, roles=[role]))
    if action == "add":
        answer = add_line(client, world, "BRG-6205")
    else:
        answer = client.post(f"/part-lines/{line.id}/{action}")
    assert answer.status_code == 403
    assert database.session.scalar(select(func.count(AuditEvent.id))) == events_before


def test_a_storekeeper_may_issue_and_a_supervisor_may_reserve(database, login_as):
    world = make_world(database)
    add_line(login_as(world.tech), world, "SEAL-M32")
    line = the_line(database, world, "SEAL-M32")
    assert (
        login_as(make_user(database, roles=["supervisor"]))
        .post(f"/part-lines/{line.id}/reserve")
        .status_code
        == 303
    )
    assert (
        login_as(make_user(database, roles=["storekeeper"]))
        .post(f"/part-lines/{line.id}/issue")
        .status_code
        == 303
    )
    assert the_line(database, world, "SEAL-M32").issued_qty == D("1.000")


def test_the_search_sends_htmx_only_the_results_with_free_stock(database, login_as):
    world = make_world(database)
    client = login_as(world.tech)
    answer = client.get(f"/items/search?q=seal&wo={world.wo.id}", headers=HX)
    assert answer.status_code == 200
    assert "<html" not in answer.text
    assert "SEAL-M32" in answer.text and "2 EA free · Plant main storeroom" in answer.text
    assert "BRG-6205" not in answer.text
    assert 'form="part-add"' in answer.text
    plain = client.get(f"/items/search?q=motor&wo={world.wo.id}")  # no JavaScript: a whole page
    assert "<html" in plain.text and "not stocked, bought when needed" in plain.text
    assert f'action="/work-orders/{world.wo.id}/parts"' in plain.text
    assert "No part matches" in client.get("/items/search?q=zzz", headers=HX).text


def test_the_search_is_for_people_who_plan_parts(database, login_as):
    make_world(database)
    client = login_as(make_user(database, roles=["ap_clerk"]))
    assert client.get("/items/search?q=seal").status_code == 403


def test_the_work_order_page_shows_parts_in_a_fixed_number_of_queries(database, login_as, app):
    world = make_world(database)
    client = login_as(world.tech)

    def count_queries() -> int:
        seen = []
        engine = database.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/work-orders/{world.wo.id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    add_line(client, world, "SEAL-M32")
    client.post(f"/part-lines/{the_line(database, world, 'SEAL-M32').id}/reserve")
    add_line(client, world, "MOTOR-4KW")
    client.post(f"/part-lines/{the_line(database, world, 'MOTOR-4KW').id}/unavailable")
    with_two = count_queries()
    for number in ("BRG-6205", "SVC-LIFT"):
        add_line(client, world, number)
        client.post(f"/part-lines/{the_line(database, world, number).id}/unavailable")
    assert count_queries() == with_two

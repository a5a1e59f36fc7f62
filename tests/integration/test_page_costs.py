"""Pages send a fixed number of statements whatever the data size, and the home queue filters."""

from __future__ import annotations

from datetime import timedelta

from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.models import ChecklistItem, WorkOrderComment
from portal.models.base import utcnow
from tests.factories import make_asset, make_labour_entry, make_user, make_work_order


def test_home_costs_the_same_statements_for_3_or_30_work_orders(
    login_as, database, count_statements
):
    tech = make_user(database)
    client = login_as(tech)
    for _ in range(3):
        make_work_order(database, assignee=tech)
    few = count_statements(lambda: client.get("/"))
    for _ in range(27):
        make_work_order(database, assignee=tech, asset=make_asset(database))
    many = count_statements(lambda: client.get("/"))
    assert few == many


def test_work_order_list_and_asset_page_do_not_grow_with_rows(login_as, database, count_statements):
    tech = make_user(database)
    client = login_as(tech)
    asset = make_asset(database)
    make_work_order(database, assignee=tech, asset=asset)
    list_few = count_statements(lambda: client.get("/work-orders/"))
    asset_few = count_statements(lambda: client.get(f"/assets/{asset.id}"))
    for _ in range(20):
        make_work_order(database, assignee=tech, asset=asset)
    assert count_statements(lambda: client.get("/work-orders/")) == list_few
    assert count_statements(lambda: client.get(f"/assets/{asset.id}")) == asset_few


def test_the_queue_filters_without_reloading_the_page(login_as, database):
    tech = make_user(database)
    make_work_order(database, assignee=tech, title="Late job", due_at=utcnow() - timedelta(days=1))
    make_work_order(
        database, assignee=tech, title="Parts job", status=WorkOrderStatus.waiting_parts
    )
    make_work_order(database, assignee=tech, title="Fire job", priority=Priority.emergency)
    client = login_as(tech)
    overdue = client.get("/?show=overdue", headers={"HX-Request": "true"}).text
    assert "Late job" in overdue and "Parts job" not in overdue and "<html" not in overdue
    parts = client.get("/?show=parts", headers={"HX-Request": "true"}).text
    assert "Parts job" in parts and "Late job" not in parts
    emergency = client.get("/?show=emergency").text
    assert "Fire job" in emergency and "Parts job" not in emergency.split("Team board")[0]


def test_supervisors_see_each_persons_load(login_as, database):
    tom = make_user(database, full_name="Tomás Rivera")
    priya = make_user(database, full_name="Priya Natarajan")
    for _ in range(3):
        make_work_order(database, assignee=tom)
    make_work_order(database, assignee=priya, due_at=utcnow() - timedelta(hours=2))
    board = login_as(make_user(database, roles=["supervisor"])).get("/").text
    team = board.split("Team board", 1)[1]
    assert team.index("Tomás Rivera") < team.index("Priya Natarajan")
    assert "<strong>3</strong> open" in team and "1 overdue" in team


def test_the_work_order_page_costs_the_same_statements_however_much_is_on_it(
    login_as, database, count_statements
):
    tech = make_user(database)
    wo = make_work_order(database, assignee=tech, status=WorkOrderStatus.in_progress)
    client, page = login_as(tech), f"/work-orders/{wo.id}"

    def add_work(count: int) -> None:
        for n in range(count):
            database.session.add(ChecklistItem(work_order_id=wo.id, position=n, text=f"Step {n}"))
            database.session.add(
                WorkOrderComment(work_order_id=wo.id, author_id=tech.id, body=f"Note {n}")
            )
        database.session.commit()
        for _ in range(count):
            make_labour_entry(database, wo, user=tech)

    add_work(2)
    client.get(page)  # warm: first-use caches are not the page's cost
    few = count_statements(lambda: client.get(page))
    add_work(20)
    assert count_statements(lambda: client.get(page)) == few

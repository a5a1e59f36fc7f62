"""The page shell: home, errors, health, htmx fragments and flashes, CSRF."""

from __future__ import annotations

import re

from flask import Blueprint

from portal.domain.work_orders import Priority, WorkOrderStatus
from portal.extensions import db
from tests.conftest import isolated_app
from tests.factories import make_user, make_work_order


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_unknown_route_gets_the_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Nothing here" in response.text and "Go to the home page" in response.text


def test_json_callers_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and "error" in response.json


def test_crash_rolls_back_and_shows_the_friendly_500(tmp_path):
    boom = Blueprint("boom", __name__)

    @boom.get("/boom")
    def explode():
        from portal.models import Site

        db.session.add(Site(code="HALF", name="Half written"))
        db.session.flush()
        raise RuntimeError("boom")

    with isolated_app(tmp_path) as app, app.app_context():
        app.register_blueprint(boom)
        response = app.test_client().get("/boom")
        assert response.status_code == 500
        assert "Something broke on our side" in response.text
        from portal.models import Site

        assert db.session.query(Site).count() == 0  # nothing half written


def test_technician_home_shows_their_queue_most_urgent_first(login_as, database):
    tech = make_user(database, full_name="Tomás Rivera")
    other = make_user(database)
    make_work_order(database, title="Grease conveyor", assignee=tech, priority=Priority.low)
    make_work_order(database, title="Seal leaking", assignee=tech, priority=Priority.emergency)
    make_work_order(database, title="Someone else's job", assignee=other)
    make_work_order(database, title="Finished job", assignee=tech, status=WorkOrderStatus.closed)
    page = login_as(tech).get("/")
    assert "My work" in page.text
    assert page.text.index("Seal leaking") < page.text.index("Grease conveyor")
    assert "Someone else" not in page.text and "Finished job" not in page.text


def test_supervisor_home_shows_the_team_board(login_as, database):
    sup = make_user(database, roles=["supervisor"])
    tech = make_user(database)
    make_work_order(database, title="Seal leaking", assignee=tech)
    page = login_as(sup).get("/")
    assert "Open work" in page.text and "Seal leaking" in page.text


def test_search_sends_htmx_only_the_rows(login_as, database):
    tech = make_user(database)
    make_work_order(database, title="Replace pump seal", assignee=tech)
    make_work_order(database, title="Paint railings", assignee=tech)
    page = login_as(tech).get("/work-orders/?q=pump", headers={"HX-Request": "true"})
    assert "Replace pump seal" in page.text and "Paint railings" not in page.text
    assert "<html" not in page.text and "HX-Request" in page.headers["Vary"]


def test_boosted_navigation_gets_the_whole_page(login_as, database):
    tech = make_user(database)
    page = login_as(tech).get("/work-orders/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in page.text


def test_flash_messages_ride_along_on_htmx_swaps(login_as, database):
    client = login_as(make_user(database))
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Part reserved.")]
    fragment = client.get("/work-orders/", headers={"HX-Request": "true"})
    assert 'id="flashes"' in fragment.text and 'hx-swap-oob="true"' in fragment.text
    assert "Part reserved." in fragment.text
    again = client.get("/work-orders/", headers={"HX-Request": "true"})
    assert "Part reserved." not in again.text  # shown once


def test_work_order_page_shows_what_where_and_who(login_as, database):
    tech = make_user(database, full_name="Tomás Rivera")
    wo = make_work_order(database, title="Seal leaking", assignee=tech)
    page = login_as(tech).get(f"/work-orders/{wo.id}")
    assert wo.number in page.text and "Seal leaking" in page.text and "Tomás Rivera" in page.text
    assert login_as(tech).get("/work-orders/999999").status_code == 404


def test_pages_load_htmx_from_the_pinned_cdn_with_integrity(client):
    html = client.get("/login").text
    tag = re.search(r"<script src=\"([^\"]+)\" integrity=\"([^\"]+)\"", html)
    assert tag is not None
    assert tag.group(1) == "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"
    assert tag.group(2).startswith("sha384-")


def test_forms_without_csrf_token_are_refused_and_header_token_passes(tmp_path):
    with isolated_app(tmp_path, WTF_CSRF_ENABLED=True) as app, app.app_context():
        make_user(db, username="tomas", password="pump-seal-42")
        client = app.test_client()
        refused = client.post("/login", data={"username": "tomas", "password": "pump-seal-42"})
        assert refused.status_code == 400 and "The form had expired" in refused.text
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        ok = client.post(
            "/login", data={"username": "tomas", "password": "pump-seal-42", "csrf_token": token}
        )
        assert ok.status_code == 303
        home = client.get("/").text
        header_token = re.search(r'"X-CSRFToken": "([^"]+)"', home).group(1)
        assert client.post("/logout").status_code == 400
        assert client.post("/logout", headers={"X-CSRFToken": header_token}).status_code == 303


def _tabs(html: str) -> list[str]:
    nav = html.split('class="bottom-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r"<span>([^<]+)</span>", nav)


def test_bottom_bar_keeps_five_tabs_and_more_lists_every_section(login_as, database):
    tech = make_user(database, roles=["technician"])
    assert _tabs(login_as(tech).get("/").text) == ["Home", "Work", "Scan", "Me"]

    admin = make_user(database, roles=["admin"])
    client = login_as(admin)
    tabs = _tabs(client.get("/").text)
    assert len(tabs) == 5 and tabs[:3] == ["Home", "Work", "Scan"] and tabs[-1] == "More"
    menu = client.get("/menu").text
    for label in ("Requests", "Admin", "Me"):
        assert f"<span>{label}</span>" in menu.split("<main", 1)[1]
    assert "aria-current" in _nav_html(client.get("/admin/users").text)


def _nav_html(html: str) -> str:
    return html.split('class="bottom-nav"', 1)[1].split("</nav>", 1)[0]

"""Signing in and out, throttling, safe redirects, role guards."""

from __future__ import annotations

import pytest

from portal.extensions import db
from tests.conftest import isolated_app
from tests.factories import make_user


def test_sign_in_with_right_password_lands_on_home(client, database):
    make_user(database, username="tomas", full_name="Tomás Rivera", password="pump-seal-42")
    response = client.post("/login", data={"username": "tomas", "password": "pump-seal-42"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = client.get("/")
    assert "Hello, Tomás" in home.text


def test_username_is_not_case_sensitive(client, database):
    make_user(database, username="tomas", password="pump-seal-42")
    response = client.post("/login", data={"username": " Tomas ", "password": "pump-seal-42"})
    assert response.status_code == 303


def test_wrong_password_gets_a_clear_message_and_no_session(client, database):
    make_user(database, username="tomas", password="pump-seal-42")
    response = client.post("/login", data={"username": "tomas", "password": "nope"})
    assert response.status_code == 422
    assert "Wrong username or password" in response.text
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client, database):
    response = client.post("/login", data={"username": "ghost", "password": "nope"})
    assert response.status_code == 422 and "Wrong username or password" in response.text


def test_disabled_account_cannot_sign_in(client, database):
    make_user(database, username="leaver", password="pump-seal-42", active=False)
    response = client.post("/login", data={"username": "leaver", "password": "pump-seal-42"})
    assert response.status_code == 422


def test_repeated_wrong_passwords_are_throttled_even_with_the_right_one_after(tmp_path):
    with isolated_app(tmp_path) as app, app.app_context():
        make_user(db, username="tomas", password="pump-seal-42")
        client = app.test_client()
        codes = [
            client.post("/login", data={"username": "tomas", "password": f"guess{i}"}).status_code
            for i in range(6)
        ]
        assert codes[:5] == [422] * 5 and codes[5] == 429
        blocked = client.post("/login", data={"username": "tomas", "password": "pump-seal-42"})
        assert blocked.status_code == 429
        assert "Too many sign-in attempts" in blocked.text


def test_successful_sign_ins_do_not_use_up_the_allowance(tmp_path):
    with isolated_app(tmp_path) as app, app.app_context():
        make_user(db, username="tomas", password="pump-seal-42")
        client = app.test_client()
        for _ in range(7):
            ok = client.post("/login", data={"username": "tomas", "password": "pump-seal-42"})
            assert ok.status_code == 303
            client.post("/logout")


@pytest.mark.parametrize(
    "target, lands_on",
    [
        ("/work-orders/", "/work-orders/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirect_only_goes_to_pages_of_this_site(client, database, target, lands_on):
    make_user(database, username="tomas", password="pump-seal-42")
    response = client.post(
        "/login", data={"username": "tomas", "password": "pump-seal-42", "next": target}
    )
    assert response.headers["Location"] == lands_on


def test_protected_page_sends_strangers_to_sign_in_and_back(client, database):
    response = client.get("/work-orders/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Fwork-orders%2F")


def test_wrong_role_gets_the_friendly_403(login_as, database):
    tech = make_user(database, roles=["technician"])
    response = login_as(tech).get("/admin/users")
    assert response.status_code == 403
    assert "Not for your role" in response.text and "<nav" in response.text


def test_admin_sees_every_account_with_roles(login_as, database):
    admin = make_user(database, roles=["admin"], full_name="Ada Kowalski")
    make_user(database, roles=["buyer", "approver"], full_name="Bea Nakamura")
    page = login_as(admin).get("/admin/users")
    assert page.status_code == 200
    assert "Bea Nakamura" in page.text and "approver" in page.text and "buyer" in page.text


def test_sign_out_ends_the_session(login_as, database):
    client = login_as(make_user(database))
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/").status_code == 302

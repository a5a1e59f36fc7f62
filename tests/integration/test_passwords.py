"""Passwords: long enough, not common, changeable, and reset by an administrator.

Issue 14 found 4-character passwords accepted and no way to change one.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.domain.errors import DomainError
from portal.domain.roles import Role
from portal.extensions import db
from portal.models import AuditEvent, User
from portal.models.base import clock_set_to, utcnow
from portal.services import accounts
from tests.conftest import isolated_app
from tests.factories import make_user

OLD = "pump-seal-42"
NEW = "three green forklifts"


def _sign_in(client, username="tomas", password=OLD):
    return client.post("/login", data={"username": username, "password": password})


def _change(client, current=OLD, new=NEW, confirm=None):
    data = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    return client.post("/account/password", data=data)


@pytest.mark.parametrize(
    "password, problem",
    [
        ("demo", "at least 12 characters"),
        ("q1w2e3r4t5y6", "most common"),  # on the shipped list
        ("QWERTY123456", "most common"),  # whatever the case
        ("aaaaaaaaaaaaaa", "most common"),
        ("tomas-the-technician", "must not contain the username"),
    ],
)
def test_weak_passwords_are_refused_in_words_when_an_account_is_made(database, password, problem):
    with pytest.raises(DomainError, match=problem):
        accounts.create_user(
            "tomas", password=password, full_name="Tomás Rivera", roles=[Role.technician]
        )
    assert database.session.scalar(select(User)) is None


def test_four_character_and_common_passwords_are_refused_on_the_change_page(client, database):
    make_user(database, username="tomas", password=OLD)
    _sign_in(client)
    short = _change(client, new="demo")
    assert short.status_code == 422 and "at least 12 characters" in short.text
    common = _change(client, new="1qaz2wsx3edc")
    assert common.status_code == 422 and "most common" in common.text
    assert client.post("/logout").status_code == 303
    assert _sign_in(client).status_code == 303  # the old password still works


def test_change_password_needs_the_current_one_and_the_same_new_one_twice(client, database):
    make_user(database, username="tomas", password=OLD)
    _sign_in(client)
    wrong = _change(client, current="not-my-password")
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    differ = _change(client, confirm=NEW + "!")
    assert differ.status_code == 422 and "two new passwords differ" in differ.text


def test_change_password_signs_out_other_devices_and_keeps_this_one(app, client, database):
    make_user(database, username="tomas", password=OLD)
    other = app.test_client()
    _sign_in(client)
    _sign_in(other)
    answer = _change(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/account"
    assert client.get("/").status_code == 200  # this device goes on, with a new sign-in
    assert other.get("/").status_code == 302  # the other one is signed out
    client.post("/logout")
    assert _sign_in(client).status_code == 422
    assert _sign_in(client, password=NEW).status_code == 303
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.password_changed")
    )
    assert event.changes == {"must_change_password": False, "sessions_ended": 2}


def test_admin_reset_forces_a_change_at_next_sign_in(app, database):
    make_user(database, username="ada", password=OLD, roles=["admin"])
    tomas = make_user(database, username="tomas", password=OLD)
    admin, phone = app.test_client(), app.test_client()
    _sign_in(admin, "ada")
    _sign_in(phone)

    page = admin.post(f"/admin/users/{tomas.id}/reset-password")
    assert page.status_code == 200
    temporary = re.search(r'<code class="temporary-password">([^<]+)</code>', page.text).group(1)
    assert len(temporary) >= 12
    assert phone.get("/").status_code == 302  # signed out everywhere
    assert _sign_in(phone).status_code == 422  # the old password is gone

    assert _sign_in(phone, password=temporary).status_code == 303
    # Every page leads to the change-password page until a new one is chosen.
    for url in ("/", "/work-orders/", "/account"):
        answer = phone.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == "/account/password"
    assert "reset by an administrator" in phone.get("/account/password").text
    assert _change(phone, current=temporary).status_code == 303
    assert phone.get("/work-orders/").status_code == 200
    event = database.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.password_reset")
    )
    assert event.actor_id != tomas.id and temporary not in str(event.changes)


def test_only_an_administrator_may_reset_a_password(login_as, database):
    supervisor = make_user(database, roles=["supervisor"])
    tomas = make_user(database, username="tomas", password=OLD)
    assert login_as(supervisor).post(f"/admin/users/{tomas.id}/reset-password").status_code == 403
    assert tomas.check_password(OLD)


def test_in_production_a_password_below_the_rules_must_be_changed_at_sign_in(tmp_path):
    with isolated_app(tmp_path, PORTAL_ENV="production") as app, app.app_context():
        make_user(db, username="technician", password="demo")  # e.g. a demo database
        make_user(db, username="tomas", password=OLD)
        weak, fine = app.test_client(), app.test_client()
        assert _sign_in(weak, "technician", "demo").status_code == 303
        assert weak.get("/work-orders/").headers["Location"] == "/account/password"
        assert _sign_in(fine).status_code == 303
        assert fine.get("/work-orders/").status_code == 200


def test_demo_users_keep_demo_only_in_development(tmp_path):
    from portal.demo import load_demo

    with isolated_app(tmp_path, PORTAL_ENV="production") as app, app.app_context():
        with pytest.raises(RuntimeError, match="production"):
            load_demo()
        assert db.session.scalar(select(User)) is None


def test_a_temporary_password_expires_after_three_days(app, database):
    make_user(database, username="ada", password=OLD, roles=["admin"])
    tomas = make_user(database, username="tomas", password=OLD)
    admin, phone = app.test_client(), app.test_client()
    _sign_in(admin, "ada")
    page = admin.post(f"/admin/users/{tomas.id}/reset-password").text
    temporary = re.search(r'<code class="temporary-password">([^<]+)</code>', page).group(1)
    with clock_set_to(utcnow() + timedelta(hours=73)):
        assert _sign_in(phone, password=temporary).status_code == 422
    with clock_set_to(utcnow() + timedelta(hours=71)):
        assert _sign_in(phone, password=temporary).status_code == 303

"""Sessions end when they should: sign-out, sign out everywhere, revoked devices, timeouts.

Issue 14 found a copied session cookie still reading and writing after POST /logout, and a
remember-me cookie that was the same on every sign-in and could not be revoked. Each sign-in is
now a row on the server (its token, hashed, is what both cookies carry), and ending it is final.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from portal.config import DEFAULTS, from_environment
from portal.extensions import db
from portal.models import UserSession, WorkOrderComment
from portal.models.base import clock_set_to, utcnow
from tests.conftest import isolated_app
from tests.factories import make_user, make_work_order

PASSWORD = "pump-seal-42"


def _sign_in(client, username="tomas", *, remember=False, **environ):
    data = {"username": username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    answer = client.post("/login", data=data, environ_base=environ)
    assert answer.status_code == 303, answer.text
    return answer


def _copy_cookie(source, target, name: str) -> None:
    target.set_cookie(name, source.get_cookie(name).value)


def _signed_in(client) -> bool:
    return client.get("/").status_code == 200


def test_copied_session_cookie_after_sign_out_is_signed_out(app, client, database):
    tech = make_user(database, username="tomas", password=PASSWORD)
    wo = make_work_order(database, assignee=tech)
    _sign_in(client)
    thief = app.test_client()
    _copy_cookie(client, thief, "session")
    assert _signed_in(thief)  # the copy works while the sign-in lasts...

    assert client.post("/logout").status_code == 303

    # ...and is worth nothing afterwards: it neither reads nor writes.
    assert thief.get("/").headers["Location"].startswith("/login")
    posted = thief.post(
        f"/work-orders/{wo.id}/comments",
        data={"body": "Through a copied cookie", "submission_id": "c" * 32},
    )
    assert posted.status_code == 302 and posted.headers["Location"].startswith("/login")
    assert database.session.scalar(select(func.count()).select_from(WorkOrderComment)) == 0


def test_remember_me_cookie_is_new_on_every_sign_in_and_dies_at_sign_out(app, database):
    tech = make_user(database, username="tomas", password=PASSWORD)
    phone, laptop = app.test_client(), app.test_client()
    first = _sign_in(phone, remember=True).headers.getlist("Set-Cookie")
    _sign_in(laptop, remember=True)
    remember = phone.get_cookie("remember_token").value
    assert remember != laptop.get_cookie("remember_token").value
    cookie = next(c for c in first if c.startswith("remember_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    # The cookie holds the sign-in's token, not the user id; the database only its hash.
    token = remember.rsplit("|", 1)[0]
    hashes = set(database.session.scalars(select(UserSession.token_hash)))
    assert token != str(tech.id) and token not in hashes and UserSession.hash_token(token) in hashes

    # A browser that kept only the remember-me cookie (closed and opened again) is signed in...
    reopened = app.test_client()
    reopened.set_cookie("remember_token", remember)
    assert _signed_in(reopened)
    # ...until that phone signs out; then the cookie signs nobody in, anywhere.
    phone.post("/logout")
    stolen = app.test_client()
    stolen.set_cookie("remember_token", remember)
    assert not _signed_in(stolen)
    assert _signed_in(laptop)  # the other device is not affected


def test_a_device_revoked_on_the_account_page_is_signed_out(app, database):
    make_user(database, username="tomas", password=PASSWORD)
    lost_phone, desk = app.test_client(), app.test_client()
    _sign_in(lost_phone, remember=True, HTTP_USER_AGENT="Lost phone browser")
    _sign_in(desk, HTTP_USER_AGENT="Desk browser")
    account = desk.get("/account").text
    assert (
        "This device" in account and "Lost phone browser" in account and "kept signed in" in account
    )
    [end_url] = re.findall(r'action="(/account/sign-ins/\d+/end)"', account)
    assert desk.post(end_url).status_code == 303
    assert not _signed_in(lost_phone)
    only_remember = app.test_client()
    _copy_cookie(lost_phone, only_remember, "remember_token")
    assert not _signed_in(only_remember)
    assert _signed_in(desk)


def test_someone_elses_sign_in_cannot_be_ended(app, database):
    make_user(database, username="tomas", password=PASSWORD)
    make_user(database, username="other", password=PASSWORD)
    mine, theirs = app.test_client(), app.test_client()
    _sign_in(mine)
    _sign_in(theirs, "other")
    their_id = database.session.scalars(
        select(UserSession.id).order_by(UserSession.id.desc())
    ).first()
    assert mine.post(f"/account/sign-ins/{their_id}/end").status_code == 404
    assert _signed_in(theirs)


def test_sign_out_everywhere_signs_out_every_device(app, database):
    make_user(database, username="tomas", password=PASSWORD)
    devices = [app.test_client() for _ in range(3)]
    for n, device in enumerate(devices):
        _sign_in(device, remember=n == 0)
    kept = devices[0].get_cookie("remember_token").value
    answer = devices[1].post("/account/sign-out-everywhere")
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"
    assert not any(_signed_in(device) for device in devices)
    again = app.test_client()
    again.set_cookie("remember_token", kept)
    assert not _signed_in(again)


def test_an_idle_session_ends_after_the_idle_timeout(client, database):
    make_user(database, username="tomas", password=PASSWORD)
    _sign_in(client)
    start = utcnow()
    with clock_set_to(start + timedelta(hours=11)):
        assert _signed_in(client)  # in use: the idle clock starts again
    with clock_set_to(start + timedelta(hours=22)):
        assert _signed_in(client)
    with clock_set_to(start + timedelta(hours=34, minutes=1)):
        assert not _signed_in(client)  # 12 h unused
    assert database.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_session_in_use_ends_after_its_absolute_lifetime(client, database):
    make_user(database, username="tomas", password=PASSWORD)
    _sign_in(client, remember=True)
    start = utcnow()
    for hours in range(6, 7 * 24, 6):
        with clock_set_to(start + timedelta(hours=hours)):
            assert _signed_in(client), hours
    with clock_set_to(start + timedelta(days=7, minutes=1)):
        assert not _signed_in(client)


def test_timeouts_are_configuration(tmp_path):
    with (
        isolated_app(tmp_path, SESSION_IDLE_TIMEOUT=timedelta(minutes=30)) as app,
        app.app_context(),
    ):
        make_user(db, username="tomas", password=PASSWORD)
        client = app.test_client()
        _sign_in(client)
        with clock_set_to(utcnow() + timedelta(minutes=31)):
            assert not _signed_in(client)


def test_session_and_csrf_token_are_renewed_at_sign_in(tmp_path):
    with isolated_app(tmp_path, WTF_CSRF_ENABLED=True) as app, app.app_context():
        make_user(db, username="tomas", password=PASSWORD)
        client = app.test_client()
        page = client.get("/login").text
        before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        planted = client.get_cookie("session").value  # a session fixed before sign-in
        answer = client.post(
            "/login", data={"username": "tomas", "password": PASSWORD, "csrf_token": before}
        )
        assert answer.status_code == 303
        after = re.search(r'"X-CSRFToken": "([^"]+)"', client.get("/").text).group(1)
        assert client.get_cookie("session").value != planted
        # The token from before sign-in no longer passes; the new one does.
        assert client.post("/logout", headers={"X-CSRFToken": before}).status_code == 400
        assert client.post("/logout", headers={"X-CSRFToken": after}).status_code == 303


def test_a_disabled_account_is_signed_out_at_once(client, database):
    tech = make_user(database, username="tomas", password=PASSWORD)
    _sign_in(client)
    tech.active = False
    database.session.commit()
    assert not _signed_in(client)


def test_client_address_comes_from_the_proxy_only_when_configured(tmp_path):
    forwarded = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "10.0.0.2"}
    for setting, seen in ((0, "10.0.0.2"), (1, "203.0.113.9")):
        with isolated_app(tmp_path, PROXY_FIX_X_FOR=setting) as app, app.app_context():
            make_user(db, username="tomas", password=PASSWORD)
            _sign_in(app.test_client(), **forwarded)
            assert db.session.scalar(select(UserSession.client_address)) == seen


def test_a_control_character_in_the_user_agent_is_not_stored(client, database):
    make_user(database, username="tomas", password=PASSWORD)
    _sign_in(client, HTTP_USER_AGENT="Phone\x00browser\x1b")
    assert database.session.scalar(select(UserSession.user_agent)) == "Phonebrowser"


def test_production_cookies_are_secure_and_lifetimes_come_from_the_environment(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("SESSION_IDLE_HOURS", "8")
    monkeypatch.setenv("SESSION_ABSOLUTE_DAYS", "3")
    monkeypatch.setenv("PROXY_FIX_X_FOR", "1")
    # (production refuses to start without its public address: config.py, trusted hosts)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://portal.example.org")
    settings = {**DEFAULTS, **from_environment(tmp_path)}
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_IDLE_TIMEOUT"] == timedelta(hours=8)
    assert settings["SESSION_ABSOLUTE_LIFETIME"] == timedelta(days=3)
    assert settings["REMEMBER_COOKIE_DURATION"] == timedelta(days=3)
    assert settings["PROXY_FIX_X_FOR"] == 1 and settings["PROXY_FIX_X_PROTO"] == 0

"""Fixtures: the app on SQLite (default) or on PostgreSQL when DATABASE_URL points at it."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from flask import current_app, g, has_app_context
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import normalise_database_url
from portal.extensions import db, limiter

DATABASE_URL = normalise_database_url(os.environ.get("DATABASE_URL", "sqlite://"))
ON_POSTGRES = DATABASE_URL.startswith("postgresql")

# Hypothesis: "ci" (the default) is derandomised and short enough for `make test` (the state
# machine's sequences run on the database); HYPOTHESIS_PROFILE=long searches much further.
# Tests that set their own max_examples keep them.
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=6,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "long",
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def base_config(**overrides) -> dict:
    """Settings every test app shares."""
    settings = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": DATABASE_URL,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PORTAL_ENV": "development",
    }
    settings.update(overrides)
    return settings


@contextmanager
def scratch_database(tmp_dir: Path):
    """A new, empty database of the kind under test; dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_dir / f'scratch-{uuid.uuid4().hex[:8]}.db'}"
        return
    url = make_url(DATABASE_URL)
    name = f"{url.database}_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def forget_user_between_requests(app):
    """Tests hold an app context open and requests reuse it, so `g` outlives a request, and
    Flask-Login caches the user in g: forget it so each request reads its own session."""

    @app.teardown_request
    def forget_signed_in_user(_exc):
        g.pop("_login_user", None)

    return app


@contextmanager
def isolated_app(tmp_dir: Path, **overrides):
    """An app of its own on a fresh SQLite file with the tables made, for settings others lack."""
    url = f"sqlite:///{tmp_dir / f'isolated-{uuid.uuid4().hex[:8]}.db'}"
    app = forget_user_between_requests(
        create_app(base_config(SQLALCHEMY_DATABASE_URI=url, **overrides))
    )
    with app.app_context():
        db.create_all()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


@contextmanager
def racing_app(tmp_dir: Path):
    """An app on a scratch database of its own, with a connection per racing thread.

    For races: the shared test database holds one connection on SQLite, so threads there
    would not really race. Tables are made; the test adds its own rows and commits them.
    A module may share one (a module-scoped fixture) and empty it between tests.
    """
    with scratch_database(tmp_dir) as url:
        engine = {"pool_pre_ping": True, "pool_size": 12, "max_overflow": 0}
        app = forget_user_between_requests(
            create_app(base_config(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine))
        )
        with app.app_context():
            db.create_all()
        try:
            yield app
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def race_app(tmp_path):
    """An app on a scratch database of its own (see racing_app), for one test."""
    with racing_app(tmp_path) as app:
        yield app


@pytest.fixture(scope="session")
def app():
    app = forget_user_between_requests(create_app(base_config()))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    """Delete every row; one TRUNCATE on PostgreSQL, table by table on SQLite."""
    db.session.rollback()
    tables = db.metadata.sorted_tables
    if ON_POSTGRES:
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(tables):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def database(app):
    with app.app_context():  # one context per test, not per session
        yield db
        _empty_all_tables()
        db.session.remove()
        limiter.reset()  # throttling counts must not leak from one test into the next


@pytest.fixture
def client(app, database):
    return app.test_client()


def sign_in(client, user_id: int, base_url: str | None = None) -> None:
    """Give the client's session a real sign-in of the user, as /login does: a UserSession row
    whose token goes where Flask-Login reads it (the user id alone signs nobody in). `base_url`
    signs in on another host (the session cookie belongs to that host)."""
    from portal.models import User
    from portal.services import accounts

    app = client.application
    same_app = has_app_context() and current_app._get_current_object() is app
    with nullcontext() if same_app else app.app_context():
        token = accounts.start_session(db.session.get(User, user_id))
    with client.session_transaction(**({"base_url": base_url} if base_url else {})) as session:
        session.clear()
        session["_user_id"] = token
        session["_fresh"] = True


@pytest.fixture
def login_as(client):
    def _login_as(user):
        sign_in(client, user.id)
        return client

    return _login_as


@pytest.fixture
def count_statements(database):
    """count_statements(fn) -> how many SQL statements fn() sent to the database."""
    from sqlalchemy import event

    def _count(fn) -> int:
        seen: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            fn()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    return _count

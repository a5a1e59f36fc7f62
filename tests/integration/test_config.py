"""Configuration from the environment."""

from __future__ import annotations

import pytest

from portal.config import from_environment, normalise_database_url


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        from_environment(tmp_path)


def test_development_generates_a_secret_key_once_into_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = from_environment(tmp_path)["SECRET_KEY"]
    second = from_environment(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_sqlite_under_instance_and_the_pinned_htmx(monkeypatch, tmp_path):
    for name in ("DATABASE_URL", "HTMX_URL", "REDIS_URL", "PORTAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    settings = from_environment(tmp_path)
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert settings["HTMX_URL"].endswith("htmx.org@2.0.11/dist/htmx.min.js")
    assert settings["RATELIMIT_STORAGE_URI"] == "database://"  # shared by every worker


def test_redis_url_moves_rate_limits_to_redis(monkeypatch, tmp_path):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    assert from_environment(tmp_path)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_own_htmx_url_drops_the_cdn_integrity_hash(monkeypatch, tmp_path):
    monkeypatch.setenv("HTMX_URL", "/static/vendor/htmx-2.0.11.min.js")
    assert from_environment(tmp_path)["HTMX_SRI"] == ""


@pytest.mark.parametrize(
    "given, used",
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_the_installed_driver(given, used):
    assert normalise_database_url(given) == used


@pytest.mark.parametrize(("setting", "pragma"), [(None, 1), ("full", 2)])
def test_sqlite_commits_without_waiting_for_the_disk_unless_told(
    monkeypatch, tmp_path, setting, pragma
):
    """WAL + synchronous=NORMAL by default (1); PORTAL_SQLITE_SYNCHRONOUS=FULL (2) on request."""
    from sqlalchemy import create_engine, text

    import portal.models  # noqa: F401  (registers the connect hook)

    if setting is None:
        monkeypatch.delenv("PORTAL_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("PORTAL_SQLITE_SYNCHRONOUS", setting)
    engine = create_engine(f"sqlite:///{tmp_path / 'sync.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == pragma
    engine.dispose()


def test_a_mistyped_sqlite_synchronous_setting_is_refused_by_name(monkeypatch, tmp_path):
    from sqlalchemy import create_engine

    import portal.models  # noqa: F401

    monkeypatch.setenv("PORTAL_SQLITE_SYNCHRONOUS", "fast")
    engine = create_engine(f"sqlite:///{tmp_path / 'bad.db'}")
    with pytest.raises(ValueError, match="PORTAL_SQLITE_SYNCHRONOUS='FAST'"):
        engine.connect()
    engine.dispose()

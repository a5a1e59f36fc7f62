"""Configuration read from the environment; tests pass a mapping to create_app instead."""

from __future__ import annotations

import os
import secrets
from decimal import Decimal
from pathlib import Path

HTMX_VERSION = "2.0.11"
# The same bytes as portal/static/vendor/htmx-2.0.11.min.js (npm htmx.org@2.0.11, dist/htmx.min.js).
HTMX_CDN_URL = f"https://cdn.jsdelivr.net/npm/htmx.org@{HTMX_VERSION}/dist/htmx.min.js"
HTMX_SRI = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"


def normalise_database_url(url: str) -> str:
    """Point plain postgres URLs at the psycopg 3 driver that we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _secret_key(instance_path: Path, env_name: str) -> str:
    """SECRET_KEY from the environment; in development one is generated once into instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env_name == "production":
        raise RuntimeError(
            "SECRET_KEY is not set. Production refuses to start without one: "
            "set SECRET_KEY to a long random string shared by every worker."
        )
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_environment(instance_path: Path) -> dict:
    """Build the settings mapping for create_app from environment variables."""
    env_name = os.environ.get("PORTAL_ENV", "development")
    if env_name not in ("development", "production"):
        raise RuntimeError(f"PORTAL_ENV must be development or production, not {env_name!r}")
    default_db = f"sqlite:///{instance_path / 'portal.db'}"
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "PORTAL_ENV": env_name,
        "SECRET_KEY": _secret_key(instance_path, env_name),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "HTMX_URL": os.environ.get("HTMX_URL", HTMX_CDN_URL),
        "HTMX_SRI": os.environ.get("HTMX_SRI", HTMX_SRI if "HTMX_URL" not in os.environ else ""),
        "SESSION_COOKIE_SECURE": env_name == "production",
        "REMEMBER_COOKIE_SECURE": env_name == "production",
        # Tenant e-mail (portal/services/mailer.py); no MAIL_SERVER means mail is skipped.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_SENDER": os.environ.get("MAIL_SENDER") or DEFAULTS["MAIL_SENDER"],
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT") or 10),
        # Links in mails sent outside a web request (CLI, jobs), e.g. https://portal.example.org
        "MAIL_BASE_URL": os.environ.get("MAIL_BASE_URL") or None,
        # How far past the ordered quantity a PO line may be received, in percent (0: not at all).
        "RECEIPT_OVER_TOLERANCE_PERCENT": Decimal(
            os.environ.get("RECEIPT_OVER_TOLERANCE_PERCENT") or "0"
        ),
        **_match_policy_from_environment(),
    }


def _match_policy_from_environment() -> dict:
    """MATCH_* tolerances from the environment; "none" (or empty) means not checked."""
    settings = {}
    for key in MATCH_KEYS:
        if key in os.environ:
            value = os.environ[key].strip()
            settings[key] = None if value.lower() in ("", "none", "null") else value
    return settings


MATCH_KEYS = (
    "MATCH_PRICE_PCT",
    "MATCH_PRICE_ABS",
    "MATCH_QTY_PCT",
    "MATCH_QTY_ABS",
    "MATCH_AMOUNT_ABS",
    "MATCH_FREIGHT_ABS",
    "MATCH_SERVICE_MATCH",
)

DEFAULTS = {
    "PORTAL_ENV": "development",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the signed session cookie
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_LIMIT_PER_USERNAME": "5 per minute;20 per hour",
    "LOGIN_LIMIT_PER_CLIENT": "30 per minute",
    "PUBLIC_REQUEST_LIMIT": "5 per minute;40 per day",
    "HTMX_URL": HTMX_CDN_URL,
    "HTMX_SRI": HTMX_SRI,
    "PAGE_SIZE": 25,
    # Match tolerances (match-spec §1.1 defaults): decimal strings; None = not checked.
    "MATCH_PRICE_PCT": "0",
    "MATCH_PRICE_ABS": None,
    "MATCH_QTY_PCT": "0",
    "MATCH_QTY_ABS": None,
    "MATCH_AMOUNT_ABS": "0",
    "MATCH_FREIGHT_ABS": None,
    "MATCH_SERVICE_MATCH": "two_way",
    "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,  # photos are checked at 8 MB; beyond this, a 413 page
    "MAIL_SERVER": None,
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "Field Portal <no-reply@field-portal.invalid>",
    "MAIL_TIMEOUT": 10.0,
    "MAIL_BASE_URL": None,
    "RECEIPT_OVER_TOLERANCE_PERCENT": Decimal("0"),
}

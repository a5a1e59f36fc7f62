"""Configuration read from the environment; tests pass a mapping to create_app instead."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

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
        # Rate-limit counters: Redis when set, else the database; every worker shares them.
        "RATELIMIT_STORAGE_URI": redis_url or "database://",
        "HTMX_URL": os.environ.get("HTMX_URL", HTMX_CDN_URL),
        "HTMX_SRI": os.environ.get("HTMX_SRI", HTMX_SRI if "HTMX_URL" not in os.environ else ""),
        "SESSION_COOKIE_SECURE": env_name == "production",
        "REMEMBER_COOKIE_SECURE": env_name == "production",
        **_sessions_and_proxy_from_environment(),
        # Tenant e-mail (portal/services/mailer.py); no MAIL_SERVER means mail is skipped.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 25),
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes", "on"),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_SENDER": os.environ.get("MAIL_SENDER") or DEFAULTS["MAIL_SENDER"],
        "MAIL_TIMEOUT": float(os.environ.get("MAIL_TIMEOUT") or 10),
        # Where to report a vulnerability privately (mailto: or https: URL), served as
        # /.well-known/security.txt; unset, that address answers 404.
        "SECURITY_CONTACT": os.environ.get("SECURITY_CONTACT") or None,
        # Mail delivery by the worker (services/outbox.py): back-off doubles from base to max.
        "MAIL_RETRY_BASE_SECONDS": float(os.environ.get("MAIL_RETRY_BASE_SECONDS") or 30),
        "MAIL_RETRY_MAX_SECONDS": float(os.environ.get("MAIL_RETRY_MAX_SECONDS") or 3600),
        "MAIL_MAX_ATTEMPTS": int(os.environ.get("MAIL_MAX_ATTEMPTS") or 15),
        **_public_urls_from_environment(env_name),
        # How far past the ordered quantity a PO line may be received, in percent (0: not at all).
        "RECEIPT_OVER_TOLERANCE_PERCENT": Decimal(
            os.environ.get("RECEIPT_OVER_TOLERANCE_PERCENT") or "0"
        ),
        **_match_policy_from_environment(),
    }


def _sessions_and_proxy_from_environment() -> dict:
    """Sign-in lifetimes (SESSION_IDLE_HOURS, SESSION_ABSOLUTE_DAYS) and PROXY_FIX_* counts."""
    settings: dict = {}
    if os.environ.get("SESSION_IDLE_HOURS"):
        settings["SESSION_IDLE_TIMEOUT"] = timedelta(hours=float(os.environ["SESSION_IDLE_HOURS"]))
    if os.environ.get("SESSION_ABSOLUTE_DAYS"):
        lifetime = timedelta(days=float(os.environ["SESSION_ABSOLUTE_DAYS"]))
        settings["SESSION_ABSOLUTE_LIFETIME"] = settings["REMEMBER_COOKIE_DURATION"] = lifetime
    for name in PROXY_FIX_KEYS:
        if os.environ.get(name):
            settings[name] = int(os.environ[name])
    return settings


# How many proxies in front set each X-Forwarded-* header (werkzeug ProxyFix); 0: not trusted.
PROXY_FIX_KEYS = (
    "PROXY_FIX_X_FOR",
    "PROXY_FIX_X_PROTO",
    "PROXY_FIX_X_HOST",
    "PROXY_FIX_X_PORT",
    "PROXY_FIX_X_PREFIX",
)
DEVELOPMENT_BASE_URL = "http://127.0.0.1:8000"


def _public_urls_from_environment(env_name: str) -> dict:
    """PUBLIC_BASE_URL (MAIL_BASE_URL is its older name) and TRUSTED_HOSTS.

    Every link that leaves the portal (tenant e-mails, QR labels) is built on PUBLIC_BASE_URL,
    never on the Host header of a request. Production refuses to start without it; its
    TRUSTED_HOSTS default to the base URL's host, so a request for any other host gets a 400.
    """
    base = os.environ.get("PUBLIC_BASE_URL") or os.environ.get("MAIL_BASE_URL") or None
    if base is None and env_name == "production":
        raise RuntimeError(
            "PUBLIC_BASE_URL is not set. Production refuses to start without it: set it to the "
            "address people use to reach the portal, e.g. https://portal.example.org (links in "
            "e-mails and QR labels are built on it, never on a request's Host header)."
        )
    base = check_base_url(base or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")
    hosts = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    if not hosts and env_name == "production":
        hosts = [urlsplit(base).hostname or ""]
    return {"PUBLIC_BASE_URL": base, "MAIL_BASE_URL": base, "TRUSTED_HOSTS": hosts or None}


def check_base_url(url: str) -> str:
    """`url` without a trailing slash, if it is an absolute http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise RuntimeError(
            f"PUBLIC_BASE_URL must be an absolute http(s) address such as "
            f"https://portal.example.org, not {url!r}."
        )
    return url.rstrip("/")


def public_base_url(settings: Mapping) -> str:
    """The base of every external link: PUBLIC_BASE_URL, else MAIL_BASE_URL, else (outside
    production) the development address; production without one is refused."""
    base = settings.get("PUBLIC_BASE_URL") or settings.get("MAIL_BASE_URL")
    if base:
        return check_base_url(base)
    if settings.get("PORTAL_ENV") == "production":
        raise RuntimeError("PUBLIC_BASE_URL is not set; production builds no external links.")
    return DEVELOPMENT_BASE_URL


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
    # Flask-Limiter keeps one `enabled` for every app of the process and reads it with
    # config.setdefault: each app states its own, so one app built with RATELIMIT_ENABLED=False
    # never switches the limits (and the database:// or Redis storage) off for later apps.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Failed sign-ins from one address, whatever the account (portal/throttling.py)...
    "LOGIN_LIMIT_PER_CLIENT": "30 per minute;200 per day",
    # ...and per account from one address: after 5 failures, 30 s, 60 s, ... up to 15 min.
    "LOGIN_FREE_FAILURES": 5,
    "LOGIN_DELAY_FIRST_SECONDS": 30,
    "LOGIN_DELAY_MAX_SECONDS": 15 * 60,
    "LOGIN_FAILURES_FORGOTTEN_AFTER_SECONDS": 24 * 3600,
    # A sign-in ends after this long unused (shared shop-floor phones), and at most after this
    # long whatever happens; "keep me signed in" lasts no longer than the latter.
    "SESSION_IDLE_TIMEOUT": timedelta(hours=12),
    "SESSION_ABSOLUTE_LIFETIME": timedelta(days=7),
    # An administrator's reset: its temporary password works this long, once.
    "TEMPORARY_PASSWORD_LIFETIME": timedelta(hours=72),
    "REMEMBER_COOKIE_DURATION": timedelta(days=7),
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    **dict.fromkeys(PROXY_FIX_KEYS, 0),
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
    "MAIL_BASE_URL": None,  # the older name of PUBLIC_BASE_URL, still read
    "PUBLIC_BASE_URL": None,  # None: DEVELOPMENT_BASE_URL outside production
    "TRUSTED_HOSTS": None,  # Flask 3.1: hosts the portal answers for; None accepts any
    "MAIL_RETRY_BASE_SECONDS": 30.0,
    "MAIL_RETRY_MAX_SECONDS": 3600.0,
    "MAIL_MAX_ATTEMPTS": 15,
    "RECEIPT_OVER_TOLERANCE_PERCENT": Decimal("0"),
}

"""Rate limits every worker shares, and the sign-in throttle built on them.

The counters live in the rate limiter's storage (`RATELIMIT_STORAGE_URI`): Redis when
`REDIS_URL` is set, otherwise the database (`database://`, the `DatabaseStorage` below), so
gunicorn workers and machines count together either way. `memory://` (tests) counts per process.

Sign-in guessing is slowed per account *and* client address, with progressive delays: after
`LOGIN_FREE_FAILURES` wrong passwords in a row from one address for one account, the next try
from there must wait `LOGIN_DELAY_FIRST_SECONDS`, and each further failure doubles the wait (up
to `LOGIN_DELAY_MAX_SECONDS`); the right password forgives the count. There is deliberately no
per-account-only lockout: a stranger guessing from elsewhere never stops the real user signing
in from their own phone. Each client address is also limited across all accounts
(`LOGIN_LIMIT_PER_CLIENT`, on the view).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import cast

from flask import current_app, has_app_context
from limits.storage import Storage
from sqlalchemy import Table, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db, limiter
from portal.models.throttling import RateLimitCounter

counters = cast(Table, RateLimitCounter.__table__)


class DatabaseStorage(Storage):
    """A `limits` storage in the portal's own database (`RATELIMIT_STORAGE_URI=database://`).

    Each call runs in a transaction of its own on its own connection, so a count survives the
    request's rollback and every worker sees it at once. Increments are one atomic upsert.
    """

    STORAGE_SCHEME = ["database"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int | float, amount: int = 1) -> int:
        """Add `amount`; a missing or expired counter starts again, expiring in `expiry` s."""
        now = time.time()
        values = {"key": key, "count": amount, "expires_at": now + expiry}
        with db.engine.begin() as conn:
            insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert
            stmt = insert(counters).values(**values)
            expired = counters.c.expires_at <= now
            stmt = stmt.on_conflict_do_update(
                index_elements=[counters.c.key],
                set_={
                    "count": case((expired, amount), else_=counters.c.count + amount),
                    "expires_at": case(
                        (expired, stmt.excluded.expires_at), else_=counters.c.expires_at
                    ),
                },
            ).returning(counters.c.count)
            count = conn.execute(stmt).scalar_one()
            conn.execute(delete(counters).where(counters.c.expires_at < now - 3600))
        return int(count)

    def _row(self, key: str):
        with db.engine.connect() as conn:
            return conn.execute(
                select(counters.c.count, counters.c.expires_at).where(
                    counters.c.key == key, counters.c.expires_at > time.time()
                )
            ).first()

    def get(self, key: str) -> int:
        row = self._row(key)
        return int(row.count) if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return float(row.expires_at) if row else time.time()

    def check(self) -> bool:
        if not has_app_context():
            return False
        try:
            with db.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as conn:
            return conn.execute(delete(counters)).rowcount

    def clear(self, key: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(delete(counters).where(counters.c.key == key))


@dataclass(frozen=True)
class SignInDelays:
    """The progressive delay settings, from the config."""

    free_failures: int
    first_seconds: int
    max_seconds: int
    forget_after_seconds: int

    @classmethod
    def from_config(cls) -> SignInDelays:
        config = current_app.config
        return cls(
            free_failures=int(config["LOGIN_FREE_FAILURES"]),
            first_seconds=int(config["LOGIN_DELAY_FIRST_SECONDS"]),
            max_seconds=int(config["LOGIN_DELAY_MAX_SECONDS"]),
            forget_after_seconds=int(config["LOGIN_FAILURES_FORGOTTEN_AFTER_SECONDS"]),
        )

    def after(self, failures: int) -> int:
        """Seconds to wait after `failures` wrong passwords in a row."""
        over = failures - self.free_failures
        if over < 0:
            return 0
        return min(self.first_seconds * 2 ** min(over, 30), self.max_seconds)


def _key(kind: str, username: str, client: str) -> str:
    """The counter's key; the username hashed, as it is whatever a stranger typed."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    account = hashlib.sha256(username.strip().lower().encode("utf-8", "replace")).hexdigest()
    return f"{prefix}/sign-in/{kind}/{account[:32]}/{client[:64]}"


def _throttling_off() -> bool:
    """RATELIMIT_ENABLED=False: the limiter has no storage, so nothing is counted or waited."""
    return not current_app.config.get("RATELIMIT_ENABLED", True)


def sign_in_wait(username: str, client: str) -> int:
    """Seconds this client must still wait before trying this account again (0: go ahead)."""
    if _throttling_off():
        return 0
    waiting = _key("wait", username, client)
    storage = limiter.storage
    if storage.get(waiting) <= 0:
        return 0
    return max(1, int(storage.get_expiry(waiting) - time.time() + 0.999))


def sign_in_failed(username: str, client: str) -> int:
    """Count a wrong password; returns the seconds to wait before the next try (maybe 0)."""
    if _throttling_off():
        return 0
    delays = SignInDelays.from_config()
    storage = limiter.storage
    failures = storage.incr(_key("failures", username, client), delays.forget_after_seconds)
    wait = delays.after(failures)
    if wait:
        storage.clear(_key("wait", username, client))
        storage.incr(_key("wait", username, client), wait)
    return wait


def sign_in_succeeded(username: str, client: str) -> None:
    """The right password from this client: its earlier failures on this account are forgiven."""
    if _throttling_off():
        return
    storage = limiter.storage
    storage.clear(_key("failures", username, client))
    storage.clear(_key("wait", username, client))

"""Declarative base, column types for money, quantities and UTC times, and SQLite pragmas."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, MetaData, Numeric, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# The one clock every service, model default and audit event reads. Only `clock_set_to` moves
# it (the demo's year of history is written through the real services at past times); in a
# context of its own, so another thread or request is never affected.
_FIXED_NOW: ContextVar[datetime | None] = ContextVar("portal_fixed_now", default=None)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the set time inside `clock_set_to`)."""
    fixed = _FIXED_NOW.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextmanager
def clock_set_to(when: datetime) -> Iterator[Callable[[datetime], None]]:
    """Run the block as if it were `when`; it gets a function that moves the time on.

    For loading past documents through the real use cases (the demo's history). The real
    clock is back when the block ends, whatever happens in it.
    """

    def move_to(moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        _FIXED_NOW.set(moment.astimezone(UTC))

    token = _FIXED_NOW.set(None)
    try:
        move_to(when)
        yield move_to
    finally:
        _FIXED_NOW.reset(token)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


Money = Numeric(14, 2, asdecimal=True)
Quantity = Numeric(14, 3, asdecimal=True)
Percent = Numeric(7, 3, asdecimal=True)


class IdMixin:
    """Integer surrogate primary key."""

    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    """created_at / updated_at in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


ZERO = Decimal("0")


SQLITE_SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


def _sqlite_synchronous() -> str:
    """PRAGMA synchronous for SQLite: NORMAL unless PORTAL_SQLITE_SYNCHRONOUS says otherwise."""
    mode = os.environ.get("PORTAL_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
    if mode not in SQLITE_SYNCHRONOUS_MODES:
        raise ValueError(
            f"PORTAL_SQLITE_SYNCHRONOUS={mode!r}: use one of {', '.join(SQLITE_SYNCHRONOUS_MODES)}"
        )
    return mode


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Enforce foreign keys and let readers and a writer work at once on SQLite."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL syncs the log at checkpoints instead of on every commit: nothing is lost
    # when the portal crashes and the file never corrupts, but a power cut or an OS crash may
    # roll back the last commits. SQLite's advice for WAL (Rails ships it too); a commit no
    # longer waits for the disk. PORTAL_SQLITE_SYNCHRONOUS=FULL buys power-cut durability.
    # PostgreSQL, the production database, is not concerned.
    cursor.execute(f"PRAGMA synchronous={_sqlite_synchronous()}")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def StrEnumType(enum_cls, length: int = 24):  # noqa: N802  (reads like a type)
    """A StrEnum stored as VARCHAR (no native enum, so adding a value needs no ALTER TYPE)."""
    from sqlalchemy import Enum

    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )

"""Drawing document numbers from locked counter rows: unique under concurrent creation."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain.numbering import Sequence, counter_key, format_number
from portal.models import DocumentCounter
from portal.models.base import utcnow


def next_number(session: Session, sequence: Sequence) -> str:
    """The next document number of `sequence`, inside the caller's transaction."""
    year = utcnow().year
    return format_number(sequence, bump_counter(session, counter_key(sequence, year)), year)


_counter = cast(Table, DocumentCounter.__table__)
# Built once: making and keying an UPDATE anew on every call cost more than running it, and
# every audit event draws a number. Core, not ORM: the counter is never loaded as an object, so
# there is no session state to keep in step (the session still autoflushes before it).
_BUMP = (
    update(_counter)
    .where(_counter.c.key == bindparam("counter_key"))
    .values(last_value=_counter.c.last_value + 1)
    .returning(_counter.c.last_value)
)


def bump_counter(session: Session, key: str) -> int:
    """Add one to counter `key` and return it; the row stays locked until the transaction ends."""
    # An UPDATE takes the row lock at once (PostgreSQL) or the write lock (SQLite), so two
    # transactions can never read the same last_value.
    value = session.execute(_BUMP, {"counter_key": key}).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.add(DocumentCounter(key=key, last_value=0))
        except IntegrityError:
            pass  # another transaction created it first; the UPDATE below waits for it
        value = session.execute(_BUMP, {"counter_key": key}).scalar_one()
    return value

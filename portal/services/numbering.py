"""Drawing document numbers from locked counter rows: unique under concurrent creation."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.domain.numbering import Sequence, counter_key, format_number
from portal.models import DocumentCounter
from portal.models.base import utcnow


def next_number(session: Session, sequence: Sequence) -> str:
    """The next document number of `sequence`, inside the caller's transaction."""
    year = utcnow().year
    return format_number(sequence, bump_counter(session, counter_key(sequence, year)), year)


def bump_counter(session: Session, key: str) -> int:
    """Add one to counter `key` and return it; the row stays locked until the transaction ends."""
    # An UPDATE takes the row lock at once (PostgreSQL) or the write lock (SQLite), so two
    # transactions can never read the same last_value.
    stmt = (
        update(DocumentCounter)
        .where(DocumentCounter.key == key)
        .values(last_value=DocumentCounter.last_value + 1)
        .returning(DocumentCounter.last_value)
        # The counter is never loaded as an object: skip scanning the session for it, which
        # otherwise costs O(objects in the session) per number and slows big imports.
        .execution_options(synchronize_session=False)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.add(DocumentCounter(key=key, last_value=0))
        except IntegrityError:
            pass  # another transaction created it first; the UPDATE below waits for it
        value = session.execute(stmt).scalar_one()
    return value

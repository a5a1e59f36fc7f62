"""The unit of work: one request, one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from portal.extensions import db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit when the block ends, roll back if it raises. Views never commit."""
    try:
        yield db.session
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def earlier_submission(session: Session, model, submission_id: str | None):
    """The row an earlier post of the same form created (a double tap or a retry), if any."""
    if not submission_id:
        return None
    return session.scalar(_by_submission(model), {"submission_id": submission_id})


@cache
def _by_submission(model) -> Select:
    """SELECT of `model` by submission id, built once per model (every write form runs one)."""
    return select(model).where(model.submission_id == bindparam("submission_id"))

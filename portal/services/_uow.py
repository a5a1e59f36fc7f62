"""The unit of work: one request, one transaction; the one row lock; the one idempotent submit.

Three mechanisms every write shares, so no feature writes its own:

- `unit_of_work()` commits when the outermost block ends and rolls back if it raises. An inner
  block (a use case called by another) joins the outer transaction.
- `locked(session, Model, id)` serialises on one row on both databases.
- `@submitted_once("kind")` makes a use case idempotent on the form's submission id: a double
  tap, a retry or a race of the same form does the work once, and every post gets the first
  post's result.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache, wraps
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import Select, Table, bindparam, select, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from portal.domain.errors import DomainError, NotAllowed, NotFound
from portal.extensions import db
from portal.models.base import Base
from portal.models.submissions import Submission

_DEPTH = "unit_of_work_depth"

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=Base)


def current_session() -> Session:
    """The request's session (the scoped session's current one), typed as a plain Session."""
    return db.session()


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Commit when the outermost block ends, roll back if it raises. Views never commit.

    A block opened inside another (one use case calling another) is part of the outer
    transaction: it neither commits nor rolls back itself, and an error it raises must reach
    the outer block, which rolls back everything.
    """
    session = current_session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            session.commit()
    except BaseException:
        if depth == 0:
            session.rollback()
        raise
    finally:
        session.info[_DEPTH] = depth


def in_unit_of_work(session: Session) -> bool:
    """True inside a `unit_of_work()` block (event handlers assert they run inside one)."""
    return session.info.get(_DEPTH, 0) > 0


# -- row locks


def locked(session: Session, model: type[M], row_id: int, *, missing: str | None = None) -> M:
    """The row of `model` with id `row_id`, locked until the transaction ends, read as it is now.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite ignores FOR UPDATE, so there a no-op UPDATE takes
    the database's write lock (waiting for any other writer) and its RETURNING clause is the
    read. Either way nothing another transaction commits can change the row under us, and a
    second transaction asking for the same row waits for this one. NotFound (with `missing`,
    or a plain sentence) when there is no such row.
    """
    statement = (
        _lock_postgresql(model)
        if session.get_bind().dialect.name == "postgresql"
        else _lock_sqlite(model)
    )
    row = session.scalars(statement, {"id": row_id}).one_or_none()
    if row is None:
        raise NotFound(missing or f"{_words(model)} {row_id} does not exist.")
    return row


@cache
def _lock_postgresql(model: type[Base]) -> Select:
    """SELECT <model> ... FOR UPDATE OF its table, refreshing the session's copy; built once."""
    return (
        select(model)
        .where(model.id == bindparam("id"))  # type: ignore[attr-defined]
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )


@cache
def _lock_sqlite(model: type[Base]) -> Select:
    """`UPDATE <table> SET id = id WHERE id = :id RETURNING <columns>`, read as `model`.

    Text, not update(): an ORM or Core UPDATE would also set onupdate columns (updated_at).
    """
    table = cast(Table, model.__table__)
    names = ", ".join(f'"{column.name}"' for column in table.columns)
    statement = text(f'UPDATE "{table.name}" SET id = id WHERE id = :id RETURNING {names}')
    return cast(
        Select,
        select(model)
        .from_statement(statement.columns(*table.columns))
        .execution_options(populate_existing=True),
    )


def _words(model: type[Base]) -> str:
    """'PurchaseOrderLine' -> 'Purchase order line'."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", model.__name__).capitalize()


# -- idempotent submissions

SUBMISSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


class FormAlreadyUsed(DomainError):
    """A submission id came back for a different kind of form (an old or tampered page)."""


def submitted_once(
    kind: str, *, actor: str = "actor"
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Make a use case idempotent on its `submission_id` keyword: the work is done once.

    The use case declares `submission_id: str | None = None` (so its signature says it takes
    one) and returns an ORM object (or a list of them, or None). The first post of a form
    claims its submission id in the same transaction as the work; any later post of that id,
    at once or after a retry, waits for the first to finish and gets what it made. `actor`
    names the keyword that holds the person acting (a submission id is theirs alone). No
    submission id: no protection (scripts and jobs that need none).
    """

    def decorator(fn: Callable[P, T]) -> Callable[P, T]:
        if "submission_id" not in inspect.signature(fn).parameters:
            raise TypeError(f"{fn.__qualname__} must declare submission_id: str | None = None")

        @wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            submission_id = kwargs.get("submission_id")
            if not submission_id:
                return fn(*args, **kwargs)
            if not isinstance(submission_id, str) or not SUBMISSION_ID.match(submission_id):
                raise FormAlreadyUsed("This form is out of date. Reload the page and try again.")
            with unit_of_work() as session:
                claimed, earlier = _claim(session, kind, submission_id, kwargs.get(actor))
                if not claimed:
                    return earlier
                result = fn(*args, **kwargs)
                _remember(session, submission_id, result)
                return result

        wrapper.submission_kind = kind  # type: ignore[attr-defined]
        return wrapper

    return decorator


def _claim(session: Session, kind: str, submission_id: str, actor: Any) -> tuple[bool, Any]:
    """Insert the submission row; (True, None) if this post is the first, else (False, result).

    The INSERT is the transaction's first write: on PostgreSQL a second post of the same id
    waits on the primary key until the first commits (then inserts nothing) or rolls back
    (then inserts); on SQLite it waits for the database's write lock. Either way, once it
    returns, the first post's row, if any, is visible.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    user_id = getattr(actor, "id", None)
    statement = (
        insert(Submission)
        .values(submission_id=submission_id, kind=kind, user_id=user_id)
        .on_conflict_do_nothing(index_elements=["submission_id"])
        .returning(Submission.submission_id)
    )
    if session.execute(statement).first() is not None:
        return True, None
    earlier = session.execute(
        select(Submission.kind, Submission.user_id, Submission.result).where(
            Submission.submission_id == submission_id
        )
    ).one()
    if earlier.kind != kind:
        raise FormAlreadyUsed("This form was already used. Reload the page and try again.")
    if earlier.user_id != user_id:
        raise NotAllowed("This form was sent by someone else.")
    return False, _load_result(session, earlier.result)


def _remember(session: Session, submission_id: str, result: Any) -> None:
    """Store what the first post made, as (class name, primary key) pairs."""
    session.flush()
    stored: list | None
    if result is None:
        stored = None
    elif isinstance(result, list | tuple):
        stored = ["many", [_identity(item) for item in result]]
    else:
        stored = ["one", _identity(result)]
    session.execute(
        update(Submission).where(Submission.submission_id == submission_id).values(result=stored)
    )


def _identity(instance: Any) -> list:
    """[class name, *primary key] of an ORM object."""
    state = sa_inspect(instance)
    if state is None or state.identity is None:
        raise TypeError(f"submitted_once needs an ORM object as the result, not {instance!r}")
    return [type(instance).__name__, *state.identity]


def _load_result(session: Session, stored: list | None) -> Any:
    """The objects a stored result names (None for one that no longer exists)."""
    if stored is None:
        return None
    shape, value = stored
    if shape == "many":
        found = [_load_one(session, item) for item in value]
        return [item for item in found if item is not None]
    return _load_one(session, value)


def _load_one(session: Session, identity: list) -> Any:
    """One object by [class name, *primary key]."""
    name, *key = identity
    return session.get(_model_named(name), key[0] if len(key) == 1 else tuple(key))


@cache
def _model_named(name: str) -> type:
    """The mapped class called `name`."""
    for mapper in Base.registry.mappers:
        if mapper.class_.__name__ == name:
            return mapper.class_
    raise LookupError(f"no model named {name}")


def submission_result(submission_id: str, *, kinds: Iterable[str]) -> Any:
    """What the first post of a form of one of `kinds` made (an object or a list of them), for
    the page that shows it after the redirect; None when there is no such submission."""
    if not isinstance(submission_id, str) or not SUBMISSION_ID.match(submission_id):
        return None
    session = current_session()
    row = session.execute(
        select(Submission.kind, Submission.result).where(Submission.submission_id == submission_id)
    ).one_or_none()
    if row is None or row.kind not in set(kinds):
        return None
    return _load_result(session, row.result)

"""The in-process message bus: an event is handled inside the unit of work that raised it.

A feature calls `publish(session, event)`; every handler listed for the event's type in
`portal/services/handlers.py` runs at once, in order, in the same transaction (so a receipt,
the stock it issues to a work order and the invoices it re-matches commit or roll back
together). The bus imports no feature: the list is handed to it by `handlers.register()`
when the app is made, which is what keeps the features free of import cycles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from portal.domain.events import Event
from portal.services._uow import in_unit_of_work

Handler = Callable[[Session, Event], None]

_handlers: dict[type[Event], tuple[Handler, ...]] = {}


def register(handlers: Mapping[type[Event], Sequence[Handler]]) -> None:
    """Install the event -> handlers list (replacing any earlier one)."""
    _handlers.clear()
    _handlers.update({kind: tuple(listed) for kind, listed in handlers.items()})


def handlers_for(kind: type[Event]) -> tuple[Handler, ...]:
    """The handlers that run when an event of `kind` is published."""
    return _handlers.get(kind, ())


def publish(session: Session, event: Event) -> None:
    """Run every handler of `event` now, inside the caller's unit of work."""
    if not in_unit_of_work(session):
        raise RuntimeError(f"{type(event).__name__} published outside a unit of work")
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
